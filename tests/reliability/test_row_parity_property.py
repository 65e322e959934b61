"""Random tables give the same rows in dev and in prod (the real ytsaurus-client against the
fake proxy, whose jobs run a bare python3, the oldest on the machine: 3.8 here): written and
read back, copied by a map job, sorted, and counted per key by a reduce job; and through
YQL (dev's DuckDB against the fake's query tracker), a SELECT * and a GROUP BY with COUNT,
which give the same rows or fail with the same line. Rows are compared with their types
(1, 1.0 and True differ).

The values are those YT stores from Python as they are (see ytjobs/row_rules.py for what
both modes refuse, and test_row_parity.py for the refusals): int64 and uint64 at their
edges, finite doubles at theirs (-0.0, 5e-324, 1.7976931348623157e308), booleans, text with
NUL, newlines, line separators, backslashes and astral characters, None, nested lists and
maps (empty ones too), column names with dots, spaces and non-ASCII letters, and rows with
different sets of columns.

Derandomized, with few examples of a few rows each, so that CI sees the same tables every
run and the whole file takes well under a minute.
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "yt_prod"))
from prod_packages import build_package  # noqa: E402 - tests/yt_prod is put on the path above

from yt_pipeline.errors import QueryFailed  # noqa: E402
from yt_pipeline.operations import OperationSpec, Resources  # noqa: E402
from yt_pipeline_dev.client import DevClient  # noqa: E402
from yt_pipeline_dev.launcher import launch as dev_launch  # noqa: E402
from yt_pipeline_prod import plugin  # noqa: E402
from yt_pipeline_prod.testing import make_prod_client, start_fake_proxy  # noqa: E402

COPY = """
from ytjobs import read_rows, write_rows
write_rows(read_rows())
"""
COUNT = """
from ytjobs import groups, read_rows, write_row
for key, rows in groups(read_rows(), "k"):
    write_row({"k": key, "n": sum(1 for _ in rows)})
