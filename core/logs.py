"""Logging for the command line: one handler, short lines, secrets masked."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from yt_pipeline.secret_forms import (
    MASK,
    all_forms,
    mask_bytes_within,
    mask_data,
    mask_text,
)

__all__ = [
    "MASK",
    "SecretMaskFilter",
    "mask_secrets",
    "masked",
    "masked_data",
    "setup_logging",
    "stage_logger",
]


class SecretMaskFilter(logging.Filter):
    """Replaces every known secret value, in each of its written forms (JSON-escaped,
    repr, URL-quoted...: see secret_forms), in a record's final text with ***."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.secrets: set[str] = {s for s in secrets if s}
        self.forms: list[str] = all_forms(self.secrets)

    def add(self, secrets: Iterable[str]) -> None:
        new = {s for s in secrets if s} - self.secrets
        if new:  # the forms cost a YAML dump a secret: made again only when there are new
            self.secrets |= new
            self.forms = all_forms(self.secrets)

    def mask(self, text: str) -> str:
        return mask_text(text, self.forms)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            masked = self.mask(message)
            if masked != message:
                record.msg, record.args = masked, None
            if record.exc_text:
                record.exc_text = self.mask(record.exc_text)
        return True


STAGE_LOGGERS = "yt_pipeline.stage."


def stage_logger(name: str) -> logging.Logger:
    """The logger of stage `name`: its lines are tagged `[name]` (StageTagFilter), so every
    place that logs for a stage takes it from here rather than composing the name itself."""
    return logging.getLogger(STAGE_LOGGERS + name)


class StageTagFilter(logging.Filter):
    """A stage's own log lines (`self.logger`) start with `[stage]`, as the runner's lines
    about it do: with stages running in parallel, a line must say whose it is."""

    def filter(self, record: logging.LogRecord) -> bool:
        name = record.name
        record.stage_tag = f"[{name[len(STAGE_LOGGERS):]}] " if name.startswith(STAGE_LOGGERS) else ""
        return True


class MaskingFormatter(logging.Formatter):
    """Masks the whole formatted record, tracebacks included: the filter sees a record
    before its traceback is turned into text."""

    def format(self, record: logging.LogRecord) -> str:
        for let_out in before_log_lines:
            let_out()
        return _mask_filter.mask(super().format(record))


#: called before a log line is written: the masked console streams (masked_streams) let out
#: the lines of a stage's own that they hold, so the console shows both in their order
before_log_lines: list[Any] = []


_mask_filter = SecretMaskFilter()
_handler: logging.StreamHandler[TextIO] | None = None
#: Records stop at our handler, so a stage that configures the root logger does not print
#: each of them twice; the test harness turns this on so pytest's caplog (on the root) sees them.
propagate_to_root = False


def setup_logging(level: str | int = "INFO") -> logging.StreamHandler[TextIO]:
    """Install (once) a stderr handler on the `yt_pipeline` logger tree."""
    global _handler
    root = logging.getLogger("yt_pipeline")
    if isinstance(level, str):
        level = logging.getLevelName(level.upper())
        if not isinstance(level, int):
            level = logging.INFO
    root.setLevel(level)
    root.propagate = propagate_to_root
    if _handler is not None and _handler in root.handlers:
        _handler.setStream(sys.stderr)  # tests swap stderr between invocations
        return _handler
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)-5s %(stage_tag)s%(message)s",
                                           "%H:%M:%S"))
    _handler.addFilter(StageTagFilter())
    _handler.addFilter(_mask_filter)
    root.addHandler(_handler)
    _mask_what_python_prints()
    return _handler


def _mask_what_python_prints() -> None:
    """A stage's warning (`warnings.warn`), a library's log record that no handler takes,
    an exception that ends a thread the stage started and one raised where Python can only
    report it (`__del__`, a callback of the collector) are printed by Python itself, on
    stderr, not by our handler: they are masked as our lines are, and look as they did."""
    import warnings

    if not isinstance(logging.lastResort, _MaskedLastResort):
        logging.lastResort = _MaskedLastResort()
    _mask_uncaught_reports()
    if getattr(warnings.showwarning, "masks_secrets", False):
        return
    shown = warnings.showwarning
    # Python's own printing, kept by the module to tell whether it was replaced
    python_own = getattr(warnings, "_showwarning_orig", shown)

    def showwarning(message: Any, category: type[Warning], filename: str, lineno: int,
                    file: TextIO | None = None, line: str | None = None) -> None:
        if shown is not python_own:  # replaced by someone else (a test's recorder): theirs
            shown(message, category, filename, lineno, file, line)
            return
        text = warnings.formatwarning(message, category, filename, lineno, line)
        try:
            (file or sys.stderr).write(_mask_filter.mask(text))
        except (OSError, AttributeError):
            pass  # as Python does: no stderr, no warning

    showwarning.masks_secrets = True  # type: ignore[attr-defined]
    warnings.showwarning = showwarning


