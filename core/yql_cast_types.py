"""Which YQL CASTs never fail, so that a CAST of a value that is not Optional is not
Optional either.

YQL's SQL builds `CAST(x AS T)` as the callable SafeCast (TSqlExpression::CastRule in
yql/essentials/sql/v1/sql_expression.cpp, ydb-platform/ydb). Its type is CastWrapper<false>
(yql/essentials/core/type_ann/type_ann_core.cpp): T itself when the cast cannot fail, T?
when CastResult<false> says it may (ECastOptions::MayFail), and T? whenever x is Optional.
For two data types CastResult<false> is the entry of CastResultsTable for the pair
(GetCastResult, yql/essentials/public/udf/udf_data_type.cpp): Complete and MayLoseData
(a cast that rounds, as Int64 to Double, or makes any integer a Bool) never fail; MayFail
(a value out of the target's range, a string that does not parse) may.

Below, for each source type dev reads (a table column's, a literal's, a count's), the
targets of its casts that never fail, as that table has them; any other pair, or a type
not named here (Decimal, Yson, a container, an Optional target), leaves the CAST Optional.
"""

from __future__ import annotations

import re

_INTEGERS = ("Int8", "Uint8", "Int16", "Uint16", "Int32", "Uint32", "Int64", "Uint64")
_TEXT = ("String", "Utf8")
_FLOATS = ("Double", "Float")

_TIMES = ("Date", "Datetime", "Timestamp")

#: source type: the targets of its casts that never fail. An integer cast to a date, a time
#: or an Interval is a count of its days, seconds or microseconds, which never fails where
#: every value of the integer's type is within the target's range (a Uint16's 65535 seconds;
#: an Int32's microseconds, negative too, as an Interval). A date or a time cast to a number
#: is its count (days, seconds, microseconds: yql_semantics._time_counts), which fails
#: where the target's range is too narrow (a Date's 49672 days past Int16's); a Double to a
#: Float rounds (MayLoseData), to an infinity past a Float's range (_rounded_to_float)
NEVER_FAILS: dict[str, frozenset[str]] = {
    "Bool": frozenset({"Bool", *_INTEGERS, *_FLOATS, *_TEXT}),
    "Int8": frozenset({"Bool", "Int8", "Int16", "Int32", "Int64", *_FLOATS, *_TEXT,
                       "Interval"}),
    "Uint8": frozenset({"Bool", *_INTEGERS[1:], *_FLOATS, *_TEXT, *_TIMES, "Interval"}),
    "Int16": frozenset({"Bool", "Int16", "Int32", "Int64", *_FLOATS, *_TEXT, "Interval"}),
    "Uint16": frozenset({"Bool", "Uint16", "Int32", "Uint32", "Int64", "Uint64", *_FLOATS,
                         *_TEXT, "Datetime", "Timestamp", "Interval"}),
    "Int32": frozenset({"Bool", "Int32", "Int64", *_FLOATS, *_TEXT, "Interval"}),
    "Uint32": frozenset({"Bool", "Uint32", "Int64", "Uint64", *_FLOATS, *_TEXT, "Timestamp",
                         "Interval"}),
    "Int64": frozenset({"Bool", "Int64", *_FLOATS, *_TEXT}),
    "Uint64": frozenset({"Bool", "Uint64", *_FLOATS, *_TEXT}),
    "Double": frozenset({*_FLOATS, *_TEXT}),
    "Float": frozenset({*_FLOATS, *_TEXT}),
    "String": frozenset({"String"}),  # to Utf8 fails on bytes that are not UTF-8
    "Utf8": frozenset(_TEXT),
    "Date": frozenset({"Uint16", "Int32", "Uint32", "Int64", "Uint64", *_FLOATS, *_TEXT,
                       *_TIMES}),
    "Datetime": frozenset({"Uint32", "Int64", "Uint64", *_FLOATS, *_TEXT, *_TIMES}),
    "Timestamp": frozenset({"Int64", "Uint64", *_FLOATS, *_TEXT, *_TIMES}),
    # an Interval's microseconds are signed: Uint64 may fail
    "Interval": frozenset({"Int64", *_FLOATS, *_TEXT, "Interval"}),
}

#: a YQL type's name as a CAST may write it, in any case: YQL's own names, and the SQL
#: aliases YQL reads as them (TypeByAlias in yql/essentials/sql/v1/node.cpp)
_CAST_NAMES = {name.upper(): name for name in NEVER_FAILS} | {
    "VARCHAR": "String", "TINYINT": "Int8", "BYTE": "Uint8", "SMALLINT": "Int16",
    "INT": "Int32", "INTEGER": "Int32", "BIGINT": "Int64"}

#: a table column's type as YQL reads it: YT's names, and the DuckDB names dev keeps for a
#: table a query wrote
_COLUMN_TYPES = {
    "boolean": "Bool", "int8": "Int8", "uint8": "Uint8", "int16": "Int16",
    "uint16": "Uint16", "int32": "Int32", "uint32": "Uint32", "int64": "Int64",
    "uint64": "Uint64", "double": "Double", "float": "Float", "string": "String",
    "utf8": "Utf8", "date": "Date", "datetime": "Datetime", "timestamp": "Timestamp",
    "interval": "Interval", "DATE": "Date", "TIMESTAMP_S": "Datetime",
    "TIMESTAMP": "Timestamp", "INTERVAL": "Interval",
    "BOOLEAN": "Bool", "TINYINT": "Int8", "UTINYINT": "Uint8", "SMALLINT": "Int16",
    "USMALLINT": "Uint16", "INTEGER": "Int32", "UINTEGER": "Uint32", "BIGINT": "Int64",
    "UBIGINT": "Uint64", "DOUBLE": "Double", "FLOAT": "Float", "VARCHAR": "String",
}

_INTEGER_LITERAL = re.compile(r"(\d+)(l|ul|u)?$", re.IGNORECASE)
_FLOAT_LITERAL = re.compile(r"(\d+\.\d*|\d*\.\d+)(e[+-]?\d+)?(f)?$", re.IGNORECASE)


def cast_target(name: str) -> str | None:
    """The YQL data type a CAST's type name (one word) names, if one of NEVER_FAILS'."""
    return _CAST_NAMES.get(name.upper())


def column_type(kind: str) -> str | None:
    """The YQL data type of a table column of type `kind`, if one of NEVER_FAILS'."""
    return _COLUMN_TYPES.get(kind)


def never_fails(source: str, target: str) -> bool:
    """Whether YQL's CAST of a `source` value to `target` never fails."""
    return target in NEVER_FAILS.get(source, frozenset())


def number_literal_type(text: str) -> str | None:
    """The YQL type of a number literal (its digits and suffix, no sign): an integer with
    no suffix is an Int32, or an Int64 past Int32's range; `l` makes an Int64, `u` a
    Uint32, `ul` a Uint64; a literal with a point is a Double, with `f` a Float
    (yql/essentials/docs/en/syntax/lexer.md, ydb-platform/ydb: numeric literals). Any other
    (another suffix, past Int64's range without one) is not known here."""
    match = _INTEGER_LITERAL.match(text)
    if match:
        value, suffix = int(match.group(1)), (match.group(2) or "").lower()
        if suffix:
            return {"l": "Int64", "u": "Uint32", "ul": "Uint64"}[suffix]
        return "Int32" if value < 2 ** 31 else "Int64" if value < 2 ** 63 else None
    match = _FLOAT_LITERAL.match(text)
    if match:
        return "Float" if match.group(3) else "Double"
    return None
