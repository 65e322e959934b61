"""Custom job statistics (fd 5) read back in prod as dev gives them: the fake proxy's
operation progress holds them in a cluster's shapes (fake/progress_statistics.py), prod reads
them once the operation has ended (op_statistics.py), and OperationResult.statistics is the
same in both modes, value by value; statistics a cluster refuses fail the job in both."""

from __future__ import annotations

import dataclasses

import pytest
from test_prod_dev_parity import Backends

from yt_pipeline.errors import OperationFailed
from yt_pipeline.operations import Resources
from yt_pipeline_dev.launcher import launch as dev_launch
from yt_pipeline_prod import plugin
from yt_pipeline_prod.op_statistics import custom_statistics

# Per job: one sample of its row count; per row: one of its value, and one under a name a
# YPath would read as two keys and an attribute.
COUNTING_MAPPER = """
from ytjobs import read_rows, write_rows, write_statistics

rows = list(read_rows())
write_statistics({"rows": {"seen": len(rows)}})
for row in rows:
    write_statistics({"value": row["v"], "name/with/slashes": {"@i": 1}})
write_rows(rows)
"""
VALUES = [(i * 7) % 11 - 4 for i in range(9)]


def _counting(tmp_path, prod_client, fake_yt):
    both = Backends(tmp_path, prod_client, fake_yt, {"src/mapper.py": COUNTING_MAPPER})
    both.put("//in/t", [{"v": v} for v in VALUES])
    spec = both.spec("map", mapper="src/mapper.py", input_tables=["//in/t"],
                     output_tables=["//out/t"], resources=Resources(job_count=3))
    return both, spec


def test_statistics_are_the_same_in_dev_and_prod(tmp_path, prod_client, fake_yt,
                                                 monkeypatch):
    both, spec = _counting(tmp_path, prod_client, fake_yt)
    asked: list[list[str]] = []
    yt_type = type(prod_client.yt())
    original = yt_type.get_operation

    def get_operation(self, *args, **kwargs):
        asked.append(list(kwargs.get("attributes") or []))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(yt_type, "get_operation", get_operation)
    dev = dev_launch(both.dev, spec).statistics
    prod = plugin.launch_operation(prod_client,
                                   dataclasses.replace(spec, code_package=both.package))
    jobs = [job for job in fake_yt.jobs if not job.failed]
    assert len(jobs) == 3
    assert prod.statistics == dev
    # what the rows imply: a sample per row of its value, a sample per job of its rows
    assert prod.statistics == {
        "custom/value": {"sum": sum(VALUES), "count": len(VALUES), "min": min(VALUES),
                         "max": max(VALUES)},
        "custom/name\\/with\\/slashes/\\@i": {"sum": len(VALUES), "count": len(VALUES),
                                              "min": 1, "max": 1},
        "custom/rows/seen": {"sum": len(VALUES), "count": len(jobs),
                             "min": min(len(job.outputs[0]) for job in jobs),
                             "max": max(len(job.outputs[0]) for job in jobs)},
    }
    # one request for them, once the operation has ended, besides the waiting's polls
    assert [a for a in asked if "progress" in a] == [["progress"]]
    assert asked[-1] == ["progress"]


def test_the_fake_gives_them_in_both_shapes_of_a_cluster(tmp_path, prod_client, fake_yt):
    both, spec = _counting(tmp_path, prod_client, fake_yt)
    result = plugin.launch_operation(prod_client,
                                     dataclasses.replace(spec, code_package=both.package))
    progress = prod_client.yt().get_operation(result.operation_id,
                                              attributes=["progress"])["progress"]
    # as the cluster's own test reads them (test_scheduler_user_statistics.py: `custom.name/
    # with/slashes.@table_index`, extract_statistic_v2 and extract_deprecated_statistic)
    tagged = progress["job_statistics_v2"]["custom"]["name/with/slashes"]["@i"]
    assert tagged == [{"tags": {"job_state": "completed", "job_type": "map",
                                "pool_tree": "default"},
                       "summary": {"sum": len(VALUES), "count": len(VALUES), "min": 1,
                                   "max": 1}}]
    legacy = progress["job_statistics"]["custom"]["value"]["$"]["completed"]["map"]
    assert legacy == {"sum": sum(VALUES), "count": len(VALUES), "min": min(VALUES),
                      "max": max(VALUES)}
    # a cluster that gives only the older shape gives prod the same statistics
    older = {"job_statistics": progress["job_statistics"]}
    assert custom_statistics(older) == custom_statistics(progress)
    assert {path[1:] for path in custom_statistics(progress)} == set(result.statistics)


FAILING_ONCE = """
import os
from ytjobs import read_rows, write_rows, write_statistics

write_statistics({"tries": 1})
marker = os.path.join(os.environ["MARKER_DIR"], "failed")
if not os.path.exists(marker):
    open(marker, "w").close()
    raise SystemExit(3)
write_rows(read_rows())
"""


def test_a_failed_jobs_statistics_are_not_counted(tmp_path, prod_client, fake_yt):
    both = Backends(tmp_path, prod_client, fake_yt, {"src/mapper.py": FAILING_ONCE})
    both.put("//in/t", [{"v": 1}])
    results = {}
    for mode in ("dev", "prod"):
        marker_dir = tmp_path / mode
        marker_dir.mkdir()
        spec = both.spec("map", mapper="src/mapper.py", input_tables=["//in/t"],
                         output_tables=["//out/t"], env={"MARKER_DIR": str(marker_dir)})
        results[mode] = (dev_launch(both.dev, spec) if mode == "dev" else
                         plugin.launch_operation(prod_client, dataclasses.replace(
                             spec, code_package=both.package))).statistics
    assert [job.failed for job in fake_yt.jobs] == [True, False]
    assert results["prod"] == results["dev"] == {
        "custom/tries": {"sum": 1, "count": 1, "min": 1, "max": 1}}


@pytest.mark.parametrize(("written", "words"), [
    ('{""=1};', "Statistic cannot have an empty name"),
    ("{" + "a" * 600 + "=1};", "Custom statistics path is too long: 608 > 512"),
    ("{a=1};{a={b=2}};", "Incompatible statistic paths (OldPath: /custom/a, NewPath: "
                         "/custom/a/b)"),
])
def test_what_a_cluster_refuses_fails_in_both_modes(tmp_path, prod_client, fake_yt, written,
                                                    words):
    script = f"""
import os
from ytjobs import read_rows, write_rows
os.write(5, {written.encode()!r})
write_rows(read_rows())
"""
    both = Backends(tmp_path, prod_client, fake_yt, {"src/mapper.py": script})
    both.put("//in/t", [{"v": 1}])
    spec = both.spec("map", mapper="src/mapper.py", input_tables=["//in/t"],
                     output_tables=["//out/t"], max_failed_job_count=1)
    with pytest.raises(OperationFailed) as in_dev:
        dev_launch(both.dev, spec)
    with pytest.raises(OperationFailed) as in_prod:
        plugin.launch_operation(prod_client, dataclasses.replace(spec,
                                                                 code_package=both.package))
    assert words in str(in_dev.value)
    assert words in str(in_prod.value)
    assert [job.error for job in fake_yt.jobs] == [words]
    assert not both.dev.exists("//out/t") and not prod_client.exists("//out/t")
