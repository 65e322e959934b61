"""The YQL request methods of the dev and prod clients (yt-framework's client API).

Kept apart from the request classes and their queries (yql_requests.py), which are
imported when a request is made: every run makes a client, few send requests.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import islice
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from yt_pipeline.compat.yql_requests import (
        DistinctRequest,
        FilterTableRequest,
        GroupByAggregateRequest,
        JoinTablesRequest,
        LimitTableRequest,
        SelectColumnsRequest,
        SortTableRequest,
        UnionTablesRequest,
    )

#: rows read to learn the columns of a request without `columns`
COLUMN_ROWS = 1000


class YqlRequests:
    """The request methods of yt-framework's client, for a client with `run_yql`,
    `read_table` and `declared_schema` (the dev and prod clients)."""

    def _request_columns(self, path: str) -> list[str]:
        # a table holding a hidden column a YQL ORDER BY ... DESC left
        # (yql_rules.hidden_key_columns) has its columns in its schema: its rows cannot be
        # read in JSON on a cluster, whose writer refuses the column's presort bytes
        # ("Invalid UTF-8 string in JSON": yt_pipeline.yajl_utf8). The column need not be
        # a key column any more: a sort by the table's own columns keeps its bytes
        # (the prod client's _presort_refusal looks at every column alike)
        from yt_pipeline.yql_rules import own_columns

        schema = cast(Any, self).declared_schema(path)
        names = [str(column["name"]) for column in (schema or {}).get("columns") or []]
        own = own_columns(names)
        if len(own) < len(names):
            return own
        seen: dict[str, None] = {}
        for row in islice(cast(Any, self).read_table(path), COLUMN_ROWS):
            seen.update(dict.fromkeys(row))
        if not seen:
            raise ValueError(f"{path}: no rows to take the columns from; name them in columns=")
        # a hidden sort column a YQL ORDER BY ... DESC left in the table is read with its
        # rows, but no query can name it (yql_rules.hidden_key_columns)
        return [name for name in seen if not name.startswith("_yql_")]

    def _run_request(self, query: str, req: Any) -> str | None:
        if req.dry_run:
            return query
        cast(Any, self).run_yql(query, max_row_weight=req.max_row_weight)
        return None

    def _with_columns(self, req: Any, path: str) -> Any:
        return req if req.columns is not None else replace(req, columns=self._request_columns(path))

    def join_tables_request(self, req: JoinTablesRequest) -> str | None:
        from yt_pipeline.compat.yql_requests import join_query

        return self._run_request(join_query(req), req)

    def filter_table_request(self, req: FilterTableRequest) -> str | None:
        from yt_pipeline.compat.yql_requests import filter_query

        return self._run_request(filter_query(self._with_columns(req, req.input_table)), req)

    def select_columns_request(self, req: SelectColumnsRequest) -> str | None:
        from yt_pipeline.compat.yql_requests import select_query

        return self._run_request(select_query(req), req)

    def group_by_aggregate_request(self, req: GroupByAggregateRequest) -> str | None:
        from yt_pipeline.compat.yql_requests import group_by_query

        return self._run_request(group_by_query(req), req)

    def union_tables_request(self, req: UnionTablesRequest) -> str | None:
        from yt_pipeline.compat.yql_requests import union_query

        return self._run_request(union_query(self._with_columns(req, req.tables[0])), req)

    def distinct_request(self, req: DistinctRequest) -> str | None:
        from yt_pipeline.compat.yql_requests import distinct_query

        return self._run_request(distinct_query(req), req)

    def sort_table_request(self, req: SortTableRequest) -> str | None:
        from yt_pipeline.compat.yql_requests import sort_query

        return self._run_request(sort_query(self._with_columns(req, req.input_table)), req)

    def limit_table_request(self, req: LimitTableRequest) -> str | None:
        from yt_pipeline.compat.yql_requests import limit_query

        return self._run_request(limit_query(self._with_columns(req, req.input_table)), req)

