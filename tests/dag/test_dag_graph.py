"""The DAG: chain, declared graph, inferred dependencies, cycles, levels, parallel stages,
debug along edges, selection and the dry run."""

from __future__ import annotations

import pytest
from dag_helpers import order_of, run_pipeline, started, state_of

from yt_pipeline.errors import GraphError
from yt_pipeline.graph import build_graph
from yt_pipeline.graph_order import find_cycle, topological_levels

DIAMOND = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}


def test_chain_runs_in_its_order(dag):
    root = dag({"z": {}, "y": {}, "x": {}}, chain=["z", "x", "y"])
    result = run_pipeline(root)
    assert result.success
    assert order_of(root) == ["start z", "end z", "start x", "end x", "start y", "end y"]
    assert state_of(root) == {"z": "SUCCESS", "x": "SUCCESS", "y": "SUCCESS"}


def test_diamond_runs_each_stage_after_what_it_needs(dag):
    root = dag({n: {} for n in DIAMOND}, graph=DIAMOND)
    result = run_pipeline(root, workers=1)
    assert result.success
    order = started(root)
    assert order[0] == "a" and order[-1] == "d" and set(order[1:3]) == {"b", "c"}


def test_levels_and_cycle_search():
    deps = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"], "e": []}
    assert topological_levels(deps) == [["a", "e"], ["b", "c"], ["d"]]
    assert find_cycle(deps) is None
    assert find_cycle({"a": ["c"], "b": ["a"], "c": ["b"]}) == ["a", "c", "b", "a"]


def test_a_long_chain_is_no_recursion_problem():
    deps = {f"s{i}": [f"s{i - 1}"] if i else [] for i in range(5000)}
    assert find_cycle(deps) is None
    assert len(topological_levels(deps)) == 5000


def test_cycle_is_printed_with_the_file_and_key(dag, run_cli):
    root = dag({n: {} for n in "abc"}, graph={"a": ["c"], "b": ["a"], "c": ["b"]})
    result = run_cli("run", root)
    assert result.exit_code == 2
    assert "error: configs/config.yaml: stages.graph: cycle: a -> c -> b -> a" in result.stderr
    assert "Traceback" not in result.output


def test_unknown_dependency_names_the_stage_asking(dag, run_cli):
    root = dag({"a": {}, "b": {}}, graph={"a": [], "b": ["clean"]})
    result = run_cli("run", root)
    assert result.exit_code == 2
    assert "configs/config.yaml: stages.graph.b: stage b depends on unknown stage clean" in result.stderr


def test_graph_errors_name_the_layer_that_set_the_node(dag, run_cli, monkeypatch):
    """A `--set` or a variable that adds to the file's graph is what the error names."""
    root = dag({"a": {}, "b": {}}, graph={"a": [], "b": ["a"]})
    result = run_cli("run", root, "--set", "stages.graph.b=[clean]", "--dry-run")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: --set stages.graph.b: stages.graph.b: stage b depends on unknown stage clean"]
    result = run_cli("run", root, "--set", "stages.graph.zz=[]", "--dry-run")
    assert result.stderr.startswith("error: --set stages.graph.zz: stages.graph: unknown stage zz")
    result = run_cli("run", root, "--set", "stages.graph.a=[b]", "--dry-run")
    assert ("error: --set stages.graph.a, configs/config.yaml: stages.graph: cycle: a -> b -> a"
            in result.stderr)
    monkeypatch.setenv("YTP_STAGES__GRAPH__A", "[a]")
    result = run_cli("run", root, "--dry-run")
    assert ("error: environment YTP_STAGES__GRAPH__A: stages.graph: cycle: a -> a"
            in result.stderr)


def test_dependencies_inferred_from_inputs_and_outputs(dag, run_cli):
    stages = {
        "load": {"outputs": ["//t/raw"], "copy": ["//t/seed", "//t/raw"]},
        "clean": {"inputs": ["//t/raw"], "outputs": ["//t/clean"], "copy": ["//t/raw", "//t/clean"]},
    }
    root = dag(stages, graph={"clean": [], "load": []})
    from dag_helpers import dev_client

    dev_client(root).write_table("//t/seed", [{"x": 1}, {"x": 5}])
    result = run_pipeline(root, workers=4)
    assert result.success
    assert started(root) == ["load", "clean"]
    assert list(dev_client(root).read_table("//t/clean")) == [{"x": 4}, {"x": 20}]
    shown = run_cli("graph", root, "--format", "mermaid")
    assert shown.stdout.splitlines() == [
        "graph TD", '  load["load"]', '  clean["clean"]', "  load -->|//t/raw| clean",
    ]



