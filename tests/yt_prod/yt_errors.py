"""The errors a YT proxy answers with, as tests read them: an error is a map with its
`message` and the `inner_errors` that caused it."""

from __future__ import annotations


def walk(error: dict) -> list[dict]:
    """An error and its inner errors, depth first."""
    return [error] + [e for inner in error.get("inner_errors", []) for e in walk(inner)]


def messages(error: dict) -> list[str]:
    """An error's message and those of its inner errors, depth first."""
    return [e["message"] for e in walk(error)]
