"""AGGREGATE_LIST and AGGREGATE_LIST_DISTINCT (aliases AGG_LIST, AGG_LIST_DISTINCT) on DuckDB.

YQL: `AGGREGATE_LIST(T? [, limit:Uint64])->List<T>`, "Get all column values as a list. In
combination with DISTINCT, returns only unique values. The optional second parameter sets
the maximum number of obtained values"; the order of the items is left to the
implementation (yt/docs/en/yql/builtins/aggregation.md, "AGGREGATE_LIST", ytsaurus/
ytsaurus). Its items are T, not T?: a NULL is passed over, and a group of NULLs alone (or no
rows) gives an empty list, not NULL. DuckDB's list() keeps NULL items and gives NULL for no
items: the call is written as list() FILTER-ed of NULLs, sliced to the limit, and an empty
list where DuckDB gives NULL; a window's OVER goes inside that.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from yt_pipeline.errors import QueryFailed

_CALL = re.compile(r"(?<![\w.:$\x00\x01])(AGGREGATE_LIST|AGG_LIST)(_DISTINCT)?\s*\(", re.I)
#: OVER and what names the window: a parenthesis or a window's name
_OVER = re.compile(r"\s*OVER\s*(?:(\()|\w+)", re.I)


def rewrite_aggregate_lists(text: str, closing: Callable[[str, int], int],
                            arguments: Callable[[str], list[str]]) -> str:
    """`text` with each AGGREGATE_LIST call meaning YQL's (see the module's docstring), the
    last first (one in another's argument is written before it)."""
    for found in reversed(list(_CALL.finditer(text))):
        name = found.group(1).upper() + (found.group(2) or "").upper()
        opening = found.end() - 1
        end = closing(text, opening)
        args = [arg.strip() for arg in arguments(text[opening + 1:end])]
        if not 1 <= len(args) <= 2 or not args[0]:
            raise QueryFailed(f"YQL: {name} takes 1 to 2 argument(s), got {len(args)}")
        value = args[0]
        distinct = "DISTINCT " if found.group(2) else ""
        call = f"list({distinct}{value}) FILTER (WHERE ({value}) IS NOT NULL)"
        over = _OVER.match(text, end + 1)
        if over:
            end = closing(text, over.start(1)) if over.group(1) else over.end() - 1
            call += text[over.start():end + 1]
        if len(args) == 2:
            call = f"list_slice({call}, 1, {args[1]})"
        text = f"{text[:found.start()]}COALESCE({call}, []){text[end + 1:]}"
    return text
