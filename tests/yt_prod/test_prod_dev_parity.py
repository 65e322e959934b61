"""The same job scripts in dev and in prod (the real client against the fake proxy) give the
same rows: several input tables, several output tables, unsorted reduce inputs, vanilla
job cookies."""

from __future__ import annotations

import dataclasses
import json
import textwrap

import pytest
from prod_packages import build_package

from yt_pipeline.errors import OperationFailed
from yt_pipeline.operations import OperationSpec, Resources
from yt_pipeline_dev.client import DevClient
from yt_pipeline_dev.launcher import launch as dev_launch
from yt_pipeline_prod import plugin

# Two inputs, two outputs: which table a row came from decides where it goes.
TAGGING_MAPPER = """
from ytjobs import read_indexed_rows, write_row

for table, row in read_indexed_rows():
    write_row({"id": row["id"], "from": table}, table_index=row["id"] % 2)
"""

# A join: users (input 0) and orders (input 1) by user; orders of unknown users go to
# output table 1.
JOIN_REDUCER = """
from ytjobs import groups, read_indexed_rows, write_row

for user, items in groups(read_indexed_rows(), "user"):
    name = None
    for table, row in items:
        if table == 0:
            name = row["name"]
        elif name is None:
            write_row({"user": user, "order": row["order"]}, table_index=1)
        else:
            write_row({"user": user, "name": name, "order": row["order"]})
"""

# What a job really reads, control rows included, one row per input line.
ECHO = """
import json, sys
for line in sys.stdin:
    print(json.dumps({"line": line.rstrip("\\n")}))
"""

COOKIE_TASK = """
import os
print("cookie", os.environ["YT_JOB_COOKIE"], "is not a row")
with open(os.environ["MARKER"], "a") as out:
    out.write(os.environ["YT_JOB_COOKIE"] + "\\n")
"""

USERS = [{"user": "u2", "name": "Bo"}, {"user": "u1", "name": "Al"}, {"user": "u3", "name": "Cy"}]
ORDERS = [{"user": "u1", "order": 3}, {"user": "u9", "order": 7}, {"user": "u2", "order": 1},
          {"user": "u1", "order": 2}, {"user": "u3", "order": 5}]


class Backends:
    """One stage folder; specs run by the dev launcher and by the prod plugin."""

    def __init__(self, tmp_path, prod_client, fake_yt, scripts: dict[str, str]):
        self.root = tmp_path / "pipe"
        stage_dir = self.root / "stages" / "s"
        (stage_dir / "src").mkdir(parents=True)
        (stage_dir / "config.yaml").write_text("{}\n")
        for relative, text in scripts.items():
            (stage_dir / relative).write_text(textwrap.dedent(text))
        self.package = build_package(tmp_path / ".build", {"s": scripts})
        self.dev = DevClient(self.root / ".dev")
        self.prod, self.fake = prod_client, fake_yt

    def spec(self, kind: str, **fields) -> OperationSpec:
        return OperationSpec(kind=kind, stage_name="s", name=kind, stage_dir=self.root / "stages/s",
                             pipeline_dir=self.root, **fields)

    def put(self, path: str, rows: list[dict]) -> None:
        self.dev.write_table(path, rows)
        self.fake.put_table(path, rows)

    def run(self, spec: OperationSpec) -> None:
        dev_launch(self.dev, spec)
        self.run_prod(spec)

    def run_prod(self, spec: OperationSpec) -> None:
        plugin.launch_operation(self.prod, dataclasses.replace(spec, code_package=self.package))

    def rows(self, path: str) -> tuple[list[dict], list[dict]]:
        return list(self.dev.read_table(path)), self.fake.rows(path)


