"""Dev tables whose declared schema says `unique_keys` (create_path with a schema of key
columns and `unique_keys=True`).

The flag is kept in the table file's schema entry beside its columns and key
(yql_schema.declare's entry, by the file's identity and, outside a transaction's staging, by
its bytes too), added after each write kept the schema there (yql_schema.keep_schema, which
writes the entry afresh without it). A table of unique keys takes no row whose key equals
the one before it, an append's first row compared with the table's last key, as a cluster's
sorted writer refuses them (sorted_schema.refusal, yt_pipeline.sorted_writes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from yt_pipeline_dev.staging import TXN_DIR
from yt_pipeline_dev.yql_schema import (
    _write_entry,
    declare_by_content,
    declared_file,
    load_entry,
)

#: the entry's field
FIELD = "unique_keys"


def is_unique(root: Path, table_file: Path | None) -> bool:
    """Whether the table file's schema says unique_keys (False for a missing file)."""
    if table_file is None:
        return False
    try:
        data = load_entry(declared_file(root, table_file))
    except FileNotFoundError:  # removed this instant: no table, no flag
        return False
    return bool(data and data.get(FIELD))


def seen_unique(root: Path, current: Path | None, schema: Any) -> bool:
    """Whether a write's table has unique keys: the file there says so, else (no schema
    there) the schema the write gives it (`unique_keys` of its kept columns)."""
    if current is not None:
        data = load_entry(declared_file(root, current))  # one read of the entry
        if data is not None:
            return bool(data.get(FIELD))
    return bool(getattr(schema, FIELD, False))


def keep_unique(root: Path, target: Path | None, unique: bool) -> None:
    """After keep_schema gave `target` its table's schema: mark it unique_keys again."""
    if not unique or target is None or not target.exists():
        return
    entry = declared_file(root, target)
    data = load_entry(entry)
    if data is None or data.get(FIELD):
        return
    data[FIELD] = True
    _write_entry(entry, data)
    if target.parent.parent != root / TXN_DIR:
        declare_by_content(root, target, data)
