"""YQL clauses DuckDB spells otherwise, rewritten in a statement's code (strings and names
being markers): `SELECT * WITHOUT a, b` and `GROUP BY expr AS name`.

Sources (ydb-platform/ydb, the YQL YTsaurus runs): ydb/docs/en/core/yql/reference/syntax/
select/without.md (`SELECT * WITHOUT foo, bar FROM my_table`, `SELECT * WITHOUT t.foo`);
the grammar puts `WITHOUT (IF EXISTS)? without_column_list` after the whole list of result
columns (yql/essentials/sql/v1/SQLv1.g4.in, select_core); syntax/select/group-by.md (an
expression in GROUP BY may be named with AS, and the name used in SELECT, HAVING and ORDER
BY; its warning: the name is visible in WHERE too, as the expression).
"""

from __future__ import annotations

import re

from yt_pipeline.errors import QueryFailed
from yt_pipeline.yql_rules import statements

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


class UngroupedColumn(QueryFailed):
    """A column used outside an aggregate function that is no GROUP BY key. `nth` counts the
    column's earlier uses in the statement's code, to place it in the query (`place`)."""

    def __init__(self, column: str, nth: int):
        self.column, self.nth = column, nth
        super().__init__(f"YQL: {_ungrouped(column)}")


def _ungrouped(column: str) -> str:
    # YQL's words (TAggregation check in yql/essentials/sql/v1/node.cpp, ydb-platform/ydb;
    # SelectWithBadAggregatedTerms in sql_ut.cpp gives `<main>:1:17: Error: Column ...`)
    return (f"Column `{column}` must either be a key column in GROUP BY or it should be "
            "used in aggregation function")


def place(error: UngroupedColumn, query: str) -> str:
    """The error with its line:column in the query: the `nth` use of the column, as a word,
    in the first statement of the query holding GROUP BY and the column."""
    for statement in statements(query):
        words = [t for t in statement.tokens if t.kind == "word"]
        uses = [t for t in words if t.text == error.column]
        if uses and any(t.text.upper() == "GROUP" for t in words):
            at = uses[min(error.nth, len(uses) - 1)]
            line = query.count("\n", 0, at.start) + 1
            column = at.start - (query.rfind("\n", 0, at.start) + 1) + 1
            return f"YQL: {line}:{column}: {_ungrouped(error.column)}"
    return str(error)


_BARE_NAME = re.compile(r"(?<![\w.\x01])([A-Za-z_]\w*|\x01\d+\x01)(?![\w.\x01])")
_ALIAS_AFTER = re.compile(r"\bAS\s*$", re.I)


def _replace_names(text: str, names: dict[str, str], items: bool,
                   renamed: dict[str, str] | None = None) -> str:
    """`text` with each bare name in `names` as its expression (not a function's name, nor
    a name given with AS); with `items`, a select item that is the name alone keeps it as
    the column's name, and one that is a column `renamed` maps alone takes its new name."""
    def one(part: str) -> str:
        alone = part.strip()
        if items and alone in names:
            return part.replace(alone, f"{names[alone]} AS {alone}")
        if items and renamed and alone in renamed:
            return part.replace(alone, f"{alone} AS {renamed[alone]}")

        def name(found: re.Match[str]) -> str:
            word = found.group(1)
            if word not in names or _ALIAS_AFTER.search(part, 0, found.start()) or \
                    part[found.end():].lstrip().startswith("("):
                return word
            return f"({names[word]})"
        return _BARE_NAME.sub(name, part)
    if items:
        return ",".join(one(part) for part in _top_commas(text))
    return one(text)


#: the constructs of GROUP BY whose items may be named as its own items are
_GROUPING = re.compile(r"\b(?:ROLLUP|CUBE|SETS)\s*$", re.I)


def _group_items(clause: str) -> list[tuple[int, int]]:
    """Where each grouping item of a GROUP BY clause stands: its own items, and those of
    ROLLUP(...), CUBE(...) and GROUPING SETS((...), ...)."""
    spans: list[tuple[int, int]] = []

    def walk(start: int, end: int) -> None:
        depth, begin = 0, start
        for index in range(start, end + 1):
            char = clause[index] if index < end else ","
            if char == "(":
                if depth == 0 and (_GROUPING.search(clause, 0, index) or
                                   re.search(r"(?:^|[(,])\s*$", clause[begin:index])
                                   and _inside_sets(start)):
                    closing = _closing_paren(clause, index)
                    walk(index + 1, closing)
                depth += 1
            elif char == ")":
                depth -= 1
            elif char == "," and depth == 0:
                spans.append((begin, index))
                begin = index + 1

    def _inside_sets(start: int) -> bool:
        return bool(re.search(r"\bSETS\s*\($", clause[:start], re.I))
    walk(0, len(clause))
    return spans


