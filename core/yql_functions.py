"""YQL's basic built-in functions on DuckDB: those DuckDB lacks or reads otherwise, rewritten
to give YQL's result, and those it cannot run as YQL means them, refused by name. Dev mode
and the fake query tracker both call `rewrite_functions` (through yql_semantics.rewrite),
so a query means the same in both, and fails with the same line.

Source: yql/essentials/docs/en/builtins/basic.md in ydb-platform/ydb (the YQL YTsaurus
runs): Just, Unwrap, Nothing ("Just"), IF, COALESCE and its alias NVL, StartsWith/EndsWith,
CurrentUtc...; the List... ones are yql_lists'. Built-in names are
matched whatever their case, as YQL does. What DuckDB has under another name with
another meaning and is not rewritten here is refused (`UNSUPPORTED`); a name DuckDB does
not know at all is named in its error, which `unknown_function` turns into the same
refusal.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from yt_pipeline import yql_lists
from yt_pipeline.errors import QueryFailed
from yt_pipeline.yql_coalesce import coalesced_call, if_typed
from yt_pipeline.yql_udf_calls import check_arity

#: the text DuckDB's error() is given when Unwrap meets an empty value (failure_meaning)
UNWRAP_FAILED = "YQL Unwrap of an empty value (NULL)"

#: the moment the statement runs, in microseconds since 1970-01-01 UTC: DuckDB's
#: get_current_timestamp is a TIMESTAMP WITH TIME ZONE, whose epoch_us is the UTC instant
#: whatever the session's time zone, and is the same for every row of the statement, as
#: YQL gives one value to every row of `CurrentUtcDate()`
_NOW_US = "epoch_us(get_current_timestamp())"

#: YQL basic built-ins DuckDB has no faithful twin for (basic.md), refused by name
UNSUPPORTED = {name.lower(): name for name in (
    "Random", "RandomNumber", "RandomUuid", "CurrentTzDate", "CurrentTzDatetime",
    "CurrentTzTimestamp", "AddTimezone", "RemoveTimezone", "Version", "MAX_OF", "MIN_OF",
    "FIND", "RFIND", "NANVL", "AsTuple", "AsStruct", "AsDict", "AsSet", "AsListStrict",
    "AsDictStrict", "AsSetStrict", "Variant", "AsVariant", "Visit", "VisitOrDefault",
    "VariantItem", "Way", "Enum", "AsEnum", "AsTagged", "Untag", "TablePath", "TableName",
    "TableRecordIndex", "TableRow", "JoinTableRow", "FileContent", "FilePath", "FolderPath",
    "ParseFile", "Ensure", "EnsureType", "EnsureConvertibleTo", "EvaluateExpr",
    "EvaluateAtom", "ToBytes", "FromBytes", "ByteAt", "TestBit", "ClearBit", "SetBit",
    "FlipBit", "Callable", "Pickle", "StablePickle", "Unpickle", "StaticMap", "StaticZip",
    "StaticFold", "StaticFold1", "AggregationFactory", "AggregateTransformInput",
    "AggregateTransformOutput", "AggregateFlatten", "SubqueryExtend", "SubqueryUnionAll",
    "SubqueryMerge", "SubqueryUnionMerge",
    "ListFlatMap", "ListEnumerate", "ListZip", "ListZipAll", "ListFromRange",
    "ListReplicate", "ListCreate", "ListExtendStrict", "ListUnionAll", "ListSample",
    "ListSampleN", "ListShuffle", "ListAny", "ListAll", "ListFold", "ListFold1",
    "ListFoldMap", "ListFold1Map", "ListExtract", "ListTakeWhile", "ListSkipWhile",
    "ListTakeWhileInclusive", "ListSkipWhileInclusive", "ListAggregate",
    "DictCreate", "SetCreate", "DictKeys", "DictPayloads",
    "DictLookup", "DictContains", "DictLength", "TypeOf", "FormatType", "ParseType",
    # YQL's CORRELATION (alias CORR) takes a NULL as 0 (builtins/aggregation.md); DuckDB's
    # corr passes over a row holding one, and CORRELATION itself is unknown to it; so do
    # COVAR_POP and COVAR_SAMP, YQL's covarpop and covarsamp (builtin.cpp reads a name
    # without its underscores), COVARIANCE_POPULATION and COVARIANCE_SAMPLE
    "CORR", "COVAR_POP", "COVAR_SAMP",
    # YQL's MODE is TOPFREQ(x, 1), a List<Struct<Frequency, Value>>; its HISTOGRAM an
    # adaptive histogram's Struct; its MEDIAN is PERCENTILE(x, 0.5) by TDigest (aggregation.md,
    # "TOPFREQ and MODE", "HISTOGRAM", "PERCENTILE and MEDIAN"): DuckDB's mode is the value
    # alone, its histogram a map of counts, its median the exact one interpolated
    "MODE", "HISTOGRAM", "MEDIAN",
)}

#: DuckDB's aggregates YQL has no function of the name for, which would run on DuckDB:
#: YQL's aggregates are those of MakeAggrFuncs in yql/essentials/sql/v1/builtin.cpp
#: (ydb-platform/ydb), which joins no strings (a list is AGGREGATE_LIST's); a cluster
#: refuses a name it does not know (BuildBuiltinFunc there). Read in the query's own text
#: (yql_refusals), where the rewrites have not yet written DuckDB's `first` for SOME
NOT_YQL = frozenset({
    "listagg", "string_agg", "group_concat", "array_agg", "first", "last", "any_value",
    "arbitrary", "arg_max", "arg_min", "argmax", "argmin", "arg_max_null", "arg_min_null",
    "product", "approx_count_distinct", "fsum", "sumkahan", "kahan_sum", "entropy",
    "kurtosis", "kurtosis_pop", "skewness", "quantile", "quantile_cont", "quantile_disc",
    "approx_quantile", "reservoir_quantile", "mad", "favg", "bitstring_agg", "regr_slope",
    "regr_intercept", "regr_count", "regr_r2", "regr_avgx", "regr_avgy", "regr_sxx",
    "regr_syy", "regr_sxy", "geomean", "geometric_mean", "weighted_avg", "wavg",
    # DuckDB's scalar functions of SQL that YQL has not: its string functions are LENGTH,
    # SUBSTRING, FIND, RFIND, StartsWith, EndsWith and the String::/Unicode:: UDFs, its
    # numeric ones ABS and the Math:: UDFs (builtin.cpp; yt/docs/en/yql/builtins/basic.md)
    "lower", "upper", "lcase", "ucase", "concat", "concat_ws", "replace", "trim", "ltrim",
    "rtrim", "left", "right", "strpos", "instr", "split_part", "string_split",
    "regexp_replace", "regexp_extract", "regexp_matches", "lpad", "rpad", "reverse",
    "repeat", "substr", "round", "floor", "ceil", "ceiling", "sqrt", "pow", "power", "ln",
    "log", "log2", "log10", "exp", "sign", "trunc", "mod", "ifnull", "strftime",
    "strptime", "date_trunc", "date_part", "date_diff", "datediff", "date_add", "md5",
    "sha256", "gen_random_uuid", "array_length", "cardinality", "unnest",
    # DuckDB's COLUMNS(*) star expression
    "columns",
})

#: the type names Nothing accepts (YQL's primitive types, as yql_semantics casts them)
NOTHING_TYPES = {
    "int8": "TINYINT", "int16": "SMALLINT", "int32": "INTEGER", "int64": "BIGINT",
    "uint8": "UTINYINT", "uint16": "USMALLINT", "uint32": "UINTEGER", "uint64": "UBIGINT",
    "float": "FLOAT", "double": "DOUBLE", "bool": "BOOLEAN", "string": "VARCHAR",
    "utf8": "VARCHAR", "date": "DATE", "datetime": "TIMESTAMP_S", "timestamp": "TIMESTAMP",
    "interval": "INTERVAL",
}

_CALL = re.compile(r"(?<![\w.:$\x00\x01])([A-Za-z_]\w*)\s*\(")
#: DuckDB's error for a function it does not know
_UNKNOWN = re.compile(r"Catalog Error: (?:Scalar |Aggregate |Table )?Function with name "
                      r"\"?([\w]+)\"? does not exist")


#: YQL functions refused by the name the query writes (yql_refusals), where dev's rewrites
#: write DuckDB functions of those names themselves: GREATEST and LEAST, "a synonym for
#: MAX_OF" and "for MIN_OF" (basic.md), refused as those are (DuckDB's greatest and least
#: pass over a NULL argument); LIST, YQL's older list aggregate (list_traits_factory in
#: yql/essentials/mount/lib/yql/aggregate.yqls), which passes over NULL items where
#: DuckDB's list keeps them (AGGREGATE_LIST is written as DuckDB's list: yql_aggregate_list)
REFUSED_AS_WRITTEN = frozenset({"greatest", "least", "list"})


def refused(name: str, where: str) -> QueryFailed:
    """The refusal of a YQL function dev cannot run with YQL's meaning."""
    return QueryFailed(f"YQL: the function {name} is not supported in {where} "
                       "(see docs/yql-in-dev.md)")


