"""ytsaurus-client and HTTP-library exceptions turned into yt_pipeline errors.

Every message is checked for secrets before it leaves: a token must never reach an error.
"""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from yt_pipeline.errors import (
    BackendError,
    NetworkError,
    RefusedByCluster,
    TableNotFound,
    YtPipelineError,
)

MASK = "***"
#: YT error codes no retry can change (yt/common.py of ytsaurus-client names the first
#: three: is_authentication_error, is_access_denied, is_account_limit_exceeded; 307 is the
#: table client's SchemaViolation, "Unknown column ... in strict schema"): a stage's
#: `retry` gives up at once instead of repeating the refusal
PERMANENT_CODES = (900, 901, 902, 307)
MAX_MESSAGE = 600


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with each secret masked in every form it can be written in."""
    from yt_pipeline.secret_forms import all_forms, mask_text

    return mask_text(text, all_forms(secrets))


def error_messages(error: Any, depth: int = 0) -> list[str]:
    """The messages of a YT error and its inner errors, outermost first, without repeats."""
    if isinstance(error, dict):
        message, inner = error.get("message"), error.get("inner_errors") or []
    else:
        message = getattr(error, "message", None) or str(error)
        inner = getattr(error, "inner_errors", None) or []
    found = [str(message).strip()] if message else []
    if depth < 4:
        for item in inner:
            found.extend(m for m in error_messages(item, depth + 1) if m not in found)
    return found


def summary(error: Any, secrets: Iterable[str]) -> str:
    """The messages of a YT error on one line, cut to MAX_MESSAGE. Masked before it is cut:
    the cut may fall inside a secret a message quotes, and the start of it it leaves is
    no form masking finds."""
    text = ": ".join(error_messages(error)) or type(error).__name__
    text = scrub(" ".join(text.split()), secrets)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def lock_winner(error: Any) -> str | None:
    """For a lock conflict (error 402), the title of the transaction holding the lock:
    the outermost titled one of the `winner_transaction` attribute (the holder and its
    ancestors, `DumpTransaction` in yt/yt/server/master/transaction_server/
    transaction.cpp), which for a stage's write is the stage's transaction (`yt-pipeline
    <run> stage <name> attempt <n>`); None otherwise."""
    winner = lock_winner_transaction(error)
    return None if winner is None else str(winner["title"])


def lock_winner_transaction(error: Any, depth: int = 0) -> dict[str, Any] | None:
    """For a lock conflict (error 402), the outermost titled transaction of its
    `winner_transaction` attribute, as the master dumps it (`id`, `title`, and on a cluster
    `start_time`, `owner`, `timeout`); None otherwise."""
    if isinstance(error, dict):
        code, attributes = error.get("code"), error.get("attributes") or {}
        inner = error.get("inner_errors") or []
    else:
        code = getattr(error, "code", None)
        attributes = getattr(error, "attributes", None) or {}
        inner = getattr(error, "inner_errors", None) or []
    winner = attributes.get("winner_transaction") if isinstance(attributes, dict) else None
    if code == 402 and isinstance(winner, dict):
        chain = [winner, *(winner.get("parents") or [])]
        titled = [tx for tx in chain if isinstance(tx, dict) and tx.get("title")]
        if titled:
            return titled[-1]
    if depth < 4:
        for item in inner:
            found = lock_winner_transaction(item, depth + 1)
            if found:
                return found
    return None


def _network_exceptions() -> tuple[type[BaseException], ...]:
    from yt.packages.requests import exceptions as requests_exceptions
    from yt.wrapper.errors import YtProxyUnavailable, YtRequestTimedOut

    return (requests_exceptions.RequestException, YtProxyUnavailable, YtRequestTimedOut,
            http.client.HTTPException, ConnectionError, socket.timeout)


def is_resolve_error(error: BaseException) -> bool:
    check = getattr(error, "is_resolve_error", None)
    return bool(check()) if callable(check) else False


def convert(error: BaseException, action: str, path: str | None, proxy: str,
            secrets: Iterable[str], missing_ok: bool = False) -> BaseException:
    """The yt_pipeline error for an exception raised while doing `action` on `path`."""
    from yt.wrapper.errors import YtError, YtTokenError

    where = f"{action} {path}" if path else action
    secrets = list(secrets)
    if isinstance(error, _network_exceptions()):
        reason = summary(error, secrets) if isinstance(error, YtError) else type(error).__name__
        detail = str(error) if not isinstance(error, YtError) else ""
        if detail and len(detail) < 200:
            reason = f"{reason}: {detail}"
        text = (f"{where}: cannot reach the YT proxy {proxy} ({reason}); "
                "check YT_PROXY and the network")
        return NetworkError(scrub(text, secrets))
    if isinstance(error, YtTokenError) or getattr(error, "code", None) == 900:
        text = f"{where}: the YT proxy {proxy} rejected the token; check YT_TOKEN"
        return RefusedByCluster(scrub(text, secrets))
    if path and is_resolve_error(error) and not missing_ok:
        return TableNotFound(path)
    if isinstance(error, YtError):
        kind = RefusedByCluster if is_permanent(error) else BackendError
        winner = lock_winner(error)
        # a lock conflict names the stage holding the lock, as dev's does
        held_by = f" ({winner})" if winner else ""
        return kind(scrub(f"{where}: {summary(error, secrets)}{held_by}", secrets))
    return error


def is_permanent(error: BaseException) -> bool:
    """True for a YT error (or one of its inner errors) that no retry can change."""
    contains = getattr(error, "contains_code", None)
    return callable(contains) and any(contains(code) for code in PERMANENT_CODES)


@contextmanager
def translated(client: Any, action: str, path: str | None = None) -> Iterator[None]:
    """Run a block of client calls; YT and network failures leave as yt_pipeline errors."""
    try:
        yield
    except YtPipelineError:
        raise
    except Exception as error:  # noqa: BLE001 - converted or re-raised unchanged below
        converted = convert(error, action, path, client.proxy, client.secret_values())
        if converted is error:
            raise
        raise converted from None
