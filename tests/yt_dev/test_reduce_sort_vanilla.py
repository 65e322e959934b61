"""reduce, map_reduce, sort and vanilla in dev, with their real semantics."""

from __future__ import annotations

import os
import random

import pytest

from yt_pipeline.errors import ConfigError, OperationFailed
from yt_pipeline_dev.launcher import launch, sandbox_for

GROUP_REDUCER = """
    import os
    from ytjobs import groups, read_rows, write_rows
    job = int(os.environ["YT_JOB_INDEX"])
    write_rows({"k": k, "vs": [r["v"] for r in rows], "job": job}
               for k, rows in groups(read_rows(), "k"))
"""


def _rows(client, path):
    return list(client.read_table(path))


def test_reduce_sees_sorted_keys_in_whole_groups(dev_client, stages):
    stages("r", {"src/reducer.py": GROUP_REDUCER})
    rng = random.Random(7)
    source = [{"k": rng.randrange(40), "v": i} for i in range(2000)]
    dev_client.write_table("//in/t", source)
    spec = stages.spec("reduce", "r", job_count=3, input_tables=["//in/t"],
                       output_tables=["//out/t"], reducer="src/reducer.py",
                       reduce_by=["k"], sort_by=["k"])
    result = launch(dev_client, spec)
    rows = _rows(dev_client, "//out/t")
    keys = [r["k"] for r in rows]
    assert keys == sorted(set(keys)) == sorted({r["k"] for r in source})
    for row in rows:  # stable: a group keeps the input order of its rows
        assert row["vs"] == [r["v"] for r in source if r["k"] == row["k"]]
    assert {r["job"] for r in rows} == {0, 1, 2}
    assert result.rows == {"//out/t": len(keys)}
    assert not sandbox_for(dev_client, spec).exists()


def test_reduce_with_secondary_sort(dev_client, stages):
    stages("r", {"src/reducer.py": GROUP_REDUCER})
    dev_client.write_table("//in/t", [{"k": "b", "v": 3}, {"k": "a", "v": 2},
                                      {"k": "b", "v": 1}, {"k": "a", "v": 9}])
    spec = stages.spec("reduce", "r", input_tables=["//in/t"], output_tables=["//out/t"],
                       reducer="src/reducer.py", reduce_by=["k"], sort_by=["k", "v"])
    launch(dev_client, spec)
    assert [(r["k"], r["vs"]) for r in _rows(dev_client, "//out/t")] == [
        ("a", [2, 9]), ("b", [1, 3])]
    spec.sort_by = ["v"]
    with pytest.raises(ConfigError, match=r"reduce_by \[k\] must be a prefix of sort_by \[v\]"):
        launch(dev_client, spec)


def test_map_reduce_word_count_with_two_jobs(dev_client, stages):
    stages("wc", {
        "src/mapper.py": """
            from ytjobs import read_rows, write_rows
            write_rows({"word": w} for r in read_rows() for w in r["text"].split())
        """,
        "src/reducer.py": """
            from ytjobs import groups, read_rows, write_rows
            write_rows({"word": w, "n": sum(1 for _ in rows)}
                       for w, rows in groups(read_rows(), "word"))
        """,
    })
    dev_client.write_table("//in/t", [{"text": "b a c"}, {"text": "a b"}, {"text": "a"}])
    spec = stages.spec("map_reduce", "wc", job_count=2, input_tables=["//in/t"],
                       output_tables=["//out/t"], mapper="src/mapper.py",
                       reducer="src/reducer.py", reduce_by=["word"], sort_by=["word"])
    launch(dev_client, spec)
    assert _rows(dev_client, "//out/t") == [
        {"word": "a", "n": 3}, {"word": "b", "n": 2}, {"word": "c", "n": 1}]


MIXED = [{"id": 0, "k": 3}, {"id": 1, "k": "b"}, {"id": 2, "k": None}, {"id": 3, "k": 1.5},
         {"id": 4, "k": True}, {"id": 5}, {"id": 7, "k": "a"}, {"id": 8, "k": -2},
         {"id": 10, "k": 2**64 - 1}]


