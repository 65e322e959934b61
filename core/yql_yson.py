"""A list or map column of a table without a schema is Yson to YQL: so it is here, in dev
mode and the fake query tracker alike.

YQL infers a schemaless table's columns from its first rows (`PRAGMA yt.InferSchema`, which
prod adds): a column holding a list or a map, or values of two kinds, is `any`
(TStreamSchemaInferer::AddRow, yt/yql/providers/yt/lib/infer_schema/infer_schema.cpp), which
YQL reads as Optional<Yson> (ConvertYtDataType / ExtractYtType in yt/yql/providers/yt/lib/
schema/schema.cpp, ydb-platform/ydb). The List... functions take no Yson; `col[...]` and
`col.name` on one are a Yson::Lookup (yql/essentials/docs/en/udf/list/yson.md: "the dot or
square brackets operator automatically adds a Yson::Lookup call"), whose node only the Yson
UDF takes: no result or table holds one.

Here such a column is read as DuckDB's `UNION("yson:<column>" JSON)`, decided once per
column from the first rows (`yson_columns`): DuckDB's list functions refuse that type when
they bind, naming it (`refused_yson`), and a result or an INSERT gives the JSON it holds. A
Yson node (what a lookup gives) is `UNION(ysonnode JSON)`, which no result may hold. The
Yson UDFs read the JSON inside either with the macros of YSON_MACROS, strict as YQL's are by
default (PRAGMA yson.Strict): a value of another type fails, a missing key is NULL, an
entity (#, JSON's null) is NULL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import islice
from typing import Any, NamedTuple

from yt_pipeline.column_types import value_type
from yt_pipeline.yql_rules import is_system_column
from yt_pipeline.yql_udf_calls import Functions, closing_bracket, simple

#: a Yson column's union member is named this and the column's name
TAG = "yson:"
#: the one member of a Yson node's union
NODE = "ysonnode"
_DOCS = "see docs/yql-in-dev.md#yson"


def yson_columns(rows: Iterable[dict[str, Any]], limit: int) -> set[str]:
    """The columns of a schemaless table YQL reads as Yson: in its first `limit` rows, those
    holding a list or a map, or values of two kinds (int64 and double too), as
    TStreamSchemaInferer::AddRow types them (null values skipped, `$` columns too)."""
    return sampled_columns(rows, limit).yson


class SampledColumns(NamedTuple):
    """What a schemaless table's first rows tell of its columns."""

    #: the columns YQL infers (yql_rules.inferred_columns), sorted by name
    names: list[str]
    #: the first value (not null) of each column
    first: dict[str, Any]
    #: the columns read as Yson (`yson_columns`)
    yson: set[str]


_INT64_RANGE = (-(2 ** 63), 2 ** 63)


def sampled_columns(rows: Iterable[dict[str, Any]], limit: int) -> SampledColumns:
    """The columns of the first `limit` rows, their first values and their Yson ones, in
    one pass: a query reads the same rows for all three (a pass each cost 3-9 ms on 1000
    rows). A value's kind is value_type's, asked once per Python type met in a column, and
    per value only for an integer column holding one past int64."""
    sample = list(islice(rows, limit))
    by_type: dict[str, dict[type, Any]] = {}
    for row in sample:
        for name, value in row.items():
            if value is not None:
                met = by_type.get(name)
                if met is None:
                    by_type[name] = {type(value): value}
                elif type(value) not in met:
                    met[type(value)] = value
    first: dict[str, Any] = {}
    yson: set[str] = set()
    for name, met in by_type.items():
        first[name] = next(iter(met.values()))
        if is_system_column(name):
            continue
        kinds = {value_type(value) for kind, value in met.items() if not _integer(kind)}
        if any(map(_integer, met)):
            kinds |= _integer_kinds(sample, name)
        if "any" in kinds or len(kinds) > 1:
            yson.add(name)
    # what yql_rules.inferred_columns gives for the sample, from the pass made here
    names = sorted(name for name in by_type if not is_system_column(name))
    return SampledColumns(names, first, yson)


def _integer(kind: type) -> bool:
    """True for a type whose kind depends on the value (a bool's is boolean)."""
    return issubclass(kind, int) and not issubclass(kind, bool)


def _integer_kinds(sample: list[dict[str, Any]], name: str) -> set[str]:
    """The kinds of column `name`'s integers: int64, unless one is past it."""
    values = [value for row in sample
              if isinstance(value := row.get(name), int) and not isinstance(value, bool)]
    low, high = _INT64_RANGE
    if low <= min(values) and max(values) < high:
        return {"int64"}
    return {value_type(value) for value in values}