def test_map_reads_table_indexes_and_writes_two_tables(tmp_path, prod_client, fake_yt):
    both = Backends(tmp_path, prod_client, fake_yt, {"src/mapper.py": TAGGING_MAPPER})
    both.put("//in/a", [{"id": i} for i in range(0, 4)])
    both.put("//in/b", [{"id": i} for i in range(4, 7)])
    both.run(both.spec("map", mapper="src/mapper.py", input_tables=["//in/a", "//in/b"],
                       output_tables=["//out/even", "//out/odd"],
                       resources=Resources(job_count=2)))
    dev_even, prod_even = both.rows("//out/even")
    dev_odd, prod_odd = both.rows("//out/odd")
    assert dev_even == prod_even == [{"id": 0, "from": 0}, {"id": 2, "from": 0},
                                     {"id": 4, "from": 1}, {"id": 6, "from": 1}]
    assert dev_odd == prod_odd == [{"id": 1, "from": 0}, {"id": 3, "from": 0},
                                   {"id": 5, "from": 1}]


@pytest.mark.parametrize("kind", ["map", "reduce"])
def test_jobs_read_the_same_lines(tmp_path, prod_client, fake_yt, kind):
    both = Backends(tmp_path, prod_client, fake_yt, {"src/echo.py": ECHO})
    both.put("//in/users", USERS)
    both.put("//in/orders", ORDERS)
    script = {"mapper" if kind == "map" else "reducer": "src/echo.py"}
    keys = {"reduce_by": ["user"], "sort_by": ["user"]} if kind == "reduce" else {}
    both.run(both.spec(kind, input_tables=["//in/users", "//in/orders"],
                       output_tables=["//out/lines"], **script, **keys))
    dev, prod = both.rows("//out/lines")
    assert dev == prod
    assert prod[0]["line"] == '{"$attributes":{"table_index":0},"$value":null}'


@pytest.mark.parametrize("sorted_users", [False, True])
def test_reduce_joins_two_unsorted_tables(tmp_path, prod_client, fake_yt, sorted_users):
    both = Backends(tmp_path, prod_client, fake_yt, {"src/reducer.py": JOIN_REDUCER})
    both.put("//in/orders", ORDERS)
    if sorted_users:  # one input sorted already, the other not
        both.dev.write_table("//in/users", sorted(USERS, key=lambda r: r["user"]))
        import yt.wrapper as ytw

        prod_client.yt().write_table(ytw.TablePath("//in/users", sorted_by=["user"]),
                                     sorted(USERS, key=lambda r: r["user"]), format="json")
    else:
        both.put("//in/users", USERS)
    both.run(both.spec("reduce", reducer="src/reducer.py", reduce_by=["user"],
                       sort_by=["user"], input_tables=["//in/users", "//in/orders"],
                       output_tables=["//out/joined", "//out/orphans"],
                       resources=Resources(job_count=2)))
    dev_joined, prod_joined = both.rows("//out/joined")
    assert dev_joined == prod_joined
    assert sorted((r["user"], r["order"], r["name"]) for r in prod_joined) == [
        ("u1", 2, "Al"), ("u1", 3, "Al"), ("u2", 1, "Bo"), ("u3", 5, "Cy")]
    assert both.rows("//out/orphans") == ([{"user": "u9", "order": 7}],) * 2
    # YT refuses a reduce over an unsorted input, so the unsorted one was sorted first, into
    # a temporary table gone with the operation's transaction
    kinds = [spec["operation_type"] for spec in fake_yt.specs]
    assert kinds == (["sort", "reduce"] if sorted_users else ["sort", "sort", "reduce"])
    assert fake_yt.specs[-1]["input_table_paths"][0] == (
        "//in/users" if sorted_users else fake_yt.specs[0]["output_table_path"])
    assert not prod_client.exists(fake_yt.specs[0]["output_table_path"])


