"""UNION matches its parts' columns by name in YQL, by position in SQL.

YQL: "The operations above can be launched in two modes: by column names (the default
mode) and by column positions (corresponds to the ANSI SQL standard and is enabled by the
PRAGMA)"; by name, "the resulting table includes all columns that were found in at least
one of the input tables", a column a part lacks being NULL there (yt/docs/en/yql/syntax/
select/operators.md, "By name and by position modes", ytsaurus/ytsaurus). DuckDB's UNION
is positional: `SELECT a, b ... UNION ALL SELECT b, a ...` put each part's b under a, and
parts of other names gave the first part's names alone. DuckDB's `UNION [ALL] BY NAME` is
YQL's default; under `PRAGMA PositionalUnionAll` the union is left positional.
"""

from __future__ import annotations

import re
from contextvars import ContextVar

#: whether the statement is under `PRAGMA PositionalUnionAll`
POSITIONAL_UNION: ContextVar[bool] = ContextVar("yql_positional_union", default=False)

_PRAGMA = re.compile(r"\s*PRAGMA\s+(Disable)?PositionalUnionAll\b", re.I)
#: a UNION, its ALL or DISTINCT, not already matched by name; or a string the rewrites
#: wrote, passed over whole (DuckDB's type names, `UNION("yson:...")`, are read in some)
_UNION = re.compile(r"'(?:[^']|'')*'|\bUNION(\s+(?:ALL|DISTINCT)\b)?(?!\s+BY\s+NAME\b)"
                    r"(?=\s)", re.I)


def pragma_sets_positional_union(statement: str) -> bool | None:
    """True or False when `statement` is the pragma turning positional UNION on or off."""
    found = _PRAGMA.match(statement)
    return None if found is None else found.group(1) is None


def unions_by_name(text: str) -> str:
    """`text` with each UNION matching its parts' columns by name, as YQL's does unless
    PositionalUnionAll is set (see the module's docstring)."""
    if POSITIONAL_UNION.get():
        return text
    return _UNION.sub(lambda m: m.group(0) if m.group(0).startswith("'")
                      else f"UNION{m.group(1) or ''} BY NAME", text)
