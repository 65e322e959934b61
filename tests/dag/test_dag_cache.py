"""The cache: skipped when nothing changed; new input content, code, config, a missing output
(declared, or named by an operation section; all of `.dev/` deleted), --force, --refresh and
`cache clear` make stages run again, downstream included. A dependency linked by a declared
table counts through the table's content, in a chain as in a graph."""

from __future__ import annotations

import json
import shutil

import pytest
from dag_helpers import dev_client, run_pipeline, started, state_of

STAGES = {
    "double": {"inputs": ["//in/numbers"], "outputs": ["//mid/doubled"],
               "copy": ["//in/numbers", "//mid/doubled"]},
    "again": {"inputs": ["//mid/doubled"], "outputs": ["//out/final"],
              "copy": ["//mid/doubled", "//out/final"]},
}


def cached_pipeline(dag):
    root = dag(STAGES, graph={"double": [], "again": []}, pipeline={"cache": True})
    dev_client(root).write_table("//in/numbers", [{"x": 1}, {"x": 2}])
    first = run_pipeline(root)
    assert first.success and started(root) == ["double", "again"]
    return root


def statuses(result):
    return {name: step.status for name, step in result.step_results.items()}


def test_unchanged_stages_come_from_the_cache(dag, caplog):
    root = cached_pipeline(dag)
    with caplog.at_level("INFO", logger="yt_pipeline"):
        second = run_pipeline(root)
    assert statuses(second) == {"double": "CACHED", "again": "CACHED"}
    assert started(root) == ["double", "again"]  # nothing ran again
    assert state_of(root) == {"double": "SUCCESS", "again": "SUCCESS"}
    hits = [r.getMessage() for r in caplog.records if "cache hit" in r.getMessage()]
    assert len(hits) == 2 and "input //in/numbers=" in hits[0] and "code=" in hits[0]
    record = json.loads(open(second.record).read())
    assert record["stages"]["double"]["cache"].startswith("hit: fingerprint ")


def test_changed_input_content_reruns_the_stage_and_downstream(dag, caplog):
    root = cached_pipeline(dag)
    client = dev_client(root)
    client.write_table("//in/numbers", [{"x": 10}, {"x": 20}, {"x": 30}])
    with caplog.at_level("INFO", logger="yt_pipeline"):
        third = run_pipeline(root)
    assert statuses(third) == {"double": "SUCCESS", "again": "SUCCESS"}
    assert started(root)[2:] == ["double", "again"]
    assert list(client.read_table("//out/final")) == [{"x": 40}, {"x": 80}, {"x": 120}]
    messages = " | ".join(r.getMessage() for r in caplog.records)
    assert "[double] cache miss: input //in/numbers changed" in messages
    assert "[again] cache miss: input //mid/doubled changed" in messages


def test_a_declared_input_that_does_not_exist_is_warned_of(dag, caplog):
    # `inputs: [//in/numbrs]` for //in/numbers: the cache keyed on a table nobody writes
    # while the stage read another, and only an INFO line said `=missing`
    stages = {"double": {**STAGES["double"], "inputs": ["//in/numbrs"]}}
    root = dag(stages, graph={"double": []}, pipeline={"cache": True})
    dev_client(root).write_table("//in/numbers", [{"x": 1}])
    with caplog.at_level("INFO", logger="yt_pipeline"):
        assert run_pipeline(root).success
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warned == ["[double] declared input //in/numbrs does not exist as the stage "
                      "starts: is the path in inputs: of its config.yaml the table it reads?"]
    assert list(dev_client(root).read_table("//mid/doubled")) == [{"x": 2}]


def test_same_content_written_again_is_still_a_hit(dag):
    root = cached_pipeline(dag)
    dev_client(root).write_table("//in/numbers", [{"x": 1}, {"x": 2}])
    assert statuses(run_pipeline(root)) == {"double": "CACHED", "again": "CACHED"}


def test_changed_config_or_code_reruns(dag):
    root = cached_pipeline(dag)
    cfg = root / "stages" / "again" / "config.yaml"
    cfg.write_text(cfg.read_text() + "note: changed\n")
    assert statuses(run_pipeline(root)) == {"double": "CACHED", "again": "SUCCESS"}
    code = root / "stages" / "double" / "stage.py"
    code.write_text(code.read_text() + "\n# touched\n")
    assert statuses(run_pipeline(root)) == {"double": "SUCCESS", "again": "CACHED"}


