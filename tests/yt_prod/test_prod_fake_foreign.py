"""A reduce's foreign input tables (`<foreign=%true>//t`) and `join_by`, on the fake proxy:
refused where the reduce controller refuses them (TReduceController::CustomPrepare and
AdjustSortColumns in yt/yt/server/controller_agent/controllers/sorted_controller.cpp), with
its words. A join the controller accepts is one the fake does not run, and says so, rather
than read the foreign table as a primary one, as it did before."""

from __future__ import annotations

import pytest
from test_prod_fake_inputs import ECHO, run_raw, user_job, write_sorted

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


def test_a_join_the_cluster_runs_is_refused_by_name_not_run_as_a_plain_reduce(
        prod_client, fake_yt, tables):
    info = run_raw(prod_client, "reduce", reduce_spec(["//tmp/p", FOREIGN],
                                                      reduce_by=["k"], join_by=["k"]))
    assert "the fake proxy does not run a reduce with foreign tables (join_by): //tmp/f " \
           "would be joined by [k]" in failure(info)
    assert fake_yt.rows("//tmp/echo") == [{"line": "before"}]
    assert not fake_yt.jobs


def test_foreign_tables_outside_a_reduce_are_refused(prod_client, fake_yt, tables):
    info = run_raw(prod_client, "map", {"input_table_paths": ["//tmp/p", FOREIGN],
                                        "output_table_paths": ["//tmp/echo"],
                                        "mapper": user_job(ECHO)})
    assert "the fake proxy does not run foreign input tables in a map operation (//tmp/f)" \
        in failure(info)
    assert fake_yt.rows("//tmp/echo") == [{"line": "before"}]
