"""Locks per dev table, and the commits a killed process left half done.

Every change of a table file happens under that table's lock, `.dev/.locks/<table>.lock`,
held with flock: two stages, or two runs, appending to one table take turns, so each sees
the other's rows and none is lost. flock belongs to the open file, so it also keeps threads
of one process apart, and the kernel releases it when its process dies: a killed run never
leaves a table locked.

A commit names each table it is about to change in a marker, `.dev/.locks/<table>.pending`,
that points at its staged file and its journal record. A marker found under the lock was
left by a process killed in the middle of a commit (a live committer holds the lock): if
its journal record exists, the commit happened and the staged file becomes the table now,
before anyone else changes it; if not, the commit never happened and the marker goes.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from yt_pipeline.crashpoints import crash_point
from yt_pipeline.digests import blake2b
from yt_pipeline.errors import YtPipelineError
from yt_pipeline.journal import RUNS_DIR
from yt_pipeline.lock import close_lock_fd, open_lock
from yt_pipeline.yamlio import write_file_atomic
from yt_pipeline_dev.atomic import make_folder, put_in_place
from yt_pipeline_dev.paths import safe_name, table_file
from yt_pipeline_dev.staging import TXN_DIR, under

LOCKS_DIR = ".locks"


def _file(root: Path, path: str, suffix: str) -> Path:
    return root / LOCKS_DIR / f"{_name(path)}{suffix}"


@functools.lru_cache(maxsize=4096)  # every read of a table looks for its marker
def _name(path: str) -> str:
    # safe_name alone may give two paths one name (`a b`, `a_b`); the digest keeps them apart
    digest = blake2b(path.encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()
    return f"{safe_name(path, limit=80)}-{digest}"


def lock_file(root: Path, path: str, suffix: str) -> Path:
    """The file (or folder) of table `path` under `.dev/.locks/` with `suffix`."""
    return _file(root, path, suffix)


class TableLocks:
    """Exclusive locks on some tables, always taken in one order, so that two holders of
    several never wait for each other."""

    def __init__(self, root: Path, paths: Iterable[str], *, settling: bool = False):
        self.root = root
        named = {_file(root, p, ".lock"): p for p in paths}
        self.files = sorted(named)
        #: `settling`: each table is settled as soon as its lock is taken, before the next
        #: is waited for. A reader finding the marker a killed commit left on a table held
        #: here waits for the marker to go (settle_before_reading): settled only once every
        #: lock was taken, it stayed while this holder waited for a table that reader's
        #: own write held (a generator of write_table reading another table), and both
        #: waited forever
        self._settled = named if settling else {}
        self._fds: list[int] = []

    def __enter__(self) -> TableLocks:
        if self.files:
            self.files[0].parent.mkdir(parents=True, exist_ok=True)
        try:
            for name in self.files:
                fd = open_lock(name)  # not held by a child the stage's code forks
                self._fds.append(fd)
                fcntl.flock(fd, fcntl.LOCK_EX)
                if name in self._settled:
                    settle(self.root, self._settled[name])
        except BaseException:
            self.release()
            raise
        return self

    def release(self) -> None:
        while self._fds:
            close_lock_fd(self._fds.pop())  # closing the file releases its flock

    def __exit__(self, *exc: object) -> None:
        self.release()


def write_marker(root: Path, path: str, marker: dict[str, Any]) -> None:
    # not forced to disk: dev writes nothing durably (yamlio.durable_mode)
    write_file_atomic(_file(root, path, ".pending"), json.dumps(marker), durable=False)


class DamagedMarker(YtPipelineError):
    """A commit marker that cannot be read nor rebuilt: the table is left alone rather than
    guessed at."""


_MARKER_KEYS = ("path", "kind", "txn", "record")
#: the file of a transaction's folder naming the journal record of its commit (recovery.py)
PREPARED = "prepared"


def read_marker(root: Path, path: str) -> dict[str, Any] | None:
    """The marker of table `path`, None when there is none (under the table's lock).

    One that does not read was damaged after its atomic write (by hand, or a machine crash
    before dev's unforced writes reached the disk). Taken for none, the commit it marked was
    dropped, and with it the rows of a stage recorded as succeeded. So it is rebuilt from
    the one transaction whose commit is recorded and whose staged change of the table is
    still to be made; with none, there is nothing to finish and it goes; with several (or
    their manifests damaged too) the run stops, naming it."""
    marker = _file(root, path, ".pending")
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        data = exc
    if isinstance(data, dict) and all(isinstance(data.get(key), str) for key in _MARKER_KEYS):
        return data
    found = _pending_changes(root, path, marker)
    if len(found) > 1:
        raise _damaged(marker, path, f"{len(found)} recorded commits may own it")
    if not found:
        marker.unlink(missing_ok=True)
        return None
    write_marker(root, path, found[0])
    return found[0]


def _pending_changes(root: Path, path: str, marker: Path) -> list[dict[str, Any]]:
    """The markers table `path` would have from the recorded, unfinished transactions of
    `root` that still hold a change of it (a staged file not yet made the table, or a
    removal)."""
    from yt_pipeline_dev.staging import Staging

    found = []
    base = root / TXN_DIR
    for txn in sorted(base.iterdir()) if base.is_dir() else ():
        try:
            refs = (txn / PREPARED).read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        if not recorded(root, refs):
            continue
        try:
            entry = Staging.load(txn).tables.get(path)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise _damaged(marker, path, f"so is {txn / 'manifest.json'} ({exc})") from None
        if entry is None or (entry.kind != "remove" and not (txn / str(entry.file)).exists()):
            continue
        found.append({"path": path, "kind": entry.kind, "txn": str(txn.relative_to(root)),
                      "file": entry.file, "record": refs[-1], "records": refs})
    return found


def _damaged(marker: Path, path: str, why: str) -> DamagedMarker:
    return DamagedMarker(
        f"commit marker {marker} of table {path} is damaged, {why}: the table is left as it "
        f"is. If a stage has its commit record in {RUNS_DIR}/journal.<state>/, put its "
        f"staged file (.dev/{TXN_DIR}/<id>/, named in manifest.json) in place of the "
        "table; then remove the marker"
    )


def drop_marker(root: Path, path: str) -> None:
    _file(root, path, ".pending").unlink(missing_ok=True)


def apply_marker(root: Path, path: str, marker: dict[str, Any]) -> None:
    """Make the marked change of table `path` (under its lock); doing it twice is harmless:
    a staged file that is gone has become the table already."""
    live = table_file(root, path)
    if marker["kind"] == "remove":
        live.unlink(missing_ok=True)
    else:
        staged = root / marker["txn"] / marker["file"]
        if staged.exists():
            make_folder(live.parent)
            crash_point("dev: before a staged table becomes live")
            # the folder may be removed meanwhile, outside any transaction (which found no
            # table of it locked): the commit comes after that removal
            put_in_place(staged, live)
    crash_point("dev: before dropping a commit marker")
    drop_marker(root, path)


def record_refs(root: Path, record: Path) -> list[str]:
    """How a marker (and a transaction's `prepared` file) names its journal record: relative
    to the dev root first, then absolute. By its absolute path alone, a record was not
    found once the pipeline's folder had moved (renamed, mounted elsewhere) between a kill
    and the next run: that commit was taken for one that never happened and dropped, and
    the rows of a stage recorded as succeeded were lost."""
    record = Path(record).resolve()
    refs = [os.path.relpath(record, Path(root).resolve()), str(record)]
    return refs if refs[0] != refs[1] else refs[:1]


def recorded(root: Path, refs: Iterable[str]) -> bool:
    """Whether the journal record named by `record_refs` exists (or by an absolute path,
    as markers named it before)."""
    for ref in refs:
        ref = ref.strip()
        if ref and (Path(ref) if os.path.isabs(ref) else Path(root).resolve() / ref).is_file():
            return True
    return False


def settle_before_reading(root: Path, path: str) -> None:
    """Before table `path` is read: finish a recorded commit that still has to make it live.

    A commit makes its tables live one rename at a time. Killed between two of them, it left
    one table in its committed version and the next in the old one until its pipeline ran
    again; a reader (another pipeline of the folder, `table head`) saw half a commit: a
    stage's rows in one table without those it wrote to the other. A marker is there only
    from the commit's start to the end of the change it names, so a reader that finds
    none reads either version whole. Finding one, it takes the table's lock: a live
    committer holds it until it has made every change (and reads nothing meanwhile, so it
    never waits for this reader); a killed one does not, and the reader settles it.
    The reader waits for the marker to go or the lock to be free, not for the lock alone:
    a writer holding the table's lock while it waits for another table's (a commit taking
    its tables' locks, which settles each as it takes it) drops a killed commit's marker
    before it waits, and this reader, which may hold that other table's lock (a generator
    of write_table), reads on; waiting for the lock, both waited forever."""
    marker = _file(root, path, ".pending")
    if not os.path.exists(marker):
        return
    fd = open_lock(_file(root, path, ".lock"))  # not kept by a forked child
    try:
        pause = 0.0005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not os.path.exists(marker):
                    return  # its change is made: the table is live in its new version
                time.sleep(pause)
                pause = min(pause * 2, 0.02)
                continue
            settle(root, path)
            return
    finally:
        close_lock_fd(fd)  # closing the file releases its flock


def _marked_tables(root: Path) -> Iterable[str]:
    """The tables with a commit marker (those of a live commit too)."""
    for marker in (root / LOCKS_DIR).glob("*.pending"):
        try:
            path = json.loads(marker.read_text(encoding="utf-8"))["path"]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # gone meanwhile, or damaged: its table's next reader or writer sees to it
        if isinstance(path, str):
            yield path


def settle_before_listing(root: Path, folder_path: str) -> None:
    """Before the folder `folder_path` is listed: as `settle_before_reading`, for each table
    in it a killed commit still had to make live (a table it created was not listed). A
    folder a commit's table makes is one of its folder changes (folder_changes.py)."""
    for path in _marked_tables(root):
        if path.rsplit("/", 1)[0] in (folder_path, folder_path + "/"):
            settle_before_reading(root, path)


def settle_tables_under(root: Path, folder_path: str) -> None:
    """As `settle_before_reading`, for each table inside folder `folder_path` a killed
    commit still had to make live, before the folder is removed: made live after the
    removal, the table came back, in the folder made again around it."""
    for path in _marked_tables(root):
        if path != folder_path and under(path, folder_path):
            settle_before_reading(root, path)


def settle(root: Path, path: str) -> None:
    """Finish or drop what a killed commit left on table `path` (under its lock)."""
    marker = read_marker(root, path)
    if marker is None:
        return
    if recorded(root, [marker["record"], *marker.get("records", [])]):
        from yt_pipeline_dev import folder_changes

        # first the folders the commit removes: made after its table, the removal of the
        # folder holding it removed the table just made live
        folder_changes.settle(root, marker["txn"], known_recorded=True)
        apply_marker(root, path, marker)
    else:
        drop_marker(root, path)
