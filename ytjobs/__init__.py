"""Helpers for code that runs inside a job (a mapper, a reducer, a vanilla task).

Standard library only (msgspec or orjson is used when importable), so a job starts fast and
needs nothing installed. The same script runs in dev (a local process) and in prod (a YT job).
"""

import importlib
from typing import TYPE_CHECKING, Any

# The names below are imported on first use (PEP 562), so that importing one helper
# (the host reads tables with ytjobs.codec) does not load all of them. Python 3.8: no
# subscripted builtins in annotations evaluated at run time.
_EXPORTS = {
    "get_config_path": "ytjobs.config",
    "get_checkpoint_path": "ytjobs.config",
    "load_config": "ytjobs.config",
    "get_logger": "ytjobs.logging",
    "log_with_extra": "ytjobs.logging",
    "redirect_stdout_to_stderr": "ytjobs.logging",
    "BatchMapper": "ytjobs.mapper",
    "StreamMapper": "ytjobs.mapper",
    "read_input_rows": "ytjobs.mapper",
    "groups": "ytjobs.rows",
    "read_rows": "ytjobs.rows",
    "write_row": "ytjobs.rows",
    "write_rows": "ytjobs.rows",
    "read_indexed_rows": "ytjobs.tables",
    "switch_output": "ytjobs.tables",
    "table_switch": "ytjobs.tables",
    "write_statistics": "ytjobs.statistics",
}
#: the submodules `import ytjobs` used to import, still reachable as its attributes
_SUBMODULES = ("config", "logging", "mapper", "rows", "tables")

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
    "write_statistics",
    # the names yt-framework's ytjobs offers at its top level
    "StreamMapper",
    "BatchMapper",
    "read_input_rows",
    "log_with_extra",
    "redirect_stdout_to_stderr",
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"ytjobs.{name}")
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'ytjobs' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> "list[str]":
    return sorted(set(globals()) | set(_EXPORTS) | set(_SUBMODULES))


if TYPE_CHECKING:  # pragma: no cover - the names for type checkers and IDEs
    from ytjobs.config import get_checkpoint_path, get_config_path, load_config
    from ytjobs.logging import get_logger, log_with_extra, redirect_stdout_to_stderr
    from ytjobs.mapper import BatchMapper, StreamMapper, read_input_rows
    from ytjobs.rows import groups, read_rows, write_row, write_rows
    from ytjobs.statistics import write_statistics
    from ytjobs.tables import read_indexed_rows, switch_output, table_switch
