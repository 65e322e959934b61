"""A logger for jobs: to stderr, because stdout carries the rows.

Lines read as yt-framework's jobs write them (`TextFormatter`):

    [2024-05-01 12:00:00] [job] INFO: read | rows=5 table=//home/x

the time in UTC, then each field given with `log_with_extra` (or `extra=`) as key=value.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping
from typing import Any

from ytjobs.logging.silencer import (  # noqa: F401 - importable from here too
    manage_output,
    redirect_stdout_to_stderr,
    suppress_all_output,
)

#: the attributes every LogRecord has (on this Python), which are not extra fields
STANDARD_FIELDS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message", "asctime", "taskName"}
#: a string field longer than this is cut, its end replaced with "..."
LONGEST_VALUE = 100


def format_value(value: Any) -> str:
    """A field's value as a log line shows it: lists as [a, b], dicts as {k=v}, long
    strings cut to LONGEST_VALUE characters."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={format_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return value if len(value) <= LONGEST_VALUE else value[:LONGEST_VALUE - 3] + "..."
    return str(value)


class TextFormatter(logging.Formatter):
    """`[time] [logger] LEVEL: message | key=value ...`, then the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(record.created))
        line = self._base_message_line(record, stamp, record.levelname, record.getMessage())
        fields = self._fields(record.__dict__)
        if fields:
            line += " | " + " ".join(fields)
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line += "\n" + record.exc_text
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line

    def _base_message_line(self, record: Any, timestamp: str, level: str, message: str) -> str:
        """The line without its fields; a record without a name shows none."""
        if hasattr(record, "name"):
            return f"[{timestamp}] [{record.name}] {level}: {message}"
        return f"[{timestamp}] {level}: {message}"

    @staticmethod
    def _fields(attributes: Mapping[str, Any]) -> list[str]:
        return [f"{key}={format_value(value)}" for key, value in attributes.items()
                if key not in STANDARD_FIELDS and not key.startswith("_")]


class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a record comes, not to the stderr of the
    moment it was made: a logger made before stderr is swapped (by a test, or silenced by
    suppress_all_output) follows the swap."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass  # always sys.stderr


def get_logger(name: str | None = "job", level: int = logging.INFO) -> logging.Logger:
    """A logger writing to stderr with TextFormatter, not passing its records on to the
    root logger; asking twice for one name gives one handler, not two."""
    logger = logging.getLogger(name)
    logger.setLevel(level)
    if not any(getattr(h, "_ytjobs", False) for h in logger.handlers):
        handler = StderrHandler()
        handler.setFormatter(TextFormatter())
        handler._ytjobs = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.propagate = False
    return logger


def log_with_extra(logger: logging.Logger, level: int, message: str, **fields: object) -> None:
    """Log `message` with `fields` as the record's extra attributes (TextFormatter shows
    them as key=value). A field named like a LogRecord attribute (`name`, `message`, ...),
    which logging refuses as extra, is written into the message instead."""
    clashing = [f"{k}={format_value(v)}" for k, v in fields.items() if k in STANDARD_FIELDS]
    if clashing:
        message = " ".join([message, *clashing])
        fields = {k: v for k, v in fields.items() if k not in STANDARD_FIELDS}
    logger.log(level, message, extra=fields, stacklevel=2)