def test_sort_in_place_orders_mixed_types(dev_client, stages):
    dev_client.write_table("//t", MIXED)
    spec = stages.spec("sort", "s", input_tables=["//t"], output_tables=["//t"], sort_by=["k"])
    launch(dev_client, spec)
    # null and missing first (stable), int64, uint64, double (1.5 after 2**64 - 1: YT
    # orders by type first), booleans, strings; a list or a map fails the sort
    # (tests/yt_prod/test_prod_dev_parity.py)
    assert [r["id"] for r in _rows(dev_client, "//t")] == [2, 5, 8, 0, 10, 3, 4, 7, 1]
    assert _rows(dev_client, "//t")[4]["k"] == 2**64 - 1


def test_sort_to_another_table_by_two_columns(dev_client, stages):
    source = [{"a": 2, "b": "x"}, {"a": 1, "b": "z"}, {"a": 2, "b": "a"}, {"a": 1, "b": "b"}]
    dev_client.write_table("//in", source)
    spec = stages.spec("sort", "s", input_tables=["//in"], output_tables=["//out"],
                       sort_by=["a", "b"])
    launch(dev_client, spec)
    assert [(r["a"], r["b"]) for r in _rows(dev_client, "//out")] == [
        (1, "b"), (1, "z"), (2, "a"), (2, "x")]
    assert _rows(dev_client, "//in") == source


VANILLA = """
    import os, sys
    task = os.environ["YT_JOB_COOKIE"]
    print(f"stdout of task {task}", flush=True)
    print(f"stderr of task {task}", file=sys.stderr)
    if os.environ.get("FAIL") == task:
        raise SystemExit(5)
"""


def test_vanilla_tasks_log_to_the_stage_log(dev_client, stages):
    stages("train", {"src/vanilla.py": VANILLA})
    spec = stages.spec("vanilla", "train", job_count=2, script="src/vanilla.py")
    launch(dev_client, spec)
    log = (dev_client.root / "train.log").read_text()
    for task in (0, 1):
        assert f"stdout of task {task}" in log and f"stderr of task {task}" in log
    assert log.index("vanilla task 1 of 2 ===") < log.index("vanilla task 2 of 2 ===")
    assert sandbox_for(dev_client, spec) == dev_client.root / ".sandboxes/train_sandbox"
    assert not (dev_client.root / ".sandboxes/train_sandbox").exists()


def test_failed_vanilla_keeps_sandbox_and_log(dev_client, stages):
    stages("train", {"src/vanilla.py": VANILLA})
    spec = stages.spec("vanilla", "train", job_count=2, script="src/vanilla.py",
                       env={"FAIL": "1"})
    with pytest.raises(OperationFailed) as caught:
        launch(dev_client, spec)
    assert caught.value.job_exit_code == 5 and "task 2 of 2" in str(caught.value)
    assert "stderr of task 1" in caught.value.stderr_tail
    assert os.path.isdir(caught.value.sandbox)
    assert "stdout of task 1" in (dev_client.root / "train.log").read_text()


def test_null_sorts_at_the_same_end_in_run_sort_and_yql_order_by(dev_client, stages):
    """On YT null is the smallest value of any type: first when sorting ascending, last
    descending. Dev's run_sort and its YQL (DuckDB, whose default puts NULL last both ways)
    agree on that."""
    dev_client.write_table("//n/in", [{"k": 2}, {"k": None}, {"k": 1}, {}])
    launch(dev_client, stages.spec("sort", "s", input_tables=["//n/in"],
                                   output_tables=["//n/sorted"], sort_by=["k"]))
    sorted_keys = [r.get("k") for r in _rows(dev_client, "//n/sorted")]
    assert sorted_keys == [None, None, 1, 2]
    up = dev_client.run_yql("SELECT k FROM `//n/in` ORDER BY k")
    down = dev_client.run_yql("SELECT k FROM `//n/in` ORDER BY k DESC")
    assert [r["k"] for r in up] == sorted_keys
    assert [r["k"] for r in down] == [2, 1, None, None]