MAP_STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Double(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//op/in", ({"x": i} for i in range(6)))
        run_map(self, self.config.client.operations.map)
        return debug
"""
READ_STAGE = """
from yt_pipeline import BaseStage


class Total(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        rows = list(yt.read_table("//op/doubled"))
        yt.write_table("//op/total", [{"rows": len(rows), "sum": sum(r["x"] for r in rows)}])
        return debug
"""


def test_a_stage_reading_an_operations_output_runs_after_it(make_pipeline, run_cli):
    """The map's output table is a table its stage writes (as the cache and the report
    count it): a stage declaring it as an input needs that stage, unlisted in the graph."""
    root = make_pipeline({
        "stages/double/stage.py": MAP_STAGE,
        "stages/double/src/mapper.py": "import time\nfrom ytjobs import read_rows, write_rows\n"
                                       "time.sleep(0.5)\n"
                                       "write_rows({'x': r['x'] * 2} for r in read_rows())\n",
        "stages/double/config.yaml": "client:\n  operations:\n    map:\n"
                                     "      input_table: //op/in\n      output_table: //op/doubled\n",
        "stages/total/stage.py": READ_STAGE,
        "stages/total/config.yaml": "inputs: [//op/doubled]\noutputs: [//op/total]\n",
    }, config={"pipeline": {"mode": "dev"}, "stages": {"graph": {"total": [], "double": []}}})
    shown = run_cli("graph", root, "--format", "mermaid")
    assert "  double -->|//op/doubled| total" in shown.stdout.splitlines()
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    assert run_cli("table", "head", "//op/total", "-C", root, "--format", "json").stdout \
        == '{"rows": 6, "sum": 30}\n'


def test_an_inferred_edge_names_every_table_it_carries(dag, run_cli):
    stages = {"load": {"outputs": ["//t/users", "//t/events"]},
              "join": {"inputs": ["//t/users", "//t/events", "//t/other"]}}
    root = dag(stages, graph={"join": [], "load": []})
    for fmt, edge in (("mermaid", "  load -->|//t/users, //t/events| join"),
                      ("dot", '  "load" -> "join" [label="//t/users, //t/events"];')):
        assert edge in run_cli("graph", root, "--format", fmt).stdout.splitlines()


def test_inferred_cycle_says_which_tables():
    io = {"a": (["//x"], ["//y"]), "b": (["//y"], ["//x"])}
    with pytest.raises(GraphError) as caught:
        build_graph({"a": [], "b": []}, io, source="configs/config.yaml")
    assert str(caught.value) == (
        "configs/config.yaml: stages.graph: cycle: a -> b -> a "
        "(from inputs/outputs: a reads //x; b reads //y)"
    )


def test_graph_text_aligns_the_arrows_and_leaves_no_trailing_blanks(dag, run_cli):
    root = dag({"load": {}, "clean_events": {}, "x": {}},
               graph={"load": [], "clean_events": ["load"], "x": ["load"]})
    assert run_cli("graph", root).stdout.splitlines() == [
        "level 1", "  load", "level 2", "  clean_events  <- load", "  x             <- load"]


def test_graph_command_formats(dag, run_cli):
    root = dag({n: {} for n in DIAMOND}, graph=DIAMOND)
    text = run_cli("graph", root)
    assert text.stdout.splitlines() == [
        "level 1", "  a", "level 2", "  b  <- a", "  c  <- a", "level 3", "  d  <- b, c",
    ]
    dot = run_cli("graph", root, "--format", "dot").stdout
    assert '"a" -> "b";' in dot and '"c" -> "d";' in dot and dot.startswith("digraph pipeline {")


def test_independent_stages_run_at_the_same_time(dag):
    root = dag({n: {"sleep": 0.3} for n in "abc"}, graph={"a": [], "b": [], "c": []})
    result = run_pipeline(root, workers=3)
    assert result.success
    # all three started before any ended: they ran at the same time
    assert [line.split()[0] for line in order_of(root)][:3] == ["start"] * 3


def _threads_of(root) -> dict[str, str]:
    lines = (root / "threads.log").read_text().splitlines()
    return dict(line.split(" ", 1) for line in lines)


def test_a_chain_runs_on_one_thread_whatever_the_workers(dag):
    # a worker thread is started only when a stage waits for one: a chain never has two
    # stages to run at once
    root = dag({n: {} for n in "wxyz"}, chain=["w", "x", "y", "z"])
    assert run_pipeline(root, workers=8).success
    assert _threads_of(root) == {n: "ytp-stage-0" for n in "wxyz"}


def test_a_diamond_takes_as_many_threads_as_stages_run_at_once(dag):
    stages = {n: {"sleep": 0.2 if n in "bc" else 0} for n in DIAMOND}
    root = dag(stages, graph=DIAMOND)
    assert run_pipeline(root, workers=8).success
    threads = _threads_of(root)
    assert threads["b"] != threads["c"]  # the two branches ran at the same time
    assert set(threads.values()) == {"ytp-stage-0", "ytp-stage-1"}


def test_one_worker_runs_one_at_a_time(dag):
    root = dag({n: {"sleep": 0.05} for n in "abc"}, graph={"a": [], "b": [], "c": []})
    assert run_pipeline(root, workers=1).success
    assert order_of(root) == ["start a", "end a", "start b", "end b", "start c", "end c"]


def test_debug_is_merged_from_every_upstream_stage(dag):
    stages = {"a": {"set": {"x": 1}}, "b": {"set": {"y": 2}}, "c": {"set": {"z": 3}}, "d": {}}
    root = dag(stages, graph=DIAMOND)
    result = run_pipeline(root)
    seen = result.debug["seen_d"]
    assert (seen["x"], seen["y"], seen["z"]) == (1, 2, 3)
    assert "seen_b" in seen and "seen_c" in seen
    assert result.debug["seen_b"] == {"x": 1, "seen_a": {}}


def test_conflicting_debug_from_two_branches_names_both(dag):
    stages = {"a": {}, "b": {"set": {"k": 1}}, "c": {"set": {"k": 2}}, "d": {}}
    root = dag(stages, graph=DIAMOND)
    failure = run_pipeline(root)
    assert "debug key 'k' differs between upstream stages b (1) and c (2)" in str(failure)
    assert state_of(root) == {"a": "SUCCESS", "b": "SUCCESS", "c": "SUCCESS", "d": "FAILED"}


@pytest.mark.parametrize(("options", "expected"), [
    ({"only": ["b", "c"]}, {"b", "c"}),
    ({"from_stage": "b"}, {"b", "d"}),
    ({"to_stage": "b"}, {"a", "b"}),
    ({"from_stage": "a", "to_stage": "c"}, {"a", "c"}),
])
def test_selection(dag, options, expected):
    root = dag({n: {} for n in DIAMOND}, graph=DIAMOND)
    result = run_pipeline(root, **options)
    assert set(started(root)) == expected
    ran = {n for n, s in result.step_results.items() if s.status == "SUCCESS"}
    assert ran == expected


def test_only_gets_upstream_debug_from_the_last_run(dag):
    stages = {"a": {"set": {"x": 7}}, "b": {}, "c": {}, "d": {}}
    root = dag(stages, graph=DIAMOND)
    run_pipeline(root)
    result = run_pipeline(root, only=["b"])
    assert started(root)[-1] == "b"
    assert result.debug["seen_b"]["x"] == 7


def test_unknown_selection_is_an_error(dag, run_cli):
    root = dag({"a": {}}, graph={"a": []})
    result = run_cli("run", root, "--only", "nope")
    assert result.exit_code == 2
    assert "--only: unknown stage nope (known: a)" in result.stderr


def test_a_misspelt_stage_name_gets_a_suggestion_everywhere(dag, run_cli):
    root = dag({"clean": {}, "load": {}}, graph={"load": [], "clean": ["load"]})
    for option in ("--only", "--from", "--to"):
        result = run_cli("run", root, option, "claen")
        assert result.exit_code == 2
        assert f"{option}: unknown stage claen; did you mean clean? (known: " in result.stderr
    cleared = run_cli("cache", "clear", root, "--stage", "laod")
    assert cleared.exit_code == 2  # not "cleared 0"
    assert "--stage: unknown stage laod; did you mean load?" in cleared.stderr
    assert run_cli("cache", "clear", root, "--stage", "load").exit_code == 0


def test_dry_run_prints_levels_and_skips(dag, run_cli):
    stages = {"a": {}, "b": {"when": "debug.go"}, "c": {}, "d": {}}
    root = dag(stages, graph=DIAMOND)
    result = run_cli("run", root, "--from", "b", "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"plan for {root} (state.dev.yml): 2 of 4 stages to run")
    assert lines[1:] == [
        "level 1: b (when: debug.go)",
        "level 2: d",
        "skipped:",
        "  a: not selected (--only/--from/--to)",
        "  c: not selected (--only/--from/--to)",
    ]
    assert order_of(root) == [] and not (root / "state.dev.yml").exists()
