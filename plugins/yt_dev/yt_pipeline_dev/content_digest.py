"""What tells one version of a table file from another: its identity (inode, size,
modification time in ns), which every change to it changes, and its bytes' SHA-256, which
a copy of the `.dev` folder keeps (yql_schema keeps a table's schema by both).

A transaction's staged file has its bytes hashed once, when the transaction is prepared
(txn.py, `declare_by_content`): hashed at every append, a stage appending a row at a time
to a table of schema read the table once per append.
"""

from __future__ import annotations

import os
from pathlib import Path

from yt_pipeline.digests import sha256

BLOCK = 1 << 20


def identity_of(status: os.stat_result) -> str:
    return f"{status.st_ino}-{status.st_size}-{status.st_mtime_ns}"


def sha256_of(table_file: Path) -> str:
    """The hex SHA-256 of the file's bytes."""
    with open(table_file, "rb") as handle:
        digest = sha256(os.fstat(handle.fileno()).st_size)
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()
