"""Comparisons and arithmetic of types YQL does not mix, refused before a row is read, in
YQL's words, where DuckDB would cast one operand to the other's type (`1 = "1"` is true
there) or refuse in its own words (`"+(STRING_LITERAL, INTEGER)"`).

Comparisons: YQL's `==`, `!=`, `<`, `<=`, `>`, `>=` take two types IsComparable accepts
(yql/essentials/public/udf/udf_data_type.cpp, ydb-platform/ydb): the same type, two numeric
types, two string types (String, Utf8), two date types, two intervals, an integer and a
Decimal. Yson has no CanCompare feature (UDF_TYPE_ID_MAP in udf_data_type.h), so it compares
with nothing. Any other pair fails type annotation (CompareWrapper in
yql/essentials/core/type_ann/type_ann_core.cpp) with "Uncompatible types in compare: <left>
'<op>' <right>", `=` being the callable `==`. A NULL compares with anything (Null there).

A comparison of a single operand with a single operand (yql_operators) is written
`(l op r AND <check>)`: the check asks a one-field struct for a key that is its field's
name when the two types DuckDB binds compare in YQL (yql_compare_key of their names), and
otherwise a key naming them, which DuckDB refuses when it binds the query (typeof() is a
constant then, and so is the check), with rows or without. When they compare, the struct
folds to TRUE and the conjunction to the comparison itself: no row computes anything more.

Arithmetic: Add, Sub, Mul, Div and Mod wrappers (type_ann_core.cpp) take numbers, dates with
intervals and Decimals; any other operand fails with "Cannot add type <left> and <right>"
(substract, multiply, divide, mod: YQL's own spelling). DuckDB refuses the same pairs with
a String, a Bool or a Yson operand when it binds (a string literal is typed VARCHAR first
by yql_operators, or DuckDB would cast it to a number), and `arithmetic_failure` gives its
refusal YQL's words.

The types are named as YQL names DuckDB's type of the value; a column YQL reads as Optional
is named without its Optional<...>, which DuckDB does not know.
"""

from __future__ import annotations

import re

from yt_pipeline.yql_lambdas import PREFIX as LAMBDA_PREFIX

_KEY = "yql_compare:"
_INTEGERS = ("'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', "
             "'USMALLINT', 'UINTEGER', 'UBIGINT'")
#: the group of types each DuckDB type (its name, as typeof() gives it) compares within;
#: NULL for a type not known here, which is never refused
_FAMILY = (
    "CREATE OR REPLACE MACRO yql_cmp_family(t) AS CASE "
    f"WHEN t IN ({_INTEGERS}) THEN 'int' "
    "WHEN t IN ('FLOAT', 'DOUBLE') THEN 'float' "
    "WHEN t = 'VARCHAR' THEN 'text' WHEN t = 'BOOLEAN' THEN 'bool' "
    "WHEN t IN ('DATE', 'TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP WITH TIME ZONE') "
    "THEN 'date' WHEN t = 'INTERVAL' THEN 'interval' "
    "WHEN starts_with(t, 'DECIMAL') THEN 'decimal' "
    "WHEN starts_with(t, 'UNION(\"yson') OR t = 'UNION(ysonnode JSON)' "
    "THEN 'yson' END")
#: the pairs of groups that compare (besides a group with itself, Yson's excepted)
_PAIRS = "('int', 'float'), ('float', 'int'), ('int', 'decimal'), ('decimal', 'int')"
#: 'ok' when values of types `tl` and `tr` compare in YQL, else a key naming them
_COMPARED = (
    "CREATE OR REPLACE MACRO yql_compare_key(tl, tr, op) AS "
    "CASE WHEN yql_cmp_family(tl) IS NULL OR yql_cmp_family(tr) IS NULL "
    "OR yql_cmp_family(tl) = yql_cmp_family(tr) AND yql_cmp_family(tl) <> 'yson' "
    f"OR (yql_cmp_family(tl), yql_cmp_family(tr)) IN ({_PAIRS}) THEN 'ok' "
    f"ELSE '{_KEY}' || tl || '|' || op || '|' || tr END")
#: the macros every connection running YQL defines (yql_macros)
COMPARE_MACROS = (_FAMILY, _COMPARED)

#: YQL's callable of each comparison operator, named in its message
COMPARISONS = {"=": "==", "==": "==", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=",
               ">": ">", ">=": ">="}

