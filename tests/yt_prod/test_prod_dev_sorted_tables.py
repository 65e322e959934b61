"""A table YQL wrote and a sort then sorted, in dev and in prod (the real client against
the fake proxy): the same rows after each write, the same refusals in the cluster's words.

On a cluster such a table keeps its strict schema, sorted by the sort's columns (the sort
controller's PrepareOutputTables: `ToSorted(sort_by)`, yt/yt/server/controller_agent/
controllers/sort_controller.cpp), through later writes without `sorted_by`
(GetTableUploadOptions, yt/yt/ytlib/table_client/table_upload_options.cpp): rows must come
in key order, appended ones after its last row, or the whole write fails ("Sort order
violation: %v > %v", schemaless_chunk_writer.cpp; "Output table %v is not sorted: ...").
YQL's INSERT into it merges its rows in by key ("In the case of a sorted table, YQL tries to
preserve sorting by running a sorted merge": YQL docs, INSERT INTO).
"""

from __future__ import annotations

import json
import re

import pytest
from test_prod_dev_parity import Backends

from yt_pipeline.errors import BackendError, OperationFailed

pytest.importorskip("duckdb", reason="YQL runs on DuckDB in dev and in the fake")

PASS_THROUGH = """
from ytjobs import read_rows, write_rows

write_rows(read_rows())
"""

#: the cluster's words, as each backend quotes them in its own error
CLUSTER_WORDS = re.compile(r"Sort order violation: \[[^\]]*\] > \[[^\]]*\]"
                           r"|Output table \S+ is not sorted: (?:"
                           r"job outputs overlap with original table"
                           r"|job outputs have overlapping key ranges)")


def cluster_words(error: BaseException) -> str:
    found = CLUSTER_WORDS.search(str(error))
    assert found, str(error)
    return found.group(0)


def both_fail(kind: type[Exception], *calls) -> str:
    """Run the dev call then the prod one; both fail alike: the cluster's words, once."""
    words = []
    for call in calls:
        with pytest.raises(kind) as caught:
            call()
        words.append(cluster_words(caught.value))
    assert words[0] == words[1]
    return words[0]


@pytest.fixture
def both(tmp_path, prod_client, fake_yt):
    """//t/s in both modes: written by YQL (a strict schema), then sorted by k in place."""
    both = Backends(tmp_path, prod_client, fake_yt, {"src/mapper.py": PASS_THROUGH})
    query = ("INSERT INTO `//t/s` WITH TRUNCATE "
             "SELECT * FROM (VALUES (5, 'e'), (1, 'a'), (3, 'c')) AS t(k, v)")
    both.dev.run_yql(query)
    both.prod.run_yql(query)
    both.run(both.spec("sort", input_tables=["//t/s"], output_tables=["//t/s"],
                       sort_by=["k"]))
    return both


def same_rows(both: Backends, path: str = "//t/s") -> list:
    dev, prod = both.rows(path)
    assert dev == prod
    return [row["k"] for row in dev]


def schema_shown(schema: dict) -> list:
    return [(c["name"], c.get("sort_order")) for c in schema["columns"]]


def test_the_sort_gives_the_schema_its_key_in_both_modes(both):
    dev = both.dev.declared_schema("//t/s")
    prod = both.prod.declared_schema("//t/s")
    assert schema_shown(dev) == schema_shown(prod) == [("k", "ascending"), ("v", None)]
    assert dev["strict"] and prod["strict"]
    assert same_rows(both) == [1, 3, 5]


def test_write_table_out_of_key_order_fails_alike_and_writes_nothing(both):
    def append(rows):
        return [lambda: both.dev.write_table("//t/s", rows, append=True),
                lambda: both.prod.write_table("//t/s", rows, append=True)]

    # write_table's writer starts from the table's last key, and compares the first row
    # with it as with any row before it (TSchemalessMultiChunkWriterBase::
    # ValidateSortOrderAndUniqueness, yt/yt/ytlib/table_client/schemaless_chunk_writer.cpp)
    assert both_fail(BackendError, *append([{"k": 2, "v": "b"}])) == \
        "Sort order violation: [5] > [2]"
    assert both_fail(BackendError, *append([{"k": 9, "v": "i"}, {"k": 7, "v": "g"}])) == \
        "Sort order violation: [9] > [7]"
    rows = [{"k": 2, "v": "b"}, {"k": 1, "v": "a"}]
    assert both_fail(BackendError, lambda: both.dev.write_table("//t/s", rows),
                     lambda: both.prod.write_table("//t/s", rows)) == \
        "Sort order violation: [2] > [1]"
    assert same_rows(both) == [1, 3, 5]
    # after its last row, in order (an equal key too): taken, and still sorted
    for client in (both.dev, both.prod):
        client.write_table("//t/s", [{"k": 5, "v": "e2"}, {"k": 8, "v": "h"}], append=True)
    assert same_rows(both) == [1, 3, 5, 5, 8]
    assert schema_shown(both.dev.declared_schema("//t/s"))[0] == ("k", "ascending")


