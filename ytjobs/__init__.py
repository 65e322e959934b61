"""Helpers for code that runs inside a job (a mapper, a reducer, a vanilla task).

Standard library only (msgspec or orjson is used when importable), so a job starts fast and
needs nothing installed. The same script runs in dev (a local process) and in prod (a YT job).
"""

from ytjobs.config import get_checkpoint_path, get_config_path, load_config
from ytjobs.logging import get_logger, log_with_extra, redirect_stdout_to_stderr
from ytjobs.mapper import BatchMapper, StreamMapper, read_input_rows
from ytjobs.rows import groups, read_rows, write_row, write_rows
from ytjobs.tables import read_indexed_rows, switch_output, table_switch

__all__ = [
    "get_config_path",
    "get_checkpoint_path",
    "load_config",
    "get_logger",
    "read_rows",
    "write_row",
    "write_rows",
    "groups",
    "read_indexed_rows",
    "switch_output",
    "table_switch",
    # the names yt-framework's ytjobs offers at its top level
    "StreamMapper",
    "BatchMapper",
    "read_input_rows",
    "log_with_extra",
    "redirect_stdout_to_stderr",
]
