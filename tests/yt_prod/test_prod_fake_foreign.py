"""A reduce's foreign input tables (`<foreign=%true>//t`) and `join_by`, on the fake proxy:
refused where the reduce controller refuses them (TReduceController::CustomPrepare and
AdjustSortColumns in yt/yt/server/controller_agent/controllers/sorted_controller.cpp), with
its words; and a join the controller accepts gives each job the rows a cluster's job reads
(the expected rows of YTsaurus's own tests, yt/yt/tests/integration/tests/controller/
test_reduce_operation.py and test_scheduler_join_reduce.py)."""

from __future__ import annotations

import json

import pytest
from test_prod_fake_inputs import ECHO, echoed, run_raw, switch, user_job, write_sorted

FOREIGN = "<foreign=%true>//tmp/f"


@pytest.fixture
def tables(prod_client, fake_yt):
    write_sorted(prod_client, "//tmp/p", [{"k": 1, "v": "p"}, {"k": 2, "v": "p"}], ["k", "v"])
    write_sorted(prod_client, "//tmp/f", [{"k": 1, "f": "x"}], ["k"])
    write_sorted(prod_client, "//tmp/f_kf", [{"k": 1, "f": "x"}], ["k", "f"])
    fake_yt.put_table("//tmp/f_plain", [{"k": 1, "f": "x"}])
    fake_yt.put_table("//tmp/echo", [{"line": "before"}])


def reduce_spec(inputs, **options):
    return {"input_table_paths": inputs, "output_table_paths": ["//tmp/echo"],
            "reducer": user_job(ECHO), **options}


def failure(info) -> str:
    assert info["state"] == "failed", info
    return str(info["result"])


@pytest.mark.parametrize("inputs, options, message", [
    (["//tmp/p", FOREIGN], {"reduce_by": ["k"]},
     "It is required to specify join_by when using foreign tables"),
    (["//tmp/p"], {"reduce_by": ["k"], "join_by": ["k"]},
     "At least one foreign input table is required when join_by is specified"),
    ([FOREIGN], {"reduce_by": ["k"], "join_by": ["k"]},
     "At least one non-foreign input table is required"),
    (["//tmp/p", "<foreign=%true>//tmp/f[#0:#1,#1:#2]"], {"reduce_by": ["k"], "join_by": ["k"]},
     "Reduce operation does not support foreign tables with multiple ranges"),
    # the foreign tables are sorted by join_by, as the primary ones by sort_by
    (["//tmp/p", "<foreign=%true>//tmp/f_plain"], {"reduce_by": ["k"], "join_by": ["k"]},
     "Input table //tmp/f_plain is not sorted"),
    (["//tmp/p", FOREIGN], {"reduce_by": ["k", "v"], "join_by": ["v"]},
     "Input table //tmp/f is sorted by columns [k] that are not compatible with the "
     "requested columns [v]"),
    # join_by starts reduce_by (checked once the tables are found sorted)
    (["//tmp/p", "<foreign=%true>//tmp/f_kf"], {"reduce_by": ["k"], "join_by": ["k", "f"]},
     "Join sort columns are not compatible with reduce sort columns"),
    (["//tmp/p", FOREIGN], {"reduce_by": ["k"], "join_by": ["k"],
                            "enable_key_guarantee": False},
     "Specifying both reduce and join key columns is not supported in disabled key "
     "guarantee mode"),
])
def test_what_the_reduce_controller_refuses(prod_client, fake_yt, tables, inputs, options,
                                            message):
    assert message in failure(run_raw(prod_client, "reduce", reduce_spec(inputs, **options)))
    assert fake_yt.rows("//tmp/echo") == [{"line": "before"}]
    assert not fake_yt.jobs


def row(**values) -> str:
    return json.dumps(values, separators=(",", ":"))


def echo_lines(fake_yt) -> list[str]:
    return [line if line.startswith('{"$attributes"') else row(**json.loads(line))
            for line in echoed(fake_yt, "//tmp/echo")]


