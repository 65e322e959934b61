"""A join reduce with more than one thing wrong is refused for the one a cluster names: the
reduce controller checks its foreign tables in one order (TSortedReduceController::
CustomPrepare in yt/yt/server/controller_agent/controllers/sorted_controller.cpp: a foreign
table of several ranges, then no primary table, then join_by without a foreign table, then
a foreign table without join_by), and the configuration's check (core/join_keys.py) and the
fake proxy follow it through one function."""

from __future__ import annotations

import dataclasses

import pytest
from test_prod_dev_parity import ECHO, Backends
from test_prod_fake_inputs import run_raw, user_job

from yt_pipeline.errors import ConfigError
from yt_pipeline_dev.launcher import launch as dev_launch
from yt_pipeline_prod import plugin

HOSTS = [{"host": "h1", "name": "one"}]
URLS = [{"host": "h1", "url": "h1/a"}]
RANGES = "<foreign=%true>//in/hosts[#0:#1,#1:#2]"


@pytest.mark.parametrize("inputs, join_by, key, message", [
    # every table foreign and no join_by: no primary table is what the controller says
    (["<foreign=%true>//in/hosts"], [], "input_tables",
     "At least one non-foreign input table is required"),
    # a foreign table of two ranges and no join_by: the ranges come first
    ([RANGES, "//in/urls"], [], "input_tables",
     f"Reduce operation does not support foreign tables with multiple ranges ({RANGES})"),
    ([RANGES], ["host"], "input_tables",
     f"Reduce operation does not support foreign tables with multiple ranges ({RANGES})"),
])
def test_the_first_problem_a_cluster_finds_is_the_one_named(tmp_path, prod_client, fake_yt,
                                                            inputs, join_by, key, message):
    both = Backends(tmp_path, prod_client, fake_yt, {"src/echo.py": ECHO})
    both.put("//in/hosts", HOSTS)
    both.put("//in/urls", URLS)
    spec = both.spec("reduce", reducer="src/echo.py", input_tables=inputs,
                     output_tables=["//out/lines"], reduce_by=["host"], join_by=join_by)
    for launch, client in ((dev_launch, both.dev), (plugin.launch_operation, prod_client)):
        with pytest.raises(ConfigError) as caught:
            launch(client, dataclasses.replace(spec, code_package=both.package))
        assert str(caught.value) == f"stage s: operation reduce: {key}: {message}"
    assert not both.dev.exists("//out/lines")
    # the fake proxy, given the same spec by hand, fails the operation for the same reason
    # (in the controller's words: without the configuration's path in brackets)
    raw = {"input_table_paths": inputs, "output_table_paths": ["//out/lines"],
           "reducer": user_job(ECHO), "reduce_by": ["host"]}
    if join_by:
        raw["join_by"] = join_by
    info = run_raw(prod_client, "reduce", raw)
    assert info["state"] == "failed", info
    errors = info["result"]["error"]["inner_errors"]
    assert [error["message"] for error in errors] == [message.split(" (<")[0]]
    assert not fake_yt.jobs
