"""The text the prod backend sends for a YQL query: the user's query with pragmas added and,
when it ends with a SELECT, that SELECT written into a table instead of a query result.

Why a table: the query tracker keeps at most `row_count_limit` rows of a result (10,000 by
default, yt/yt/server/query_tracker/config.cpp), drops the rest and sets `is_truncated`
(handler_base.cpp); reading a result in pages (`lower_row_index`) pages through the rows it
kept, no further. A table has no such limit, `read_table` returns every row, and it works on
every cluster version (a `full_result` table in the result's meta is newer and optional).
The yql agent itself builds a result by reading such a table in order (yt/yql/agent/
interop.cpp, `BuildRowset`), so the rows come back in the order a result would have.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from yt_pipeline.yql_rules import (
    INFER_PRAGMA,
    QUIET_STATEMENTS,
    Statement,
    infer_rows,
    statements,
)

#: how long a result table outlives a run that died before removing it
RESULT_EXPIRATION = "1d"


@dataclass
class PreparedQuery:
    text: str
    #: the table the last SELECT writes, to be read and removed; None: read the last result
    result_table: str | None


def _current_cluster(found: list[Statement], last: int, default: str) -> str:
    """The cluster a table without one named refers to at statement `last`: the last USE
    before it, or the query's cluster."""
    cluster = default
    for statement in found[:last]:
        if statement.first_word == "USE" and len(statement.tokens) > 1:
            cluster = statement.tokens[1].text
    return cluster


def _final_select(found: list[Statement]) -> int | None:
    """The index of the statement that ends the query when it is a plain SELECT."""
    loud = [i for i, s in enumerate(found) if s.first_word not in QUIET_STATEMENTS]
    if not loud:
        return None
    last = loud[-1]
    words = found[last].words()
    if found[last].first_word != "SELECT":
        return None
    if any(a == "INTO" and b == "RESULT" for a, b in zip(words, words[1:])):
        return None  # SELECT ... INTO RESULT names the result; keep it one
    return last


def prepare(query: str, cluster: str, result_table: str,
            max_row_weight: str | None = None) -> PreparedQuery:
    found = statements(query)
    text, target = query, None
    last = _final_select(found)
    if last is not None and _current_cluster(found, last, cluster) == cluster:
        start = found[last].start
        text = (f"{query[:start]}INSERT INTO `{result_table}` WITH (TRUNCATE, "
                f'EXPIRATION="{RESULT_EXPIRATION}")\n{query[start:]}')
        target = result_table
    # Tables we write have no schema; without this YQL refuses them. A pragma the query sets
    # itself comes later in the text and wins (a static pragma keeps its last value); with
    # ForceInferSchema, adding InferSchema would be an error.
    if infer_rows(query) is None:
        text = f"{INFER_PRAGMA}\n{text}"
    if max_row_weight:
        text = f'PRAGMA yt.MaxRowWeight = "{max_row_weight}";\n{text}'
    return PreparedQuery(text, target)


@dataclass
class StagedInsert:
    """An INSERT the query makes into `staging` instead of `target`; the stage's
    transaction then puts the rows on `target` (see yql.py)."""

    target: str
    staging: str
    truncate: bool


def _insert_target(statement: Statement) -> tuple[int, int, str | None, str, bool] | None:
    """(start, end, cluster, path, truncate) of `INSERT INTO [cluster.]`//path`
    [WITH TRUNCATE | WITH (TRUNCATE)]`: the text from `start` to `end` names the table and
    its hints. None for any other statement, or hints other than TRUNCATE."""
    tokens = statement.tokens
    if statement.first_word != "INSERT" or len(tokens) < 3 or tokens[1].text.upper() != "INTO":
        return None
    at, cluster = 2, None
    if tokens[at].kind == "word" and tokens[at].text.endswith(".") and len(tokens) > 3:
        cluster, at = tokens[at].text[:-1], at + 1
    target = tokens[at]
    if target.kind != "name" or not target.text.startswith("//"):
        return None
    end, truncate = target.end, False
    rest = tokens[at + 1:]
    if rest and rest[0].kind == "word" and rest[0].text.upper() == "WITH":
        if len(rest) > 1 and rest[1].text.upper() == "TRUNCATE":
            end, truncate = rest[1].end, True
        elif len(rest) > 1 and rest[1].text == "(":
            close = next((t for t in rest if t.text == ")"), None)
            hints = [t.text.upper() for t in rest[2:rest.index(close)]] if close else []
            if close is None or any(h not in ("TRUNCATE", ",") for h in hints):
                return None
            end, truncate = close.end, "TRUNCATE" in hints
    return tokens[2].start, end, cluster, target.text, truncate


def stage_inserts(query: str, cluster: str, staging_name: Callable[[], str]
                  ) -> tuple[str, list[StagedInsert]]:
    """The query with each INSERT into a table of `cluster` writing a new staging table
    instead (`staging_name()` names each), and what to do with them afterwards. INSERTs
    with other hints, into other clusters or into computed names are left as they are."""
    found = statements(query)
    if any(statement.first_word == "COMMIT" for statement in found):
        # after a COMMIT the query reads what it wrote before it: the staging tables
        # would hide that, so such a query writes its tables itself
        return query, []
    staged: list[StagedInsert] = []
    pieces, done = [], 0
    for index, statement in enumerate(found):
        parsed = _insert_target(statement)
        if parsed is None:
            continue
        start, end, named, path, truncate = parsed
        if (named or _current_cluster(found, index, cluster)) != cluster:
            continue
        staging = staging_name()
        pieces += [query[done:start], f'`{staging}` WITH (TRUNCATE, '
                                      f'EXPIRATION="{RESULT_EXPIRATION}")']
        done = end
        staged.append(StagedInsert(path.rstrip("/"), staging, truncate))
    return "".join(pieces) + query[done:], staged
