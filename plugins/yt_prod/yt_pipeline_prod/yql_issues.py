"""A failed YQL query's error as one line: its YQL issues, each placed in the query as written.

A cluster gives a failed YQL query the yql agent's error ("Failed to run query", with the
query's id: DoStartQuery in yt/yql/agent/yql_agent.cpp) around the YQL plugin's ("There are
some issues"), whose inner errors are YQL's issues, nested as YQL nests them (IssuesToYtErrorYson
in yt/yql/plugin/native/error_helpers.cpp, ytsaurus/ytsaurus). An issue's message holds no
position: the position is in its `start_position` attribute (`row`, `column`), and its
`severity` says whether it is an error or only a warning. The cause of a type error is the
innermost issue, under "Type annotation" and "At function: ..." issues that only say where
YQL was: those wrappers and the warnings are left out.

A query that ended failed or aborted has that error inside the tracker's own, "Query <id>
failed" ("aborted"), attribute `query_id` (TQueryTracker::FinishQueryLoop in
yt/yt/server/query_tracker/query_tracker.cpp): it repeats what the stage's line says
already, and `tracker_cause` leaves it out.

`row` is the line of the text the client sent, counted from 1 (the plugin takes one off
YQL's own line, whose first line is the required pragmas: error_helpers.cpp; ytsaurus-ui's
query editor marks `start_position.row` as its line number), `column` YQL's column, from 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yt_pipeline_prod.yql_text import PreparedQuery

#: the severities of an issue that fails the query (SeverityToString, yql_issue.h)
ERROR_SEVERITIES = ("S_ERROR", "S_FATAL")



def _fields(error: Any) -> tuple[str, dict[str, Any], list[Any]]:
    if isinstance(error, dict):
        return (str(error.get("message") or ""), dict(error.get("attributes") or {}),
                list(error.get("inner_errors") or []))
    return (str(getattr(error, "message", "") or ""),
            dict(getattr(error, "attributes", None) or {}),
            list(getattr(error, "inner_errors", None) or []))


def _is_issue(attributes: dict[str, Any]) -> bool:
    return "severity" in attributes


def _causes(error: Any, where: Any = None, depth: int = 0) -> list[tuple[str, Any]]:
    """The innermost error issues under `error`: (message, start position) of each; an
    issue without a position of its own is where the issue around it is."""
    message, attributes, inner = _fields(error)
    issue = _is_issue(attributes)
    if issue and str(attributes["severity"]) not in ERROR_SEVERITIES:
        return []  # a warning, and what YQL says under it
    where = attributes.get("start_position", where) if issue else where
    below: list[tuple[str, Any]] = []
    if depth < 32:  # YQL nests an issue in each function it was in
        for each in inner:
            below.extend(_causes(each, where, depth + 1))
    return below or ([(message, where)] if issue else [])


def _placed(message: str, position: Any, prepared: PreparedQuery) -> str:
    """`YQL: line:column: message`, as YQL writes an issue (`<main>:line:column: ...`),
    the place in the query as written; a place the message itself names is moved too."""
    message = prepared.in_query(message)
    if not isinstance(position, dict) or "row" not in position or "column" not in position:
        return message
    at = prepared.query_place(int(position["row"]), int(position["column"]))
    if at is None:  # in a line the backend added: no place in the query
        return message
    return f"YQL: {at[0]}:{at[1]}: {message}"


def tracker_cause(error: Any, query_id: str) -> Any:
    """The error under the tracker's "Query <id> failed" (or "aborted") around it, which
    names the query and its state and nothing else; `error` itself if it is not that."""
    message, attributes, inner = _fields(error)
    if (str(attributes.get("query_id")) == query_id and len(inner) == 1
            and message.startswith(f"Query {query_id} ")):
        return inner[0]
    return error


def issues_line(error: Any, prepared: PreparedQuery) -> str | None:
    """The error issues of a failed query's error, each placed, joined by "; "; None when
    the error holds no YQL issue (the query failed before YQL looked at it)."""
    found: list[str] = []
    for message, position in _causes(error):
        line = _placed(" ".join(message.split()), position, prepared)
        if line not in found:
            found.append(line)
    return "; ".join(found) if found else None
