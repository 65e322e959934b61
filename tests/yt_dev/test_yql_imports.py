"""A dev query imports what its translation and its run need: the UDFs' modules only for a
query calling one (Module::Function), the modules placing an error in the query's text only
for a query that fails. Checked in a fresh interpreter, where nothing imported them before."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

#: each query, and what it gives
QUERIES = {
    "plain": "SELECT score % 10 AS bucket, COUNT(*) AS n FROM `//t` GROUP BY score % 10 "
             "ORDER BY bucket",
    "udf": "SELECT String::AsciiToUpper(name) AS up FROM `//t` ORDER BY up LIMIT 1",
    "failing": "SELECT nope FROM `//t`",
}

RESULTS = {
    "plain": '[{"bucket": 2, "n": 1}, {"bucket": 3, "n": 1}]',
    "udf": '[{"up": "A"}]',
    "failing": '"YQL: 1:8: Member not found: nope. Did you mean name?"',
}


def _modules_after(tmp_path, query):
    script = textwrap.dedent("""
        import json, sys
        from yt_pipeline.errors import QueryFailed
        from yt_pipeline_dev.client import DevClient
        client = DevClient(__import__("pathlib").Path(sys.argv[1]))
        client.write_table("//t", [{"name": "b", "score": 12}, {"name": "a", "score": 3}])
        try:
            print(json.dumps(client.run_yql(sys.argv[2])))
        except QueryFailed as failed:
            print(json.dumps(str(failed)))
        print(json.dumps(sorted(m for m in sys.modules if m.startswith("yt_pipeline."))))
    """)
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / ".dev"), query],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result, modules = done.stdout.splitlines()
    return result, set(__import__("json").loads(modules))


@pytest.mark.parametrize("name", list(QUERIES))
def test_a_query_imports_the_udfs_and_the_error_placing_only_when_it_needs_them(tmp_path,
                                                                               name):
    result, modules = _modules_after(tmp_path, QUERIES[name])
    assert ("yt_pipeline.yql_udfs" in modules) == (name == "udf")
    assert ("yt_pipeline.yql_members" in modules) == (name == "failing")
    assert result == RESULTS[name]
