"""A window's frame when its definition names none: YQL's default is not SQL's.

YQL: "if there is ORDER BY, then ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW is
implicitly assumed. If none, then ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"
(yt/docs/en/yql/syntax/window.md, "Frame", ytsaurus/ytsaurus). SQL's default, and DuckDB's,
with ORDER BY is RANGE ... CURRENT ROW, whose frame holds the current row's peers too: over
rows tied on the ORDER BY a running SUM or COUNT gave each tied row the total of all of them,
where a cluster counts one row more at each. A definition with ORDER BY and no frame of its
own is given YQL's frame in words; one without ORDER BY is the whole partition either way.
"""

from __future__ import annotations

import re

from yt_pipeline.yql_udf_calls import closing_bracket

#: where a window definition opens: `OVER (` or, in a WINDOW clause, `name AS (`
_OPENING = re.compile(r"\b(?:OVER|AS)\s*\(", re.I)
#: a definition's first words: what tells `name AS (` of a window from any other AS
_DEFINITION = re.compile(r"\s*(?:PARTITION\b|ORDER\s+BY\b)", re.I)
_ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.I)
_FRAME = re.compile(r"\b(?:ROWS|RANGE|GROUPS)\b", re.I)
YQL_DEFAULT_FRAME = " ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"


def _own_level(inside: str) -> str:
    """`inside` with what its own parentheses hold left out: a subquery's ORDER BY in a
    PARTITION BY is not the window's."""
    kept, depth = [], 0
    for char in inside:
        depth += char == "("
        if depth == 0:
            kept.append(char)
        depth -= char == ")" and depth > 0
    return "".join(kept)


def with_yql_frames(text: str) -> str:
    """`text` with YQL's default frame written into each window definition that orders its
    rows and names no frame (see the module's docstring)."""
    for found in reversed(list(_OPENING.finditer(text))):
        opening = found.end() - 1
        inside = text[opening + 1:closing_bracket(text, opening)]
        is_over = found.group(0)[:4].upper() == "OVER"
        if not is_over and not _DEFINITION.match(inside):
            continue  # an alias, a CAST's type: not a window
        own = _own_level(inside)
        if _ORDER_BY.search(own) and not _FRAME.search(own):
            end = opening + 1 + len(inside)
            text = text[:end] + YQL_DEFAULT_FRAME + text[end:]
    return text