def test_a_missing_output_reruns(dag):
    root = cached_pipeline(dag)
    dev_client(root).remove("//out/final")
    result = run_pipeline(root)
    assert statuses(result) == {"double": "CACHED", "again": "SUCCESS"}
    assert dev_client(root).row_count("//out/final") == 2


def test_force_refresh_and_cache_clear(dag, run_cli):
    root = cached_pipeline(dag)
    assert statuses(run_pipeline(root, force=True)) == {"double": "SUCCESS", "again": "SUCCESS"}
    assert statuses(run_pipeline(root, refresh=["again"])) == {"double": "CACHED", "again": "SUCCESS"}
    cleared = run_cli("cache", "clear", root)
    assert cleared.stdout.strip() == f"cleared 2 cache fingerprint(s) in {root} (mode dev)"
    assert statuses(run_pipeline(root)) == {"double": "SUCCESS", "again": "SUCCESS"}


def test_a_miss_after_cache_clear_says_the_fingerprint_may_have_been_cleared(dag, run_cli,
                                                                            caplog):
    root = cached_pipeline(dag)
    run_pipeline(root)
    run_cli("cache", "clear", root, "--stage", "again")
    caplog.clear()
    with caplog.at_level("INFO", logger="yt_pipeline"):
        assert statuses(run_pipeline(root)) == {"double": "CACHED", "again": "SUCCESS"}
    misses = [r.getMessage() for r in caplog.records if "cache miss" in r.getMessage()]
    assert len(misses) == 1
    assert misses[0].startswith("[again] cache miss: no fingerprint of an earlier success (it "
                                "has not succeeded with the cache on, or `yt-pipeline cache "
                                "clear` forgot it); ")


def test_upstream_without_tables_invalidates_downstream(dag):
    stages = {"a": {"cache": False, "set": {"n": 1}}, "b": {"cache": True}}
    root = dag(stages, chain=["a", "b"])
    run_pipeline(root)
    result = run_pipeline(root)
    # a is not cached and ran again: b cannot know its output is the same
    assert statuses(result) == {"a": "SUCCESS", "b": "SUCCESS"}
    assert statuses(run_pipeline(root, only=["b"])) == {"b": "CACHED"}


def test_a_stage_added_to_the_chain_leaves_the_others_in_the_cache(dag, caplog):
    # Which stages run is not a setting of each stage: the stages list changed the
    # `settings` component of every stage, so adding one at the end ran them all again
    # (`cache miss: settings changed`). A stage's dependencies are its `upstream` component.
    from dag_helpers import write_dag

    stages = {"a": {"set": {"n": 1}}, "b": {}}
    root = dag(stages, chain=["a", "b"], pipeline={"cache": True})
    assert run_pipeline(root).success
    write_dag(root, {**stages, "c": {}}, chain=["a", "b", "c"], pipeline={"cache": True})
    with caplog.at_level("INFO", logger="yt_pipeline"):
        added = run_pipeline(root)
    assert statuses(added) == {"a": "CACHED", "b": "CACHED", "c": "SUCCESS"}
    assert started(root) == ["a", "b", "c"]
    assert "settings changed" not in caplog.text
    # one put between two others is upstream of the next: that one runs again
    write_dag(root, {**stages, "c": {}, "x": {}}, chain=["a", "x", "b", "c"],
              pipeline={"cache": True})
    caplog.clear()
    with caplog.at_level("INFO", logger="yt_pipeline"):
        inserted = run_pipeline(root)
    assert statuses(inserted) == {"a": "CACHED", "x": "SUCCESS", "b": "SUCCESS", "c": "SUCCESS"}
    assert "[b] cache miss: debug changed, upstream x changed, upstream a removed" in caplog.text


def test_cached_stage_hands_on_its_stored_debug(dag):
    stages = {"a": {"cache": True, "set": {"rows": 5}}, "b": {}}
    root = dag(stages, chain=["a", "b"])
    run_pipeline(root)
    result = run_pipeline(root)
    assert result.step_results["a"].cached
    assert result.debug["seen_b"]["rows"] == 5


def test_cache_is_off_by_default(dag):
    root = dag({"a": {}}, chain=["a"])
    run_pipeline(root)
    assert statuses(run_pipeline(root)) == {"a": "SUCCESS"}
    assert "fingerprint" not in json.loads((root / ".runs" / "stages.dev.json").read_text())["a"]