def test_an_append_before_the_last_row_is_refused_on_its_first_row_in_both_modes(both):
    # //t/s holds keys 1, 3, 5. write_table's writer checks the first row against the
    # table's last key before the rows against each other (TSchemalessMultiChunkWriterBase::
    # ValidateSortOrderAndUniqueness: `LastKey_ && IsFirstRow_`, yt/yt/ytlib/table_client/
    # schemaless_chunk_writer.cpp; the key from GetTableUploadParams' `fetch_last_key`).
    rows = [{"k": 2, "v": "b"}, {"k": 1, "v": "a"}]
    assert both_fail(BackendError,
                     lambda: both.dev.write_table("//t/s", rows, append=True),
                     lambda: both.prod.write_table("//t/s", rows, append=True)) == \
        "Sort order violation: [5] > [2]"
    assert same_rows(both) == [1, 3, 5]


def test_an_operation_unsorting_the_table_fails_alike_and_writes_nothing(both):
    spec = both.spec("map", mapper="src/mapper.py", input_tables=["//t/new"],
                     output_tables=["//t/s"], append=True)

    def run_both():
        from yt_pipeline_dev.launcher import launch as dev_launch

        return [lambda: dev_launch(both.dev, spec), lambda: both.run_prod(spec)]

    both.put("//t/new", [{"k": 0, "v": "z"}])
    assert both_fail(OperationFailed, *run_both()) == \
        "Output table //t/s is not sorted: job outputs overlap with original table"
    both.put("//t/new", [{"k": 7, "v": "g"}, {"k": 6, "v": "f"}])
    assert both_fail(OperationFailed, *run_both()) == "Sort order violation: [7] > [6]"
    assert same_rows(both) == [1, 3, 5]
    both.put("//t/new", [{"k": 6, "v": "f"}, {"k": 7, "v": "g"}])
    both.run(spec)
    assert same_rows(both) == [1, 3, 5, 6, 7]


def test_a_yql_insert_merges_its_rows_in_by_key_in_both_modes(both):
    query = "INSERT INTO `//t/s` SELECT 2 AS k, 'b' AS v"
    both.dev.run_yql(query)
    both.prod.run_yql(query)
    assert same_rows(both) == [1, 2, 3, 5]
    # in a stage too: staged, then put on the table by key at the commit
    query = "INSERT INTO `//t/s` SELECT * FROM (VALUES (4, 'd'), (0, 'z'), (3, 'c2')) AS t(k, v)"
    for client in (both.dev, both.prod):
        txn = client.begin_transaction("stage s")
        try:
            txn.client.run_yql(query)
        except BaseException:
            txn.abort()
            raise
        if client is both.dev:  # dev's commit point is the run's journal record
            record = both.root / "record.json"
            record.write_text(json.dumps(txn.prepare(record)))
        txn.commit()
    dev, prod = both.rows("//t/s")
    assert dev == prod == [{"k": 0, "v": "z"}, {"k": 1, "v": "a"}, {"k": 2, "v": "b"},
                           {"k": 3, "v": "c"}, {"k": 3, "v": "c2"}, {"k": 4, "v": "d"},
                           {"k": 5, "v": "e"}]
    assert schema_shown(both.dev.declared_schema("//t/s")) == \
        schema_shown(both.prod.declared_schema("//t/s")) == [("k", "ascending"), ("v", None)]


def test_a_table_of_no_schema_loses_its_order_to_a_write_in_both_modes(both):
    both.put("//t/w", [{"k": 5}, {"k": 1}])
    both.run(both.spec("sort", input_tables=["//t/w"], output_tables=["//t/w"],
                       sort_by=["k"]))
    for client in (both.dev, both.prod):
        client.write_table("//t/w", [{"k": 0}], append=True)
    assert same_rows(both, "//t/w") == [1, 5, 0]


def job_outputs_into_s(both: Backends, keys: list[int], append: bool):
    """A map of two jobs (keys[:2], then keys[2:]) copying rows of `keys` into //t/s."""
    from yt_pipeline.operation_config import Resources
    from yt_pipeline_dev.launcher import launch as dev_launch

    both.put("//t/in", [{"k": k, "v": str(k)} for k in keys])
    spec = both.spec("map", mapper="src/mapper.py", input_tables=["//t/in"],
                     output_tables=["//t/s"], append=append,
                     resources=Resources(job_count=2))
    return [lambda: dev_launch(both.dev, spec), lambda: both.run_prod(spec)]


def test_jobs_outputs_are_put_in_key_order_as_a_cluster_does(both):
    """The controller orders the jobs' outputs by their boundary keys (first key, then
    last) before it checks them (VerifySortedOutput in yt/yt/server/controller_agent/
    controllers/operation_controller_detail.cpp): jobs of [3, 4] then [1, 2] give
    [1, 2, 3, 4]; [1, 3] then [1, 1] give [1, 1, 1, 3]."""
    for run in job_outputs_into_s(both, [3, 4, 1, 2], append=False):
        run()
    assert same_rows(both) == [1, 2, 3, 4]
    for run in job_outputs_into_s(both, [1, 3, 1, 1], append=False):
        run()
    assert same_rows(both) == [1, 1, 1, 3]


def test_jobs_outputs_that_overlap_fail_alike(both):
    assert both_fail(OperationFailed, *job_outputs_into_s(both, [1, 3, 2, 4], append=False)) \
        == "Output table //t/s is not sorted: job outputs have overlapping key ranges"
    # an append whose jobs overlap each other and the table: the table is checked first
    assert both_fail(OperationFailed, *job_outputs_into_s(both, [0, 8, 7, 9], append=True)) \
        == "Output table //t/s is not sorted: job outputs overlap with original table"
    assert same_rows(both) == [1, 3, 5]
