"""The DuckDB macros YQL's rewrites call (yql_div, yql_mod_by, yql_time_text, the DateTime
parsers...), defined on a statement's database only as the statement calls them.

Every statement runs on a database of its own, and defining all of them took 10-13 ms of
each (the DateTime parsers some 30 ms more), while most statements call one or none. So a
statement's SQL is searched for the macros it calls, and those and the ones they call are
defined before it runs, in the order of the catalogue (a macro is defined after those it
calls).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from yt_pipeline.yql_coalesce import COALESCE_MACROS
from yt_pipeline.yql_int_common import INT_COMMON_MACROS
from yt_pipeline.yql_interval_cast import INTERVAL_CAST_MACROS
from yt_pipeline.yql_mixed_types import COMPARE_MACROS
from yt_pipeline.yql_operators import DIVISION_MACROS
from yt_pipeline.yql_time_arith import TIME_ARITHMETIC_MACROS
from yt_pipeline.yql_times import TIME_MACROS
from yt_pipeline.yql_udf_math import MATH_MACROS
from yt_pipeline.yql_udf_parse import parse_macros
from yt_pipeline.yql_yson import YSON_MACROS

_NAME = re.compile(r"CREATE OR REPLACE MACRO (\w+)\(")
#: a call of one of them: every macro's name starts so
_CALLED = re.compile(r"\b(yql_\w+)\s*\(")


@functools.lru_cache(maxsize=2)
def catalogue(arrow: bool) -> tuple[tuple[str, str, frozenset[str]], ...]:
    """(name, definition, the macros it calls) of every macro, in the order they are
    defined; the parsers' lambdas written `x -> ...` if `arrow` (DuckDB before 1.3)."""
    found = []
    for text in (*DIVISION_MACROS, *COMPARE_MACROS, *COALESCE_MACROS, *INT_COMMON_MACROS,
                 *TIME_ARITHMETIC_MACROS,
                 *INTERVAL_CAST_MACROS, *TIME_MACROS, *MATH_MACROS, *YSON_MACROS, *parse_macros(arrow)):
        match = _NAME.match(text)
        assert match is not None, text
        body = text[match.end():]
        found.append((match.group(1), text, frozenset(_CALLED.findall(body))))
    return tuple(found)


def _arrow(duckdb: Any) -> bool:
    # DuckDB 1.3 on writes a lambda `lambda x: ...`, and 2.0 refuses the older `x -> ...`
    version = tuple(int(part) for part in re.findall(r"\d+", duckdb.__version__)[:2])
    return version < (1, 3)


class Macros:
    """The macros one database was given so far."""

    def __init__(self, duckdb: Any, connection: Any):
        self.connection = connection
        self.catalogue = catalogue(_arrow(duckdb))
        self.defined: set[str] = set()

    def define_for(self, sql: str) -> None:
        """Define the macros `sql` calls, and those they call, that are not there yet."""
        definitions = self.definitions_for(sql)
        if definitions:
            self.connection.execute(definitions)

    def definitions_for(self, sql: str) -> str:
        """The SQL defining the macros `sql` calls, and those they call, that are not there
        yet, counted as defined: for a caller that runs it along with requests of its own
        (dev's DuckDB is in a process of its own: a request is a round trip)."""
        wanted = set(_CALLED.findall(sql))
        if not wanted - self.defined:
            return ""
        # a macro calls only those before it: one pass from the last needs them all
        for name, _, calls in reversed(self.catalogue):
            if name in wanted:
                wanted |= calls
        return self._definitions(wanted)

    def define_all(self) -> None:
        definitions = self._definitions({name for name, _, _ in self.catalogue})
        if definitions:
            self.connection.execute(definitions)

    def _definitions(self, names: set[str]) -> str:
        """Those of `names` not defined yet, in the catalogue's order, as one request's SQL
        (dev's DuckDB is in a process of its own: a request is a round trip)."""
        new = [(name, text) for name, text, _ in self.catalogue
               if name in names and name not in self.defined]
        self.defined.update(name for name, _ in new)
        return ";\n".join(text for _, text in new)