def test_a_table_only_an_operation_section_names_must_exist_for_a_hit(dag, caplog):
    # `again` declares no outputs; its operation section (a sort in place) names //out/final
    stages = {**STAGES, "again": {"inputs": ["//mid/doubled"],
                                  "copy": ["//mid/doubled", "//out/final"],
                                  "client": {"operations": {"sort": {
                                      "input_table": "//out/final", "sort_by": ["x"]}}}}}
    root = dag(stages, graph={"double": [], "again": []}, pipeline={"cache": True})
    client = dev_client(root)
    client.write_table("//in/numbers", [{"x": 1}, {"x": 2}])
    run_pipeline(root)
    assert statuses(run_pipeline(root)) == {"double": "CACHED", "again": "CACHED"}
    client.remove("//out/final")
    with caplog.at_level("INFO", logger="yt_pipeline"):
        result = run_pipeline(root)
    assert statuses(result) == {"double": "CACHED", "again": "SUCCESS"}
    assert list(client.read_table("//out/final")) == [{"x": 4}, {"x": 8}]
    reason = "table //out/final its operations write is missing"
    assert f"[again] cache miss: {reason}" in caplog.text
    assert json.loads(open(result.record).read())["stages"]["again"]["cache"] == f"miss: {reason}"


def test_deleting_the_dev_folder_runs_every_cached_stage_again(dag):
    root = cached_pipeline(dag)
    shutil.rmtree(root / ".dev")
    dev_client(root).write_table("//in/numbers", [{"x": 1}, {"x": 2}])
    result = run_pipeline(root)
    assert statuses(result) == {"double": "SUCCESS", "again": "SUCCESS"}
    assert list(dev_client(root).read_table("//out/final")) == [{"x": 4}, {"x": 8}]


@pytest.mark.parametrize("form", ["chain", "graph"])
def test_a_dependency_linked_by_a_declared_table_is_no_upstream(dag, form, caplog):
    # the docs' rule: the table's content stands for the stage that wrote it, so a change
    # to that stage which leaves the table as it was keeps its reader cached, in a chain as
    # in a graph
    order = {"chain": ["double", "again"]} if form == "chain" else {
        "graph": {"double": [], "again": ["double"]}}
    root = dag(STAGES, pipeline={"cache": True}, **order)
    client = dev_client(root)
    client.write_table("//in/numbers", [{"x": 1}, {"x": 2}])
    assert statuses(run_pipeline(root)) == {"double": "SUCCESS", "again": "SUCCESS"}
    code = root / "stages" / "double" / "stage.py"
    code.write_text(code.read_text() + "\n# a comment\n")
    with caplog.at_level("INFO", logger="yt_pipeline"):
        result = run_pipeline(root)
    assert statuses(result) == {"double": "SUCCESS", "again": "CACHED"}
    assert "upstream double" not in caplog.text
    assert list(client.read_table("//out/final")) == [{"x": 4}, {"x": 8}]
    entries = json.loads((root / ".runs" / "stages.dev.json").read_text())
    assert entries["again"]["components"]["upstream"] == {}


def test_a_chain_link_by_a_declared_table_still_passes_new_content_on(dag, caplog):
    root = dag(STAGES, chain=["double", "again"], pipeline={"cache": True})
    client = dev_client(root)
    client.write_table("//in/numbers", [{"x": 1}, {"x": 2}])
    run_pipeline(root)
    client.write_table("//in/numbers", [{"x": 5}])
    with caplog.at_level("INFO", logger="yt_pipeline"):
        result = run_pipeline(root)
    assert statuses(result) == {"double": "SUCCESS", "again": "SUCCESS"}
    assert "[again] cache miss: input //mid/doubled changed" in caplog.text
    assert list(client.read_table("//out/final")) == [{"x": 20}]


def test_a_dry_run_counts_the_stages_that_would_come_from_the_cache(dag, run_cli):
    root = cached_pipeline(dag)
    result = run_cli("run", root, "--dry-run")
    assert result.exit_code == 0, result.output
    [header] = [line for line in result.stdout.splitlines() if line.startswith("plan for ")]
    # again waits for double, which the plan runs: its cache is decided only then
    assert header.endswith("2 of 2 stages to run (1 would come from the cache), 4 worker(s)")
    assert "would come from the cache" in result.stdout.split(header)[1]
    assert started(root) == ["double", "again"]  # a dry run runs nothing
