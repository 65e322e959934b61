"""The fake proxy is as strict as a cluster about sort order, table switches and job
cookies; raw operation specs go through the real client (make_formatted_request)."""

from __future__ import annotations

import json
import shlex
import time

import pytest
import yt.wrapper as ytw
from yt.wrapper.table_commands import get_sorted_by

from yt_pipeline_prod.launcher import start
from yt_pipeline_prod.op_spec import job_format

# Echoes each input line, control rows included, as a row: what the job really read.
ECHO = ("import json, sys\n"
        "for line in sys.stdin:\n"
        "    print(json.dumps({'line': line.rstrip('\\n')}))\n")
SWITCH_TO_2 = ("print('{\"$attributes\":{\"table_index\":2},\"$value\":null}')\n"
               "print('{\"a\": 1}')\n")


def user_job(code: str, **options) -> dict:
    return {"command": "python3 -c " + shlex.quote(code), "format": job_format(), **options}


def run_raw(prod_client, kind: str, spec: dict) -> dict:
    yt = prod_client.yt()
    for path in spec.get("output_table_paths", []):
        yt.create("table", path, recursive=True, ignore_existing=True)
    return run_as_given(prod_client, kind, spec)


def run_as_given(prod_client, kind: str, spec: dict) -> dict:
    """Start the operation as the spec is, its output tables not created first, and wait
    for it to end; its info (state and result)."""
    yt = prod_client.yt()
    operation_id = start(prod_client, kind, spec)
    while True:
        info = yt.get_operation(operation_id, attributes=["state", "result"])
        if info["state"] in ("completed", "failed", "aborted"):
            return info
        time.sleep(0.05)


def echoed(fake_yt, path: str) -> list[str]:
    return [row["line"] for row in fake_yt.rows(path)]


def switch(index: int) -> str:
    # JSON renders the control entity as {"$attributes":...,"$value":null}
    # (TJsonConsumerTest.ListFragmentWithEntity, yt/yt/core/json/unittests/writer_ut.cpp)
    return f'{{"$attributes":{{"table_index":{index}}},"$value":null}}'


def write_sorted(prod_client, path: str, rows: list[dict], sorted_by: list[str]) -> None:
    prod_client.yt().write_table(ytw.TablePath(path, sorted_by=sorted_by), rows, format="json")


def test_an_unsorted_table_has_no_sorted_by(prod_client, fake_yt):
    # `sorted_by` is present only on a sorted table; `sorted` and `key_columns` always
    # (TTableNodeProxy::ListSystemAttributes in yt/yt/server/master/table_server/
    # table_node_proxy_detail.cpp); ytsaurus-client's get_sorted_by reads it with a default
    # for that reason.
    yt = prod_client.yt()
    fake_yt.put_table("//tmp/plain", [{"k": 2}, {"k": 1}])
    write_sorted(prod_client, "//tmp/sorted", [{"k": 1}, {"k": 2}], ["k"])
    assert not yt.exists("//tmp/plain/@sorted_by")
    with pytest.raises(ytw.YtResponseError) as caught:
        yt.get("//tmp/plain/@sorted_by")
    assert caught.value.is_resolve_error()
    assert not yt.get("//tmp/plain/@sorted") and yt.get("//tmp/plain/@key_columns") == []
    assert get_sorted_by("//tmp/plain", [], client=yt) == []
    assert not yt.is_sorted("//tmp/plain")
    assert yt.get("//tmp/sorted/@sorted_by") == ["k"] and yt.is_sorted("//tmp/sorted")


@pytest.mark.parametrize("inputs, options, expected", [
    # By default table index control rows come only with more than one input table
    # (TUserJobSpec::InitEnableInputTableIndex, yt/yt/ytlib/scheduler/config.cpp: unless
    # set, enable_input_table_index = inputTableCount != 1) ...
    (1, {}, ['{"v":"a0"}', '{"v":"a1"}']),
    # ... and the user job spec can turn them on for one input or off for several;
    (1, {"enable_input_table_index": True}, [switch(0), '{"v":"a0"}', '{"v":"a1"}']),
    (2, {"enable_input_table_index": False}, ['{"v":"a0"}', '{"v":"a1"}', '{"v":"b0"}']),
    # one before the first row and one wherever the table changes (WriteControlAttributes in
    # yt/yt/client/formats/schemaless_writer_adapter.cpp; TableIndex_ starts at the minimum)
    (2, {}, [switch(0), '{"v":"a0"}', '{"v":"a1"}', switch(1), '{"v":"b0"}']),
])
def test_map_input_table_switches(prod_client, fake_yt, inputs, options, expected):
    fake_yt.put_table("//tmp/a", [{"v": "a0"}, {"v": "a1"}])
    fake_yt.put_table("//tmp/b", [{"v": "b0"}])
    info = run_raw(prod_client, "map", {
        "input_table_paths": ["//tmp/a", "//tmp/b"][:inputs],
        "output_table_paths": ["//tmp/echo"], "mapper": user_job(ECHO, **options)})
    assert info["state"] == "completed", info
    assert echoed(fake_yt, "//tmp/echo") == expected


