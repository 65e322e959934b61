"""A failed YQL query's error, shaped as a cluster shapes it.

The yql agent wraps the YQL plugin's error in "Failed to run query" with the query's id
(DoStartQuery in yt/yql/agent/yql_agent.cpp); the plugin's error is "There are some issues",
whose inner errors are YQL's issues: the issue's message without its position, the position
in `start_position` (`row`, the line of the text sent, and `column`, both from 1), and its
`severity` (IssuesToYtErrorYson in yt/yql/plugin/native/error_helpers.cpp, which also numbers
an issue's code from 30000). The fake's own line for a failure places it in the text sent as
`YQL: L:C: message` (yt_pipeline.yql_positions, yql_clauses): that place becomes the
issue's position, and the rest its message (which, in the fake's words as in dev mode's,
may say the place again: "(line L, column C of the query)").
"""

from __future__ import annotations

import re
from typing import Any

#: an issue's code is YQL's issue code plus this (error_helpers.cpp)
ISSUE_CODE_SHIFT = 30000
#: YQL's generic error code (TIssuesIds::DEFAULT_ERROR, yql/essentials/public/issue)
DEFAULT_ERROR = 1

_PLACED = re.compile(r"^YQL: (\d+):(\d+): (.*)$", re.S)


def _error(message: str, attributes: dict[str, Any], inner: list[dict[str, Any]],
           code: int = 1) -> dict[str, Any]:
    return {"code": code, "message": message, "attributes": attributes, "inner_errors": inner}


def issue(message: str, row: int | None = None, column: int | None = None,
          severity: str = "S_ERROR", inner: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One YQL issue as the plugin writes it."""
    attributes: dict[str, Any] = {"severity": severity}
    if row is not None and column is not None:
        attributes["start_position"] = {"row": row, "column": column}
    return _error(message, attributes, inner or [], ISSUE_CODE_SHIFT + DEFAULT_ERROR)


def query_error(query_id: str, issues: list[dict[str, Any]]) -> dict[str, Any]:
    """The error of a query YQL failed with these issues."""
    return _error("Failed to run query", {"query_id": query_id},
                  [_error("There are some issues", {}, issues)])


def issue_of_line(line: str) -> dict[str, Any]:
    """The issue for the fake's one-line account of a failure."""
    found = _PLACED.match(line)
    if found is None:
        return issue(line)
    return issue(found.group(3), int(found.group(1)), int(found.group(2)))
