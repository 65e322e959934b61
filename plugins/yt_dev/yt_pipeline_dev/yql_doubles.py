"""NaN and infinity in what dev YQL writes and returns, as prod reads them.

A YQL Double may be NaN or infinite, and a cluster keeps it so in the table. Read back as
JSON, YT's writer would refuse it ("Unexpected NaN or infinity encountered during JSON
writing", yt/yt/core/json/json_writer.cpp) unless the format says
`stringify_nan_and_infinity`, which the prod backend does: then the value reads as the text
"nan", "inf" or "-inf" (the options of the JSON format on the YTsaurus Formats page).

DuckDB writes such a double as the bare `NaN`, `Infinity` or `-Infinity`, which is not JSON:
a dev table holding one could not be read at all. So a written table holds the text prod
reads instead; the column keeps its DOUBLE type in the table's declared schema, so a later
query reads it back as the double it was.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ytjobs.codec import dumps_line
from ytjobs.row_rules import non_finite_text

_CHUNK = 1 << 20
#: a line holding one of DuckDB's bare constants holds one of these (outside a string or
#: inside one: the line is parsed to tell)
_MARKS = (b"NaN", b"Infinity")
_TEXTS = {"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}


def stringify_file(path: Path) -> None:
    """Rewrite the lines of a JSON-lines file DuckDB wrote that hold bare NaN or infinity
    constants, with YT's texts in their place; a file without any is left untouched."""
    if not _has_marks(path):
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.doubles")
    with path.open("rb") as source, temporary.open("wb") as target:
        for line in source:
            if any(mark in line for mark in _MARKS):
                line = dumps_line(json.loads(line, parse_constant=_TEXTS.__getitem__))
            target.write(line)
    os.replace(temporary, path)


def stringified(value: Any) -> Any:
    """A value of a query's result with NaN and infinities as YT's texts, at any depth."""
    if isinstance(value, float):
        return value if value - value == 0.0 else non_finite_text(value)
    if isinstance(value, dict):
        return {key: stringified(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [stringified(item) for item in value]
    return value


def _has_marks(path: Path) -> bool:
    overlap = max(map(len, _MARKS)) - 1
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            window = tail + chunk
            if any(mark in window for mark in _MARKS):
                return True
            tail = window[-overlap:]
    return False