def is_yson_kind(kind: str) -> bool:
    """True for the DuckDB type of a Yson column (kept by a YQL write of one)."""
    return kind.startswith('UNION("' + TAG)


def is_node_kind(kind: str) -> bool:
    return kind.startswith(f"UNION({NODE} ")


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def as_yson(name: str) -> str:
    """The SQL reading JSON column `name` as the Yson column it is to YQL."""
    column = _identifier(name)
    return (f"CASE WHEN {column} IS NULL THEN NULL "
            f"ELSE union_value({_identifier(TAG + name)} := {column}) END")


def yson_select(source: str, names: Iterable[str]) -> str:
    """A FROM item giving `source`'s columns, those of `names` (read as JSON) as Yson."""
    replaced = ", ".join(f"{as_yson(name)} AS {_identifier(name)}" for name in sorted(names))
    if not replaced:
        return source
    return f"(SELECT * REPLACE ({replaced}) FROM {source})"


# -- which names a statement's code reads as Yson --------------------------------------------

_KNOWN: ContextVar[frozenset[str]] = ContextVar("yson_columns", default=frozenset())


@contextmanager
def known(names: Iterable[str]) -> Iterator[None]:
    """While rewriting a query, `names` are the Yson columns of the tables it reads."""
    token = _KNOWN.set(frozenset(names))
    try:
        yield
    finally:
        _KNOWN.reset(token)


#: a dotted chain of words, not after a word, `.`, `$` or a marker
_CHAIN = re.compile(r"(?<![\w.$\x00\x01])[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*")
_KEY = re.compile(r"\s*\.\s*([A-Za-z_]\w*)")


def _segment(key_sql: str) -> str:
    """A JSON pointer's step to the key or index `key_sql` (RFC 6901: ~ and / escaped)."""
    # concat, not || and CAST: the rewrites after this one read those as YQL's
    return f"concat('/', replace(replace(concat('', ({key_sql})), '~', '~0'), '/', '~1'))"


#: the name of Yson::Lookup, written so that the UDF rewrite after this one does not take it
#: for a call
_LOOKUP = "concat('Yson', '::Lookup')"


def rewrite_lookups(text: str) -> str:
    """`text` with each `col[key]`, `col.name` (and chains of them) on a Yson column as the
    Yson::Lookup YQL makes of it: a Yson node, or NULL for a missing key."""
    names = _KNOWN.get()
    if not names:
        return text
    out, at = [], 0
    for found in _CHAIN.finditer(text):
        if found.start() < at:
            continue
        parts = [part.strip() for part in found.group(0).split(".")]
        lead = 0 if parts[0] in names else 1 if len(parts) > 1 and parts[1] in names else -1
        if lead < 0:
            continue
        column = ".".join(parts[:lead + 1])
        steps = [_segment("'" + key.replace("'", "''") + "'") for key in parts[lead + 1:]]
        end = found.end()
        while True:
            nxt = end
            while nxt < len(text) and text[nxt].isspace():
                nxt += 1
            if nxt < len(text) and text[nxt] == "[":
                closing = closing_bracket(text, nxt)
                steps.append(_segment(text[nxt + 1:closing]))
                end = closing + 1
                continue
            key = _KEY.match(text, end)
            if key and steps:
                steps.append(_segment("'" + key.group(1) + "'"))
                end = key.end()
                continue
            break
        if not steps:
            continue
        path = steps[0] if len(steps) == 1 else f"concat({', '.join(steps)})"
        out.append(text[at:found.start()]
                   + f"yql_yson_lookup({column}, {path}, {_LOOKUP})")
        at = end
    return "".join(out) + text[at:]


# -- the Yson UDF ------------------------------------------------------------------------------

def _strict(name: str) -> str:
    return (f"'YQL: {name}: the Yson value is ' || json_type(j) || ', not {{kind}}, which "
            "strict Yson (PRAGMA yson.Strict, on by default) refuses'")


