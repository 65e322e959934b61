"""YQL's names for the result columns a SELECT does not name.

A result column that is neither named (`AS name`) nor a column read is called `column` and
its index in the SELECT list in YQL (TColumns::AddUnnamed and the projection's labels in
yql/essentials/sql/v1/select.cpp, ydb-platform/ydb: "column" << Columns.List.size()), so
`SELECT k, COUNT(*) FROM t GROUP BY k` gives the columns `k` and `column1`; DuckDB names
such a column after its text (`count_star()`). The statement's first SELECT list is given
those names; a list holding `*` is left as it is, as is a SELECT nested in another.

The text given holds the statement's code only: its strings are markers \\x01N\\x01, and
its backticked names too in dev (whose SQL `literals` holds in double quotes) and
\\x00N\\x00 on the fake query tracker, where dev's paths are (yql_semantics, fake/yql_text).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: the words that end a SELECT list at its own depth
_LIST_END = re.compile(r"\b(?:FROM|WHERE|GROUP|HAVING|ORDER|LIMIT|WINDOW|UNION|INTERSECT|"
                       r"EXCEPT|ASSUME|WITHOUT|INTO)\b", re.I)
_SELECT = re.compile(r"\s*SELECT\b(?:\s+(?:DISTINCT|ALL|STREAM)\b)?", re.I)
#: a name, or a marker (a backticked name's, or a string's: _named_marker tells them apart)
_NAME = r"(?:[A-Za-z_]\w*|\x01\d+\x01|\x00\d+\x00)"
#: a column read: a name, or one after a table's name and a dot
_COLUMN = re.compile(rf"\s*({_NAME})(?:\s*\.\s*{_NAME})?\s*$")
#: a name given with AS, or without it after an expression (YQL's an_id_as_compat)
_NAMED = re.compile(rf"(?:\bAS\s+({_NAME})|(?:\)|\w|\x01|\x00)\s+"
                    rf"(?!(?:END|NULL|TRUE|FALSE|ASC|DESC)\b)({_NAME}))\s*$", re.I)
_MARKER = re.compile(r"\x01(\d+)\x01")


def _depths(text: str) -> list[int]:
    """The depth in parentheses and square brackets of each character of `text`."""
    depths, depth = [], 0
    for char in text:
        if char in ")]":
            depth -= 1
        depths.append(depth)
        if char in "([":
            depth += 1
    return depths


def _named_marker(name: str, literals: Sequence[str]) -> bool:
    """Whether `name` (a word or a marker) is a name, not a string's marker."""
    marker = _MARKER.fullmatch(name)
    if marker is None:
        return True
    index = int(marker.group(1))
    return index < len(literals) and literals[index].startswith('"')


def _names_itself(item: str, literals: Sequence[str]) -> bool:
    """Whether the SELECT item `item` is a column read or named (`AS name`, or a name
    after its expression)."""
    column = _COLUMN.match(item)
    if column and _named_marker(column.group(1), literals):
        return True
    named = _NAMED.search(item)
    return named is not None and _named_marker(named.group(1) or named.group(2), literals)


def name_unnamed_columns(text: str, literals: Sequence[str] = ()) -> str:
    """`text` with ` AS columnN` after each item of its first SELECT list that YQL names
    so; `literals` are the SQL of its markers."""
    select = _SELECT.match(text)
    if select is None:
        return text
    depths = _depths(text)
    end = next((found.start() for found in _LIST_END.finditer(text, select.end())
                if depths[found.start()] == 0), len(text))
    cuts = [select.end(), *(i + 1 for i in range(select.end(), end)
                            if text[i] == "," and depths[i] == 0)]
    items = [(start, (cuts[index + 1] - 1) if index + 1 < len(cuts) else end)
             for index, start in enumerate(cuts)]
    if any(text[start:stop].strip().endswith("*") for start, stop in items):
        return text  # `*` or `t.*`: YQL counts the columns another way
    for index, (start, stop) in reversed(list(enumerate(items))):
        item = text[start:stop]
        if not item.strip() or _names_itself(item, literals):
            continue
        trimmed = item.rstrip()
        text = text[:start] + trimmed + f" AS column{index}" + item[len(trimmed):] + text[stop:]
    return text
