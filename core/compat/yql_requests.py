"""yt-framework's YQL helpers: request objects and the client methods that run them.

`client.join_tables_request(JoinTablesRequest(...))` (and `filter_table_request`,
`select_columns_request`, `group_by_aggregate_request`, `union_tables_request`,
`distinct_request`, `sort_table_request`, `limit_table_request`) build one
`INSERT INTO <output> WITH TRUNCATE SELECT ...` query and run it with `run_yql`; with
`dry_run=True` they return the query instead. The queries select what yt-framework 1.4's
select: joined tables are aliased `a` (left) and `b` (right); a request without `columns`
takes the input table's columns (those of its first rows, in order of appearance).
New code should write the query for `run_yql` itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

# the client methods live apart so that a client class does not build these dataclasses
# on every start (most runs never send a request); re-exported for the old import path
from yt_pipeline.compat.yql_methods import YqlRequests

__all__ = ["DistinctRequest", "FilterTableRequest", "GroupByAggregateRequest",
           "JoinTablesRequest", "LimitTableRequest", "SelectColumnsRequest",
           "SortTableRequest", "UnionTablesRequest", "YqlRequests"]

JoinKeys = str | Sequence[str] | Mapping[str, Any]


@dataclass(frozen=True)
class JoinTablesRequest:
    left_table: str
    right_table: str
    output_table: str
    on: JoinKeys
    how: Literal["inner", "left", "right", "full"] = "left"
    select_columns: list[str] | None = None
    dry_run: bool = False
    max_row_weight: str | None = None


@dataclass(frozen=True)
class FilterTableRequest:
    input_table: str
    output_table: str
    condition: str
    columns: list[str] | None = None
    dry_run: bool = False
    max_row_weight: str | None = None


@dataclass(frozen=True)
class SelectColumnsRequest:
    input_table: str
    output_table: str
    columns: list[str]
    dry_run: bool = False
    max_row_weight: str | None = None


@dataclass(frozen=True)
class GroupByAggregateRequest:
    input_table: str
    output_table: str
    group_by: str | list[str]
    #: output column -> "sum" (of the column named without a total_/avg_/... prefix), or
    #: ("sum", "column"); "count" is COUNT(*)
    aggregations: Mapping[str, str | tuple[str, str]]
    dry_run: bool = False
    max_row_weight: str | None = None


@dataclass(frozen=True)
class UnionTablesRequest:
    tables: tuple[str, ...]
    output_table: str
    columns: list[str] | None = None
    dry_run: bool = False
    max_row_weight: str | None = None


@dataclass(frozen=True)
class DistinctRequest:
    input_table: str
    output_table: str
    columns: list[str] | None = None
    dry_run: bool = False
    max_row_weight: str | None = None


@dataclass(frozen=True)
class SortTableRequest:
    input_table: str
    output_table: str
    order_by: str | list[str]
    columns: list[str] | None = None
    ascending: bool = True
    dry_run: bool = False
    max_row_weight: str | None = None


@dataclass(frozen=True)
class LimitTableRequest:
    input_table: str
    output_table: str
    limit: int
    columns: list[str] | None = None
    dry_run: bool = False
    max_row_weight: str | None = None


# -- the queries ------------------------------------------------------------------------
def _table(path: str) -> str:
    return f"`{path}`"


def _listed(columns: Iterable[str]) -> str:
    return ",\n    ".join(columns)


def _into(output: str, body: str) -> str:
    return f"INSERT INTO {_table(output)} WITH TRUNCATE\n{body};"


def _pairs(on: JoinKeys) -> list[tuple[str, str]]:
    """(left column, right column) of each join key."""
    if isinstance(on, str):
        return [(on, on)]
    if isinstance(on, Mapping):
        left, right = on["left"], on["right"]
        if isinstance(left, (list, tuple)):
            return list(zip(left, right))
        return [(str(left), str(right))]
    return [(column, column) for column in on]


def join_query(req: JoinTablesRequest) -> str:
    how = req.how.upper()
    how = "FULL OUTER" if how == "FULL" else how
    select = _listed(req.select_columns) if req.select_columns else "a.*, b.*"
    if req.select_columns and not isinstance(req.on, Mapping):
        keys = [req.on] if isinstance(req.on, str) else list(req.on)
        condition = f"USING ({', '.join(keys)})"
    else:
        condition = "ON " + " AND ".join(f"a.{left} = b.{right}"
                                         for left, right in _pairs(req.on))
    return _into(req.output_table, f"SELECT\n    {select}\nFROM {_table(req.left_table)} AS a\n"
                                   f"{how} JOIN {_table(req.right_table)} AS b\n{condition}")


def filter_query(req: FilterTableRequest) -> str:
    return _into(req.output_table, f"SELECT\n    {_listed(req.columns or [])}\n"
                                   f"FROM {_table(req.input_table)}\nWHERE {req.condition}")


def select_query(req: SelectColumnsRequest) -> str:
    return _into(req.output_table,
                 f"SELECT\n    {_listed(req.columns)}\nFROM {_table(req.input_table)}")


def _aggregate(column: str, spec: str | tuple[str, str]) -> str:
    if isinstance(spec, (tuple, list)) and len(spec) == 2:
        function, source = str(spec[0]).upper(), spec[1]
    else:
        function, source = str(spec).upper(), column
        for prefix in ("total_", "avg_", "min_", "max_", "count_"):
            if column.startswith(prefix):
                source = column[len(prefix):]
                break
    if function == "COUNT":
        return f"COUNT(*) AS {column}"
    return f"{function}({source}) AS {column}"


def group_by_query(req: GroupByAggregateRequest) -> str:
    keys = [req.group_by] if isinstance(req.group_by, str) else list(req.group_by)
    select = _listed(keys + [_aggregate(c, s) for c, s in req.aggregations.items()])
    body = f"SELECT\n    {select}\nFROM {_table(req.input_table)}"
    if keys:
        body += f"\nGROUP BY {', '.join(keys)}"
    return _into(req.output_table, body)


def union_query(req: UnionTablesRequest) -> str:
    if len(req.tables) < 2:
        raise ValueError("a union needs at least 2 tables")
    parts = [f"SELECT\n    {_listed(req.columns or [])}\nFROM {_table(t)}" for t in req.tables]
    return _into(req.output_table, "\nUNION ALL\n".join(parts))


def distinct_query(req: DistinctRequest) -> str:
    select = _listed(req.columns) if req.columns else "*"
    return _into(req.output_table, f"SELECT DISTINCT\n    {select}\nFROM {_table(req.input_table)}")


def sort_query(req: SortTableRequest) -> str:
    direction = "ASC" if req.ascending else "DESC"
    keys = [req.order_by] if isinstance(req.order_by, str) else list(req.order_by)
    order = ", ".join(f"{key} {direction}" for key in keys)
    return _into(req.output_table, f"SELECT\n    {_listed(req.columns or [])}\n"
                                   f"FROM {_table(req.input_table)}\nORDER BY {order}")


def limit_query(req: LimitTableRequest) -> str:
    return _into(req.output_table, f"SELECT\n    {_listed(req.columns or [])}\n"
                                   f"FROM {_table(req.input_table)}\nLIMIT {int(req.limit)}")
