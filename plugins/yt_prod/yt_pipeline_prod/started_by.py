"""The command line ytsaurus-client sends with each transaction it starts, masked.

`start_transaction` adds `get_started_by()` to the transaction's attributes, and that holds
`command`: the whole of `sys.argv`, hidden only where it looks like a Yandex OAuth token.
A cluster keeps those attributes where anyone who can read `//sys/transactions` sees them;
a secret given on the command line (`--set key=...` with a value of secrets.env) would be
among them, for every stage's transaction and every write. The client's transactions are
started inside the library (a `write_table` starts its own), so the function it calls is
replaced, once per process, by one that masks each word of the command.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_installed = False


def mask_started_by() -> None:
    global _installed
    with _lock:
        if _installed:
            return
        from yt.wrapper import transaction_commands

        original = getattr(transaction_commands, "get_started_by", None)
        if original is not None:  # a client without it sends no command line to mask
            transaction_commands.get_started_by = _masking(original)
        _installed = True


def _masking(started_by: Any) -> Any:
    def masked_started_by(*args: Any, **kwargs: Any) -> Any:
        from yt_pipeline.logs import masked

        info = started_by(*args, **kwargs)
        if isinstance(info, dict) and isinstance(info.get("command"), list):
            info["command"] = [masked(str(word)) for word in info["command"]]
        return info

    return masked_started_by