def unknown_builtin(name: str) -> QueryFailed:
    """YQL's refusal of a call of a name it has no built-in for (builtin.cpp)."""
    return QueryFailed(f"YQL: Unknown builtin: {name}, to use YQL functions, try "
                       f"YQL::{name} (YQL has no function of this name)")


def _just(args: list[str], name: str, where: str) -> str:
    # Just makes T into T?; every DuckDB value may be NULL already, so the value is kept
    check_arity(name, args, 1, 1)
    return f"({args[0]})"


def _nothing(args: list[str], name: str, where: str) -> str:
    # an empty value of the optional type named: Nothing(String?), Nothing(Optional<Int64>)
    check_arity(name, args, 1, 1)
    kind = args[0].strip()
    optional = re.fullmatch(r"Optional\s*<\s*(\w+)\s*>", kind, re.I)
    inner = optional.group(1) if optional else kind[:-1].strip() if kind.endswith("?") else None
    if inner is None or inner.lower() not in NOTHING_TYPES:
        raise QueryFailed(f"YQL: Nothing({kind}) is not supported in {where}: give an "
                          "optional primitive type, like Nothing(String?)")
    # YQL's CAST, which yql_semantics rewrites with the type DuckDB keeps it as
    return f"CAST(NULL AS {inner.strip()})"