def _closing_paren(text: str, opening: int) -> int:
    depth = 0
    for index in range(opening, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return index
    return len(text)


#: words of an expression that are no column: its keywords and the literals written as words
_NOT_COLUMNS = {"AS", "AND", "OR", "XOR", "NOT", "IN", "IS", "NULL", "TRUE", "FALSE",
                "BETWEEN", "LIKE", "ILIKE", "REGEXP", "RLIKE", "MATCH", "GLOB", "ESCAPE",
                "CASE", "WHEN", "THEN", "ELSE", "END", "DISTINCT", "EXISTS"}


def _columns_of(expr: str) -> list[str]:
    """The columns an expression reads: its bare names, not a keyword, a function's or a
    module's name (`DateTime::StartOfWeek(`), nor the type a CAST names (`AS Date`)."""
    found = []
    for word in _BARE_NAME.finditer(expr):
        after = expr[word.end():].lstrip()
        if word.group(1).upper() in _NOT_COLUMNS or after.startswith(("(", "::")) or \
                expr[:word.start()].endswith("::") or _ALIAS_AFTER.search(expr, 0, word.start()):
            continue
        found.append(word.group(1))
    return found


def _check_keys(select_list: str, having: str, names: dict[str, str], keys: set[str]) -> None:
    """YQL refuses a column of a named GROUP BY expression used in SELECT or HAVING out of
    any call when it is no key itself (group_by.md: `key * 2 AS dk1` is an error with
    GROUP BY key * 2 AS double_key), which DuckDB runs. A column inside a call is left to
    DuckDB: in an aggregate function YQL takes it too, elsewhere DuckDB refuses it."""
    columns = {w for expr in names.values() for w in _columns_of(expr)} - keys
    seen: dict[str, int] = {}
    for part in [*_top_commas(select_list), having]:
        depths = _depths(part)
        for found in _BARE_NAME.finditer(part):
            word = found.group(1)
            if word not in columns:
                continue
            seen[word] = seen.get(word, 0) + 1
            if depths[found.start()] == 0 and not _ALIAS_AFTER.search(part, 0, found.start()) \
                    and not part[found.end():].lstrip().startswith("("):
                raise UngroupedColumn(word, seen[word] - 1)


def rewrite_group_by_names(text: str) -> str:
    """`GROUP BY expr AS name`: the name is replaced by the expression in the SELECT list,
    WHERE, HAVING and ORDER BY of the same query, and the GROUP BY keeps the expression, which
    DuckDB matches with the SELECT's (a select item that is the name alone becomes
    `expr AS name`, so the column keeps its name). Names are given in ROLLUP, CUBE and
    GROUPING SETS as well. A named column stays a key under its own name too: YQL reads
    it as the name (TColumnNode::DoInit in yql/essentials/sql/v1/node.cpp takes
    GetGroupByColumnAlias), so `SELECT hits ... GROUP BY hits AS h` runs, and gives a
    column named h."""
    for found in reversed(list(_GROUP_BY.finditer(text))):
        end = _clause_end(text, found.end())
        clause = text[found.end():end]
        names: dict[str, str] = {}
        keys: set[str] = set()
        pieces, last = [], 0
        for start, stop in _group_items(clause):
            item = clause[start:stop]
            named = _top_as(item)
            if named is None:
                keys.add(item.strip())
                continue
            name = item[named.end():].strip()
            if not _NAME.fullmatch(name):
                return text  # DuckDB reports what it is
            expr = item[:named.start()].strip()
            names[name] = expr
            keys.add(name)
            if _NAME.fullmatch(expr):
                keys.add(expr)
            pieces.append(clause[last:start] + " " + expr + " ")
            last = stop
        if not names:
            continue
        pieces.append(clause[last:])
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
        having = re.match(r"\s*HAVING\b(.*?)(?=\bORDER\b|\bLIMIT\b|$)", rest, re.I | re.S)
        _check_keys(text[select.end():list_end], having.group(1) if having else "", names,
                    keys)
        # a column named in GROUP BY is read as its name everywhere, so a select item that
        # is the column alone is a column of that name (select.cpp labels an unnamed item
        # after TColumnNode::DoInit has renamed it)
        renamed = {expr: name for name, expr in names.items() if _NAME.fullmatch(expr)}
        where = next((m for m in re.finditer(r"\bWHERE\b", text[:found.start()], re.I)
                      if m.start() > list_end and depths[m.start()] == level), None)
        middle = text[list_end:found.end()]
        if where is not None:
            # the name is visible in WHERE, where it is the expression, not a column of
            # the table with that name (group_by.md, the note on GROUP BY ... AS)
            cut = where.end() - list_end
            middle = (middle[:cut] + _replace_names(middle[cut:found.start() - list_end],
                                                    names, False)
                      + middle[found.start() - list_end:])
        text = (text[:select.end()]
                + _replace_names(text[select.end():list_end], names, True, renamed)
                + middle + "".join(pieces).rstrip() + " "
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