#: the macros the Yson rewrites call (yql_semantics.connect defines them); `j` is the JSON a
#: Yson value holds, `f` the UDF's name for the errors
YSON_MACROS = (
    "CREATE OR REPLACE MACRO yql_yson_json(x, f) AS CASE "
    "WHEN typeof(x) = 'NULL' THEN NULL "
    f"WHEN starts_with(typeof(x), 'UNION(\"{TAG}') OR starts_with(typeof(x), 'UNION({NODE} ') "
    "THEN json_extract(to_json(x), '$.*')[1] "
    "ELSE error('YQL: ' || f || ' takes a Yson value (a list or map column of a table "
    "without a schema, or what col[...], col.name or Yson::Parse... give), not ' || "
    "typeof(x)) END",
    f"CREATE OR REPLACE MACRO yql_yson_node(j) AS CASE WHEN j IS NULL THEN NULL "
    f"ELSE union_value({NODE} := j) END",
    # a lookup in a scalar fails as the value's type does; in an entity it is NULL
    "CREATE OR REPLACE MACRO yql_yson_lookup_json(j, path, f) AS CASE "
    "WHEN j IS NULL OR json_type(j) = 'NULL' THEN NULL "
    "WHEN json_type(j) IN ('OBJECT', 'ARRAY') THEN json_extract(j, path) "
    "ELSE error('YQL: ' || f || ': the Yson value is ' || json_type(j) || ', not a map or "
    "a list, which strict Yson (PRAGMA yson.Strict, on by default) refuses') END",
    "CREATE OR REPLACE MACRO yql_yson_lookup(x, path, f) AS "
    "yql_yson_node(yql_yson_lookup_json(yql_yson_json(x, f), path, f))",
    "CREATE OR REPLACE MACRO yql_yson_of(j, kinds, f, want) AS CASE "
    "WHEN j IS NULL OR json_type(j) = 'NULL' THEN NULL "
    "WHEN list_contains(kinds, json_type(j)) THEN j "
    "ELSE error('YQL: ' || f || ': the Yson value is ' || lower(json_type(j)) || ', not ' || "
    "want || ', which strict Yson (PRAGMA yson.Strict, on by default) refuses') END",
    "CREATE OR REPLACE MACRO yql_yson_string_of(j, f) AS "
    "json_extract_string(yql_yson_of(j, ['VARCHAR'], f, 'a string'), '$')",
    # an integer of JSON is read as UBIGINT when not negative: it must fit an Int64
    "CREATE OR REPLACE MACRO yql_yson_int64_of(j, f) AS CASE "
    "WHEN yql_yson_of(j, ['BIGINT', 'UBIGINT'], f, 'an integer') IS NULL THEN NULL "
    "WHEN TRY_CAST(j AS BIGINT) IS NULL THEN error('YQL: ' || f || ': the Yson value ' || "
    "CAST(j AS VARCHAR) || ' does not fit an Int64') "
    "ELSE CAST(j AS BIGINT) END",
    "CREATE OR REPLACE MACRO yql_yson_double_of(j, f) AS "
    "CAST(yql_yson_of(j, ['DOUBLE'], f, 'a double') AS DOUBLE)",
    "CREATE OR REPLACE MACRO yql_yson_bool_of(j, f) AS "
    "CAST(yql_yson_of(j, ['BOOLEAN'], f, 'a boolean') AS BOOLEAN)",
    "CREATE OR REPLACE MACRO yql_yson_items(j, f) AS "
    "CAST(json_extract(yql_yson_of(j, ['ARRAY'], f, 'a list'), '$[*]') AS JSON[])",
)

#: a converter's macro by the type it gives
_SCALARS = {"String": "yql_yson_string_of", "Int64": "yql_yson_int64_of",
            "Double": "yql_yson_double_of", "Bool": "yql_yson_bool_of"}


def _convert(kind: str, name: str) -> str:
    return f"{_SCALARS[kind]}(yql_yson_json({{0}}, '{name}'), '{name}')"


def _convert_list(kind: str, name: str) -> str:
    return (f"list_transform(yql_yson_items(yql_yson_json({{0}}, '{name}'), '{name}'), "
            f"lambda item: {_SCALARS[kind]}(item, '{name}'))")


def _lookup(kind: str, name: str) -> str:
    return (f"{_SCALARS[kind]}(yql_yson_lookup_json(yql_yson_json({{0}}, '{name}'), "
            f"'/' || replace(replace(CAST(({{1}}) AS VARCHAR), '~', '~0'), '/', '~1'), "
            f"'{name}'), '{name}')")


