"""ytsaurus-client's own log lines, passed on to the `yt_pipeline` logger.

The client writes each failed attempt straight to stderr through a handler of its own:
request headers, parameters and the full error over several long lines, past the masking
of secrets that every yt_pipeline log line gets. Its records go to
`yt_pipeline.prod.client` instead, one short line each; its chatter (INFO and below, and
the "sleeping before the next retry" lines) shows only when yt_pipeline logs at DEBUG.
"""

from __future__ import annotations

import logging
import threading

CLIENT_LOGGER = "Yt"
TARGET = logging.getLogger("yt_pipeline.prod.client")
MAX_LINE = 240
#: warnings that only say a retry is coming: the failure before them is the news
CHATTER = ("Sleep for ", "New retry")

_installed = False
_lock = threading.Lock()


def short_line(text: str) -> str:
    """The first line of a client message, without the request dump that follows it,
    masked before it is cut: the start of a secret the cut leaves is no form masking finds
    (a proxy address quoted again in the error, past the cut)."""
    from yt_pipeline.logs import masked

    lines = masked(text).strip().splitlines()
    line = lines[0] if lines else ""
    line = line.split(" (request_headers", 1)[0].split(", full_error", 1)[0]
    line = " ".join(line.split())
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 3] + "..."


class ForwardToPipelineLog(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = short_line(record.getMessage())
            level = record.levelno
            if level < logging.WARNING or line.startswith(CHATTER):
                level = logging.DEBUG
            if TARGET.isEnabledFor(level):
                TARGET.log(level, "ytsaurus-client: %s", line)
        except Exception:  # noqa: BLE001 - logging must never break a run
            self.handleError(record)


def route_client_log() -> None:
    """Replace the client's stderr handler with one that forwards (once per process)."""
    global _installed
    with _lock:
        if _installed:
            return
        client_logger = logging.getLogger(CLIENT_LOGGER)
        for handler in list(client_logger.handlers):
            client_logger.removeHandler(handler)
        client_logger.addHandler(ForwardToPipelineLog())
        client_logger.propagate = False
        _installed = True
