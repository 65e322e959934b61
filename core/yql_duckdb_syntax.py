"""DuckDB's own syntax, which dev's DuckDB would run and a cluster's YQL fails to parse:
refused by name, so a query that runs in dev parses on a cluster.

YQL's grammar (yql/essentials/sql/v1/SQLv1.g.in, ydb-platform/ydb): its match operators
are LIKE, ILIKE, GLOB, REGEXP, RLIKE and MATCH (`match_op`), so DuckDB's SIMILAR TO and its
regular expression operators `~`, `!~` (`~` is YQL's unary bitwise NOT: `unary_op`) are not
YQL; a `select_core` ends with WINDOW and ORDER BY, with no QUALIFY; a sort item is an
expression (`sort_specification: expr`), so ORDER BY ALL is not one; GROUP BY [ALL] takes a
list of grouping elements, so GROUP BY ALL alone is not one; a result column `*` takes
WITHOUT, not DuckDB's EXCLUDE (...) or REPLACE (...); a literal is no typed one (DATE
'2024-01-01' is YQL's Date("2024-01-01")), and IS tests NULL and DISTINCT FROM, not TRUE.

The statement's code is read with each string and name a marker (yql_refusals).
"""

from __future__ import annotations

import re

from yt_pipeline.errors import QueryFailed

_TOKEN = re.compile(r"([\x00\x01])\d+\1|[A-Za-z_]\w*|\d[\w.]*|!~|~|\S")
#: words after which `~` is the unary NOT of an operand, not an operator between two
_BEFORE_AN_OPERAND = frozenset({
    "SELECT", "WHERE", "AND", "OR", "NOT", "XOR", "THEN", "ELSE", "WHEN", "CASE", "BY",
    "ON", "HAVING", "RETURN", "IN", "IS", "BETWEEN", "LIKE", "ILIKE", "DISTINCT", "ALL",
    "AS", "LIMIT", "OFFSET"})
#: the type words of SQL's typed literals (DATE '2024-01-01'), which YQL writes as calls
#: (Date("2024-01-01"): literal_value in SQLv1.g.in has no typed literal)
_TYPED_LITERALS = frozenset({"DATE", "TIME", "TIMESTAMP", "DATETIME", "INTERVAL"})
#: SQL's truth values of IS [NOT] TRUE, which YQL's cond_expr has not (IS [NOT] NULL only)
_TRUTHS = frozenset({"TRUE", "FALSE", "UNKNOWN"})
#: what may follow GROUP BY ALL when no grouping element does
_AFTER_A_CLAUSE = frozenset({"", ")", ";", "ORDER", "LIMIT", "HAVING", "WINDOW", "UNION",
                             "INTERSECT", "EXCEPT", "ASSUME", "INTO"})


def _ends_an_operand(token: str) -> bool:
    return token == ")" or token[0] in "\x00\x01" or token[0].isdigit() or (
        (token[0].isalpha() or token[0] == "_") and token.upper() not in _BEFORE_AN_OPERAND)


def refuse_duckdb_syntax(code: str) -> None:
    """Refuse DuckDB's own syntax (see the module's docstring) in the statement's code."""
    tokens = [found.group(0) for found in _TOKEN.finditer(code)]
    words = [token.upper() for token in tokens]
    for index, word in enumerate(words):
        before = words[index - 1] if index else ""
        after = words[index + 1] if index + 1 < len(words) else ""
        form = None
        if word == "SIMILAR" and after == "TO":
            form = "SIMILAR TO"
        elif word in ("~", "!~") and index and _ends_an_operand(tokens[index - 1]):
            form = f"the operator {tokens[index]}"
        elif word == "QUALIFY" and index and _ends_an_operand(tokens[index - 1]) \
                and after not in ("", ",", ")", "FROM", "AS"):
            form = "QUALIFY"
        elif word in _TYPED_LITERALS and after[:1] == "\x01" and before != "AS":
            form = f"{word} '...'"
        elif word == "IS" and (after in _TRUTHS or (after == "NOT" and index + 2 < len(
                words) and words[index + 2] in _TRUTHS)):
            form = " ".join(words[index:index + (2 if after in _TRUTHS else 3)])
        elif word in ("EXCLUDE", "REPLACE") and before == "*" and after == "(":
            form = f"* {word}"
        elif word == "ALL" and before == "BY" and index > 1 and words[index - 2] == "ORDER":
            form = "ORDER BY ALL"
        elif word == "ALL" and before == "BY" and index > 1 and words[index - 2] == "GROUP" \
                and after in _AFTER_A_CLAUSE:
            form = "GROUP BY ALL"
        if form:
            raise QueryFailed(f"YQL: {form} is DuckDB's, not YQL: a cluster fails to parse "
                              "it (REGEXP or MATCH match a pattern, a subquery filters a "
                              "window's rows, ORDER BY and GROUP BY name their columns, "
                              "SELECT * WITHOUT leaves columns out, Date(\"2024-01-01\") "
                              "is a date, COALESCE(x, false) a truth)")