YSON: Functions = {
    **{f"ConvertTo{kind}": (simple(_convert(kind, f"Yson::ConvertTo{kind}")), 1, 1, ())
       for kind in _SCALARS},
    **{f"ConvertTo{kind}List": (simple(_convert_list(kind, f"Yson::ConvertTo{kind}List")),
                                1, 1, ()) for kind in ("String", "Int64", "Double", "Bool")},
    "ConvertToList": (simple(
        "list_transform(yql_yson_items(yql_yson_json({0}, 'Yson::ConvertToList'), "
        "'Yson::ConvertToList'), lambda item: yql_yson_node(item))"), 1, 1, ()),
    **{f"Lookup{kind}": (simple(_lookup(kind, f"Yson::Lookup{kind}")), 2, 2, ())
       for kind in _SCALARS},
    "Lookup": (simple("yql_yson_lookup({0}, '/' || replace(replace(CAST(({1}) AS VARCHAR), "
                      "'~', '~0'), '/', '~1'), 'Yson::Lookup')"), 2, 2, ()),
    # JSON text parsed (NULL stays NULL; text that is not JSON fails, as YQL's does)
    "ParseJson": (simple("yql_yson_node(json({0}))"), 1, 1, ()),
    # a node as compact JSON text, as DuckDB writes it
    "SerializeJson": (simple("CAST(yql_yson_json({0}, 'Yson::SerializeJson') AS VARCHAR)"),
                      1, 1, ()),
}


# -- what DuckDB's errors and results say of Yson values ---------------------------------------

_REFUSED = re.compile(r"No function matches .*?'(\w+)\((?:[^']*?)UNION\((?:\"yson:((?:[^\"]|\"\")+)\""
                      r"|(ysonnode)) JSON\)")
_NO_KEY = re.compile(r'Could not find key "[^"]*" in union')


def refused_yson(message: str) -> str | None:
    """YQL's kind of line for a DuckDB error binding a function to a Yson value, or None."""
    own = message.find("YQL: Yson::")
    if own >= 0:  # a strict conversion's error (YSON_MACROS)
        return message[own:]
    found = _REFUSED.search(message)
    if found is None:
        if _NO_KEY.search(message):
            return ("YQL: a field of a Yson value (col.name) is read here on a Yson column "
                    f"named bare (not in backticks) only; write Yson::Lookup(col, \"name\") "
                    f"({_DOCS})")
        return None
    if found.group(3):
        return ("YQL: a Yson node (what col[...], col.name and Yson::Lookup give) is no "
                "List, String or number: convert it with Yson::ConvertTo... "
                "(Yson::ConvertToString(col[\"key\"]))")
    column = found.group(2).replace('""', '"')
    return (f"YQL: column {column} is Yson (a list or map column of a table without a schema, "
            "which YQL infers as any, or a Yson column a YQL write gave its table), and list "
            "functions take a List: convert it with "
            f"Yson::ConvertToStringList({column}) (or ...Int64List, ...DoubleList, "
            f"ConvertToList) ({_DOCS})")


def node_in_result(described: Iterable[tuple[str, str]]) -> str | None:
    """The line refusing a result or an INSERT holding a Yson node."""
    for name, kind in described:
        if is_node_kind(kind) or (kind.endswith("[]") and is_node_kind(kind[:-2])):
            return (f"YQL: column {name} is a Yson node (what col[...], col.name, "
                    "Yson::Lookup or Yson::ConvertToList give), which no result or table "
                    "holds: convert it with Yson::ConvertTo... (Yson::ConvertToString(col"
                    "[\"key\"]))")
    return None


def yson_values(described: list[tuple[str, str]], rows: list[dict[str, Any]]
                ) -> list[dict[str, Any]]:
    """The rows with each Yson column's value as the list, map or scalar its JSON holds."""
    yson = [name for name, kind in described if is_yson_kind(kind)]
    for row in rows:
        for name in yson:
            if row.get(name) is not None:
                row[name] = json.loads(row[name])
    return rows


def raw_select(described: list[tuple[str, str]], sql: str) -> str:
    """A query giving `sql`'s rows with each Yson column as the JSON it holds (what an
    INSERT writes: DuckDB writes a union under its member's name)."""
    yson = [name for name, kind in described if is_yson_kind(kind)]
    if not yson:
        return sql
    replaced = ", ".join(f"yql_yson_json({_identifier(name)}, 'INSERT') AS {_identifier(name)}"
                         for name in yson)
    return f"SELECT * REPLACE ({replaced}) FROM ({sql}) AS yson_written"