"""
SCRIPTS = {"src/copier.py": COPY, "src/counter.py": COUNT}

INT64, UINT64 = (-(1 << 63), (1 << 63) - 1), (1 << 64) - 1
EDGE_INTS = [INT64[0], INT64[1], 1 << 63, UINT64, 0, -1, 1]
EDGE_DOUBLES = [-0.0, 0.0, 5e-324, 2.2250738585072014e-308, 1e308, 1.7976931348623157e308,
                -1.7976931348623157e308, 0.1, 1.0]
#: text a JSON writer must escape or keep as it is
TEXT_CHARS = st.sampled_from(["a", "Z", " ", "\x00", "\n", "\r", "\t", "\\", '"', "\u2028",
                              "é", "ж", "\U0001f600", "\x7f", "\\u0000", "\\x", "/", "$"])

ints = st.one_of(st.sampled_from(EDGE_INTS), st.integers(INT64[0], UINT64))
doubles = st.one_of(st.sampled_from(EDGE_DOUBLES),
                    st.floats(allow_nan=False, allow_infinity=False))
texts = st.lists(TEXT_CHARS, max_size=6).map("".join)
scalars = st.one_of(st.none(), st.booleans(), ints, doubles, texts)
names = st.one_of(st.sampled_from(["a.b", "é x", "ключ", "x y.z", "v"]),
                  st.text(st.sampled_from("ab.é _"), min_size=1, max_size=4))
nested = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(names, inner, max_size=3)), max_leaves=6)


@st.composite
def tables(draw: Any) -> list[dict[str, Any]]:
    """Rows sharing a key column `k` of one scalar kind (sorting and grouping mixed kinds is
    tested in test_prod_dev_parity.py), each with its own set of other columns."""
    key = draw(st.sampled_from([ints, doubles, texts, st.booleans()]))
    rows = []
    for _ in range(draw(st.integers(1, 5))):
        row = {"k": draw(st.one_of(st.none(), key))}
        row.update(draw(st.dictionaries(names.filter(lambda n: n != "k"), nested, max_size=3)))
        rows.append(row)
    return rows


class Both:
    """A dev client and a prod client on one fake proxy, a stage folder for the jobs."""

    def __init__(self, root: Path, prod: Any):
        self.root = root
        stage = root / "stages" / "s"
        (stage / "src").mkdir(parents=True)
        (stage / "config.yaml").write_text("{}\n")
        for relative, text in SCRIPTS.items():
            (stage / relative).write_text(textwrap.dedent(text))
        self.package = build_package(root.parent / ".build", {"s": SCRIPTS})
        self.dev, self.prod = DevClient(root / ".dev"), prod

    def each(self) -> list[tuple[str, Any]]:
        return [("dev", self.dev), ("prod", self.prod)]

    def run(self, kind: str, **fields: Any) -> dict[str, list[dict[str, Any]]]:
        spec = OperationSpec(kind=kind, stage_name="s", name=kind, stage_dir=self.root / "stages/s",
                             pipeline_dir=self.root, resources=Resources(job_count=1), **fields)
        dev_launch(self.dev, spec)
        plugin.launch_operation(self.prod, dataclasses.replace(spec, code_package=self.package))
        return self.read(fields["output_tables"][0])

    def read(self, path: str) -> dict[str, list[dict[str, Any]]]:
        return {mode: list(client.read_table(path)) for mode, client in self.each()}


@pytest.fixture(scope="module")
def both(tmp_path_factory: Any) -> Any:
    fake = start_fake_proxy()
    prod = make_prod_client(fake)
    try:
        yield Both(tmp_path_factory.mktemp("parity") / "pipe", prod)
    finally:
        prod.close()
        fake.stop()


def typed(value: Any) -> Any:
    """A value with its type spelt out at every depth, -0.0 told from 0.0, so that == between
    two of them is exact."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    if isinstance(value, float):
        return ("float", value, math.copysign(1.0, value))
    return (type(value).__name__, value)


def same(results: dict[str, Any], expected: Any = None) -> None:
    assert typed(results["dev"]) == typed(results["prod"]), results
    if expected is not None:
        assert typed(results["dev"]) == typed(expected)


SETTINGS = settings(max_examples=10, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(rows=tables())
def test_write_read_map_sort_and_reduce_give_the_same_rows(both: Any, rows: list) -> None:
    for _, client in both.each():
        client.write_table("//p/in", rows)
    same(both.read("//p/in"), rows)
    same(both.run("map", mapper="src/copier.py", input_tables=["//p/in"],
                  output_tables=["//p/copy"]), rows)
    same(both.run("sort", input_tables=["//p/in"], output_tables=["//p/sorted"],
                  sort_by=["k"]))
    same(both.run("reduce", reducer="src/counter.py", input_tables=["//p/in"],
                  output_tables=["//p/count"], reduce_by=["k"], sort_by=["k"]))



YQL_QUERIES = ["SELECT * FROM `//p/in`",
               "SELECT k, COUNT(*) AS n FROM `//p/in` GROUP BY k ORDER BY k"]


@SETTINGS
@given(rows=tables())
def test_yql_gives_the_same_rows(both: Any, rows: list) -> None:
    """Same rows, or the same refusal, from dev and from the fake for each query."""
    for _, client in both.each():
        client.write_table("//p/in", rows)
    for query in YQL_QUERIES:
        results: dict[str, Any] = {}
        for mode, client in both.each():
            try:
                results[mode] = client.run_yql(query)
            except QueryFailed as exc:
                # the cluster's line, after dev's "YQL: " or prod's "YQL query <id> failed: "
                # (and the "YQL: " of an issue prod places in the query, as dev does)
                results[mode] = re.sub(r"^(YQL query \S+ failed: )?(YQL: )?", "", str(exc))
        same(results)
