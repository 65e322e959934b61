"""YQL clauses DuckDB spells otherwise, rewritten in a statement's code (strings and names
being markers): `SELECT * WITHOUT a, b` and `GROUP BY expr AS name`.

Sources (ydb-platform/ydb, the YQL YTsaurus runs): ydb/docs/en/core/yql/reference/syntax/
select/without.md (`SELECT * WITHOUT foo, bar FROM my_table`, `SELECT * WITHOUT t.foo`);
the grammar puts `WITHOUT (IF EXISTS)? without_column_list` after the whole list of result
columns (yql/essentials/sql/v1/SQLv1.g4.in, select_core); syntax/select/group-by.md (an
expression in GROUP BY may be named with AS, and the name used in SELECT, HAVING and ORDER
BY).
"""

from __future__ import annotations

import re

from yt_pipeline.errors import QueryFailed

_DOCS = "see docs/yql-in-dev.md"
_WITHOUT = re.compile(r"(\*)(\s*)\bWITHOUT\b", re.I)
_FROM_OR_END = re.compile(r"\bFROM\b|\)|;|$", re.I)
_GROUP_BY = re.compile(r"\bGROUP\s+BY\b", re.I)
_CLAUSE_END = re.compile(r"\b(?:HAVING|ORDER|LIMIT|UNION|WINDOW|INTERSECT|EXCEPT)\b", re.I)
_SELECT = re.compile(r"\bSELECT\b", re.I)
_NAME = re.compile(r"[A-Za-z_]\w*|\x01\d+\x01")


def _depths(text: str) -> list[int]:
    """The parenthesis depth at each character of `text`."""
    depths, depth = [], 0
    for char in text:
        if char == ")":
            depth -= 1
        depths.append(depth)
        if char == "(":
            depth += 1
    return depths


def rewrite_without(text: str, where: str) -> str:
    """`* WITHOUT a, b` (or `t.* WITHOUT ...`) as DuckDB's `* EXCLUDE (a, b)`. WITHOUT after
    anything but a star, and WITHOUT IF EXISTS (a missing column is no error in YQL, and is
    one for EXCLUDE), are refused."""
    if not re.search(r"\bWITHOUT\b", text, re.I):
        return text
    for found in reversed(list(_WITHOUT.finditer(text))):
        depths = _depths(text)
        start = found.end()
        end = start
        while True:
            stop = _FROM_OR_END.search(text, end)
            assert stop is not None
            end = stop.start()
            if stop.group(0) in ("", ";") or depths[end] == depths[found.start()] or \
                    stop.group(0) == ")" and depths[end] < depths[found.start()]:
                break
            end = stop.end()
        columns = text[start:end].strip()
        if re.match(r"IF\s+EXISTS\b", columns, re.I):
            raise QueryFailed(f"YQL: WITHOUT IF EXISTS is not supported in {where}; name "
                              f"columns the table has ({_DOCS})")
        tail = " " if end < len(text) and not text[end - 1].isspace() else ""
        text = f"{text[:found.start()]}* EXCLUDE ({columns}){tail}{text[end:]}"
    if re.search(r"\bWITHOUT\b", re.sub(r"EXCLUDE", "", text), re.I):
        raise QueryFailed(f"YQL: WITHOUT after anything but * is not supported in {where}; "
                          f"write SELECT * WITHOUT ... ({_DOCS})")
    return text


def _clause_end(text: str, start: int) -> int:
    """Where the clause starting at `start` ends: a later clause's keyword or the end of
    the (sub)query it is in."""
    depth = 0
    for index in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth < 0:
            return index
        if depth == 0 and _CLAUSE_END.match(text, index) and \
                (index == 0 or not (text[index - 1].isalnum() or text[index - 1] == "_")):
            return index
    return len(text)


def _top_commas(text: str) -> list[str]:
    items, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(text[start:index])
            start = index + 1
    items.append(text[start:])
    return items


def _top_as(item: str) -> re.Match[str] | None:
    depth, last = 0, None
    for index, char in enumerate(item):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            found = re.compile(r"\bAS\b", re.I).match(item, index)
            if found and (index == 0 or not item[index - 1].isalnum()):
                last = found
    return last


def _replace_names(text: str, names: dict[str, str], items: bool) -> str:
    """`text` with each bare name in `names` as its expression; with `items`, a select item
    that is the name alone keeps it as the column's name."""
    def one(part: str) -> str:
        alone = part.strip()
        if items and alone in names:
            return part.replace(alone, f"{names[alone]} AS {alone}")
        return re.sub(r"(?<![\w.\x01])([A-Za-z_]\w*|\x01\d+\x01)(?![\w.\x01(])",
                      lambda m: f"({names[m.group(1)]})" if m.group(1) in names
                      else m.group(1), part)
    if items:
        return ",".join(one(part) for part in _top_commas(text))
    return one(text)


def rewrite_group_by_names(text: str) -> str:
    """`GROUP BY expr AS name`: the name is replaced by the expression in the SELECT list,
    HAVING and ORDER BY of the same query, and the GROUP BY keeps the expression, which
    DuckDB matches with the SELECT's (a select item that is the name alone becomes
    `expr AS name`, so the column keeps its name)."""
    for found in reversed(list(_GROUP_BY.finditer(text))):
        end = _clause_end(text, found.end())
        clause = text[found.end():end]
        names: dict[str, str] = {}
        kept = []
        for item in _top_commas(clause):
            named = _top_as(item)
            if named is None:
                kept.append(item)
                continue
            name = item[named.end():].strip()
            if not _NAME.fullmatch(name):
                return text  # DuckDB reports what it is
            names[name] = item[:named.start()].strip()
            kept.append(" " + names[name] + " ")
        if not names:
            continue
        depths = _depths(text)
        level = depths[found.start()]
        select = max((m for m in _SELECT.finditer(text, 0, found.start())
                      if depths[m.start()] == level), key=lambda m: m.start(), default=None)
        if select is None:
            continue
        from_ = next((m for m in re.finditer(r"\bFROM\b", text[:found.start()], re.I)
                      if m.start() > select.end() and depths[m.start()] == level), None)
        list_end = from_.start() if from_ else found.start()
        stop = _statement_end(text, end, level, depths)
        rest = text[end:stop]
        text = (text[:select.end()] + _replace_names(text[select.end():list_end], names, True)
                + text[list_end:found.end()] + ",".join(kept).rstrip() + " "
                + _replace_names(rest, names, False) + text[stop:])
    return text


def _statement_end(text: str, start: int, level: int, depths: list[int]) -> int:
    """Where the query holding the GROUP BY ends: its subquery's parenthesis, a UNION, or
    the text's end."""
    for index in range(start, len(text)):
        if depths[index] < level:
            return index
        if depths[index] == level and re.match(r"\b(?:UNION|INTERSECT|EXCEPT)\b",
                                               text[index:index + 10], re.I):
            return index
    return len(text)