def test_vanilla_jobs_have_their_own_cookies_and_may_print(tmp_path, prod_client, fake_yt):
    both = Backends(tmp_path, prod_client, fake_yt, {"src/vanilla.py": COOKIE_TASK})
    for mode in ("dev", "prod"):
        marker = tmp_path / f"{mode}.txt"
        spec = both.spec("vanilla", script="src/vanilla.py", env={"MARKER": str(marker)},
                         resources=Resources(job_count=3))
        if mode == "dev":
            dev_launch(both.dev, spec)
        else:
            plugin.launch_operation(prod_client,
                                    dataclasses.replace(spec, code_package=both.package))
        # YT_JOB_COOKIE: 0..job_count-1 within the task (TVanillaChunkPool in yt/yt/server/
        # lib/chunk_pools/vanilla_chunk_pool.cpp holds job_count jobs)
        assert sorted(marker.read_text().split()) == ["0", "1", "2"], mode
    assert "cookie 2 is not a row" in (both.dev.root / "s.log").read_text()
    stderr = b"".join(job.stderr for job in fake_yt.jobs)
    assert b"cookie 2 is not a row" in stderr  # redirect_stdout_to_stderr: kept, not parsed
    assert fake_yt.specs[-1]["tasks"]["vanilla"]["redirect_stdout_to_stderr"] is True
    assert json.dumps(fake_yt.specs[-1])  # the spec stays plain data


# A reducer that relies on the order of `ts` within a user: it writes the order it saw.
ORDER_REDUCER = """
from ytjobs import groups, read_rows, write_row

for user, rows in groups(read_rows(), "user"):
    write_row({"user": user, "seen": [row["ts"] for row in rows]})
"""
#: a column mixing the types a JSON row can give it
MIXED = [2.5, 3, None, True, "a", 1, 1.0, False, 2**63 + 1, -7, 0.5, "B"]


def test_sort_and_reduce_order_mixed_types_as_a_cluster_does(tmp_path, prod_client, fake_yt):
    # A cluster compares values of different types by their type alone, in the order of
    # EValueType: null, int64, uint64, double, boolean, string (yt/yt/client/table_client/
    # row_base.h; CompareRowValues in unversioned_row.cpp). Every integer comes before every
    # double: a reducer over timestamps that are sometimes 1700000000 and sometimes
    # 1700000000.5 sees them so on a cluster, and must in dev and on the fake too.
    both = Backends(tmp_path, prod_client, fake_yt, {"src/reducer.py": ORDER_REDUCER})
    both.put("//in/mixed", [{"k": value, "i": i} for i, value in enumerate(MIXED)]
             + [{"i": len(MIXED)}])  # a missing column is null
    both.run(both.spec("sort", input_tables=["//in/mixed"], output_tables=["//out/sorted"],
                       sort_by=["k"]))
    dev, prod = both.rows("//out/sorted")
    expected = [None, None, -7, 1, 3, 2**63 + 1, 0.5, 1.0, 2.5, False, True, "B", "a"]
    assert [row.get("k") for row in dev] == expected
    assert [row.get("k") for row in prod] == expected

    both.put("//in/clicks", [{"user": "u", "ts": ts} for ts in (5.5, 7, 1.5, 3, 6)])
    both.run(both.spec("reduce", reducer="src/reducer.py", reduce_by=["user"],
                       sort_by=["user", "ts"], input_tables=["//in/clicks"],
                       output_tables=["//out/seen"]))
    assert both.rows("//out/seen") == ([{"user": "u", "seen": [3, 6, 7, 1.5, 5.5]}],) * 2


