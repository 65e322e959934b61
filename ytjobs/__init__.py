"""Helpers for code that runs inside a job (a mapper, a reducer, a vanilla task).

Standard library only (msgspec or orjson is used when importable), so a job starts fast and
needs nothing installed. The same script runs in dev (a local process) and in prod (a YT job).
"""

from ytjobs.config import get_config_path, load_config
from ytjobs.logging import get_logger
from ytjobs.rows import groups, read_rows, write_row, write_rows

__all__ = [
    "get_config_path",
    "load_config",
    "get_logger",
    "read_rows",
    "write_row",
    "write_rows",
    "groups",
]