def test_foreign_rows_come_first_for_each_join_key_and_unmatched_ones_are_dropped(
        prod_client, fake_yt):
    # test_reduce_with_foreign_join_one_job (test_reduce_operation.py, ascending): two
    # foreign tables listed first, two primary ones; reduce_by [host, url], join_by [host].
    # Each host's foreign rows come first, table by table, then its primary rows merged by
    # (host, url) and then by table index.
    write_sorted(prod_client, "//tmp/hosts", [{"host": h, "value": 20 + int(h)}
                                              for h in "1234"], ["host"])
    write_sorted(prod_client, "//tmp/fresh_hosts", [{"host": "2", "value": 62},
                                                    {"host": "4", "value": 64}], ["host"])
    write_sorted(prod_client, "//tmp/urls", [
        {"host": h, "url": f"{h}/{u}", "value": 8 + 2 * int(h) + u}
        for h in "1234" for u in (1, 2)], ["host", "url"])
    write_sorted(prod_client, "//tmp/fresh_urls", [
        {"host": "1", "url": "1/2", "value": 42}, {"host": "2", "url": "2/1", "value": 43},
        {"host": "3", "url": "3/1", "value": 45}, {"host": "4", "url": "4/2", "value": 48}],
        ["host", "url"])
    fake_yt.put_table("//tmp/echo", [])
    info = run_raw(prod_client, "reduce", reduce_spec(
        ["<foreign=%true>//tmp/hosts", "<foreign=%true>//tmp/fresh_hosts", "//tmp/urls",
         "//tmp/fresh_urls"], reduce_by=["host", "url"], join_by=["host"], job_count=1))
    assert info["state"] == "completed", info
    # YT's expected output, as (table index, host, url, value)
    expected = [(0, "1", None, 21), (2, "1", "1/1", 11), (2, "1", "1/2", 12),
                (3, "1", "1/2", 42), (0, "2", None, 22), (1, "2", None, 62),
                (2, "2", "2/1", 13), (3, "2", "2/1", 43), (2, "2", "2/2", 14),
                (0, "3", None, 23), (2, "3", "3/1", 15), (3, "3", "3/1", 45),
                (2, "3", "3/2", 16), (0, "4", None, 24), (1, "4", None, 64),
                (2, "4", "4/1", 17), (2, "4", "4/2", 18), (3, "4", "4/2", 48)]
    lines, current = [], None
    for index, host, url, value in expected:
        if index != current:
            lines.append(switch(index))
            current = index
        lines.append(row(host=host, value=value) if url is None
                     else row(host=host, url=url, value=value))
    assert echo_lines(fake_yt) == lines


def test_foreign_rows_of_keys_no_primary_row_has_are_not_read(prod_client, fake_yt):
    # test_reduce_with_foreign_skip_joining_rows (test_reduce_operation.py): hosts 0-9 are
    # foreign, the urls of hosts 2 and 5 primary: only hosts 2 and 5 reach the job
    write_sorted(prod_client, "//tmp/hosts", [{"host": str(i), "value": 20 + i}
                                              for i in range(10)], ["host"])
    write_sorted(prod_client, "//tmp/urls", [
        {"host": h, "url": f"{h}/{u}", "value": v}
        for h, u, v in (("2", 1, 11), ("2", 2, 12), ("5", 1, 13), ("5", 2, 14))],
        ["host", "url"])
    fake_yt.put_table("//tmp/echo", [])
    info = run_raw(prod_client, "reduce", reduce_spec(
        ["<foreign=%true>//tmp/hosts", "//tmp/urls"], reduce_by=["host", "url"],
        join_by=["host"], job_count=1))
    assert info["state"] == "completed", info
    assert echo_lines(fake_yt) == [
        switch(0), row(host="2", value=22), switch(1), row(host="2", url="2/1", value=11),
        row(host="2", url="2/2", value=12), switch(0), row(host="5", value=25), switch(1),
        row(host="5", url="5/1", value=13), row(host="5", url="5/2", value=14)]


def test_foreign_tables_listed_after_the_primary_ones_come_after_its_rows(prod_client,
                                                                          fake_yt):
    # test_join_reduce_control_attributes_yson (test_scheduler_join_reduce.py): primary
    # table 0, foreign table 1: each key's primary row, then its foreign row; keys 0 and 6
    # of the foreign table have no primary row
    write_sorted(prod_client, "//tmp/in1", [{"key": 2, "value": 7}, {"key": 4, "value": 3}],
                 ["key"])
    write_sorted(prod_client, "//tmp/in2", [{"key": k, "value": v} for k, v in
                                            ((0, 4), (2, 6), (4, 8), (6, 10))], ["key"])
    fake_yt.put_table("//tmp/echo", [])
    info = run_raw(prod_client, "reduce", reduce_spec(
        ["//tmp/in1", "<foreign=%true>//tmp/in2"], reduce_by=["key"], join_by=["key"],
        job_count=1))
    assert info["state"] == "completed", info
    assert echo_lines(fake_yt) == [
        switch(0), row(key=2, value=7), switch(1), row(key=2, value=6),
        switch(0), row(key=4, value=3), switch(1), row(key=4, value=8)]


def test_foreign_tables_outside_a_reduce_are_refused(prod_client, fake_yt, tables):
    info = run_raw(prod_client, "map", {"input_table_paths": ["//tmp/p", FOREIGN],
                                        "output_table_paths": ["//tmp/echo"],
                                        "mapper": user_job(ECHO)})
    assert "the fake proxy does not run foreign input tables in a map operation (//tmp/f)" \
        in failure(info)
    assert fake_yt.rows("//tmp/echo") == [{"line": "before"}]
