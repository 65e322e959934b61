"""yt-framework's logging helpers (`yt_framework.utils.logging`), on the standard logging.

Same lines as yt-framework writes them: `[Title] context`, `  → message`, `  ✓ message`.
`log_config` masks every value whose key looks secret entirely (yt-framework showed the
last four characters; a secret never reaches a log here, in part or whole).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any

__all__ = ["ColoredFormatter", "log_config", "log_header", "log_operation", "log_success",
           "setup_logging"]

SECRET_WORDS = ("secret", "key", "token", "password")
MASK = "***"


class ColoredFormatter(logging.Formatter):
    """Level names in colour (for a terminal)."""

    COLORS = {"DEBUG": "\033[36m", "INFO": "\033[32m", "WARNING": "\033[33m",
              "ERROR": "\033[31m", "CRITICAL": "\033[35m"}
    RESET = "\033[0m"

    def format(self, record: logging.LogRecord) -> str:
        color = self.COLORS.get(record.levelname)
        if color is None:
            return super().format(record)
        plain = record.levelname
        record.levelname = f"{color}{plain}{self.RESET}"
        try:
            return super().format(record)
        finally:
            record.levelname = plain  # other handlers see the record unchanged


def setup_logging(level: int = logging.INFO, name: str | None = None,
                  use_colors: bool = True) -> logging.Logger:
    """A logger writing `time | LEVEL | message` lines to stdout."""
    logger = logging.getLogger(name)
    logger.setLevel(level)
    if name is not None:
        logger.propagate = False
    logger.handlers.clear()
    handler = logging.StreamHandler(sys.stdout)
    handler.setLevel(level)
    layout = "%(asctime)s | %(levelname)-8s | %(message)s"
    formatter = (ColoredFormatter(layout, "%Y-%m-%d %H:%M:%S")
                 if use_colors and sys.stdout.isatty()
                 else logging.Formatter(layout, "%Y-%m-%d %H:%M:%S"))
    handler.setFormatter(formatter)
    logger.addHandler(handler)
    return logger


def log_header(logger: logging.Logger, title: str, context: str | None = None) -> None:
    if context:
        logger.info("[%s] %s", title, context)
    else:
        logger.info("[%s]", title)


def log_operation(logger: logging.Logger, message: str) -> None:
    logger.info("  → %s", message)


def log_success(logger: logging.Logger, message: str) -> None:
    logger.info("  ✓ %s", message)


def _looks_secret(key: Any) -> bool:
    return any(word in str(key).lower() for word in SECRET_WORDS)


def _shown(key: Any, value: Any) -> Any:
    if _looks_secret(key) and value not in (None, ""):
        return MASK
    return value


def log_config(logger: logging.Logger, config_dict: Mapping[str, Any],
               title: str = "Configuration") -> None:
    """Each key and value on a line of its own, nested mappings indented."""
    logger.info("[%s]", title)

    def lines(mapping: Mapping[str, Any], indent: int) -> None:
        for key, value in mapping.items():
            if isinstance(value, Mapping):
                logger.info("%s%s:", "  " * indent, key)
                lines(value, indent + 1)
            else:
                logger.info("%s%s: %s", "  " * indent, key, _shown(key, value))

    lines(config_dict, 1)