@pytest.mark.parametrize("kind", ["sort", "reduce"])
def test_a_list_or_map_in_a_key_column_fails_the_sort_as_on_a_cluster(tmp_path, prod_client,
                                                                      fake_yt, kind):
    # A cluster never compares a composite value with another value: "Cannot compare values
    # of types ...; only scalar types are allowed for key columns", EErrorCode 303
    # (CompareRowValues in yt/yt/client/table_client/unversioned_row.cpp). Dev and the fake
    # sorted it by its JSON; now both fail the operation and leave the output as it was.
    from yt_pipeline.errors import OperationFailed

    both = Backends(tmp_path, prod_client, fake_yt, {"src/reducer.py": ORDER_REDUCER})
    both.put("//in/tags", [{"user": "u", "ts": 1}, {"user": ["u", "v"], "ts": 2},
                           {"user": "w", "ts": 3}])
    both.put("//out/seen", [{"kept": True}])
    fields = ({"sort_by": ["user"], "output_tables": ["//out/seen"]} if kind == "sort" else
              {"reducer": "src/reducer.py", "reduce_by": ["user"], "sort_by": ["user", "ts"],
               "output_tables": ["//out/seen"]})
    spec = both.spec(kind, input_tables=["//in/tags"], **fields)
    words = 'Cannot compare values of types "any" and "string"'
    with pytest.raises(OperationFailed, match=words):
        dev_launch(both.dev, spec)
    with pytest.raises(OperationFailed, match=words):
        plugin.launch_operation(both.prod, dataclasses.replace(spec, code_package=both.package))
    assert both.rows("//out/seen") == ([{"kept": True}],) * 2

    # a composite value in a later key column is compared only where the earlier ones tie
    both.put("//in/tags", [{"user": "u", "ts": [1]}, {"user": "w", "ts": {"a": 1}}])
    spec = both.spec(kind, input_tables=["//in/tags"], **{**fields, "sort_by": ["user", "ts"]})
    both.run(spec)
    dev, prod = both.rows("//out/seen")
    assert dev == prod and len(dev) == 2  # two rows sorted, or two groups reduced


def test_a_sort_key_of_16_kib_or_more_fails_the_sort_as_on_a_cluster(tmp_path, prod_client,
                                                                     fake_yt):
    # A sorted table's writer refuses a row whose key weighs max_key_weight (16 KiB by
    # default: TChunkWriterConfig in yt/yt/ytlib/table_client/config.cpp) or more, "Key
    # weight is too large" (ValidateKeyWeight in yt/yt/ytlib/table_client/
    # schemaless_chunk_writer.cpp; UpdateDataWeight there weighs a key from 1), so a sort
    # writing it fails. Dev and the fake sorted it.
    from yt_pipeline.errors import OperationFailed

    both = Backends(tmp_path, prod_client, fake_yt, {"src/reducer.py": ORDER_REDUCER})
    limit = 16 * 1024
    both.put("//in/urls", [{"url": "a", "n": 1}, {"url": "x" * (limit - 9), "n": 2}])
    both.put("//out/sorted", [{"kept": True}])
    spec = both.spec("sort", input_tables=["//in/urls"], output_tables=["//out/sorted"],
                     sort_by=["url", "n"])
    words = r"Key weight is too large: the key \[url, n\] of a row weighs 16384 bytes"
    with pytest.raises(OperationFailed, match=words):
        dev_launch(both.dev, spec)
    with pytest.raises(OperationFailed, match=words):
        plugin.launch_operation(both.prod, dataclasses.replace(spec, code_package=both.package))
    assert both.rows("//out/sorted") == ([{"kept": True}],) * 2
    # one byte less is a key like any other
    both.put("//in/urls", [{"url": "x" * (limit - 10), "n": 2}, {"url": "a", "n": 1}])
    both.run(spec)
    dev, prod = both.rows("//out/sorted")
    assert [row["n"] for row in dev] == [row["n"] for row in prod] == [1, 2]


# Fails the first FAILS attempts of each job, after writing some of its rows; counts the
# attempts with marker files outside the job's folder.
FLAKY_MAPPER = """
import os, sys
from ytjobs import read_rows, write_rows
marks, job = os.environ["MARKS"], os.environ["YT_JOB_COOKIE"]
attempt = 1 + sum(1 for name in os.listdir(marks) if name.startswith(job + "."))
open(os.path.join(marks, "%s.%d" % (job, attempt)), "w").close()
rows = list(read_rows())
write_rows(rows[:2])
if attempt <= int(os.environ["FAILS"]):
    sys.stdout.flush()
    raise SystemExit("attempt %d gives up" % attempt)
write_rows(rows[2:])
"""


