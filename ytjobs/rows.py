"""Fast JSON-lines row I/O on stdin/stdout, and grouping for reducers."""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterable, Iterator
from operator import itemgetter
from typing import Any, BinaryIO

try:  # orjson is several times faster; jobs work without it
    import orjson

    def _loads(line: bytes) -> Any:
        try:
            return orjson.loads(line)
        except orjson.JSONDecodeError:
            return json.loads(line)  # e.g. integers beyond 64 bits

    def _dumps(row: Any) -> bytes:
        try:
            return orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)
        except TypeError:
            return (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode()

except ImportError:  # pragma: no cover - exercised in jobs without orjson

    def _loads(line: bytes) -> Any:
        return json.loads(line)

    def _dumps(row: Any) -> bytes:
        return (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def read_rows(stream: BinaryIO | None = None) -> Iterator[dict[str, Any]]:
    """Rows from JSON lines (default: stdin)."""
    source = stream if stream is not None else sys.stdin.buffer
    for line in source:
        if line.strip():
            yield _loads(line)


_BATCH = 1024


def write_rows(rows: Iterable[dict[str, Any]], stream: BinaryIO | None = None) -> int:
    """Write rows as JSON lines (default: stdout); returns how many."""
    out = stream if stream is not None else sys.stdout.buffer
    count = 0
    batch: list[bytes] = []
    for row in rows:
        batch.append(_dumps(row))
        count += 1
        if len(batch) >= _BATCH:
            out.write(b"".join(batch))
            batch.clear()
    out.write(b"".join(batch))
    out.flush()
    return count


def write_row(row: dict[str, Any], stream: BinaryIO | None = None) -> None:
    out = stream if stream is not None else sys.stdout.buffer
    out.write(_dumps(row))


def groups(
    rows: Iterable[dict[str, Any]], key: str | list[str] | tuple[str, ...]
) -> Iterator[tuple[Any, Iterator[dict[str, Any]]]]:
    """Consecutive rows with the same key, as (key value, rows) — the reducer's view.

    Rows must arrive sorted (or at least grouped) by the key, as a reduce guarantees.
    For several columns the key value is a tuple.
    """
    columns = [key] if isinstance(key, str) else list(key)
    getter = itemgetter(*columns)

    def key_of(row: dict[str, Any]) -> Any:
        try:
            return getter(row)
        except KeyError:
            return tuple(row.get(c) for c in columns) if len(columns) > 1 else row.get(columns[0])

    return itertools.groupby(rows, key=key_of)