def _mask_uncaught_reports() -> None:
    """threading.excepthook and sys.unraisablehook print a traceback whose message quotes
    what the code put in it: the same text, masked. A hook someone else installed is
    theirs, and left alone."""
    import threading

    if threading.excepthook is threading.__excepthook__:
        threading.excepthook = _thread_hook
    if sys.unraisablehook is sys.__unraisablehook__:
        sys.unraisablehook = _unraisable_hook


def _thread_hook(args: Any) -> None:
    if args.exc_type is SystemExit:  # as Python: a thread's sys.exit() is no error
        return
    import threading

    name = args.thread.name if args.thread is not None else threading.get_ident()
    _write_masked(f"Exception in thread {name}:\n"
                  + _traceback_text(args.exc_type, args.exc_value, args.exc_traceback))


def _unraisable_hook(unraisable: Any) -> None:
    head = unraisable.err_msg or "Exception ignored in"
    if unraisable.object is not None:
        try:
            head += f": {unraisable.object!r}"
        except Exception:  # as Python: an object whose repr fails is shown by its type
            head += f": <object repr() failed: {type(unraisable.object).__name__}>"
    _write_masked(head + "\n" + _traceback_text(unraisable.exc_type, unraisable.exc_value,
                                                  unraisable.exc_traceback))


def _traceback_text(exc_type: Any, value: Any, tb: Any) -> str:
    import traceback

    return "".join(traceback.format_exception(exc_type, value, tb))


def _write_masked(text: str) -> None:
    stream = sys.stderr
    if stream is None:  # as Python does: no stderr, no report
        return
    try:
        stream.write(_mask_filter.mask(text))
        stream.flush()
    except (OSError, ValueError, AttributeError):
        pass


class _MaskedLastResort(logging.StreamHandler):  # type: ignore[type-arg]
    """logging.lastResort, masking: it writes to the stderr of the moment, at WARNING."""

    def __init__(self) -> None:
        super().__init__()
        self.setLevel(logging.WARNING)
        self.setFormatter(MaskingFormatter("%(message)s"))

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def forget_secrets() -> None:
    """Mask no secret any more: for a process that runs pipelines one after another with
    unrelated secrets (a test-suite), where one's short secret would mask another's data."""
    _mask_filter.secrets.clear()
    _mask_filter.forms = []


def mask_secrets(secrets: Iterable[str]) -> None:
    """Make every handler installed by setup_logging mask these values from now on."""
    _mask_filter.add(secrets)


def known_secrets() -> set[str]:
    """The secret values masked from now on (mask_secrets)."""
    return set(_mask_filter.secrets)


def masked(text: str) -> str:
    return _mask_filter.mask(text)


def masked_bytes_within(value: Any) -> Any:
    """`value` with every known secret masked in each bytes value within it, all else as it
    was (secret_forms.mask_bytes_within)."""
    return mask_bytes_within(value, _mask_filter.forms)


def masked_data(value: Any) -> Any:
    """A copy of a JSON-like value (a stage's returned debug) with every known secret
    masked in every string, for whatever stores it on disk."""
    return mask_data(value, _mask_filter.forms)


@contextmanager
def run_log(path: Path) -> Iterator[None]:
    """While the block runs, every `yt_pipeline` log line also goes to `path` (the run's
    log, `.runs/<run id>.log`), masked and tagged as on the console."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = _RunLogHandler(path, encoding="utf-8", delay=True)
    handler.setFormatter(MaskingFormatter(
        "%(asctime)s %(levelname)-5s %(stage_tag)s%(message)s", "%Y-%m-%d %H:%M:%S"))
    handler.addFilter(StageTagFilter())
    handler.addFilter(_mask_filter)
    root = logging.getLogger("yt_pipeline")
    if root.level == logging.NOTSET or root.level > logging.INFO:
        handler.setLevel(logging.INFO)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        try:
            handler.close()
        except OSError as exc:  # its last lines did not reach the disk (a full disk)
            handler.warn_once(exc)


class _RunLogHandler(logging.FileHandler):
    """The run's log file. When it cannot be written (a full disk), one warning line says
    so, once; logging's default would print a traceback for every line, and the error of
    closing it would replace the run's own error."""

    _warned = False

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            self.warn_once(error)
        else:
            super().handleError(record)

    def warn_once(self, error: OSError) -> None:
        if not self._warned:
            self._warned = True
            sys.stderr.write(f"warning: cannot write the run log {self.baseFilename}: "
                             f"{error.strerror or error}; the run goes on without it\n")


def masked_forms() -> list[str]:
    """The forms of every known secret, longest first: for masking that must see the whole
    text before it is cut (masked_tails)."""
    return _mask_filter.forms
