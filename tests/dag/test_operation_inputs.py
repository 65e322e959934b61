"""The tables a stage's operations read count as its inputs, as their outputs count as its
outputs: in a graph, a stage whose map reads another stage's table runs after that stage
without being listed (it started at once and failed, `reads table ..., which does not
exist`, or read the table an earlier run left); and the cache goes by their content (a map
of a table no stage writes was served from the cache after that table changed)."""

from __future__ import annotations

from yt_pipeline_dev.client import DevClient

MAP_STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Stage(BaseStage):
    def run(self, debug):
        run_map(self, self.config.client.operations.map)
        return debug
"""
SLOW_DOUBLE = ("import time\nfrom ytjobs import read_rows, write_rows\ntime.sleep(0.5)\n"
               "write_rows({'x': r['x'] * 2} for r in read_rows())\n")
PLUS_ONE = ("from ytjobs import read_rows, write_rows\n"
            "write_rows({'x': r['x'] + 1} for r in read_rows())\n")


def _map_config(source: str, target: str) -> str:
    return (f"client:\n  operations:\n    map:\n      input_table: {source}\n"
            f"      output_table: {target}\n")


def _rows(root, table: str) -> list[dict]:
    return list(DevClient(root / ".dev").read_table(table))


def test_a_stage_whose_map_reads_another_stages_table_runs_after_it(make_pipeline, run_cli):
    root = make_pipeline({
        "stages/double/stage.py": MAP_STAGE,
        "stages/double/src/mapper.py": SLOW_DOUBLE,
        "stages/double/config.yaml": _map_config("//raw/in", "//op/doubled"),
        "stages/plus/stage.py": MAP_STAGE,
        "stages/plus/src/mapper.py": PLUS_ONE,
        # a path with selectors reads the table all the same
        "stages/plus/config.yaml": _map_config("//op/doubled{x}", "//op/plus"),
    }, config={"pipeline": {"mode": "dev"}, "stages": {"graph": {"plus": [], "double": []}}})
    DevClient(root / ".dev").write_table("//raw/in", [{"x": i} for i in range(4)])
    shown = run_cli("graph", root, "--format", "mermaid")
    assert "  double -->|//op/doubled| plus" in shown.stdout.splitlines(), shown.stdout
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    assert _rows(root, "//op/plus") == [{"x": 2 * i + 1} for i in range(4)]


def test_the_cache_goes_by_the_content_of_the_table_a_map_reads(make_pipeline, run_cli):
    root = make_pipeline({
        "stages/plus/stage.py": MAP_STAGE,
        "stages/plus/src/mapper.py": PLUS_ONE,
        "stages/plus/config.yaml": _map_config("//raw/in", "//op/plus"),
    }, config={"pipeline": {"mode": "dev", "cache": True}, "stages": {"enabled_stages": ["plus"]}})
    raw = DevClient(root / ".dev")
    raw.write_table("//raw/in", [{"x": 1}])  # written outside the pipeline
    assert run_cli("run", root).exit_code == 0
    again = run_cli("run", root)
    assert "from the cache" in again.stderr, again.stderr
    raw.write_table("//raw/in", [{"x": 10}, {"x": 20}])
    changed = run_cli("run", root)
    assert changed.exit_code == 0, changed.output
    assert "cache miss: input //raw/in changed" in changed.stderr, changed.stderr
    assert _rows(root, "//op/plus") == [{"x": 11}, {"x": 21}]
