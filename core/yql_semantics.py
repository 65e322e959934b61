"""YQL forms that DuckDB parses too, with another meaning: rewritten so that a query run on
DuckDB gives the rows and types it gives on a cluster, or refused by name. Dev mode and the
fake YT proxy's query tracker (yt_pipeline_prod.fake) both run YQL on DuckDB, and both call
this module, so a query means the same in both; `where` names the one refusing a form.

The text given holds the statement's code only: its strings, backticked names and paths are
markers (\\x00N\\x00 or \\x01N\\x01), so nothing here looks inside them.

Sources: YQL's lexical structure (ydb/docs/en/core/yql/reference/syntax/lexer.md, "Numeric
literals"), CAST (syntax/expressions.md#cast and _includes/cast_examples.md), LENGTH and
SUBSTRING (builtins/basic.md), GROUP BY ... AS (syntax/select/group-by.md), LIMIT
(syntax/select/limit_offset.md), all in ydb-platform/ydb, the YQL that YTsaurus runs; COUNT's
type (yt/docs/en/yql/builtins/aggregation.md: `COUNT(*)->Uint64`, `COUNT_IF(Bool?)->Uint64?`)
in ytsaurus/ytsaurus; a fraction cast to an integer (TFloatToIntegralImpl in
yql/essentials/minikql/invoke_builtins/mkql_builtins_convert.cpp: NaN, infinities and values
out of range give NULL, any other is static_cast, which cuts toward zero).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from yt_pipeline.errors import QueryFailed
from yt_pipeline.yql_aggregate_list import rewrite_aggregate_lists
from yt_pipeline.yql_case import expand_case_branches, mark_case_branches
from yt_pipeline.yql_cast_rules import cast_refusal, checked, refusing, target_type
from yt_pipeline.yql_clauses import rewrite_group_by_names, rewrite_without
from yt_pipeline.yql_coalesce import coalesce_failure
from yt_pipeline.yql_engine_settings import DUCKDB_SETTINGS, IEEE_DOUBLES, RECENT_SETTINGS
from yt_pipeline.yql_functions import (
    literal_failure,
    rewrite_functions,
    unknown_function,
    unwrap_failure,
)
from yt_pipeline.yql_in import rewrite_in
from yt_pipeline.yql_int_common import unconverted_in_lambdas
from yt_pipeline.yql_interval_cast import cast_failure
from yt_pipeline.yql_lists import index_from_0, list_concat_failure
from yt_pipeline.yql_mixed_types import PLAIN_OPERAND, arithmetic_failure, compare_failure
from yt_pipeline.yql_one_sided_joins import rewrite_one_sided_joins
from yt_pipeline.yql_operators import concat_failure, rewrite_operators, string_literal
from yt_pipeline.yql_regexp import pattern_failure, rewrite_pattern_operators
from yt_pipeline.yql_text_cast import guards, reads_as, text_cast
from yt_pipeline.yql_time_text import UNFOLDED, folded_count, text_count
from yt_pipeline.yql_unions import unions_by_name
from yt_pipeline.yql_unnamed import name_unnamed_columns
from yt_pipeline.yql_windows import with_yql_frames
from yt_pipeline.yql_yson import refused_yson, rewrite_lookups

_DOCS = "see docs/yql-in-dev.md"
#: who refuses a form, in the refusal, unless told otherwise
DEV = "dev mode"



#: the oldest DuckDB the translations run on: the macros pick a struct's field by a key
#: computed from typeof(x) (yql_interval_cast.yql_interval), which DuckDB takes as a constant
#: from 2.0.1 on (2.0.0 refuses the macro: `The "entry" argument in function
#: "struct_extract" must be a constant expression`, tried); lambdas are written
#: `lambda x: ...` (yql_lambdas, yql_operators), read from 1.3.0 on; 1.1 also began IEEE
#: doubles (below). Kept in step with plugins/yt_dev/pyproject.toml's pin.
OLDEST_DUCKDB = (2, 0, 1)
_OLDEST_TEXT = ".".join(map(str, OLDEST_DUCKDB))


def _refuse_old(duckdb: Any) -> None:
    version = str(getattr(duckdb, "__version__", ""))
    found = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", version)
    if found and tuple(int(part or 0) for part in found.groups()) < OLDEST_DUCKDB:
        raise QueryFailed(
            f"YQL on DuckDB needs DuckDB {_OLDEST_TEXT} or later (installed: {version}), which "
            "takes the struct field dev's macros pick by a value's type as a constant: "
            f"pip install 'duckdb>={_OLDEST_TEXT}'")


def connect(duckdb: Any, config: dict[str, Any] | None = None, *,
            macros: bool = True) -> Any:
    """A new in-memory DuckDB database with YQL's settings and `config`'s, and YQL's macros
    unless `macros` is false: then each statement is given those it calls
    (yql_macros.Macros.define_for) before it runs."""
    _refuse_old(duckdb)
    settings = {**(config or {}), **DUCKDB_SETTINGS}
    try:
        connection = duckdb.connect(config=settings)
    except duckdb.Error as exc:
        if not any(name in str(exc) for name in RECENT_SETTINGS):
            raise
        connection = duckdb.connect(
            config={k: v for k, v in settings.items() if k not in RECENT_SETTINGS})
    try:
        connection.execute(IEEE_DOUBLES)
    except duckdb.Error as exc:
        connection.close()
        # an older DuckDB names the setting it does not know; any other failure (dev's
        # DuckDB process ended, say) is its own
        if IEEE_DOUBLES.split()[1] not in str(exc):
            raise
        version = getattr(duckdb, "__version__", "?")
        raise QueryFailed(
            f"YQL on DuckDB needs DuckDB 1.1 or later (installed: {version}), where a Double "
            "divided by zero is inf or nan as in YQL, not NULL: pip install 'duckdb>=1.1'"
        ) from None
    if macros:
        from yt_pipeline.yql_macros import Macros

        Macros(duckdb, connection).define_all()
    return connection


#: YQL's type names in a CAST, as DuckDB names them: DuckDB reads INT8 as its 64-bit BIGINT
#: (YQL's Int8 is 8 bits) and knows no Utf8
_TYPES = {
    "int8": "TINYINT", "int16": "SMALLINT", "int32": "INTEGER", "int64": "BIGINT",
    "uint8": "UTINYINT", "uint16": "USMALLINT", "uint32": "UINTEGER", "uint64": "UBIGINT",
    "float": "FLOAT", "double": "DOUBLE", "bool": "BOOLEAN", "string": "VARCHAR",
    "utf8": "VARCHAR",
    # DuckDB reads DATETIME as its TIMESTAMP (microseconds): TIMESTAMP_S keeps YQL's whole
    # seconds, so a Datetime column is told from a Timestamp one (yql_times)
    "date": "DATE", "datetime": "TIMESTAMP_S", "timestamp": "TIMESTAMP",
}
#: an integer literal's suffix and the type it gives (lexer.md)
_SUFFIXES = {"ul": "UBIGINT", "ut": "UTINYINT", "us": "USMALLINT", "u": "UINTEGER",
             "l": "BIGINT", "s": "SMALLINT", "t": "TINYINT"}
_EDGE_BEFORE = r"(?<![\w.\x00\x01])"
_EDGE_AFTER = r"(?![\w.\x00\x01])"
#: 1.5 is a Double in YQL and a DECIMAL in DuckDB (returned as text); 1.5e0 is a DOUBLE
_REAL = re.compile(_EDGE_BEFORE + r"(\d+\.\d+)" + _EDGE_AFTER)
_FLOAT = re.compile(_EDGE_BEFORE + r"(\d+\.\d+(?:[eE][-+]?\d+)?)f" + _EDGE_AFTER)
_SUFFIXED = re.compile(_EDGE_BEFORE + r"(\d+)(ul|ut|us|u|l|s|t)" + _EDGE_AFTER, re.I)
#: what any UDF call holds (yql_udfs._UDF), and a DuckDB cast (`(10)::INTEGER`) does not
_MAYBE_UDF = re.compile(r"\w::[A-Za-z_]")
_CAST = re.compile(r"(?<![\w.:])CAST\s*\(", re.I)
#: not after "::": String::Substring is a UDF of its own (yql_udfs)
_SUBSTRING = re.compile(r"(?<![\w.:])SUBSTRING\s*\(", re.I)
#: YQL's names of its byte count: it reads a built-in's name in lower case without its
#: underscores (NormalizeName, yql/essentials/core/sql_types/normalize_name.cpp, ydb), and
#: builtin.cpp makes len, length, charlength and characterlength the same Size
_LENGTH = re.compile(r"(?<![\w.:])(?:LENGTH|LEN|CHAR_?LENGTH|CHARACTER_?LENGTH)\s*\(", re.I)
#: COUNT(...) or COUNT_IF(...) as an item of a SELECT list: after SELECT or a comma
_COUNT = re.compile(r"(?:(?<=SELECT)|(?<=,))(\s*)(COUNT|COUNT_IF)\s*\(", re.I)
#: a numbering window function as an item of a SELECT list
_NUMBERING = re.compile(r"(?:(?<=SELECT)|(?<=,))(\s*)(ROW_NUMBER|RANK|DENSE_RANK|NTILE)\s*\(",
                        re.I)
#: OVER and what names the window: a parenthesis (found by _closing) or a window's name
_OVER = re.compile(r"\s*OVER\s*(?:(\()|(?:\w+|\x01\d+\x01))", re.I)
#: what may follow a select item that is the call alone
_ITEM_END = re.compile(r"\s*(?:$|,|\bAS\b|\bFROM\b|\x01)", re.I)
#: `LIMIT offset, count`, YQL's (and MySQL's) other spelling of `LIMIT count OFFSET offset`
_LIMIT_PAIR = re.compile(r"\bLIMIT\s+(\d+)\s*,\s*(\d+)\b", re.I)
_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT",
                  "UINTEGER", "UBIGINT"}


def _closing(text: str, opening: int) -> int:
    """The index of the parenthesis closing the one at `opening`."""
    depth = 0
    for index in range(opening, len(text)):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    raise QueryFailed("YQL: unbalanced parentheses")


def _top_level(text: str) -> list[tuple[int, int]]:
    """The spans of `text` outside any parentheses (or square brackets: a list literal's
    commas are not a call's)."""
    spans, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "([":
            if depth == 0:
                spans.append((start, index))
            depth += 1
        elif char in ")]":
            depth -= 1
            if depth == 0:
                start = index + 1
    if depth == 0:
        spans.append((start, len(text)))
    return spans


def _arguments(text: str) -> list[str]:
    """The arguments of a call, `text` being what its parentheses hold."""
    cuts = [i for a, b in _top_level(text) for i in range(a, b) if text[i] == ","]
    bounds = [-1, *cuts, len(text)]
    return [text[bounds[i] + 1:bounds[i + 1]] for i in range(len(bounds) - 1)]


def _each_call(text: str, pattern: re.Pattern[str], rewrite) -> str:
    """`text` with each call `pattern` finds replaced by rewrite(inside): the last first,
    so that a call nested in another is rewritten before the one around it."""
    for found in reversed(list(pattern.finditer(text))):
        opening = found.end() - 1
        closing = _closing(text, opening)
        text = text[:found.start()] + rewrite(text[opening + 1:closing]) + text[closing + 1:]
    return text


def _cast(inside: str, where: str, literals: Sequence[str] = ()) -> str:
    """YQL's CAST gives NULL where the value does not convert (CAST("xyz" AS Uint64) IS NULL,
    CAST(256 AS Uint8) IS NULL), which DuckDB's TRY_CAST does; its type names are YQL's."""
    spans = _top_level(inside)
    keyword = None
    for start, end in spans:
        for found in re.finditer(r"\bAS\b", inside[start:end], re.I):
            keyword = start + found.start()
    if keyword is None:
        return f"TRY_CAST({inside})"
    value, kind = inside[:keyword], inside[keyword + 2:].strip()
    name = kind.rstrip("?").strip()
    if name.lower() in _TYPES:
        kind = _TYPES[name.lower()]
    elif not re.fullmatch(r"[A-Za-z]+\s*(\([\d\s,]*\))?", name):
        raise QueryFailed(f"YQL: CAST to {kind} is not supported in {where} ({_DOCS})")
    value = value.strip()
    # a string literal's type is known here, so the branch DuckDB would keep for it is the
    # one written: the text of the others repeated the operand, and nested, multiplied it
    string = string_literal(value, literals)
    target = target_type(name)
    if target == "Yson":  # YQL reads a string's Yson text, which dev does not
        if string is not None:
            raise QueryFailed(f"YQL: CAST of a String to Yson is not supported in {where} "
                              f"({_DOCS})")
        return _bound_once(value, lambda v: refusing(v, target, v))
    if string is None and kind in _INTEGER_TYPES and _SMALL_INTEGER.fullmatch(value):
        # DuckDB types such a literal an INTEGER or a BIGINT, which no CAST refuses, and
        # of _converted's CASE it keeps the ELSE branch: written, the check and the other
        # branches named the literal ten times more, and a check holding the cast
        # (yql_coalesce) copied them all
        return f"TRY_CAST({value} AS {kind})"
    if target is not None and string is None and checked(target):
        # a type YQL refuses to cast to the target (or dev cannot) fails when DuckDB binds
        # the query
        return _bound_once(value, lambda v: refusing(
            v, target, _converted(v, name, kind, None)))
    return _converted(value, name, kind, string)


def _converted(value: str, name: str, kind: str, string: str | None) -> str:
    """The SQL of CAST(value AS name) (`kind` its DuckDB type), `string` the text of a
    string literal `value`, else None."""
    if name.lower() == "interval":  # microseconds, or ISO 8601's text (yql_interval_cast)
        return f"yql_interval({value})"
    if name.lower() in _EPOCH_UNITS:
        if string is not None:
            return _epoch_cast_of_text(value, string, name.lower(), kind)
        return _bound_once(value, lambda v: _epoch_cast(v, name.lower(), kind))
    if string is not None and (kind == "VARCHAR" or guards(kind)):
        if kind in ("DOUBLE", "FLOAT"):  # StrToD's text, hexadecimal too (yql_text_cast)
            return text_cast(value, kind)
        if not reads_as(string, kind):  # YQL reads less than DuckDB (yql_text_cast)
            return f"CAST(NULL AS {kind})"
        return f"TRY_CAST({value} AS {kind})"  # the ELSE branches below
    if kind == "VARCHAR":  # a Datetime or Timestamp is written as YQL writes it (yql_times)
        return _bound_once(value, lambda v: f"yql_time_text({v})")
    if kind in _INTEGER_TYPES:
        # YQL cuts a fraction toward zero (CAST(1.7 AS Int64) is 1, CAST(-1.7 AS Int64) is
        # -1); DuckDB rounds it. typeof() is known when DuckDB binds, so one branch is kept
        # and an Interval is its microseconds (DuckDB's cast gives NULL)
        return _bound_once(value, lambda v: (
            f"CASE WHEN typeof({v}) IN ('DOUBLE', 'FLOAT') THEN "
            f"TRY_CAST(trunc(TRY_CAST({v} AS DOUBLE)) AS {kind}) "
            f"{_time_counts(v, kind)}"
            f"WHEN typeof({v}) = 'VARCHAR' THEN {text_cast(v, kind)} "
            f"ELSE TRY_CAST({v} AS {kind}) END"))
    if kind == "FLOAT":
        return _bound_once(value, lambda v: (
            f"CASE WHEN typeof({v}) = 'VARCHAR' THEN {text_cast(v, kind)} "
            f"WHEN typeof({v}) = 'DOUBLE' THEN {_rounded_to_float(v)} "
            f"{_time_counts(v, kind)}"
            f"ELSE TRY_CAST({v} AS {kind}) END"))
    if kind in ("BOOLEAN", "DOUBLE"):
        # a time to a Bool YQL refuses, before this runs (yql_cast_rules)
        return _bound_once(value, lambda v: (
            f"CASE WHEN typeof({v}) = 'VARCHAR' THEN {text_cast(v, kind)} "
            f"{_time_counts(v, kind) if kind == 'DOUBLE' else ''}"
            f"ELSE TRY_CAST({v} AS {kind}) END"))
    return f"TRY_CAST({value} AS {kind})"


#: the DuckDB types of YQL's Date, Datetime, Timestamp and Interval, and the SQL of the count
#: YQL holds each as (days, seconds, microseconds since 1970-01-01, an Interval's signed
#: microseconds: the number a YT column of the type stores, yql_times.counted_sql): what
#: YQL's CAST of one to a number gives, NULL where the number type's range is too narrow
#: (the pairs CastResultsTable marks MayFail: yql_cast_types). DuckDB's TRY_CAST gives NULL
#: for each.
_TIME_COUNTS = {"DATE": "CAST({v} - DATE '1970-01-01' AS BIGINT)",
                "TIMESTAMP_S": "(epoch_us(CAST({v} AS TIMESTAMP)) // 1000000)",
                "TIMESTAMP": "epoch_us({v})",
                "INTERVAL": "epoch_us({v})"}


def _time_counts(v: str, kind: str) -> str:
    """CASE branches giving a time value `v`'s count as DuckDB type `kind` (NULL past its
    range: a cast YQL's table says may fail), one per time type; DuckDB keeps the one of
    v's type when it binds."""
    return "".join(f"WHEN typeof({v}) = '{name}' THEN "
                   f"TRY_CAST({count.format(v=f'TRY_CAST({v} AS {name})')} AS {kind}) "
                   for name, count in _TIME_COUNTS.items())


#: the least Double YQL's Float rounds to infinity: FLT_MAX plus half its last unit
#: (2^128 - 2^103), where the nearest float is 2^128
_FLOAT_OVERFLOW = float(2 ** 128 - 2 ** 103)
_FLOAT_MAX = float((2 - 2 ** -23) * 2 ** 127)


def _rounded_to_float(v: str) -> str:
    """CAST(v AS Float) of a Double `v` as YQL gives it: the nearest Float, an infinity past
    its range (a C++ static_cast; CastResultsTable has Double to Float as MayLoseData, a
    cast that never fails), where DuckDB's TRY_CAST gives NULL past the range."""
    double = f"TRY_CAST({v} AS DOUBLE)"
    return (f"CASE WHEN abs({double}) >= {_FLOAT_OVERFLOW!r} "
            f"THEN CAST(sign({double}) * CAST('inf' AS DOUBLE) AS FLOAT) "
            f"ELSE CAST(LEAST(GREATEST({double}, -{_FLOAT_MAX!r}), {_FLOAT_MAX!r}) AS FLOAT) END")


#: the name the operand of a CAST is bound to (_bound_once)
_BOUND = "yql_cast_value"


#: an integer literal DuckDB types an INTEGER or a BIGINT (at most 18 digits)
_SMALL_INTEGER = re.compile(r"\(?\s*[-+]?\s*\d{1,18}\s*\)?")


def _bound_once(value: str, body: Callable[[str], str]) -> str:
    """body(value), where body names its operand several times (typeof, then the cast):
    an operand other than a column or a literal is computed once, as the one item of a
    list a lambda maps. Named as often as the body names it, CASTs of CASTs repeated one
    another's text: DuckDB binds each copy, and five levels of CAST(... AS String) and
    CAST(... AS Int64) took 15 s to bind, six 95 s."""
    if PLAIN_OPERAND.fullmatch(value):
        return body(value)
    return f"list_transform([{value}], lambda {_BOUND}: {body(_BOUND)})[1]"


#: An integer cast to Date, Datetime or Timestamp is a count of days, seconds or
#: microseconds since 1970-01-01 in YQL ("Converting to date and time data types": Int and
#: Uint, yes, in yql/essentials/docs/en/types/primitive.md; the units in types/json.md, and
#: the ranges, up to 2106-01-01 exclusive, in primitive.md's table of date and time types).
#: DuckDB's TRY_CAST gives NULL for every integer, which would read as "no date".
_EPOCH_UNITS = {"date": ("days", 49673), "datetime": ("seconds", 4291747200),
                "timestamp": ("microseconds", 4291747200000000)}
_INTEGER_NAMES = ", ".join(f"'{name}'" for name in sorted(_INTEGER_TYPES | {"HUGEINT"}))


def _epoch_cast(value: str, name: str, kind: str) -> str:
    """CAST(value AS Date/Datetime/Timestamp): an integer counted from the epoch in the
    type's unit, a string read as YQL reads it (yql_time_text), both NULL outside the type's
    range, as YQL gives; anything else as before. typeof() is known when DuckDB binds, so one
    branch is kept."""
    end = _EPOCH_UNITS[name][1]
    count = f"TRY_CAST({value} AS BIGINT)"
    return (f"CASE WHEN typeof({value}) = 'VARCHAR' THEN {_text_moment(value, name)} "
            f"WHEN typeof({value}) NOT IN ({_INTEGER_NAMES}) THEN "
            f"TRY_CAST({value} AS {kind}) "
            f"WHEN {count} >= 0 AND {count} < {end} THEN {_moved(count, name)} END")


def _moved(count: str, name: str) -> str:
    """The Date, Datetime or Timestamp `count` (SQL) days, seconds or microseconds after
    1970-01-01."""
    if name == "date":
        return f"DATE '1970-01-01' + CAST({count} AS INTEGER)"
    if name == "datetime":
        return f"CAST(make_timestamp({count} * 1000000) AS TIMESTAMP_S)"
    return f"make_timestamp({count})"


def _text_moment(value: str, name: str) -> str:
    """CAST(value AS Date/Datetime/Timestamp) of a string `value` (SQL)."""
    end, text = _EPOCH_UNITS[name][1], text_count(value, name)
    # NULL outside [0, end), the count named once: its SQL names the text seven times
    # (GREATEST passes a NULL count on as -1, which is then NULL again)
    count = f"NULLIF(NULLIF(LEAST(GREATEST({text}, -1), {end}), -1), {end})"
    return f"({_moved(count, name)})"


def _epoch_cast_of_text(value: str, string: str, name: str, kind: str) -> str:
    """_epoch_cast of the string literal `value`, whose text is `string`: its value itself
    when folded_count reads the text, else the SQL reading it (the branch of a string)."""
    count = folded_count(string, name)
    if count is UNFOLDED:
        return _text_moment(value, name)
    if not isinstance(count, int) or not 0 <= count < _EPOCH_UNITS[name][1]:  # None
        return f"CAST(NULL AS {kind})"
    # typed as the count the SQL gives: a small literal is an INTEGER, whose seconds
    # times 1000000 would overflow
    return f"({_moved(f'CAST({count} AS BIGINT)', name)})"


#: where SUBSTRING's bytes are cut when no length is given: past the end of any string
_NO_LENGTH = "4294967295"
#: the start of DuckDB's error when a SUBSTRING cuts a UTF-8 character (yql_duckdb names it)
SUBSTRING_CUT = "could not convert blob to UTF8"


def _substring(inside: str) -> str:
    """YQL's SUBSTRING counts its position from 0 (NULL: from the start) and both position
    and length in bytes, DuckDB's substring from 1 and in characters: the string's UTF-8
    bytes are sliced instead, and decoded back (a slice that cuts a character fails)."""
    args = _arguments(inside)
    if len(args) not in (2, 3):
        raise QueryFailed(f"YQL: SUBSTRING takes 2 or 3 arguments, got {len(args)}")
    start = f"CAST(COALESCE({args[1].strip()}, 0) AS BIGINT)"
    length = f"COALESCE({args[2].strip()}, {_NO_LENGTH})" if len(args) == 3 else _NO_LENGTH
    return f"decode(encode({args[0].strip()})[{start} + 1:{start} + {length}])"


def _count(text: str) -> str:
    """COUNT and COUNT_IF give a Uint64 in YQL, a signed BIGINT in DuckDB: a call that is an
    item of a SELECT list alone is cast, so the column a query writes is uint64. A count in
    a larger expression is left as it is: YQL's type of `COUNT(*) - 5` is not DuckDB's
    either way. A window COUNT (`COUNT(*) OVER w`) is the same aggregate over the window's
    rows, a Uint64 too (its OVER goes inside the cast)."""
    for found in reversed(list(_COUNT.finditer(text))):
        opening = found.end() - 1
        end = _closing(text, opening) + 1
        over = _OVER.match(text, end)
        if over:
            end = _closing(text, over.start(1)) + 1 if over.group(1) else over.end()
        if not _ITEM_END.match(text, end):
            continue  # an operator: not the call alone
        call = text[found.start(2):end]
        text = (text[:found.start(2)] + f"CAST({call} AS UBIGINT)" + text[end:])
    return text


#: any COUNT_IF call (not a method or a UDF's function of that name)
_COUNT_IF = re.compile(r"(?<![\w.:])COUNT_IF\s*\(", re.I)


def _count_if_of_no_rows(text: str) -> str:
    """YQL's COUNT_IF is a count (count_if_traits_factory_opt in yql/essentials/mount/lib/
    yql/aggregate.yqls, ydb-platform/ydb: count_traits_factory over If(Coalesce(value,
    false), 1, 0), whose default value is Uint64 0), so over no rows it is 0, not NULL:
    `COUNT_IF(Bool?)->Uint64` (yt/docs/en/yql/builtins/aggregation.md, ytsaurus). DuckDB
    gives NULL there: each call, with its OVER clause, is given 0 for NULL."""
    for found in reversed(list(_COUNT_IF.finditer(text))):
        end = _closing(text, found.end() - 1) + 1
        over = _OVER.match(text, end)
        if over:
            end = _closing(text, over.start(1)) + 1 if over.group(1) else over.end()
        text = f"{text[:found.start()]}COALESCE({text[found.start():end]}, 0){text[end:]}"
    return text


def _numbering(text: str) -> str:
    """ROW_NUMBER, RANK, DENSE_RANK and NTILE give a Uint64 in YQL (yql/essentials/docs/en/
    builtins/window.md, ydb), a signed BIGINT in DuckDB: as with COUNT, a call that is an
    item of a SELECT list alone, with its OVER, is cast, so the column a query writes is
    uint64; in a larger expression (`ROW_NUMBER() OVER w - 1`) it is left as it is."""
    for found in reversed(list(_NUMBERING.finditer(text))):
        over = _OVER.match(text, _closing(text, found.end() - 1) + 1)
        if not over:
            continue  # not a window function call: leave it to DuckDB
        end = _closing(text, over.start(1)) + 1 if over.group(1) else over.end()
        if not _ITEM_END.match(text, end):
            continue
        text = text[:found.start(2)] + f"CAST({text[found.start(2):end]} AS UBIGINT)" + text[end:]
    return text


def rewrite(text: str, where: str = DEV, literals: Sequence[str] = ()) -> str:
    """The statement's code as DuckDB must read it to mean what YQL means; `literals` are
    the SQL of the strings and names its markers \x01N\x01 stand for (a UDF reads its
    pattern's groups from one)."""
    # the columns YQL names columnN, named before any rewrite changes their text
    text = name_unnamed_columns(text, literals)
    # each CASE of the query marked before the rewrites below write CASEs of their own: its
    # branches' types are checked once they are rewritten (yql_case)
    text = mark_case_branches(text)
    # first, before any rewrite writes DuckDB's IN of its own: YQL's IN passes over a NULL
    # item (yql_in)
    text = rewrite_in(text, where)
    # `s REGEXP p` is Re2::Grep(p)(s), which the UDF rewrite at the end gives its meaning
    text = rewrite_pattern_operators(text)
    # then: `col[key]` and `col.name` on a Yson column are a Yson::Lookup (yql_yson),
    # whose key is YQL's own, not an index counted from 1
    text = rewrite_lookups(text)
    # then: an index counts from 0 in YQL's text, not in the DuckDB SQL the rewrites
    # below write (which index from 1, or slice)
    text = index_from_0(text)
    # then: the other rewrites write DuckDB's own functions (typeof), which YQL's TypeOf
    # would be taken for
    text = rewrite_aggregate_lists(text, _closing, _arguments)
    text = rewrite_functions(text, where, _closing, _arguments)
    text = rewrite_without(text, where)
    text = rewrite_group_by_names(text)
    text = rewrite_one_sided_joins(text)
    text = with_yql_frames(text)
    text = rewrite_operators(text, literals)
    text = expand_case_branches(text)
    # the conversions of integers of mixed signedness cannot bind inside a lambda of the
    # query's own (yql_int_common)
    text = unconverted_in_lambdas(text)
    text = _FLOAT.sub(lambda m: f"CAST({m.group(1)} AS FLOAT)", text)
    text = _REAL.sub(lambda m: m.group(1) + "e0", text)
    text = _SUFFIXED.sub(lambda m: f"CAST({m.group(1)} AS {_SUFFIXES[m.group(2).lower()]})",
                         text)
    text = _each_call(text, _CAST, lambda inside: _cast(inside, where, literals))
    text = _each_call(text, _SUBSTRING, _substring)
    text = _count(text)
    text = _count_if_of_no_rows(text)
    text = _numbering(text)
    text = _LIMIT_PAIR.sub(lambda m: f"LIMIT {m.group(2)} OFFSET {m.group(1)}", text)
    # YQL's LENGTH counts bytes; DuckDB's length counts characters, its strlen bytes
    text = _LENGTH.sub("strlen(", text)
    # after the rewrites that read a UNION as the end of a clause: YQL's UNION is by name
    text = unions_by_name(text)
    # last: the UDFs' arguments have had the rewrites above, and what the UDFs become is
    # DuckDB's own SQL, which none of them must read again (its CASTs, its length)
    if not _MAYBE_UDF.search(text):
        return text  # no UDF call (Module::Function): their modules need not be imported
    from yt_pipeline.yql_udfs import rewrite_udfs

    return rewrite_udfs(text, _closing, literals)


#: DuckDB's words for an integer result out of its type's range
_OVERFLOW = re.compile(r"^Out of Range Error: Overflow in (?:addition|subtraction|"
                       r"multiplication|negation)")


def with_candidates(message: str, text: str) -> str:
    """`message`, the first line of DuckDB's error `text`, with the columns DuckDB meant for
    a misspelt one (named on a later line), as YQL's "Member not found: x. Did you mean
    y?" names them on its one: in dev and on the fake alike."""
    candidates = re.search(r"^Candidate bindings: (.+)$", text, re.M)
    if candidates and "not found" in message:
        return f"{message} (did you mean {candidates.group(1).strip()}?)"
    return message


def failure_meaning(message: str, who: str = "dev", query: str = "") -> str | None:
    """What a DuckDB error line means in YQL where its own words would mislead, or None.
    `who` names the one running the query, `query` is its text."""
    if _OVERFLOW.search(message):
        # YQL's integer +, - and * wrap around (SafeAdd/SafeSub/SafeMul in yql/essentials/
        # minikql/invoke_builtins/mkql_safe_ops.h, ydb), in the width of YQL's own result
        # type, which DuckDB's types do not follow: no faithful result can be given
        return ("YQL: integer overflow, which YQL wraps around (two's complement) in the "
                f"width of its own result type and {who} cannot reproduce ({message}); cast "
                "to a wider type or to Double")
    yson = refused_yson(message)
    if yson:
        return yson
    refused = (unknown_function(message, DEV if who == "dev" else who, query)
               or pattern_failure(message, query))
    if refused:
        return refused
    unwrapped = (cast_refusal(message, DEV if who == "dev" else who)
                 or unwrap_failure(message) or concat_failure(message) or cast_failure(message)
                 or literal_failure(message) or list_concat_failure(message)
                 or compare_failure(message) or arithmetic_failure(message)
                 or coalesce_failure(message))
    if unwrapped:
        return unwrapped
    if SUBSTRING_CUT in message:
        return ("YQL: SUBSTRING cut a UTF-8 character in two: YQL counts bytes and would "
                f"give bytes that are not text, which {who} cannot hold; cut at a "
                "character's first byte")
    return None