@pytest.mark.parametrize("fails, limit", [(1, None), (5, 3)])
def test_a_failed_job_runs_again_until_max_failed_job_count_in_both_modes(
        tmp_path, prod_client, fake_yt, fails, limit, caplog):
    """A cluster reruns a failed job until the operation's failed jobs reach
    max_failed_job_count (TOperationControllerBase::OnJobFailed in yt/yt/server/
    controller_agent/operation_controller_detail.cpp; 10 by default): dev does the same,
    and a failed attempt's rows reach the output in neither."""
    both = Backends(tmp_path, prod_client, fake_yt, {"src/mapper.py": FLAKY_MAPPER})
    source = [{"id": i} for i in range(6)]
    both.put("//in/t", source)
    outcomes = {}
    for mode in ("dev", "prod"):
        marks = tmp_path / f"marks-{mode}"
        marks.mkdir()
        spec = both.spec("map", mapper="src/mapper.py", input_tables=["//in/t"],
                         output_tables=["//out/t"], env={"MARKS": str(marks),
                                                         "FAILS": str(fails)},
                         max_failed_job_count=limit)
        caplog.clear()
        try:
            if mode == "dev":
                dev_launch(both.dev, spec)
            else:
                plugin.launch_operation(prod_client,
                                        dataclasses.replace(spec, code_package=both.package))
            outcomes[mode] = "passed"
        except OperationFailed as failure:
            assert "Failed jobs limit exceeded" in str(failure), (mode, str(failure))
            outcomes[mode] = "failed"
        outcomes[mode + " attempts"] = len(list(marks.iterdir()))
        # the console tells of failed jobs while they are run again, in both modes
        told = [r.getMessage() for r in caplog.records
                if r.name == f"yt_pipeline.stage.{spec.stage_name}" and r.levelname == "WARNING"]
        outcomes[mode + " told"] = bool(told) and all("max_failed_job_count" in m for m in told)
        # a warning that a job is run again is given only while it is: the failure that
        # reaches the limit ends the operation, and prod said "run again" of it too
        outcomes[mode + " reruns told"] = len(told) <= outcomes[mode + " attempts"] - 1
    if fails < (limit or 10):
        assert outcomes == {"dev": "passed", "prod": "passed",
                            "dev attempts": 2, "prod attempts": 2,
                            "dev told": True, "prod told": True,
                            "dev reruns told": True, "prod reruns told": True}
        assert both.rows("//out/t") == (source, source)
    else:
        assert outcomes == {"dev": "failed", "prod": "failed",
                            "dev attempts": 3, "prod attempts": 3,
                            "dev told": True, "prod told": True,
                            "dev reruns told": True, "prod reruns told": True}
        assert not both.dev.exists("//out/t")


# A mapper named like a standard module: the script's folder is first on sys.path, so
# `import copy` anywhere in the job loads it. orjson and msgspec (installed for dev, not in a
# cluster's bare python3) import copy, dataclasses, uuid... from C as they load; given this
# file instead, dev's jobs died with SIGSEGV, 10 attempts each, while the cluster's ytjobs
# reads rows with the json module and never imports copy.
SHADOWING_MAPPER = """
from ytjobs import read_rows, write_rows

write_rows(dict(row, seen=True) for row in read_rows())
"""


def test_a_mapper_named_like_a_standard_module_gives_the_same_rows(tmp_path, prod_client,
                                                                    fake_yt, caplog):
    both = Backends(tmp_path, prod_client, fake_yt, {"src/copy.py": SHADOWING_MAPPER})
    both.put("//in/t", [{"id": 1}, {"id": 2}])
    with caplog.at_level("WARNING", logger="yt_pipeline.jobs"):
        both.run(both.spec("map", mapper="src/copy.py", input_tables=["//in/t"],
                           output_tables=["//out/t"]))
    dev, prod = both.rows("//out/t")
    assert dev == prod == [{"id": 1, "seen": True}, {"id": 2, "seen": True}]
    warned = [r.getMessage() for r in caplog.records if r.name == "yt_pipeline.jobs"]
    # once: dev and prod check the same file, unchanged since
    assert warned == [
        "stages/s/src/copy.py: named like the standard module copy, which the job needs "
        "(dataclasses imports it): the script's folder comes first on sys.path, so every "
        "`import copy` in the job (python3 3.8's own too) loads this file; rename it"]