def test_reduce_merges_tables_by_key_then_table_index(prod_client, fake_yt):
    # "within a job, data from all the input tables is merged and sorted — first according
    # to the sort_by fields, and then by input table index" (YTsaurus docs, Reduce)
    write_sorted(prod_client, "//tmp/a", [{"k": 1, "t": "a"}, {"k": 2, "t": "a"}], ["k"])
    write_sorted(prod_client, "//tmp/b", [{"k": 1, "t": "b"}, {"k": 3, "t": "b"}], ["k"])
    info = run_raw(prod_client, "reduce", {
        "input_table_paths": ["//tmp/a", "//tmp/b"], "output_table_paths": ["//tmp/echo"],
        "reduce_by": ["k"], "reducer": user_job(ECHO)})
    assert info["state"] == "completed", info
    assert echoed(fake_yt, "//tmp/echo") == [
        switch(0), '{"k":1,"t":"a"}', switch(1), '{"k":1,"t":"b"}', switch(0),
        '{"k":2,"t":"a"}', switch(1), '{"k":3,"t":"b"}']


@pytest.mark.parametrize("kind, source, spec, message", [
    # TOperationControllerBase::CheckInputTablesSorted (yt/yt/server/controller_agent/
    # controllers/operation_controller_detail.cpp)
    ("reduce", "//tmp/plain", {"reduce_by": ["k"]}, "Input table //tmp/plain is not sorted"),
    ("reduce", "//tmp/sorted", {"reduce_by": ["v"]},
     "Input table //tmp/sorted is sorted by columns [k] that are not compatible with the "
     "requested columns [v]"),
    # reduce_by must start sort_by: the sorted controller (reduce) and the sort controller
    # (map_reduce) refuse it
    ("reduce", "//tmp/sorted", {"reduce_by": ["v"], "sort_by": ["k"]},
     "Reduce sort columns are not compatible with sort columns"),
    ("map_reduce", "//tmp/plain", {"reduce_by": ["v"], "sort_by": ["k"]},
     "Reduce columns [v] are not compatible with sort columns [k]"),
])
def test_operations_refuse_inputs_not_sorted_by_their_key(prod_client, fake_yt, kind, source,
                                                           spec, message):
    fake_yt.put_table("//tmp/plain", [{"k": 2}, {"k": 1}])
    write_sorted(prod_client, "//tmp/sorted", [{"k": 1, "v": 2}], ["k"])
    info = run_raw(prod_client, kind, {
        "input_table_paths": [source], "output_table_paths": ["//tmp/out"],
        "reducer": user_job(ECHO), **spec})
    assert info["state"] == "failed"
    assert message in json.dumps(info["result"]["error"])
    assert not fake_yt.jobs  # refused before any job ran


def test_a_switch_to_a_missing_output_table_fails_the_job(prod_client, fake_yt):
    fake_yt.put_table("//tmp/a", [{"v": 1}])
    info = run_raw(prod_client, "map", {
        "input_table_paths": ["//tmp/a"], "output_table_paths": ["//tmp/x", "//tmp/y"],
        "mapper": user_job(SWITCH_TO_2), "max_failed_job_count": 1})
    assert info["state"] == "failed"
    # the job proxy's table consumer's words (TTableConsumer::OnControlInt64Scalar,
    # yt/yt/client/table_client/table_consumer.cpp)
    assert info["result"]["error"]["inner_errors"][0]["message"] == \
        "Invalid table index 2: expected integer in range [0,1]"
    assert fake_yt.rows("//tmp/x") == [] and fake_yt.rows("//tmp/y") == []


def test_vanilla_cookies_and_stdout(prod_client, fake_yt, tmp_path):
    # Each job of a task has its own cookie, 0..job_count-1, kept by a job run again (the
    # cookies are the task's chunk pool's: TVanillaChunkPool, yt/yt/server/lib/chunk_pools/
    # vanilla_chunk_pool.cpp). Without output tables stdout is no table's: the job proxy
    # opens fd 1 as a table pipe only for an output table (UserJob::PreparePipes,
    # yt/yt/server/job_proxy/user_job.cpp), so printed text fails nothing.
    flag = tmp_path / "failed-once"
    code = ("import os, sys\n"
            "print('plain text, not a row')\n"
            f"if os.environ['YT_JOB_COOKIE'] == '1' and not os.path.exists({str(flag)!r}):\n"
            f"    open({str(flag)!r}, 'w').close()\n"
            "    sys.exit(3)\n")
    info = run_raw(prod_client, "vanilla", {
        "tasks": {"work": {**user_job(code), "job_count": 3}}, "max_failed_job_count": 2})
    assert info["state"] == "completed", info
    cookies = [job.environment["YT_JOB_COOKIE"] for job in fake_yt.jobs]
    assert cookies == ["0", "1", "1", "2"]
    assert all(b"plain text" not in job.stderr for job in fake_yt.jobs)  # not redirected


def test_vanilla_stdout_goes_to_stderr_when_redirected(prod_client, fake_yt):
    info = run_raw(prod_client, "vanilla", {"tasks": {"work": {
        **user_job("print('hello from the task')"), "job_count": 2,
        "redirect_stdout_to_stderr": True}}})
    assert info["state"] == "completed", info
    assert [job.stderr for job in fake_yt.jobs] == [b"hello from the task\n"] * 2
