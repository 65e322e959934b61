"""The fake query tracker's reading of YQL text: statements, pragmas, clusters, INSERT.

Clusters as a cluster's yql agent checks them: a table is `cluster.`//path`` or `//path` in
the cluster of the last `USE`, else the query's `settings["cluster"]`; with none of them
the query fails ("No cluster name given and no default cluster is selected", raised by
YQL's SQL translator, yql/essentials/sql/v1; yt/yql/plugin/native/plugin.cpp makes
`settings["cluster"]` the default). A stock agent lists its clusters without a default
(yt/yql/agent/yql_agent.cpp), so the fake has none either.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from yt_pipeline.yql_named import read_string
from yt_pipeline.yql_refusals import check_statement
from yt_pipeline.yql_semantics import rewrite
from yt_pipeline.yql_string_suffix import past_suffix
from yt_pipeline_prod.fake.protocol import YtFakeError

NO_CLUSTER = "No cluster name given and no default cluster is selected"
_TABLE = re.compile(r"(?:\b([A-Za-z_][\w-]*)\s*\.\s*)?`([^`]*)`")
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+(?:([A-Za-z_][\w-]*)\s*\.\s*)?`([^`]+)`\s*"
                     r"(?:WITH\s+(?:(TRUNCATE)\b|\(([^)]*)\)))?(.*)$", re.IGNORECASE | re.DOTALL)
_PRAGMA = re.compile(r"^\s*PRAGMA\s+([\w.]+)\s*(?:=\s*(.*?)|\((.*?)\))?\s*$",
                     re.IGNORECASE | re.DOTALL)
_USE = re.compile(r"^\s*USE\s+([A-Za-z_][\w-]*)\s*$", re.IGNORECASE)
MAX_INFER_ROWS = 1000


def duckdb_strings(sql: str) -> str:
    """`sql` with each YQL string literal written as DuckDB reads one.

    YQL takes "text" for a string as it takes 'text', both with backslash escapes
    (https://ydb.tech/docs/en/yql/reference/syntax/lexer, "String literals"); DuckDB
    takes "text" for a column and knows no backslash escapes. Backticked names and
    comments are kept as they are.
    """
    out, i = [], 0
    while i < len(sql):
        char = sql[i]
        if sql.startswith("--", i) or sql.startswith("/*", i):
            end = sql.find("\n" if char == "-" else "*/", i + 2)
            end = len(sql) if end < 0 else end + (0 if char == "-" else 2)
            out.append(sql[i:end])
            i = end
        elif char == "`":
            end = sql.find("`", i + 1)
            end = len(sql) if end < 0 else end + 1
            out.append(sql[i:end])
            i = end
        elif char in "'\"":
            value, i = read_string(sql, i)
            i = past_suffix(sql, i, FAKE_TRACKER)
            out.append("'" + value.replace("'", "''") + "'")
        else:
            out.append(char)
            i += 1
    return "".join(out)


#: who refuses a YQL form DuckDB cannot run as YQL means it (yt_pipeline.yql_semantics)
FAKE_TRACKER = "the fake query tracker"


def yql_meaning(sql: str) -> str:
    """`sql` (as duckdb_strings leaves it) rewritten to mean on DuckDB what it means in YQL,
    as dev mode rewrites it; a form neither can run raises QueryFailed."""
    code, pieces = _marked(sql)
    rewritten = rewrite(code, FAKE_TRACKER, pieces)
    return _PIECE.sub(lambda m: pieces[int(m.group(2))], rewritten)


def refuse_forms(statement: str) -> None:
    """Refuse a statement (as duckdb_strings leaves it) holding a form dev mode refuses,
    with dev's line (yt_pipeline.yql_refusals), so that a prod test on the fake does not
    pass with a query dev refuses."""
    check_statement(_marked(statement)[0], FAKE_TRACKER)


def _marked(sql: str) -> tuple[str, list[str]]:
    """`sql`'s code, with each string and name as a marker (\\x01N\\x01, \\x00N\\x00: the
    markers dev's translator gives them) and each comment a space, and the text of each
    marker's piece: the rewrites must not look inside them."""
    pieces: list[str] = []
    code, i = [], 0
    while i < len(sql):
        char = sql[i]
        if sql.startswith("--", i) or sql.startswith("/*", i):
            end = sql.find("\n" if char == "-" else "*/", i + 2)
            i = len(sql) if end < 0 else end + (0 if char == "-" else 2)
            code.append(" ")
            continue
        if char in "'`":
            end = i + 1
            while end < len(sql):
                if char == "'" and sql.startswith("''", end):
                    end += 2  # a quote inside a string, as duckdb_strings writes one
                elif sql[end] == char:
                    break
                else:
                    end += 1
            end = min(end + 1, len(sql))
            mark = "\x01" if char == "'" else "\x00"
            code.append(f"{mark}{len(pieces)}{mark}")
            pieces.append(sql[i:end])
            i = end
            continue
        code.append(char)
        i += 1
    return "".join(code), pieces


_PIECE = re.compile(r"([\x00\x01])(\d+)\1")


def _unquoted(value: str | None) -> str:
    value = (value or "").strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def infer_rows(statements: list[str]) -> int | None:
    """What the query's yt.InferSchema / yt.ForceInferSchema pragmas mean, as the cluster
    parses them (yt/yql/providers/yt/common/yql_yt_settings.cpp): 1 to 1000 rows, no value
    is 1, the last one wins, and the two together are an error."""
    rows, seen = None, set()
    for statement in statements:
        match = _PRAGMA.match(statement)
        if not match or match.group(1).lower() not in ("yt.inferschema", "yt.forceinferschema"):
            continue
        seen.add(match.group(1).lower())
        value = _unquoted(match.group(2) if match.group(2) is not None else match.group(3))
        if not value:
            rows = 1
            continue
        if not value.isdigit() or int(value) > MAX_INFER_ROWS:
            raise YtFakeError(f"Bad value {value!r} for pragma {match.group(1)}: expected a "
                              f"number up to {MAX_INFER_ROWS}")
        rows = max(1, int(value))
    if len(seen) > 1:
        raise YtFakeError("InferSchema cannot be used together with ForceInferSchema")
    return rows


def used_cluster(statement: str) -> str | None:
    """The cluster a `USE` statement selects; None for other statements."""
    match = _USE.match(statement)
    return match.group(1) if match else None


def table_cluster(named: str | None, default: str | None, known: set[str]) -> str:
    cluster = named or default
    if not cluster:
        raise YtFakeError(NO_CLUSTER)
    if cluster not in known:
        raise YtFakeError(f"Unknown cluster: {cluster}")
    return cluster


def replace_tables(sql: str, default: str | None, known: set[str],
                   load: Callable[[str], str]) -> str:
    """`sql` with each YT table as the name `load` gives it and other backticked names
    quoted for DuckDB."""
    def replace(match: re.Match[str]) -> str:
        named, inner = match.group(1), match.group(2)
        if not inner.startswith("//"):
            return (f"{named}." if named else "") + '"' + inner.replace('"', '""') + '"'
        table_cluster(named, default, known)
        return load(inner)

    return _TABLE.sub(replace, sql)


@dataclass
class Insert:
    cluster: str | None
    path: str
    truncate: bool
    select: str


def parse_insert(statement: str) -> Insert | None:
    match = _INSERT.match(statement)
    if match is None:
        return None
    named, path, truncate, hints, select = match.groups()
    if hints is not None:
        words = [h.split("=")[0].strip().upper() for h in hints.split(",")]
        unknown = [w for w in words if w not in ("TRUNCATE", "EXPIRATION")]
        if unknown:
            raise YtFakeError(f"the fake query tracker does not know the write hints {unknown}")
        truncate = "TRUNCATE" if "TRUNCATE" in words else None
    return Insert(named, path, bool(truncate), select)
