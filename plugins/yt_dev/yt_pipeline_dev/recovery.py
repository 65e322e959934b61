"""Finishing and clearing up after dev transactions whose process died.

A transaction's folder (`.dev/.txn/<time>-<pid>-<number>/`) holds `owner.lock`, flocked by
its process while it lives; `prepared` names the journal record its commit writes. After a
kill, a folder whose record exists holds a commit to finish (`finish_commit`, called by the
next run of its pipeline); any other folder of a dead process is garbage (`sweep`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from yt_pipeline.errors import BackendError
from yt_pipeline.journal import RUNS_DIR
from yt_pipeline.lock import pid_alive
from yt_pipeline_dev import folder_removal
from yt_pipeline_dev.folder_changes import (
    FOLDERS_PENDING,
    OWNER_LOCK,
    drop_marker,
    make_changes,
    marked,
    marker_records,
)
from yt_pipeline_dev.folder_changes import settle as settle_folders
from yt_pipeline_dev.owner_gone import owner_gone
from yt_pipeline_dev.staging import MANIFEST, TXN_DIR, Staging
from yt_pipeline_dev.tablelock import (
    LOCKS_DIR,
    PREPARED,
    TableLocks,
    apply_marker,
    read_marker,
    recorded,
)

__all__ = ["FOLDERS_PENDING", "OWNER_LOCK", "apply", "finish_commit", "sweep"]


def apply(root: Path, token: dict[str, Any], *, owner: bool = True) -> None:
    """Make a recorded commit visible; repeating it after a kill is harmless. `owner`: called
    by the transaction's own process, which holds its owner lock (else it is taken for the
    folder changes, which a reader may be making)."""
    if owner:
        make_changes(root, token["txn"], token["removed"], token["created"])
    else:
        settle_folders(root, token["txn"], known_recorded=True)
    for path in token["tables"]:
        marker = read_marker(root, path)
        if marker is not None and marker["txn"] == token["txn"]:
            apply_marker(root, path, marker)


def _owner_alive(name: str) -> bool:
    """From the folder's name, `<time>-<pid>-<number>`: whether its process still runs. A
    killed one its parent has not reaped (a zombie) does not: it answers kill(pid, 0), and
    its folder, left without its lock file by a kill in the middle of making or removing
    it, stayed behind every later run."""
    try:
        pid = int(name.split("-")[1])
    except (IndexError, ValueError):
        return False
    return pid_alive(pid)


def finish_commit(root: Path, token: dict[str, Any]) -> None:
    """Complete a commit whose process died after its journal record."""
    token = recorded_changes(root, token)
    with TableLocks(root, token["tables"], settling=True):
        apply(root, token, owner=False)
    shutil.rmtree(root / token["txn"], ignore_errors=True)


def recorded_changes(root: Path, token: dict[str, Any]) -> dict[str, Any]:
    """The token of a journal record with the tables and folders its commit changes. A
    record of a commit whose paths hold a secret names only its transaction's folder, whose
    manifest lists them (DevTransaction.prepare); any other lists them itself. A folder
    gone (removed once its commit was made whole) changes nothing."""
    if "tables" in token:
        return token
    manifest = root / token["txn"] / MANIFEST
    try:
        staging = Staging.load(manifest.parent)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackendError(
            f"{manifest} is damaged ({exc}): it lists the tables a commit recorded in "
            f"{RUNS_DIR}/journal.<state>/ changes, which is left unfinished and the tables as "
            f"they are; the commit markers .dev/{LOCKS_DIR}/*.pending naming {token['txn']} "
            "say which staged file of it is which table's") from None
    return {**token, "tables": sorted(staging.tables), "removed": staging.removed,
            "created": staging.created}


def _recorded(root: Path, txn: Path) -> bool:
    """Whether the journal record a prepared transaction names exists (`record_refs`: one
    name a line). A `prepared` file that names nothing was damaged (a machine crash leaves
    a file renamed into place empty): its table markers, written after it and dropped
    only once their change is made, still name the record. Taken for garbage, a recorded
    commit's staged rows were removed here, by another pipeline of the folder, before
    its own pipeline could finish it."""
    try:
        text = (txn / PREPARED).read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    except (OSError, UnicodeDecodeError):
        text = ""
    refs = [line for line in text.splitlines() if line.strip()]
    if refs:
        return recorded(root, refs)
    relative = str(txn.relative_to(root))
    if recorded(root, marker_records(root, relative)):
        return True
    for marker in (root / LOCKS_DIR).glob("*.pending"):
        try:
            data = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("txn") == relative and recorded(
                root, [str(data.get("record", "")), *map(str, data.get("records", []))]):
            return True
    return False


def sweep(root: Path) -> int:
    """Remove the folders of transactions whose process died before their commit (or after
    it had finished); those committed but unfinished stay for `finish_commit`. And what
    killed removals of folders left aside (folder_removal.py)."""
    # the folders removals killed after moving them aside left, which no reader sees
    folder_removal.clean(root)
    removed = 0
    base = root / TXN_DIR
    if not base.is_dir():
        return 0
    for txn in base.iterdir():
        if not txn.is_dir():
            continue
        # a folder without its lock file was made this instant (its owner is about to
        # lock it) or is half removed: its process tells
        with owner_gone(txn, _owner_alive) as gone:
            if gone and not _recorded(root, txn):
                shutil.rmtree(txn, ignore_errors=True)
                removed += 1
    _drop_orphan_folder_markers(root)
    return removed


def _drop_orphan_folder_markers(root: Path) -> None:
    """The folder markers of transactions whose folder is gone (removed above, or by a
    sweep killed before this): left, each was read by every later read of the folder's
    tables (a table's exists() took 93 us instead of 35 us) until a read near its folders
    dropped it, maybe never."""
    for name in marked(root):
        if not (root / TXN_DIR / name).exists():
            drop_marker(root, f"{TXN_DIR}/{name}")
