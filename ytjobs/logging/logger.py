"""A logger for jobs: to stderr, because stdout carries the rows."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
import typing
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

# typing.Callable, not collections.abc: subscripted at import, which Python 3.8 (the
# stock job image) allows only for the typing form
Function = TypeVar("Function", bound=typing.Callable[..., Any])

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


@contextlib.contextmanager
def suppress_all_output() -> Iterator[None]:
    """Silence everything written to stdout and stderr meanwhile, by Python code and by C
    libraries alike (the file descriptors themselves point at /dev/null)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    python_streams = sys.stdout, sys.stderr
    with open(os.devnull, "w") as devnull:
        try:
            os.dup2(devnull.fileno(), 1)
            os.dup2(devnull.fileno(), 2)
            sys.stdout = sys.stderr = devnull
            yield
        finally:
            sys.stdout, sys.stderr = python_streams
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def manage_output(mode: str = "redirect") -> Callable[[Function], Function]:
    """A decorator: the function's prints go to stderr ("redirect") or nowhere ("suppress")."""
    if mode not in ("redirect", "suppress"):
        raise ValueError(f"manage_output mode must be 'redirect' or 'suppress', not {mode!r}")
    guard = redirect_stdout_to_stderr if mode == "redirect" else suppress_all_output

    def decorate(function: Function) -> Function:
        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            with guard():
                return function(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate
