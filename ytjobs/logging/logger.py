"""A logger for jobs: to stderr, because stdout carries the rows."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def get_logger(name: str | None = "job", level: int = logging.INFO) -> logging.Logger:
    """A logger writing to stderr; asking twice for one name gives one handler, not two."""
    logger = logging.getLogger(name)
    logger.setLevel(level)
    if not any(getattr(h, "_ytjobs", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._ytjobs = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False
    return logger


def log_with_extra(logger: logging.Logger, level: int, message: str, **fields: object) -> None:
    """Log `message` followed by `key=value` for each field."""
    suffix = " ".join(f"{key}={value!r}" for key, value in fields.items())
    logger.log(level, f"{message} {suffix}" if suffix else message)


@contextlib.contextmanager
def redirect_stdout_to_stderr() -> Iterator[None]:
    """Send print() to stderr for a while, so stray output cannot corrupt the rows."""
    original = sys.stdout
    sys.stdout = sys.stderr
    try:
        yield
    finally:
        sys.stdout = original
