"""The settings a DuckDB database running YQL is made with: apart from the rewrites of
yql_semantics, so that dev can make one in advance without loading them (yql_engine)."""

from __future__ import annotations

from typing import Any

#: DuckDB settings a connection running YQL needs. YQL gives NULL for an integer remainder
#: by zero (TIntegralMod, yql/essentials/minikql/invoke_builtins/mkql_builtins_mod.cpp);
#: `/` is rewritten (yql_operators), not set with integer_division, which would send a
#: Double's division through `//` too and give NULL where YQL gives inf or nan. NULL sorts
#: first ascending and last descending, as on YT, where null is the smallest value of any
#: type; DuckDB's own default puts it last both ways.
DUCKDB_SETTINGS: dict[str, Any] = {
    "default_null_order": "nulls_first_on_asc_last_on_desc",
    "error_on_division_by_zero": False}
#: settings an older DuckDB may not know, left out there
RECENT_SETTINGS = ("error_on_division_by_zero",)
#: A Double divided by zero is inf, -inf or nan in YQL (TDiv, mkql_builtins_div.cpp) and
#: its remainder by zero nan (TMod, mkql_builtins_mod.cpp: std::fmod), as IEEE 754 has it;
#: DuckDB gives that only with this setting on, its default since 1.1, and NULL before (or
#: with it off). It is a session setting in 1.1, which `config` cannot hold: it is SET.
IEEE_DOUBLES = "SET ieee_floating_point_ops = true"
