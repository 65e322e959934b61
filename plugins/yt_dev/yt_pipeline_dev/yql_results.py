"""The rows a dev YQL query returns, as a cluster's query results give them.

DuckDB hands back Python values JSON has no type for (decimals, UUIDs, bytes; dates and
times have been made counts by then, yql_times) and
doubles JSON cannot hold (NaN, infinities); prod's results carry them as text. Each row goes
through the same JSON text a table row does, so a returned row is exactly what reading it
back from a table would give.
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from typing import Any

from yt_pipeline_dev.yql_doubles import stringified
from ytjobs.codec import loads_line


def _plain(value: Any) -> Any:
    """Values JSON has no type for, as YT's query results give them: text."""
    if isinstance(value, (datetime.date, datetime.time, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID, datetime.timedelta)):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"cannot return a {type(value).__name__} from YQL")


def _dump(row: dict[str, Any]) -> bytes:
    row = stringified(row)  # NaN and infinities as prod reads a result (yql_doubles)
    try:
        import orjson

        return orjson.dumps(row, default=_plain, option=orjson.OPT_APPEND_NEWLINE)
    except (ImportError, TypeError):
        return (json.dumps(row, default=_plain, ensure_ascii=False) + "\n").encode()


def as_returned(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """DuckDB's rows as the query's result."""
    return [loads_line(_dump(row)) for row in rows]