#: the YQL type of a value of each DuckDB type (typeof's name; a literal's as binder errors
#: name it)
YQL_NAMES = {"TINYINT": "Int8", "SMALLINT": "Int16", "INTEGER": "Int32", "BIGINT": "Int64",
              "HUGEINT": "Int64", "UTINYINT": "Uint8", "USMALLINT": "Uint16",
              "UINTEGER": "Uint32", "UBIGINT": "Uint64", "FLOAT": "Float",
              "DOUBLE": "Double", "BOOLEAN": "Bool", "DATE": "Date",
              "TIMESTAMP_S": "Datetime", "TIMESTAMP": "Timestamp", "INTERVAL": "Interval",
              "VARCHAR": "String", "STRING_LITERAL": "String", "INTEGER_LITERAL": "Int32",
              "UNION(ysonnode JSON)": "Yson"}


def yql_name(duckdb_type: str) -> str:
    """YQL's name of the type of a value DuckDB holds as `duckdb_type` (its quotes doubled
    in a key DuckDB quotes)."""
    duckdb_type = duckdb_type.replace('""', '"')
    if duckdb_type.startswith('UNION("yson:'):
        return "Yson"
    if duckdb_type.startswith("DECIMAL"):
        return "Decimal" + duckdb_type[len("DECIMAL"):]
    return YQL_NAMES.get(duckdb_type, duckdb_type)


#: an operand named again at no cost: a column, a literal, a marker of a string or name
PLAIN_OPERAND = re.compile(r"[\w.\x00\x01\"$]+")


def compared(left: str, op: str, right: str) -> str:
    """`left op right` with the check of its operands' types (see the module's docstring).

    yql_compare_key names each type several times, and a macro's argument is copied where
    its body names it: an operand other than a column or a literal (a comparison inside
    another's operand, IF(a > 1, 1, 2) > 0) was copied some fifty times a level, and two
    levels took DuckDB 3 s to bind. Such operands' type names are bound once instead, as
    the item of a list a lambda maps, which DuckDB folds as it binds; but not always
    inside a lambda of the query's own (ListFilter's), whose comparisons keep the plain
    form."""
    plain = (PLAIN_OPERAND.fullmatch(left.strip()) and PLAIN_OPERAND.fullmatch(right.strip())) \
        or LAMBDA_PREFIX in left or LAMBDA_PREFIX in right
    key = type_key(left, right, "yql_compare_key", plain=bool(plain),
                   extra=f"'{COMPARISONS[op]}'")
    return f"({left} {op} {right} AND struct_extract({{'ok': true}}, {key}))"


def type_key(left: str, right: str, macro: str, *, plain: bool, extra: str = "") -> str:
    """The call of `macro` on the DuckDB types of `left` and `right` (then `extra`, its
    other arguments): the types named as the item of a list a lambda maps, bound once
    (`compared`), unless `plain` (small operands, or inside a lambda of the query's own)."""
    tail = f", {extra}" if extra else ""
    if plain:
        return f"{macro}(typeof({left}), typeof({right}){tail})"
    return (f"list_transform([[typeof({left}), typeof({right})]], lambda yql_types: "
            f"{macro}(yql_types[1], yql_types[2]{tail}))[1]")


_COMPARE_REFUSED = re.compile(r'Could not find key "' + _KEY + r'(.+)\|(.+?)\|(.+)"')


def compare_failure(message: str) -> str | None:
    """YQL's words for DuckDB's refusal of a yql_compare_key key, or None."""
    found = _COMPARE_REFUSED.search(message)
    if not found:
        return None
    left, op, right = found.groups()
    return f"YQL: Uncompatible types in compare: {yql_name(left)} '{op}' {yql_name(right)}"


#: YQL's verb of each arithmetic operator DuckDB names (`//` is yql_div's integer quotient)
_VERBS = {"+": "add", "-": "substract", "*": "multiply", "/": "divide", "//": "divide",
          "%": "mod"}
_ARITHMETIC_REFUSED = re.compile(
    r"""(?:No function matches the given name and argument types '|Could not choose a best """
    r"""candidate function for the function call ")(\+|-|\*|//|/|%)\((.+), (.+)\)['"]""")
#: the YQL types no arithmetic takes: DuckDB refusing one of them is YQL refusing it
_NO_ARITHMETIC = {"String", "Bool", "Yson"}


def arithmetic_failure(message: str) -> str | None:
    """YQL's words for DuckDB's refusal of `+ - * / %` of a String, Bool or Yson, or None."""
    found = _ARITHMETIC_REFUSED.search(message)
    if not found:
        return None
    op, left, right = found.group(1), yql_name(found.group(2)), yql_name(found.group(3))
    if not {left, right} & _NO_ARITHMETIC:
        return None
    return f"YQL: Cannot {_VERBS[op]} type {left} and {right}"
