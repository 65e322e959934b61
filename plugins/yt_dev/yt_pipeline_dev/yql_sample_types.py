"""The types of a schemaless table's columns in its first rows, told from the rows a query
has already read, without asking DuckDB to describe a copy of them (some 4 ms a query:
the copy, a round trip to DuckDB's process, DuckDB reading it).

Only what the check of each type (yql_checked) makes safe is told. A column is read with
such a type only through its check, and every value passing it means DuckDB finds that
type in all the rows, what a failed check makes the query learn; so a type told here needs
to be DuckDB's for the sample only where the check alone does not make it so. That is the
case of DOUBLE, whose check passes integers too: it is told only for a column whose first
values are all floats, which the rows' parsers (ytjobs.codec: msgspec, orjson, json; tried)
make of a number only when it has a fraction or an exponent, as DuckDB's reader reads it as
DOUBLE (read_json, tried on DuckDB 2.0: `1.0`, `1e5` are DOUBLE, `-0` BIGINT, `1` with `-1`
HUGEINT).

Nothing is told, and DuckDB describes the sample as before, when the rows may not be what
DuckDB reads: a line blank or not an object among them (DuckDB then reads the whole line as
one `json` column), names equal but for case (DuckDB renames the second `A_1`), or first
rows that are not the sample (fewer read than it holds).
"""

from __future__ import annotations

import math
from typing import Any

from yt_pipeline_dev.yql_schema import FirstRows

#: the integers a BIGINT check passes (yql_checked: at most 18 digits), of either sign
_BIGINT_DIGITS = 10 ** 18


def told_types(rows: FirstRows, read_for: int, sample: int, names: list[str]
               ) -> dict[str, str] | None:
    """DuckDB's type of each of `names` (none null in the first rows) in the first `sample`
    lines of the table, from `rows`, its first `read_for` lines as read; None when the rows
    cannot tell them all."""
    if rows.skipped:
        return None
    if rows.lines < sample and rows.lines >= read_for:
        return None  # the sample goes on past the lines read
    taken = rows[:sample]
    keys: set[str] = set().union(*taken)
    if len({name.casefold() for name in keys}) != len(keys):
        return None
    told: dict[str, str] = {}
    for name in names:
        values = [value for row in taken if (value := row.get(name)) is not None]
        kind = _kind(values)
        if kind is None:
            return None
        told[name] = kind
    return told


def _kind(values: list[Any]) -> str | None:
    if not values:
        return None  # none in the sample: DuckDB's NULL, which is not checked anyway
    kinds = set(map(type, values))
    if len(kinds) != 1:
        return None
    kind = kinds.pop()
    if kind is str:
        return "VARCHAR"  # or a date, time or UUID to DuckDB: read as text (as_stored_text)
    if kind is bool:
        return "BOOLEAN"
    if kind is float:
        return "DOUBLE" if all(map(math.isfinite, values)) else None
    if kind is int:
        low, high = min(values), max(values)
        if 0 <= low and high < _BIGINT_DIGITS or -_BIGINT_DIGITS < low and high < 0:
            return "BIGINT"
    return None
