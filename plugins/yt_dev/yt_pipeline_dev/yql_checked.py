"""Reading a table with the column types of its first rows, checked on every row read.

Learning a schemaless table's types from every row (yql_schema.SchemaCache) costs several
times the query itself on a big table. Yet most tables hold one kind of value per column from
the first row to the last, so the types DuckDB finds in a sample of the first rows are
usually those of every row. A column of such a type is read as raw JSON and converted by an
expression that stops the statement with CHECK_FAILED at the first value of another kind: a
fraction or an exponent in an integer column, anything but text in a text column, and so on.
Given the type directly, DuckDB would have converted that value silently (1.5 read into a
BIGINT as 2, 5 into a VARCHAR as '5'), which is why it is not given directly. When the check
fails, or the statement fails in any other way (an error may come from a type the sample
got wrong), the statement runs again with the types learned from every row.

The check sees every row only if the statement reads every row (`scans_whole_table`): a
statement that reads one table once, with nothing that can stop the scan early (LIMIT, a
join, EXISTS, an IN subquery...). DuckDB evaluates the check before any filter (the
expression may fail, so no filter is moved below it), and drops it only for a column the
statement never uses, whose type does not matter. Other statements have the sampled types
proved by a pass of their own first (`proof_sql`).
"""

from __future__ import annotations

import re

#: the message of the error a failed check raises; only this error means "learn the types"
CHECK_FAILED = "yt-pipeline: a value differs in type from the first rows of its column"

#: how many of the first rows give the types: the 1000 a cluster infers a table's columns
#: from (DuckDB's own default, 20,480, costs every query 0.02-0.04 s more to describe; a
#: sample that misses a late type only costs that query one more pass)
SAMPLE_ROWS = 1000

_RAISE = f"error('{CHECK_FAILED}')"
#: JSON integers DuckDB reads as BIGINT: all of one sign (zero counts with the positive),
#: since from both signs it makes a HUGEINT; 19 digits may not fit (left to the full pass)
_NON_NEGATIVE = r"0|[1-9][0-9]{0,17}"
_NEGATIVE = r"-[1-9][0-9]{0,17}"
#: the kind a BIGINT column whose first value is negative is checked as
NEGATIVE_BIGINT = "BIGINT, negative"
_NUMBER = r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?"

#: DuckDB's type of a column -> (the test its raw JSON text must pass, the value it becomes);
#: `{c}` is the raw column, `{t}` its text. A type not listed is never checked: its table's
#: types are learned from every row.
_CONVERSIONS = {
    "BIGINT": ("regexp_full_match({t}, '" + _NON_NEGATIVE + "')", "CAST({t} AS BIGINT)"),
    NEGATIVE_BIGINT: ("regexp_full_match({t}, '" + _NEGATIVE + "')", "CAST({t} AS BIGINT)"),
    "DOUBLE": ("regexp_full_match({t}, '" + _NUMBER + "')", "CAST({t} AS DOUBLE)"),
    "BOOLEAN": ("{t} IN ('true', 'false')", "{t} = 'true'"),
    "VARCHAR": ("starts_with({t}, '\"')", "json_extract_string({c}, '$')"),
}


def signed(kind: str, first: object) -> str:
    """The kind a column is checked as, given the first value of it in the table: a BIGINT
    holds integers of the first one's sign."""
    if kind == "BIGINT" and type(first) is int and first < 0:
        return NEGATIVE_BIGINT
    return kind


def duckdb_types(columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The columns with DuckDB's names of their types (a checked kind is one of them)."""
    return [(name, "BIGINT" if kind == NEGATIVE_BIGINT else kind) for name, kind in columns]


def checkable(kind: str) -> bool:
    """True when a column DuckDB typed `kind` from a sample can be checked row by row.

    For these types, every value passing the check means DuckDB finds the same type in all
    rows: the sample's values are among them, and more values of the same kind cannot make
    it narrower (a text column that held a non-date in the sample stays VARCHAR). Nested
    types, dates and times, and JSON (which may stand for a lack of information rather than
    a mix) are learned from every row instead."""
    return kind in _CONVERSIONS


def sql_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _checked_column(name: str, kind: str) -> str:
    column = sql_identifier(name)
    test, value = _CONVERSIONS[kind]
    text = f"CAST({column} AS VARCHAR)"
    # not str.format: the patterns hold braces of their own
    test = test.replace("{t}", text).replace("{c}", column)
    value = value.replace("{t}", text).replace("{c}", column)
    return f"CASE WHEN {column} IS NULL THEN NULL WHEN {test} THEN {value} ELSE {_RAISE} END"


def checked_read_sql(table_file: str, columns: list[tuple[str, str]]) -> str:
    """A subquery giving the table's columns with the types given, each value checked."""
    raw = ", ".join(f"{_literal(name)}: 'JSON'" for name, _ in columns)
    listed = ", ".join(f"{_checked_column(name, kind)} AS {sql_identifier(name)}"
                       for name, kind in columns)
    return (f"(SELECT {listed} FROM read_json({_literal(table_file)}, "
            f"format='newline_delimited', columns={{{raw}}}))")


def proof_sql(table_file: str, columns: list[tuple[str, str]]) -> str:
    """A query that reads every row of every column through the checks."""
    counted = ", ".join(f"count({sql_identifier(name)})" for name, _ in columns)
    return f"SELECT {counted} FROM {checked_read_sql(table_file, columns)}"


#: words after which DuckDB may stop reading a table before its last row
_EARLY_STOP = re.compile(r"\b(LIMIT|FETCH|SAMPLE|TABLESAMPLE|JOIN|EXISTS|IN\s*\(\s*(SELECT|WITH|FROM)"
                         r"|ANY|SOME|ALL\s*\(|INTERSECT|EXCEPT)\b", re.I)
_TABLE = re.compile(r"\x00\d+\x00")


def scans_whole_table(template: str) -> bool:
    """True when a statement (a translate.Statement template) reads one table once and
    nothing in it can end the scan early: then every row it reads is checked, and a query
    with no early end reads every row. A comma between two FROM items is a join, but with one
    table the other side is constant data, which can stop nothing unless empty."""
    return len(_TABLE.findall(template)) == 1 and not _EARLY_STOP.search(template)