def test_a_helper_named_like_a_module_the_job_never_loads_is_left_alone(tmp_path):
    """A raw mapper that imports only sys never loads json: its json.py shadows nothing
    the job needs. Once the mapper reads rows with ytjobs (which imports json), it does."""
    from yt_pipeline.job_shadowing import shadowing

    source = tmp_path / "stages" / "s" / "src"
    source.mkdir(parents=True)
    (source / "mapper.py").write_text("import sys\nsys.stdout.write(sys.stdin.read())\n")
    (source / "json.py").write_text("")
    spec = OperationSpec(kind="map", stage_name="s", name="map", stage_dir=source.parent,
                         pipeline_dir=tmp_path, mapper="src/mapper.py")
    assert shadowing(spec) == []
    (source / "mapper.py").write_text("from ytjobs import read_rows\nlist(read_rows())\n")
    assert shadowing(spec) == [(source / "json.py", "json", "ytjobs")]


# Prints what a vanilla job is told of itself, and fails the first run of cookie 1.
IDS_TASK = """
import os, sys
ids = [os.environ.get(name, "-") for name in
       ("YT_TASK_NAME", "YT_TASK_JOB_INDEX", "YT_JOB_COOKIE")]
with open(os.environ["MARKER"], "a") as out:
    out.write(" ".join(ids) + "\\n")
flag = os.environ["MARKER"] + ".failed"
if ids[2] == "1" and not os.path.exists(flag):
    open(flag, "w").close()
    sys.exit(3)
"""


def test_vanilla_jobs_know_their_task_and_task_job_index_in_both_modes(
        tmp_path, prod_client, fake_yt):
    """A cluster tells a vanilla job its task's name (TVanillaTask::BuildJobEnvironment in
    yt/yt/server/controller_agent/controllers/vanilla_controller.cpp) and its index among the
    jobs its task started, a job run again getting the next (TaskJobIndexGenerator_ in
    TTask::ScheduleAllocation, controllers/task.cpp; test_task_job_index in yt/yt/tests/
    integration/tests/controller/test_vanilla_operation.py); dev tells it the same."""
    both = Backends(tmp_path, prod_client, fake_yt, {"src/vanilla.py": IDS_TASK})
    seen = {}
    for mode in ("dev", "prod"):
        marker = tmp_path / f"{mode}.txt"
        spec = both.spec("vanilla", script="src/vanilla.py", env={"MARKER": str(marker)},
                         resources=Resources(job_count=3), max_failed_job_count=2)
        if mode == "dev":
            dev_launch(both.dev, spec)
        else:
            both.run_prod(spec)
        lines = [line.split() for line in marker.read_text().splitlines()]
        # the prod task is named after the operation (op_spec: tasks = {spec.name: ...})
        assert {task for task, _, _ in lines} == {"vanilla"}, mode
        assert sorted(int(index) for _, index, _ in lines) == [0, 1, 2, 3], mode
        seen[mode] = sorted(cookie for _, _, cookie in lines)
    assert seen["dev"] == seen["prod"] == ["0", "1", "1", "2"]


# Each job of a map_reduce writes what it is told of itself: the mappers pass their rows on
# with their ids, the reducers write one row per job of the operation that fed it.
IDS_MAPPER = """
import os
from ytjobs import read_rows, write_row

ids = {name: int(os.environ[name]) for name in ("YT_JOB_INDEX", "YT_TASK_JOB_INDEX")}
for row in read_rows():
    write_row({"key": row["key"], "mapper": ids})
"""

IDS_REDUCER = """
import os
from ytjobs import groups, read_rows, write_row

ids = {name: int(os.environ[name]) for name in ("YT_JOB_INDEX", "YT_TASK_JOB_INDEX")}
for key, rows in groups(read_rows(), "key"):
    for row in rows:
        write_row({"key": key, "mapper": row["mapper"], "reducer": ids})
"""


