"""The folder changes of a dev commit (folders removed, folders created), seen whole.

A commit removes and creates its folders first, then makes its tables live one rename at a
time (recovery.apply). A table inside a removed folder has no marker of its own (the
transaction dropped it from its staging when it removed the folder), so a reader found
nothing telling it that a recorded commit was still to remove it: after a kill between
the journal record and the removal, a reader saw a table the commit had made beside one it
had removed. And a table re-made in a removed folder, made live by a reader or a writer
(tablelock.settle) before the removal was made, was then removed by it: a committed table
was lost.

So a commit with folder changes writes, before its record, a marker
`.dev/.locks/folders/<txn>.json` naming them; the change is made under the flock of the
transaction's `owner.lock` (held by its process for the transaction's whole life, released
by the kernel when it dies), before any table of the transaction is made live, then the
transaction's `folders.pending` goes, and then the marker. A reader of a path inside one of
those folders (or holding one) waits for that lock: a live committer holds it until its
commit has ended; a killed one does not, and the reader makes the recorded change itself,
or drops the marker of a commit never recorded.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path
from typing import Any

from yt_pipeline.crashpoints import crash_point
from yt_pipeline.errors import YtPipelineError
from yt_pipeline.lock import close_lock_fd, open_lock
from yt_pipeline.yamlio import write_file_atomic
from yt_pipeline_dev.paths import folder
from yt_pipeline_dev.staging import MANIFEST, TXN_DIR, Staging, under

OWNER_LOCK = "owner.lock"
FOLDERS_PENDING = "folders.pending"
#: under `.dev/`: one marker per commit whose folder changes are still to be made; the
#: folder is there only while one is (every read of a table looks into it)
MARKERS_DIR = os.path.join(".locks", "folders")


def _marker(root: Path, txn: str) -> Path:
    return root / MARKERS_DIR / f"{Path(txn).name}.json"


def write_marker(root: Path, txn: str, removed: list[str], created: list[str],
                 records: list[str]) -> None:
    """Before the commit's journal record (and after its `folders.pending`). `records`: the
    record's names (tablelock.record_refs), as the transaction's `prepared` file has them."""
    text = json.dumps({"removed": removed, "created": created, "records": records})
    for _ in range(100):
        try:
            # not forced to disk: dev writes nothing durably (yamlio.durable_mode)
            write_file_atomic(_marker(root, txn), text, durable=False)
            return
        except FileNotFoundError:
            continue  # the folder was removed as it was made (drop_marker): made again
    write_file_atomic(_marker(root, txn), text, durable=False)  # its error names the file


def marker_records(root: Path, txn: str) -> list[str]:
    """The journal record's names a commit's folder marker holds ([] when it holds none).
    They stand in for a `prepared` file a machine crash left empty: a commit that changes
    folders and no table has no table marker to name its record, and was taken for one
    never recorded, its marker dropped and its folder swept (recovery.sweep) with the
    change it had still to make."""
    records = _read_marker(root, txn).get("records")
    return [ref for ref in records if isinstance(ref, str)] if isinstance(records, list) else []


def _read_marker(root: Path, txn: str) -> dict[str, Any]:
    """A commit's folder marker; {} when it is gone or does not read."""
    try:
        data = json.loads(_marker(root, txn).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _changes(root: Path, txn: str) -> tuple[list[str], list[str]]:
    """The folders a recorded commit removes and creates: from its transaction's manifest,
    else from its marker, which names them too (a machine crash may leave either empty).
    Read from the manifest alone, a damaged one failed every reader of a path near those
    folders with a bare JSON error naming no file."""
    try:
        staging = Staging.load(root / txn)
        return list(staging.removed), list(staging.created)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        damaged = f"{root / txn / MANIFEST} ({exc})"
    marker = _read_marker(root, txn)
    removed, created = marker.get("removed"), marker.get("created")
    if isinstance(removed, list) and isinstance(created, list) and all(
            isinstance(path, str) for path in [*removed, *created]):
        return removed, created
    raise YtPipelineError(
        f"the folder changes of a recorded commit cannot be read: {damaged} and its marker "
        f"{_marker(root, txn)} are damaged; remove or create the folders the stage meant "
        f"to, then remove {root / txn / FOLDERS_PENDING} and the marker")


def drop_marker(root: Path, txn: str) -> None:
    _marker(root, txn).unlink(missing_ok=True)
    try:
        os.rmdir(root / MARKERS_DIR)  # the last one: a read then finds no folder
    except OSError:
        pass  # another marker is there (or the folder is gone already)


def make_changes(root: Path, txn: str, removed: list[str], created: list[str]) -> None:
    """Make a recorded commit's folder changes (under its owner lock). Done again after a
    kill, it is harmless: no table of the commit is live before `folders.pending` goes."""
    if (root / txn / FOLDERS_PENDING).exists():
        for path in removed:
            shutil.rmtree(folder(root, path), ignore_errors=True)
        for path in created:
            folder(root, path).mkdir(parents=True, exist_ok=True)
        crash_point("dev: folders changed")
        (root / txn / FOLDERS_PENDING).unlink()
    drop_marker(root, txn)


def settle(root: Path, txn: str, *, known_recorded: bool = False) -> None:
    """Make the folder changes of transaction `txn` (`.txn/<id>`, relative to `root`) if its
    commit is recorded (`known_recorded`: the caller holds its record), once no live process
    holds it; drop its marker if the commit never happened. Not for the transaction's own
    process, which holds the lock."""
    from yt_pipeline_dev.tablelock import PREPARED, recorded

    if not (root / txn / FOLDERS_PENDING).exists():
        # made already, or the transaction ended: its changes were made or dropped (most
        # commits change no folder: a table's marker settled costs no lock more)
        drop_marker(root, txn)
        return
    try:
        fd = open_lock(root / txn / OWNER_LOCK, os.O_RDWR)  # not kept by a forked child
    except FileNotFoundError:
        drop_marker(root, txn)  # removed this instant, with its transaction
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            text = (root / txn / PREPARED).read_text(encoding="utf-8")
            refs = [line for line in text.splitlines() if line.strip()]
        except (OSError, ValueError):
            refs = []
        if not (root / txn / FOLDERS_PENDING).exists() or not (
                known_recorded or recorded(root, refs or marker_records(root, txn))):
            drop_marker(root, txn)  # made already, or never committed (sweep removes it)
            return
        make_changes(root, txn, *_changes(root, txn))
    finally:
        close_lock_fd(fd)


def marked(root: Path) -> list[str]:
    """The names of the transactions (`.txn/<name>`) with a folder marker: none when the
    markers' folder is not there (no change pending), or `.locks` is a file (the write's
    lock, taken next, names it: this look named `.locks/folders`, which the user never
    made, as the file at fault). A marker still being written (`.`-named) is not one."""
    try:
        names = os.listdir(os.path.join(root, MARKERS_DIR))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [name[:-len(".json")] for name in names
            if not name.startswith(".") and name.endswith(".json")]


def settle_before_using(root: Path, path: str) -> None:
    """Before table or folder `path` is read, tested or listed: make (or wait for) the
    recorded folder changes of the commits that remove or create a folder holding it, or
    inside it. Costs the look for a folder that is not there when none is pending."""
    markers = os.path.join(root, MARKERS_DIR)  # a Path's joins cost more than the look
    for name in marked(root):
        try:
            with open(os.path.join(markers, name + ".json"), encoding="utf-8") as handle:
                data: Any = json.load(handle)
            paths = [*data["removed"], *data["created"]]
        except FileNotFoundError:
            continue  # made meanwhile
        except (OSError, ValueError, KeyError, TypeError):
            paths = [path]  # damaged: settled all the same, from the transaction's files
        if any(under(path, changed) or under(changed, path) for changed in paths):
            settle(root, f"{TXN_DIR}/{name}")
