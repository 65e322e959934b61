"""Calls of ytsaurus-client as the fake proxy's tests make them."""

from __future__ import annotations

from typing import Any


def in_transaction(yt: Any, tx: str) -> Any:
    """A block whose calls run in `tx` (no pinging, nothing started)."""
    return yt.Transaction(transaction_id=tx, ping=False, acquire=False)