def test_a_map_reduce_counts_its_job_index_across_mappers_and_reducers_in_both_modes(
        tmp_path, prod_client, fake_yt):
    """On a cluster YT_JOB_INDEX counts the jobs of the whole operation: each task's
    TTask::ScheduleAllocation draws it from the operation's one generator,
    TaskHost_->NextJobIndex(), and YT_TASK_JOB_INDEX from its own TaskJobIndexGenerator_
    (yt/yt/server/controller_agent/controllers/task.cpp; test_fail_on_failed_job in
    test_vanilla_operation.py looks for YT_JOB_INDEX 2 in an operation of two tasks, of two
    jobs and one). A map_reduce's reducers start when its mappers are done, so they count
    on from them; dev used to start again at 0."""
    both = Backends(tmp_path, prod_client, fake_yt,
                    {"src/mapper.py": IDS_MAPPER, "src/reducer.py": IDS_REDUCER})
    both.put("//in/t", [{"key": k} for k in ("a", "b", "c", "d")])
    both.run(both.spec("map_reduce", mapper="src/mapper.py", reducer="src/reducer.py",
                       input_tables=["//in/t"], output_tables=["//out/t"],
                       reduce_by=["key"], sort_by=["key"], resources=Resources(job_count=2),
                       extra_spec={"map_job_count": 2}))
    seen = {}
    for mode, rows in zip(("dev", "prod"), both.rows("//out/t"), strict=True):
        seen[mode] = (sorted({(r["mapper"]["YT_JOB_INDEX"], r["mapper"]["YT_TASK_JOB_INDEX"])
                              for r in rows}),
                      sorted({(r["reducer"]["YT_JOB_INDEX"], r["reducer"]["YT_TASK_JOB_INDEX"])
                              for r in rows}))
    # two mappers (operation indexes 0 and 1), then two reducers (2 and 3), each task
    # counting its own jobs from 0
    assert seen["dev"] == seen["prod"] == ([(0, 0), (1, 1)], [(2, 0), (3, 1)])


# Writes each group it is given as one row: a key met twice shows the rows were not sorted.
GROUP_REDUCER = """
from ytjobs import groups, read_rows, write_row

for key, rows in groups(read_rows(), "key"):
    write_row({"key": key, "n": [row["n"] for row in rows]})
"""

GROUP_MAPPER = """
from ytjobs import read_rows, write_rows

write_rows(read_rows())
"""


@pytest.mark.parametrize("kind", ["reduce", "map_reduce"])
def test_a_spec_with_reduce_by_and_no_sort_by_sorts_by_reduce_by_in_both_modes(
        tmp_path, prod_client, fake_yt, kind):
    """An OperationSpec built in code may give reduce_by alone. A cluster then sorts by
    reduce_by: a reduce's controller asks its inputs to be sorted by `SortBy.empty() ?
    ReduceBy : SortBy` (TReduceController::AdjustSortColumns in yt/yt/server/controller_agent/
    controllers/sorted_controller.cpp), and a map_reduce's spec postprocessor fills an empty
    sort_by with reduce_by, ascending (TMapReduceOperationSpec::Register in yt/yt/ytlib/
    scheduler/config.cpp). Dev used to group the rows in their table order."""
    both = Backends(tmp_path, prod_client, fake_yt,
                    {"src/reducer.py": GROUP_REDUCER, "src/mapper.py": GROUP_MAPPER})
    both.put("//in/t", [{"key": "b", "n": 1}, {"key": "a", "n": 2}, {"key": "b", "n": 3},
                        {"key": "a", "n": 4}, {"key": "c", "n": 5}])
    mapper = {"mapper": "src/mapper.py"} if kind == "map_reduce" else {}
    both.run(both.spec(kind, reducer="src/reducer.py", input_tables=["//in/t"],
                       output_tables=["//out/t"], reduce_by=["key"], **mapper))
    dev, prod = both.rows("//out/t")
    # one group a key, in key order; the rows of a key keep no order a cluster promises
    groups = [(row["key"], sorted(row["n"])) for row in prod]
    assert groups == [("a", [2, 4]), ("b", [1, 3]), ("c", [5])]
    assert [(row["key"], sorted(row["n"])) for row in dev] == groups
