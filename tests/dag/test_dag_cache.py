"""The cache: skipped when nothing changed; new input content, code, config, a missing output,
--force, --refresh and `cache clear` make stages run again, downstream included."""

from __future__ import annotations

import json

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


def test_upstream_without_tables_invalidates_downstream(dag):
    stages = {"a": {"cache": False, "set": {"n": 1}}, "b": {"cache": True}}
    root = dag(stages, chain=["a", "b"])
    run_pipeline(root)
    result = run_pipeline(root)
    # a is not cached and ran again: b cannot know its output is the same
    assert statuses(result) == {"a": "SUCCESS", "b": "SUCCESS"}
    assert statuses(run_pipeline(root, only=["b"])) == {"b": "CACHED"}


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
