"""A string cast to an integer or a Bool as YQL reads it, where DuckDB's TRY_CAST reads more.

YQL's CAST of a String to a number or a Bool is ValueFromString (yql/essentials/minikql/
mkql_type_ops.cpp in ydb-platform/ydb): an integer is util's TryFromString (util/string/
cast.cpp, TIntParser): an optional `+`, a `-` only for a signed type, then decimal digits
and nothing else, within the type's bounds; a Bool is "true" or "false" in any case.
DuckDB's TRY_CAST also takes a fraction (rounding "1.5" to 2), spaces around, "0x10",
"1e2", "1_000", "-0" for an unsigned type, and "1", "t", "yes" for true: each of those is
NULL in YQL.
"""

from __future__ import annotations

import re

_UNSIGNED = {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
_SIGNED = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT"}


def _integer_pattern(kind: str) -> str:
    return r"\+?[0-9]+" if kind in _UNSIGNED else r"[+-]?[0-9]+"


def reads_as(text: str, kind: str) -> bool:
    """Whether YQL reads the string `text` as a value of the DuckDB type `kind` (bounds
    aside: TRY_CAST checks those as YQL does)."""
    if kind in _UNSIGNED or kind in _SIGNED:
        return re.fullmatch(_integer_pattern(kind), text) is not None
    if kind == "BOOLEAN":
        return text.lower() in ("true", "false")
    return True


def guards(kind: str) -> bool:
    """Whether a string cast to `kind` is read more narrowly than DuckDB reads it."""
    return kind in _UNSIGNED or kind in _SIGNED or kind == "BOOLEAN"


def text_cast(value: str, kind: str) -> str:
    """The SQL of the string `value` cast to `kind` as YQL casts it: NULL for text YQL does
    not read as that type."""
    text = f"TRY_CAST({value} AS VARCHAR)"
    if kind == "BOOLEAN":
        readable = f"lower({text}) IN ('true', 'false')"
    else:
        readable = f"regexp_full_match({text}, '{_integer_pattern(kind)}')"
    return f"TRY_CAST(CASE WHEN {readable} THEN {text} END AS {kind})"