def _unwrap(args: list[str], name: str, where: str) -> str:
    # the value, or a run-time error when it is empty (the second argument, a comment,
    # is added to the error's text)
    check_arity(name, args, 1, 2)
    value = args[0].strip()
    comment = (f" || COALESCE(': ' || CAST({args[1].strip()} AS VARCHAR), '')"
               if len(args) == 2 else "")
    return (f"CASE WHEN ({value}) IS NULL THEN error('{UNWRAP_FAILED}'{comment}) "
            f"ELSE ({value}) END")


def _if(args: list[str], name: str, where: str) -> str:
    # IF(c, a) is NULL when c is false; a NULL condition takes the else branch, as CASE does
    check_arity(name, args, 2, 3)
    otherwise = f" ELSE {args[2].strip()}" if len(args) == 3 else ""
    value = f"CASE WHEN {args[0].strip()} THEN {args[1].strip()}{otherwise} END"
    if len(args) == 2:
        return value
    # YQL types the branches as it types the query (yql_coalesce), integers of mixed
    # signedness as it converts them (yql_int_common)
    return if_typed(value, args[1], args[2])


def _current(unit: str) -> Callable[[list[str], str, str], str]:
    def rewrite(args: list[str], name: str, where: str) -> str:
        # the arguments only tell YQL when to compute the value again: no value depends on them
        if unit == "date":
            return f"CAST(make_timestamp({_NOW_US}) AS DATE)"
        if unit == "second":  # YQL's cast of a count of seconds (yql_semantics._epoch_cast)
            return f"CAST({_NOW_US} // 1000000 AS Datetime)"
        return f"make_timestamp({_NOW_US})"
    return rewrite


#: the start of the text DuckDB's error() is given when a literal's string is not a value
#: of its type (literal_failure)
BAD_LITERAL = "YQL: the literal "


def _literal(kind: str) -> Callable[[list[str], str, str], str]:
    # Date("2024-01-05"), Interval("P1D"): the string's value, as CAST gives it, which YQL
    # checks when it validates the query and refuses when it is not one (basic.md, "Literals
    # of primitive types"); the CAST is rewritten after (yql_semantics._cast)
    def rewrite(args: list[str], name: str, where: str) -> str:
        check_arity(name, args, 1, 1)
        value = f"CAST({args[0].strip()} AS {kind})"
        article = "an" if kind[0] in "AEIOU" else "a"
        # no operator in the text: the rewrites of operators run after this one
        failed = f"{BAD_LITERAL}{name}(...) is given a string that is not {article} {kind}"
        return f"(CASE WHEN {value} IS NULL THEN error('{failed}') ELSE {value} END)"
    return rewrite


def _renamed(duckdb_name: str, least: int, most: int) -> Callable[[list[str], str, str], str]:
    def rewrite(args: list[str], name: str, where: str) -> str:
        check_arity(name, args, least, most)
        return f"{duckdb_name}({', '.join(arg.strip() for arg in args)})"
    return rewrite


