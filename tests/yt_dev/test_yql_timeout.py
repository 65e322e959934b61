"""pipeline.yql_timeout_s in dev: DuckDB's statement is interrupted when the time is up, and
the stage fails as it does in prod (where the query is aborted: tests/yt_prod/
test_prod_yql_timeout.py)."""

from __future__ import annotations

import threading
import time

import pytest

pytest.importorskip("duckdb", reason="dev runs YQL on DuckDB")

from yt_pipeline.errors import QueryFailed  # noqa: E402
from yt_pipeline_dev.client import DevClient  # noqa: E402

#: a join of 27 billion row triples: minutes of DuckDB's time, far past any limit here
SLOW = ("INSERT INTO `//t/out` WITH TRUNCATE SELECT COUNT(*) AS c FROM `//t/n` AS a "
        "CROSS JOIN `//t/n` AS b CROSS JOIN `//t/n` AS c WHERE a.k + b.k + c.k = 7")

STAGE = f"""
from yt_pipeline import BaseStage


class Slow(BaseStage):
    def run(self, debug):
        self.deps.yt_client.run_yql({SLOW!r})
        return debug
"""


def test_a_statement_running_past_the_limit_is_interrupted(tmp_path):
    client = DevClient(tmp_path / ".dev", yql_timeout_s=0.5)
    client.write_table("//t/n", [{"k": i} for i in range(3000)])
    started = time.monotonic()
    with pytest.raises(QueryFailed) as failed:
        client.run_yql(SLOW)
    assert time.monotonic() - started < 10
    message = str(failed.value)
    assert message.startswith("YQL query interrupted in DuckDB, still running after ")
    assert message.endswith(": pipeline.yql_timeout_s is 0.5 s (raise it, or set it to null "
                            "to wait without a limit)")
    assert not client.exists("//t/out")  # no table, not even an empty one
    assert not [t for t in threading.enumerate() if t.name == "ytp-yql-deadline"]


def test_a_query_within_the_limit_gives_its_rows(tmp_path):
    client = DevClient(tmp_path / ".dev", yql_timeout_s=30)
    client.write_table("//t/n", [{"k": i} for i in range(10)])
    assert client.run_yql("SELECT COUNT(*) AS c FROM `//t/n` AS a CROSS JOIN `//t/n` AS b") \
        == [{"c": 100}]
    assert not [t for t in threading.enumerate() if t.name == "ytp-yql-deadline"]


def test_the_setting_fails_the_stage_in_dev(make_pipeline, run_cli):
    root = make_pipeline({"stages/slow/stage.py": STAGE},
                         config={"pipeline": {"mode": "dev", "yql_timeout_s": 0.5},
                                 "stages": {"enabled_stages": ["slow"]}})
    DevClient(root / ".dev").write_table("//t/n", [{"k": i} for i in range(3000)])
    result = run_cli("run", root)
    assert result.exit_code != 0
    assert ("YQL query interrupted in DuckDB, still running after " in result.output
            and "pipeline.yql_timeout_s is 0.5 s" in result.output), result.output
    assert not (root / ".dev/t/out.jsonl").exists()
