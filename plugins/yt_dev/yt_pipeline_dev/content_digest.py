"""The SHA-256 of a table file's bytes, by which yql_schema keeps a schema for a copied folder.

A stage appending a row at a time to a table writes its staged file in place (txn.py), and
each append keeps the table's schema by the file's new bytes: hashing the whole file every
time read it once per append (400 appends of a row to a 100,000-row table read 1.6 GB). So
this process remembers the hash state of each file it hashed, by the file's path and its
identity (inode, size, modification time in ns) once hashed; a file that has only grown
since, in place (the caller knows: txn.appending_in_place), continues that state with the
bytes added. Another identity (an external edit, a copy, a file of another run, a file cut
back) finds no state and is hashed whole, so the digest is always the file's own SHA-256.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

BLOCK = 1 << 20
#: hash states remembered (a few hundred bytes each); the oldest go first
KEPT = 256

_states: OrderedDict[tuple[str, str], Any] = OrderedDict()
_lock = threading.Lock()


def identity_of(status: os.stat_result) -> str:
    return f"{status.st_ino}-{status.st_size}-{status.st_mtime_ns}"


def sha256_of(table_file: Path, grown_from: str | None = None) -> str:
    """The hex SHA-256 of the file's bytes. `grown_from`: the identity the file had before
    an append in place added bytes at its end and changed nothing else (or cut the append
    back off); the hash state remembered for that identity, if any, is continued from its
    size instead of reading the file from its start."""
    name = os.path.abspath(table_file)
    state = None
    if grown_from is not None:
        with _lock:
            state = _states.pop((name, grown_from), None)
    done = int(grown_from.split("-")[1]) if state is not None and grown_from else 0
    digest = state if state is not None else hashlib.sha256()
    with open(name, "rb") as handle:
        before = os.fstat(handle.fileno())
        if before.st_size < done:  # shorter than it was: not grown, so hash it whole
            digest, done = hashlib.sha256(), 0
        handle.seek(done)
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)
            done += len(block)
        after = os.fstat(handle.fileno())
    if identity_of(before) == identity_of(after) and after.st_size == done:
        _remember((name, identity_of(after)), digest.copy())
    return digest.hexdigest()  # type: ignore[no-any-return]


def _remember(key: tuple[str, str], state: Any) -> None:
    with _lock:
        _states[key] = state
        _states.move_to_end(key)
        while len(_states) > KEPT:
            _states.popitem(last=False)
