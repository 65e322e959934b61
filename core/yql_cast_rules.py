"""Which YQL CASTs are impossible: YQL refuses such a query before it runs, where DuckDB's
TRY_CAST would give NULL (a Date to a Bool) or a value (a number to Json).

The facts are CastResultsTable (yql/essentials/public/udf/udf_data_type.cpp, ydb-platform/
ydb), whose Impossible cells make CastWrapper (yql/essentials/core/type_ann/type_ann_core.cpp)
refuse a CAST of one data type to another. Its cells agree with the table of casts on
ydb/docs/en/core/yql/reference/types/primitive.md ("Simple data types casting") but for
three rows and a column, where the page says more than YQL does: the page has a number or a
Bool cast to Utf8 as "No" (CastResultsTable: Complete; cast.md's own example casts 3.14 to
Utf8), a String or a Utf8 to Json, Yson or Uuid as possible for String only (both: MayFail),
and a Yson to a number as "Yes" through Yson::ConvertTo (CastResultsTable: Impossible, a
CAST does not call the UDF). Here the table of the source is followed.

dev runs YQL on DuckDB, which knows a value's type only when it binds the query: a CAST
whose target some types cannot be cast to checks its operand's type there (`refusing`), and
DuckDB's refusal reads as YQL's (`cast_refusal`).
"""

from __future__ import annotations

from yt_pipeline.yql_cast_types import cast_target
from yt_pipeline.yql_mixed_types import YQL_NAMES
from yt_pipeline.yql_udf_calls import refused_kind

_NUMBERS = ("Int8", "Uint8", "Int16", "Uint16", "Int32", "Uint32", "Int64", "Uint64",
            "Float", "Double")
_TEXTS = ("String", "Utf8")
_MOMENTS = ("Date", "Datetime", "Timestamp")
_ALL = ("Bool", *_NUMBERS, *_TEXTS, "Yson", "Json", "Uuid", *_MOMENTS, "Interval")


def _but(*possible: str) -> frozenset[str]:
    return frozenset(_ALL) - set(possible)


#: source type: the targets YQL refuses to cast it to (the Impossible cells of its row in
#: CastResultsTable, among the types dev reads). String and Utf8 cast to any of them.
IMPOSSIBLE: dict[str, frozenset[str]] = {
    "Bool": frozenset({"Yson", "Json", "Uuid", *_MOMENTS, "Interval"}),
    **dict.fromkeys(_NUMBERS[:8], frozenset({"Yson", "Json", "Uuid"})),
    **dict.fromkeys(("Float", "Double"), frozenset({"Yson", "Json", "Uuid", *_MOMENTS,
                                                    "Interval"})),
    **dict.fromkeys(_TEXTS, frozenset()),
    "Yson": _but("String", "Yson"),
    "Json": _but("String", "Utf8", "Json"),
    "Uuid": _but("String", "Utf8", "Uuid"),
    # a moment is no number of a Bool's, nor an Interval (subtract two for one)
    **dict.fromkeys(_MOMENTS, frozenset({"Bool", "Yson", "Json", "Uuid", "Interval"})),
    "Interval": frozenset({"Bool", "Yson", "Json", "Uuid", *_MOMENTS}),
}

#: a value's DuckDB type (typeof) and the YQL type dev holds in it, as yql_mixed_types names
#: them (a HUGEINT, an integer column of no schema past BIGINT's range, is an Int64 there:
#: an Int64 and a Uint64 are refused the same targets). A String and a Utf8 are both
#: VARCHAR: no target refuses one and takes the other.
_DUCKDB_TYPES = {
    **{name: yql for name, yql in YQL_NAMES.items()
       if not name.endswith("_LITERAL") and "(" not in name},  # typeof() names no literal
    "JSON": "Json", "UUID": "Uuid"}
#: a Yson column is a DuckDB UNION whose member is named "yson:<column>" (yql_yson); `_`
#: stands for the parenthesis, which the rewrites after this one would take for code
_YSON_TYPE = 'UNION_"yson:%'

#: the struct key a refused CAST asks for: this, then "<source>:<target>"
REFUSED_KEY = "yql_cast_refused:"
#: the key of a CAST dev cannot make though YQL can: this, then "<source>:<target>"
UNSUPPORTED_KEY = "yql_cast_unsupported:"
#: target: the source types of the casts to it YQL makes and dev does not. A Yson's String
#: is its YSON bytes as stored (ValueToString in yql/essentials/minikql/mkql_type_ops.cpp),
#: a String's Yson its YSON text parsed: dev holds a Yson value as JSON
UNSUPPORTED: dict[str, tuple[str, ...]] = {"String": ("Yson",), "Yson": ("String",)}
_DOCS = "see docs/yql-in-dev.md"


_BY_LOWER = {name.lower(): name for name in _ALL}


def target_type(name: str) -> str | None:
    """The YQL data type a CAST's type name names (its own or an SQL alias), if dev knows
    which types YQL refuses to cast to it."""
    return cast_target(name) or _BY_LOWER.get(name.lower())


def refused_sources(target: str) -> list[str]:
    """The source types YQL refuses to cast to `target` (a YQL type name)."""
    return [source for source, targets in IMPOSSIBLE.items() if target in targets]


def _source_test(v: str, source: str) -> str:
    if source == "Yson":
        return f"typeof({v}) LIKE '{_YSON_TYPE}'"
    names = [name for name, yql in _DUCKDB_TYPES.items() if yql == source]
    return " OR ".join(f"typeof({v}) = '{name}'" for name in names)


def checked(target: str) -> bool:
    """Whether a CAST to `target` checks its operand's type (`refusing`)."""
    return bool(refused_sources(target)) or target in UNSUPPORTED


def refusing(v: str, target: str, body: str) -> str:
    """`body`, the SQL of CAST(v AS target) for an operand `v` (a column or a name bound
    once), failing when DuckDB binds it if v's type is one YQL refuses to cast to `target`,
    or one dev cannot (UNSUPPORTED). typeof() is known then, so the check is a constant and
    binds before `body` does: the refusal is the first error."""
    branches = "".join(
        f"WHEN {_source_test(v, source)} THEN '{REFUSED_KEY}{source}:{target}' "
        for source in refused_sources(target))
    branches += "".join(
        f"WHEN {_source_test(v, source)} THEN '{UNSUPPORTED_KEY}{source}:{target}' "
        for source in UNSUPPORTED.get(target, ()))
    if not branches:
        return body
    check = f"struct_extract({{'ok': 0}}, CASE {branches}ELSE 'ok' END)"
    return f"struct_extract({{'check': {check}, 'cast': {body}}}, 'cast')"


def cast_refusal(message: str, who: str) -> str | None:
    """YQL's meaning of DuckDB's refusal of a key `refusing` asked for, or None; `who`
    names the one running the query."""
    pair = refused_kind(message, REFUSED_KEY)
    if pair is not None:
        source, target = pair.split(":", 1)
        return (f"YQL: CAST of a {source} to {target} is impossible: YQL refuses the query "
                "(the Impossible cells of YQL's table of casts, types/primitive.md#cast)")
    pair = refused_kind(message, UNSUPPORTED_KEY)
    if pair is not None:
        source, target = pair.split(":", 1)
        return f"YQL: CAST of a {source} to {target} is not supported in {who} ({_DOCS})"
    return None
