"""YQL's OFFSET only after a LIMIT: `select_kind_partial: select_kind (LIMIT expr ((OFFSET |
COMMA) expr)?)?` (yql/essentials/sql/v1/SQLv1.g.in, ydb-platform/ydb), so `OFFSET n` alone,
or before its LIMIT, fails to parse on a cluster, where DuckDB skips the rows. The query's
code is read with each string and name a marker (yql_refusals); OFFSET is a clause where an
operand follows it and what stands before it ends an expression, else it is a name (`SELECT
offset`, `ORDER BY offset LIMIT 1`).
"""

from __future__ import annotations

import re

from yt_pipeline.errors import QueryFailed

_TOKEN = re.compile(r"([\x00\x01])\d+\1|[A-Za-z_]\w*|\d[\w.]*|\S")
#: the words that start a clause of a SELECT at their depth: the last before an OFFSET
#: clause must be LIMIT
_CLAUSES = frozenset({"SELECT", "FROM", "WHERE", "GROUP", "HAVING", "WINDOW", "ORDER",
                      "LIMIT", "UNION", "INTERSECT", "EXCEPT", "JOIN", "ON", "USING",
                      "ASSUME", "WITHOUT"})
#: words after which OFFSET is a name, not a clause
_BEFORE_A_NAME = frozenset({"SELECT", "BY", "AS", "ON", "WHERE", "AND", "OR", "NOT", "XOR",
                            "THEN", "ELSE", "WHEN", "CASE", "DISTINCT", "ALL", "HAVING",
                            "IN", "IS", "BETWEEN", "LIKE", "USING"})


def _is_operand_start(token: str) -> bool:
    return token in ("(", "$", "-", "+") or token[0] in "\x00\x01" or token[0].isdigit() \
        or (token[0].isalpha() or token[0] == "_") and token.upper() not in _CLAUSES


def _ends_an_expression(token: str) -> bool:
    return token == ")" or token[0] in "\x00\x01" or token[0].isdigit() or (
        (token[0].isalpha() or token[0] == "_") and token.upper() not in _BEFORE_A_NAME
        and token.upper() not in _CLAUSES)


def refuse_offset_without_limit(code: str) -> None:
    """Refuse an OFFSET clause that no LIMIT of its SELECT stands before (see the module's
    docstring), as YQL's parser does."""
    tokens = [found.group(0) for found in _TOKEN.finditer(code)]
    last_clause: list[str] = [""]  # for each depth open, its last clause word
    for index, token in enumerate(tokens):
        if token == "(":
            last_clause.append("")
        elif token == ")":
            if len(last_clause) > 1:
                last_clause.pop()
        elif token.upper() in _CLAUSES:
            last_clause[-1] = token.upper()
        elif token.upper() == "OFFSET" and 0 < index < len(tokens) - 1 \
                and _ends_an_expression(tokens[index - 1]) \
                and _is_operand_start(tokens[index + 1]) and last_clause[-1] != "LIMIT":
            raise QueryFailed("YQL: OFFSET without a LIMIT before it, which YQL does not "
                              "parse: write LIMIT n OFFSET m, or LIMIT NULL OFFSET m for no "
                              "limit")
