"""A string cast to an integer or a Bool as YQL reads it, where DuckDB's TRY_CAST reads more.

YQL's CAST of a String to a number or a Bool is ValueFromString (yql/essentials/minikql/
mkql_type_ops.cpp in ydb-platform/ydb): an integer is util's TryFromString (util/string/
cast.cpp, TIntParser): an optional `+`, a `-` only for a signed type, then decimal digits
and nothing else, within the type's bounds; a Bool is "true" or "false" in any case; a
Double or a Float is NYql::TryDoubleFromString (yql/essentials/utils/parse_double.cpp):
util's StrToD, double-conversion with ALLOW_LEADING_SPACES and ALLOW_HEX, which must read
the whole string, or "nan" or "inf" in any case after an optional sign.
DuckDB's TRY_CAST also takes a fraction for an integer (rounding "1.5" to 2), spaces
around, "0x10" (an integer), "1e2", "1_000", "-0" for an unsigned type, "1", "t", "yes" for
true, and "1.5 " or "infinity" for a Double: each of those is NULL in YQL; "0x10" is 16
as a Double in YQL and NULL in DuckDB.
"""

from __future__ import annotations

import re

_UNSIGNED = {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
_SIGNED = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT"}
_REALS = {"DOUBLE", "FLOAT"}
#: double-conversion's white space (kWhitespaceTable7), which StrToD skips before a number
_SPACES = r"[ \t\n\r\v\f]*"
_DECIMAL = _SPACES + r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
_HEX = _SPACES + r"[+-]?0[xX][0-9a-fA-F]+"
_NAN_OR_INF = r"(?i)[+-]?(nan|inf)"


def _integer_pattern(kind: str) -> str:
    return r"\+?[0-9]+" if kind in _UNSIGNED else r"[+-]?[0-9]+"


def reads_as(text: str, kind: str) -> bool:
    """Whether YQL reads the string `text` as a value of the DuckDB type `kind` (bounds
    aside: TRY_CAST checks those as YQL does)."""
    if kind in _UNSIGNED or kind in _SIGNED:
        return re.fullmatch(_integer_pattern(kind), text) is not None
    if kind == "BOOLEAN":
        return text.lower() in ("true", "false")
    return True  # a Double's text is read by text_cast, which knows its hexadecimal value


def guards(kind: str) -> bool:
    """Whether a string cast to `kind` is read otherwise than DuckDB reads it."""
    return kind in _UNSIGNED or kind in _SIGNED or kind in _REALS or kind == "BOOLEAN"


def _real_text_cast(text: str, kind: str) -> str:
    bare = f"regexp_replace({text}, '^{_SPACES}', '')"
    sign = f"CASE WHEN starts_with({bare}, '-') THEN -1 ELSE 1 END"
    hex_digits = f"'0x' || regexp_extract({bare}, '0[xX]([0-9a-fA-F]+)$', 1)"
    return (f"CASE WHEN regexp_full_match({text}, '{_DECIMAL}') "
            f"OR regexp_full_match({text}, '{_NAN_OR_INF}') THEN TRY_CAST({bare} AS {kind}) "
            f"WHEN regexp_full_match({text}, '{_HEX}') THEN "
            f"CAST({sign} * TRY_CAST({hex_digits} AS HUGEINT) AS {kind}) END")


def text_cast(value: str, kind: str) -> str:
    """The SQL of the string `value` cast to `kind` as YQL casts it: NULL for text YQL does
    not read as that type."""
    text = f"TRY_CAST({value} AS VARCHAR)"
    if kind in _REALS:
        return _real_text_cast(text, kind)
    if kind == "BOOLEAN":
        readable = f"lower({text}) IN ('true', 'false')"
    else:
        readable = f"regexp_full_match({text}, '{_integer_pattern(kind)}')"
    return f"TRY_CAST(CASE WHEN {readable} THEN {text} END AS {kind})"
