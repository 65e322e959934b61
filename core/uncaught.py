"""One line, not a traceback, for an error of ours a script does not catch.

A function-step pipeline is a script of the user's: `Pipeline(...)`, `add_step`, the step
decorators and `run()` raise their errors (an unknown stack, a missing credential, a bad
`retry(...)`), which a script may catch. One that does not ends with `error: <one line>`,
as `yt-pipeline` prints it, and exit code 1: the mistake is the user's to fix, and the
framework's stack says nothing about it. Any other uncaught exception, and a caller that
catches ours, see no difference.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from yt_pipeline.errors import YtPipelineError

F = TypeVar("F", bound=Callable[..., Any])

#: the last error marked, its line, and the hook that reports every other exception
_last_error: BaseException | None = None
_last_line = ""
_previous_hook = sys.__excepthook__


def one_line_if_uncaught(error: BaseException, line: str) -> None:
    """Should the script not catch `error`, end it with `line` (an uncaught
    KeyboardInterrupt still ends the process by SIGINT: exit code 130 in a shell; SIGTERM's
    exits with 143)."""
    global _last_error, _last_line, _previous_hook
    _last_error, _last_line = error, line
    if sys.excepthook is not _report:  # installed once, whatever the calls
        _previous_hook, sys.excepthook = sys.excepthook, _report


def reported_in_one_line(func: F) -> F:
    """`func`'s errors of ours end an uncaught script in one line."""

    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except YtPipelineError as error:
            one_line_if_uncaught(error, f"error: {error.one_line()}")
            raise

    return call  # type: ignore[return-value]


def _report(kind: type[BaseException], value: BaseException, trace: Any) -> None:
    if value is _last_error:
        print(_last_line, file=sys.stderr)
        from yt_pipeline.term_signal import SIGTERM_EXIT_CODE, by_sigterm

        if by_sigterm(value):
            # Python ends by SIGINT for an uncaught KeyboardInterrupt itself only (its
            # subclass SIGTERM raises left exit code 1): the script leaves with SIGTERM's
            # code, as `yt-pipeline run` does, its exit handlers run first (fast_exit)
            from yt_pipeline.fast_exit import leave

            leave(SIGTERM_EXIT_CODE)
    else:
        _previous_hook(kind, value, trace)
