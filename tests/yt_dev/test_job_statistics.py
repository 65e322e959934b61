"""Custom statistics at fd 5 in dev: kept and summed as a cluster sums them, refused where a
cluster's job proxy refuses them, in its words (yt_pipeline_dev/job_statistics.py)."""

from __future__ import annotations

import pytest

from yt_pipeline.errors import OperationFailed
from yt_pipeline.job_statistics import job_summaries, parse
from yt_pipeline_dev.launcher import launch

#: each job counts its rows with ytjobs' helper, and writes the cluster's own example by hand
COUNTING_MAPPER = """
    import os
    from ytjobs import read_rows, write_rows, write_statistics
    rows = list(read_rows())
    write_statistics({"rows": {"seen": len(rows)}})
    os.write(5, b"{ cpu={ k1=4; k3=7 }}; {k2=-7};{k2=1};")
    write_rows(rows)
"""
VANILLA = """
    from ytjobs import write_statistics
    write_statistics({"tasks": 1})
"""


def _map(dev_client, stages, script, rows=4, job_count=2, **extra_spec):
    stages("m", {"src/mapper.py": script})
    dev_client.write_table("//in/t", [{"id": i} for i in range(rows)])
    return stages.spec("map", "m", job_count=job_count, input_tables=["//in/t"],
                       output_tables=["//out/t"], mapper="src/mapper.py",
                       extra_spec=extra_spec, max_failed_job_count=1)


def test_statistics_are_summed_over_the_operation(dev_client, stages):
    result = launch(dev_client, _map(dev_client, stages, COUNTING_MAPPER, rows=5))
    assert result.statistics == {
        "custom/rows/seen": {"sum": 5, "count": 2, "min": 2, "max": 3},
        "custom/cpu/k1": {"sum": 8, "count": 2, "min": 4, "max": 4},
        "custom/cpu/k3": {"sum": 14, "count": 2, "min": 7, "max": 7},
        # two samples a job: count 2 per job, as in the cluster's own test of this
        "custom/k2": {"sum": -12, "count": 4, "min": -7, "max": 1},
    }
    line = (dev_client.root / "operation.log").read_text().splitlines()[-1]
    assert line.endswith(
        "jobs=2 statistics: custom/cpu/k1: sum=8 count=2 min=4 max=4; custom/cpu/k3: sum=14 "
        "count=2 min=7 max=7; custom/k2: sum=-12 count=4 min=-7 max=1; custom/rows/seen: "
        "sum=5 count=2 min=2 max=3")


def test_a_vanilla_task_writes_statistics_too(dev_client, stages):
    stages("v", {"src/vanilla.py": VANILLA})
    spec = stages.spec("vanilla", "v", job_count=3, script="src/vanilla.py")
    assert launch(dev_client, spec).statistics == {
        "custom/tasks": {"sum": 3, "count": 3, "min": 1, "max": 1}}


@pytest.mark.parametrize(("written", "words"), [
    ('{a="text"};', 'Invalid statistics type: expected map or integral type but found "text"'),
    ('{a=1.5};', "Invalid statistics type: expected map or integral type but found 1.5"),
    ('{""=1};', "Statistic cannot have an empty name"),
    ("{a=1};{a={b=2}};", "Incompatible statistic paths (OldPath: /custom/a, NewPath: "
                         "/custom/a/b)"),
    ("{" + "a" * 600 + "=1};", "Custom statistics path is too long: 608 > 512"),
    ("{a=1", "Error parsing YSON statistics from fd 5 at byte 4: unexpected end of the "
             "stream in a map"),
])
def test_what_a_cluster_refuses_fails_the_job(dev_client, stages, written, words):
    script = f"""
    import os
    from ytjobs import read_rows, write_rows
    os.write(5, {written.encode()!r})
    write_rows(read_rows())
    """
    with pytest.raises(OperationFailed) as failed:
        launch(dev_client, _map(dev_client, stages, script, job_count=1))
    assert f"wrote statistics to fd 5 a cluster refuses: {words}" in str(failed.value)
    assert not dev_client.exists("//out/t")


def test_more_statistics_than_the_jobs_limit_fail_it(dev_client, stages):
    script = """
    from ytjobs import read_rows, write_rows, write_statistics
    for i in range(4):
        write_statistics({"name%d" % i: 42})
    write_rows(read_rows())
    """
    spec = _map(dev_client, stages, script, job_count=1,
                mapper={"custom_statistics_count_limit": 3})
    with pytest.raises(OperationFailed) as failed:
        launch(dev_client, spec)
    assert "Custom statistics count exceeded: 4 > 3" in str(failed.value)


def test_yson_text_of_yt_wrapper_is_read():
    # what yt.wrapper's write_statistics writes: yson.dumps([...], "list_fragment")
    assert parse(b'{"a"={"b"=1;"c"=-2;};"x y"=3u;};\n') == [{"a": {"b": 1, "c": -2},
                                                            "x y": 3}]
    assert set(job_summaries(b'{"a/b"={"@i"=42}};')) == {"/custom/a\\/b/\\@i"}
