"""A table write lands each of its rows once, or not at all.

ytsaurus-client sends a write in chunks, each in a transaction of its own, and when
anything in that fails it writes the chunk again in a new transaction
(`WriteRequestRetrier.action` in yt/wrapper/heavy_commands.py). When the answers to the
commit of a chunk's transaction are lost on every attempt (the cluster committed it, the
network failed before the client heard), the chunk lands twice: every chunk of an append,
and every chunk after the first of an overwrite, is written with `append=true`
(`make_write_request`). The write returns as if all went well.

So the write counts: the rows the table gained in the write's transaction must be the rows
sent. When they are not, the write fails and its transaction is aborted, leaving the table
as it was. One light request more per overwrite, three or four per append; nothing
per row.
"""

from __future__ import annotations

from typing import Any

from yt_pipeline.errors import BackendError


def rows_before(client: Any, path: str, append: bool) -> int:
    """The rows the write adds to, read in the write's transaction. An append locks the
    table first: a lock branches the table for the transaction (`DoAcquireLock` in
    yt/yt/server/master/cypress_server/cypress_manager.cpp), which from then on sees it as
    it was then plus its own rows, whatever other transactions append and commit meanwhile;
    both counts are read in that view. An overwrite replaces every row: it adds to none."""
    if not append:
        return 0
    client.lock(path, mode=append_lock_mode(client, path))
    return int(client.get(path + "/@row_count"))


def append_lock_mode(client: Any, path: str) -> str:
    """The lock the append itself takes, so that a conflict reads as the write's own: an
    exclusive one on a table of strong sorted schema, a shared one on any other
    (GetTableUploadOptions in yt/yt/ytlib/table_client/table_upload_options.cpp: an append
    without `sorted_by` to a strong schema locks `schema.IsSorted() ? Exclusive : Shared`,
    to a weak one Shared)."""
    if not client.get(path + "/@sorted"):
        return "shared"
    return "exclusive" if str(client.get(path + "/@schema_mode")) == "strong" else "shared"


def check_rows_landed(client: Any, path: str, before: int, sent: int) -> None:
    """Fail the write (and with it its transaction) unless the table gained `sent` rows."""
    landed = int(client.get(path + "/@row_count")) - before
    if landed != sent:
        raise BackendError(
            f"write_table {path}: {landed} rows landed for the {sent} sent (a part of the "
            "write was sent again after the answer to it was lost); the write was undone, "
            "the table is as it was")
