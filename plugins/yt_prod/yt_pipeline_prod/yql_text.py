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

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from yt_pipeline.yql_rules import (
    INFER_PRAGMA,
    QUIET_STATEMENTS,
    Statement,
    infer_rows,
    statements,
)

#: how long a result table outlives a run that died before removing it
RESULT_EXPIRATION = "1d"


#: a position in a YQL error: YQL's own `<main>:line:column`, and the fake query tracker's
#: line (yt_pipeline.yql_positions: `YQL: line:column: ... (line L, column C of the query)`)
_POSITION = re.compile(r"(?<=<main>:)(\d+):(\d+)|(?<=YQL: )(\d+):(\d+)(?=: )"
                       r"|\(line (\d+), column (\d+) of the query\)")


@dataclass
class PreparedQuery:
    text: str
    #: the table the last SELECT writes, to be read and removed; None: read the last result
    result_table: str | None
    #: the query as given, and (offset in it, text) of each piece added, in the text's order
    query: str = ""
    added: list[tuple[int, str]] = field(default_factory=list)

    def in_query(self, message: str) -> str:
        """`message` with each position in the text sent (see _POSITION) made a position in
        the query as given: the pieces added moved its lines and columns."""
        def moved(found: re.Match[str]) -> str:
            numbers = [int(n) for n in found.groups() if n is not None]
            place = self.query_place(*numbers)
            if place is None:
                return found.group(0)
            line, column = place
            if found.group(5) is not None:
                return f"(line {line}, column {column} of the query)"
            return f"{line}:{column}"

        return _POSITION.sub(moved, message) if self.added else message

    def query_place(self, line: int, column: int) -> tuple[int, int] | None:
        """A line and column of the text sent, both from 1, in the query as given; None
        when it is in a piece added or past the text."""
        starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        if not 1 <= line <= len(starts):
            return None
        offset, shift = starts[line - 1] + column - 1, 0
        for at, piece in self.added:
            if offset < at + shift:
                break
            if offset < at + shift + len(piece):
                return None  # in a piece added: no place in the query
            shift += len(piece)
        offset -= shift
        line = self.query.count("\n", 0, offset) + 1
        return line, offset - (self.query.rfind("\n", 0, offset) + 1) + 1


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
    added: list[tuple[int, str]] = []
    last = _final_select(found)
    if last is not None and _current_cluster(found, last, cluster) == cluster:
        start = found[last].start
        insert = (f"INSERT INTO `{result_table}` WITH (TRUNCATE, "
                  f'EXPIRATION="{RESULT_EXPIRATION}")\n')
        text = query[:start] + insert + query[start:]
        added.append((start, insert))
        target = result_table
    # Tables we write have no schema; without this YQL refuses them. A pragma the query sets
    # itself comes later in the text and wins (a static pragma keeps its last value); with
    # ForceInferSchema, adding InferSchema would be an error.
    if infer_rows(query) is None:
        text = f"{INFER_PRAGMA}\n{text}"
        added.insert(0, (0, f"{INFER_PRAGMA}\n"))
    if max_row_weight:
        pragma = f'PRAGMA yt.MaxRowWeight = "{max_row_weight}";\n'
        text = pragma + text
        added.insert(0, (0, pragma))
    return PreparedQuery(text, target, query, added)


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
