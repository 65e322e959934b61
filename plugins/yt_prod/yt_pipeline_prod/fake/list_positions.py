"""Where a value goes in a list addressed by a path's last token, as YPath names list
positions (the "YPath" page of the YTsaurus docs): `begin` and `end` insert at either end,
`before:<i>` and `after:<i>` beside item i, an index replaces that item. Both a list node's
items (list_items.py) and a list inside an attribute's value (attribute_paths.py) are
addressed so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

BEGIN, END, BEFORE, AFTER = "begin", "end", "before:", "after:"


def put_in_list(items: list[Any], token: str, value: Any, index_of: Callable[[str], int],
                replaced: Callable[[Any], Any]) -> None:
    """Put `value` where `token` says. `index_of(text)` is the item an index names (or the
    caller's error); `replaced(old)` the value that takes an item's place."""
    if token == BEGIN:
        items.insert(0, value)
    elif token == END:
        items.append(value)
    elif token.startswith((BEFORE, AFTER)):
        position = index_of(token.split(":", 1)[1])
        items.insert(position + (1 if token.startswith(AFTER) else 0), value)
    else:
        position = index_of(token)
        items[position] = replaced(items[position])
