"""The errors a YT proxy answers with, as tests read them: an error is a map with its
`message` and the `inner_errors` that caused it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from yt.wrapper.errors import YtResponseError


def walk(error: dict) -> list[dict]:
    """An error and its inner errors, depth first."""
    return [error] + [e for inner in error.get("inner_errors", []) for e in walk(inner)]


def messages(error: dict) -> list[str]:
    """An error's message and those of its inner errors, depth first."""
    return [e["message"] for e in walk(error)]


def refusal(action: Callable[[], Any]) -> list[str]:
    """The messages of the YtResponseError `action` is refused with, depth first."""
    with pytest.raises(YtResponseError) as caught:
        action()
    return messages(caught.value.error)
