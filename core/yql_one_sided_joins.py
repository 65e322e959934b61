"""YQL's LEFT SEMI JOIN and LEFT ONLY JOIN on DuckDB, which names them SEMI and ANTI.

YQL (yt/docs/en/yql/syntax/join.md, "Types of join", ytsaurus/ytsaurus): with SEMI "one
side of the subquery is a whitelist of keys, its values are not available. The result
includes columns from one table only, no Cartesian product is created"; ONLY is
"subtracting the sets by keys (blacklist)", with no access to the other side's values
either. A NULL key matches nothing ("NULL values on both sides are not treated as
equal"), so a left row of a NULL key is kept by ONLY and dropped by SEMI, as DuckDB's SEMI
JOIN and ANTI JOIN (EXISTS and NOT EXISTS over the ON condition) do. The RIGHT forms and
EXCLUSION JOIN stay refused (yql_refusals).
"""

from __future__ import annotations

import re

_LEFT_ONE_SIDED = re.compile(r"\bLEFT\s+(SEMI|ONLY)\s+JOIN\b", re.I)
_DUCKDB_WORD = {"SEMI": "SEMI", "ONLY": "ANTI"}


def rewrite_one_sided_joins(text: str) -> str:
    """`text` with each LEFT SEMI and LEFT ONLY JOIN in DuckDB's words."""
    return _LEFT_ONE_SIDED.sub(lambda m: f"{_DUCKDB_WORD[m.group(1).upper()]} JOIN", text)
