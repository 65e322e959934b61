"""Keeping a job's stdout for its rows: send print() to stderr, or silence everything.

The module path is the one yt-framework's jobs import these from
(`from ytjobs.logging.silencer import manage_output`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import typing
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

# typing.Callable, not collections.abc: subscripted at import, which Python 3.8 (the
# stock job image) allows only for the typing form
Function = TypeVar("Function", bound=typing.Callable[..., Any])

MODES = ("suppress", "redirect")


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
    libraries alike (the file descriptors themselves point at /dev/null); warnings and log
    lines to stderr included."""
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
    """A decorator: the function's prints go to stderr ("redirect") or nowhere ("suppress").

    A mode other than these two raises ValueError when the function is called, as in
    yt-framework (decorating alone does not fail).
    """

    def decorate(function: Function) -> Function:
        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if mode == "redirect":
                guard = redirect_stdout_to_stderr
            elif mode == "suppress":
                guard = suppress_all_output
            else:
                raise ValueError(f"Invalid mode: {mode!r}. Must be 'suppress' or 'redirect'")
            with guard():
                return function(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate
