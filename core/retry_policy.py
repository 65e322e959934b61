"""Retries of a stage: `retry: {max_attempts, backoff_s, max_backoff_s}` in its config.

The wait before attempt n+1 is `backoff_s * 2**(n-1)`, capped at `max_backoff_s`, then
scaled by a random factor in [0.5, 1) so that stages failing together do not retry in step.
Only retryable errors are retried: those whose `retryable` attribute is true (operation
failures, network and backend errors) unless the stage names its own with `retry_on`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import msgspec

from yt_pipeline.errors import ConfigError

if TYPE_CHECKING:
    import random

_KEYS = {"max_attempts", "backoff_s", "max_backoff_s"}


class RetryPolicy(msgspec.Struct, frozen=True):
    max_attempts: int = 1
    backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    #: exception classes to retry on; None means "errors marked retryable"
    retry_on: tuple[type[BaseException], ...] | None = None

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        import random  # only once an attempt failed: not paid by every run

        base = min(self.max_backoff_s, self.backoff_s * (2 ** (attempt - 1)))
        return base * (0.5 + 0.5 * (rng or random).random())

    def should_retry(self, error: BaseException, attempt: int) -> bool:
        if attempt >= self.max_attempts:
            return False
        # StageFailed, and PluginHookFailed from a plugin's code a stage ran, wrap the error
        cause = getattr(error, "error", None)
        if self.retry_on is not None:
            return isinstance(error, self.retry_on) or isinstance(cause, self.retry_on)
        return bool(getattr(error, "retryable", False) or getattr(cause, "retryable", False))


NO_RETRY = RetryPolicy()


def parse_retry(value: Any, *, source: str | None, key: str = "retry",
                retry_on: tuple[type[BaseException], ...] | None = None) -> RetryPolicy:
    """A policy from configuration; errors name the file and the key."""
    if value is None:
        return RetryPolicy(retry_on=retry_on) if retry_on else NO_RETRY
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"must be a mapping {{max_attempts, backoff_s, max_backoff_s}}, got {value!r}",
            file=source, key=key,
        )
    unknown = sorted(set(value) - _KEYS)
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]} (known: {', '.join(sorted(_KEYS))})",
            file=source, key=f"{key}.{unknown[0]}",
        )
    attempts = value.get("max_attempts", 3)
    if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
        raise ConfigError(f"must be a whole number >= 1, got {attempts!r}",
                          file=source, key=f"{key}.max_attempts")
    numbers = {}
    for name, default in (("backoff_s", 1.0), ("max_backoff_s", 60.0)):
        number = value.get(name, default)
        if not isinstance(number, (int, float)) or isinstance(number, bool) or number < 0:
            raise ConfigError(f"must be a number >= 0, got {number!r}",
                              file=source, key=f"{key}.{name}")
        numbers[name] = float(number)
    return RetryPolicy(attempts, numbers["backoff_s"], numbers["max_backoff_s"], retry_on)