def _by(duckdb_name: str) -> Callable[[list[str], str, str], str]:
    # MIN_BY(value, key): the value of a row with the least key, NULL or not; rows with a
    # NULL key are passed over (builtins/aggregation.md, "MAX_BY and MIN_BY"). DuckDB's
    # min_by passes over a row whose value is NULL too: its arg_min_null does not
    def rewrite(args: list[str], name: str, where: str) -> str:
        if len(args) == 3:
            raise QueryFailed(f"YQL: {name} with a count (a list of values) is not supported "
                              f"in {where}")
        check_arity(name, args, 2, 2)
        return f"{duckdb_name}({args[0].strip()}, {args[1].strip()})"
    return rewrite


def _bool_aggregate(decides: str) -> Callable[[list[str], str, str], str]:
    # BOOL_AND and BOOL_OR do not pass over NULL (builtins/aggregation.md, "BOOL_AND,
    # BOOL_OR and BOOL_XOR"): a false (for AND; a true for OR) decides, else a NULL makes
    # the result NULL; DuckDB's bool_and and bool_or pass over NULL
    def rewrite(args: list[str], name: str, where: str) -> str:
        check_arity(name, args, 1, 1)
        value = args[0].strip()
        function = "bool_and" if decides == "false" else "bool_or"
        return (f"(CASE WHEN {function}({value}) = {decides} THEN {decides} "
                f"WHEN count(CASE WHEN ({value}) IS NULL THEN 1 END) > 0 THEN NULL "
                f"ELSE {function}({value}) END)")
    return rewrite


def _coalesce(args: list[str], name: str, where: str) -> str:
    check_arity(name, args, 1, 1000)
    return coalesced_call(args)


#: YQL built-ins rewritten, by their name in lower case
_REWRITES: dict[str, Callable[[list[str], str, str], str]] = {
    "just": _just,
    "nothing": _nothing,
    "unwrap": _unwrap,
    "if": _if,
    # YQL's Coalesce types its operands (yql_coalesce); NVL is Coalesce
    "coalesce": _coalesce,
    "nvl": _coalesce,
    "currentutcdate": _current("date"),
    "currentutcdatetime": _current("second"),
    "currentutctimestamp": _current("microsecond"),
    "startswith": _renamed("starts_with", 2, 2),
    "date": _literal("Date"),
    "datetime": _literal("Datetime"),
    "timestamp": _literal("Timestamp"),
    "interval": _literal("Interval"),
    "endswith": _renamed("ends_with", 2, 2),
    "min_by": _by("arg_min_null"),
    "max_by": _by("arg_max_null"),
    "bool_and": _bool_aggregate("false"),
    "bool_or": _bool_aggregate("true"),
    # SOME keeps the value of one row, NULL or not (builtins/aggregation.md); DuckDB reads
    # the word itself as part of `= SOME (subquery)`
    "some": _renamed("first", 1, 1),
    **yql_lists.REWRITES,
}


def rewrite_functions(text: str, where: str, closing: Callable[[str, int], int],
                      arguments: Callable[[str], list[str]]) -> str:
    """`text` with each YQL built-in DuckDB lacks rewritten, the last first (so that a call
    inside another's arguments is rewritten before it); one dev cannot run is refused."""
    for found in reversed(list(_CALL.finditer(text))):
        name = found.group(1)
        key = name.lower()
        if key in UNSUPPORTED:
            raise refused(name, where)
        rewrite = _REWRITES.get(key)
        if rewrite is None:
            continue
        opening = found.end() - 1
        end = closing(text, opening)
        call = rewrite(arguments(text[opening + 1:end]), name, where)
        text = text[:found.start()] + call + text[end + 1:]
    return text


def unknown_function(message: str, where: str, query: str = "") -> str | None:
    """The refusal of a function DuckDB's error says it does not know, or None; named as
    the query writes it (DuckDB gives it in lower case)."""
    found = _UNKNOWN.search(message)
    if not found:
        return None
    name = found.group(1)
    written = re.search(rf"(?<![\w.:$]){re.escape(name)}(?=\s*\()", query, re.I)
    return str(refused(written.group(0) if written else name, where))


def literal_failure(message: str) -> str | None:
    """The refusal of a literal whose string is not a value of its type, or None."""
    at = message.find(BAD_LITERAL)
    return message[at:] if at >= 0 else None


def unwrap_failure(message: str) -> str | None:
    """YQL's meaning of the error an Unwrap of an empty value raises, or None."""
    at = message.find(UNWRAP_FAILED)
    return "YQL: Unwrap " + message[at + len("YQL Unwrap "):] if at >= 0 else None
