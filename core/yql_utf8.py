"""Which result columns of a YQL SELECT are Utf8, as far as the query text tells: those a
YQL write gives the YT type `utf8`, where dev and the fake keep both String and Utf8 as
text (DuckDB's VARCHAR) and would write `string`.

A YQL write gives a Utf8 column the YT type `utf8` and a String one `string`
(RowSpecYqlTypeToYtType and RowSpecYqlTypeToYtNativeType in yt/yql/providers/yt/lib/schema/
schema.cpp, ydb-platform/ydb), and YQL reads a `utf8` column of a table's schema back as a
Utf8 (ConvertYtDataType, same file). A result column is Utf8 here when its expression is:

- `CAST(x AS Utf8)` (Optional or not: yql_required tells which);
- a string literal with the `u` suffix, `'text'u` (yql/essentials/docs/en/syntax/lexer.md);
- a column read (by its name, `alias.column`, or `*` of one table) from a `utf8` column of
  a table's schema, or from a Utf8 column of a subquery, of any side of a JOIN (an outer
  JOIN makes it Optional, still a Utf8);
- in a UNION ALL, a column every part gives as a Utf8 (the common type of a Utf8 and a
  String is a String);
- IF, COALESCE, NVL, `??` or CASE whose values (NULLs aside) are all Utf8, or mix a Utf8
  with a String literal YQL converts to a Utf8 (yql_united_types: `COALESCE(u, 'x')`),
  with the values' Optional types told by the required columns of the tables read.

Anything else (a function's result) is not followed, and stays a String, as dev wrote it
before.

An append checks the written row type against the table's (the append checks of
yt/yql/providers/yt/provider/yql_yt_datasink_type_ann.cpp, ydb): where they differ, YQL
tries TryConvertTo (yql/essentials/core/yql_expr_type_annotation.cpp), which converts a
Utf8 to a String (ToString) and a String literal holding UTF-8 to a Utf8, but no other
String: a String column written into a `utf8` one is refused with YQL's type diff
(`utf8_refused`), a Utf8 written into a `string` one goes in.
"""

from __future__ import annotations

from collections.abc import Callable

from yt_pipeline.yql_cast_types import column_type
from yt_pipeline.yql_required import data_type, required_types, select_items, union_all_parts


def utf8_columns(statement: str,
                 source_types: Callable[[str], dict[str, str]] | None = None,
                 source_required: Callable[[str], frozenset[str]] | None = None
                 ) -> frozenset[str]:
    """The result columns of `statement` (a SELECT, or an INSERT of one) YQL types Utf8;
    `source_types` gives the columns of the table at a path with their types (YT's names,
    or the DuckDB names of dev's declared schemas), none for a table of no schema, and
    `source_required` its required columns."""
    return frozenset(name for name, kind in
                     _text_types(statement, source_types, source_required).items()
                     if kind == "Utf8")


def result_types(statement: str,
                 source_types: Callable[[str], dict[str, str]] | None = None,
                 source_required: Callable[[str], frozenset[str]] | None = None
                 ) -> dict[str, str]:
    """Each result column of `statement` whose YQL data type the text tells, by name (for a
    UNION ALL, the type its parts agree on)."""
    return _text_types(statement, source_types, source_required)


def string_literals(statement: str) -> frozenset[str]:
    """The result columns of `statement` that are a string literal with no suffix, which
    YQL converts to a Utf8 when appended to a `utf8` column (TryConvertTo)."""
    found = select_items(statement)
    if found is None:
        return frozenset()
    items, _ = found
    return frozenset(name for name, expression in items
                     if len(expression) == 1 and expression[0].kind == "string")


def utf8_refused(table_utf8: frozenset[str], written_utf8: frozenset[str],
                 written_text: frozenset[str], literals: frozenset[str]) -> bool:
    """Whether YQL refuses an append writing columns `written_text` (text, DuckDB's
    VARCHAR) of which `written_utf8` are Utf8, into a table whose `table_utf8` columns are
    `utf8`: a String not a literal into a `utf8` column (the module's docstring)."""
    return bool((table_utf8 & written_text) - written_utf8 - literals)


def _text_types(statement: str, source_types: Callable[[str], dict[str, str]] | None,
                source_required: Callable[[str], frozenset[str]] | None = None
                ) -> dict[str, str]:
    """Each result column whose YQL data type the text tells (yql_required.data_type), by
    name."""
    parts = union_all_parts(statement)
    if parts is not None:
        typed = [_text_types(part, source_types, source_required) for part in parts]
        return {name: kind for name, kind in typed[0].items()
                if all(found.get(name) == kind for found in typed)}

    def columns(path: str) -> dict[str, str]:
        kinds = source_types(path) if source_types is not None else {}
        return {name: column_type(kind) or "" for name, kind in kinds.items()}

    def subquery(text: str) -> dict[str, str]:
        return _text_types(text, source_types, source_required)

    found = select_items(statement, columns, subquery, outer_sides=True)
    if found is None:
        return {}
    items, source = found
    # the values read from required columns: a value's Optional type tells which of two
    # YQL converts first (yql_united_types)
    required = select_items(statement, _required_columns(source_types, source_required),
                            lambda text: required_types(text, source_required, source_types))
    required_source = required[1] if required is not None else None
    types = {}
    for name, expression in items:
        if [token.text for token in expression] == ["*"]:
            kind = source.bare.get(name)  # `*` of one table: each of its columns
        else:
            kind = data_type(expression, source, required_source)
        if kind:
            types[name] = kind
    return types


def _required_columns(source_types: Callable[[str], dict[str, str]] | None,
                      source_required: Callable[[str], frozenset[str]] | None
                      ) -> Callable[[str], dict[str, str]]:
    """The required columns of the table at a path, with their YQL types."""
    def columns(path: str) -> dict[str, str]:
        if source_required is None:
            return {}
        kinds = source_types(path) if source_types is not None else {}
        return {name: column_type(kinds.get(name, "")) or "" for name in source_required(path)}
    return columns
