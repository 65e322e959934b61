"""A job writing rows its output table refuses fails alike in dev and on the fake proxy.

A cluster's job proxy checks the rows a job writes as it writes them: its table consumer
refuses a switch to a table the job lacks ("Invalid table index %v: expected integer in
range [0,%v]": TTableConsumer::OnControlInt64Scalar in yt/yt/client/table_client/
table_consumer.cpp), and the table writer a row a strict schema refuses ("Unknown column %Qv
in strict schema": ReorderAndValidateRows in yt/yt/ytlib/table_client/
schemaless_chunk_writer.cpp; "Invalid type of column %Qv: expected type %Qlv or %Qlv but
got %Qlv": ValidateValueType in yt/yt/client/table_client/unversioned_row.cpp). Either
fails the job, not the operation: it runs again until the operation's failed jobs reach
max_failed_job_count, and the operation then fails with "Failed jobs limit exceeded" and
the job's error, no row written.
"""

from __future__ import annotations

import json
import re

import pytest
from test_prod_dev_parity import Backends

from yt_pipeline.errors import OperationFailed
from yt_pipeline_dev.launcher import launch as dev_launch

# Each attempt leaves a file in MARKS; rows come from ROWS (JSON), written to stdout, with
# a switch before them when SWITCH is set.
WRITER = """
import json, os, sys
from ytjobs import read_rows
list(read_rows())
marks = os.environ["MARKS"]
open(os.path.join(marks, str(len(os.listdir(marks)))), "w").close()
if os.environ.get("SWITCH"):
    print(os.environ["SWITCH"])
for row in json.loads(os.environ["ROWS"]):
    print(json.dumps(row))
"""

OLD = [{"id": 7, "name": "a"}]
LIMIT = 3


def _job_error(failure: OperationFailed) -> str:
    """The operation's error from "Failed jobs limit exceeded" to where each mode adds
    where to look (dev: its sandbox, prod: the operation's id)."""
    found = re.search(r"Failed jobs limit exceeded.*?(?=; (sandbox kept|operation ))",
                      str(failure))
    assert found, str(failure)
    return found.group(0)


def _run_failing(both: Backends, tmp_path, outputs: list[str], rows: list[dict],
                 switch: str = "") -> dict[str, tuple[str, int]]:
    """Run the writer in both modes, each expected to fail: (error, attempts) by mode."""
    outcomes = {}
    for mode in ("dev", "prod"):
        marks = tmp_path / f"marks-{mode}"
        marks.mkdir()
        spec = both.spec("map", mapper="src/mapper.py", input_tables=["//in/t"],
                         output_tables=outputs, max_failed_job_count=LIMIT,
                         env={"MARKS": str(marks), "ROWS": json.dumps(rows), "SWITCH": switch})
        with pytest.raises(OperationFailed) as failed:
            if mode == "dev":
                dev_launch(both.dev, spec)
            else:
                both.run_prod(spec)
        outcomes[mode] = (_job_error(failed.value), len(list(marks.iterdir())))
    return outcomes


def _backends(tmp_path, prod_client, fake_yt) -> Backends:
    both = Backends(tmp_path, prod_client, fake_yt, {"src/mapper.py": WRITER})
    both.put("//in/t", [{"id": 1}])
    query = "INSERT INTO `//out/yql` WITH TRUNCATE SELECT 7 AS id, 'a' AS name"
    both.dev.run_yql(query)
    prod_client.run_yql(query)
    return both


@pytest.mark.parametrize("row, words", [
    ({"id": 1, "cur": "x"}, 'Unknown column "cur" in strict schema'),
    ({"id": "1"}, 'Invalid type of column "id": expected type "int32" or "null" but got '
                  '"string"'),
    # YQL wrote `name` from a literal, a required column: a row without it is refused as a
    # null in it (the writer fills a column the row lacks with null, then ValidateValueType
    # checks every column of the schema: ReorderAndValidateRows in yt/yt/ytlib/table_client/
    # schemaless_chunk_writer.cpp)
    ({"id": 3}, 'Required column "name" cannot have "null" value'),
])
def test_a_row_a_strict_schema_refuses_fails_the_job_in_both_modes(
        tmp_path, prod_client, fake_yt, row, words):
    both = _backends(tmp_path, prod_client, fake_yt)
    # a fitting row first: the job's rows reach the table all or none
    outcomes = _run_failing(both, tmp_path, ["//out/yql"], [{"id": 2, "name": "b"}, row])
    told = (f"Failed jobs limit exceeded ({LIMIT} failed jobs, max_failed_job_count "
            f"{LIMIT}): map job 1 of 1 failed on its attempt {LIMIT}: {words}")
    assert outcomes == {"dev": (told, LIMIT), "prod": (told, LIMIT)}
    assert both.rows("//out/yql") == (OLD, OLD)


def test_a_refused_row_switched_to_a_second_table_fails_the_job_in_both_modes(
        tmp_path, prod_client, fake_yt):
    # table 0 has no schema and takes anything; the row goes to table 1, YQL's
    both = _backends(tmp_path, prod_client, fake_yt)
    both.put("//out/free", [{"any": 1}])
    switch = '{"$attributes":{"table_index":1},"$value":null}'
    outcomes = _run_failing(both, tmp_path, ["//out/free", "//out/yql"],
                            [{"id": 3, "extra": True}], switch)
    words = 'Unknown column "extra" in strict schema'
    assert outcomes["dev"] == outcomes["prod"]
    assert outcomes["dev"][0].endswith(f"attempt {LIMIT}: {words}")
    assert outcomes["dev"][1] == LIMIT
    assert both.rows("//out/free") == ([{"any": 1}], [{"any": 1}])
    assert both.rows("//out/yql") == (OLD, OLD)


@pytest.mark.parametrize("attributes, words", [
    ('{"table_index":2}', "Invalid table index 2: expected integer in range [0,1]"),
    ('{"table_index":-1}', "Invalid table index -1: expected integer in range [0,1]"),
    ('{"table_index":1.5}', 'Control attribute "table_index" cannot be a double value'),
    ('{"table_index":"1"}', "Control attributes are not supported"),
    ('{}', "Too few control attributes per record: at least one attribute is required"),
])
def test_a_bad_switch_fails_the_job_with_the_same_words_in_both_modes(
        tmp_path, prod_client, fake_yt, attributes, words):
    both = _backends(tmp_path, prod_client, fake_yt)
    both.put("//out/free", [{"any": 1}])
    switch = '{"$attributes":' + attributes + ',"$value":null}'
    outcomes = _run_failing(both, tmp_path, ["//out/free", "//out/yql"],
                            [{"id": 3, "name": "c"}], switch)
    told = (f"Failed jobs limit exceeded ({LIMIT} failed jobs, max_failed_job_count "
            f"{LIMIT}): map job 1 of 1 failed on its attempt {LIMIT}: {words}")
    assert outcomes == {"dev": (told, LIMIT), "prod": (told, LIMIT)}
    assert both.rows("//out/free") == ([{"any": 1}], [{"any": 1}])
    assert both.rows("//out/yql") == (OLD, OLD)
