"""Row and key weights in dev and on the fake proxy, where a list or a map weighs its
binary YSON: a cluster's writer keeps such a value as one binary YSON string and counts its
length (GetDataWeight in yt/yt/client/table_client/unversioned_row.cpp, summed from 1 by
UpdateDataWeight in yt/yt/ytlib/table_client/schemaless_chunk_writer.cpp). A list of small
integers weighs half as much again as its JSON text (`1,` is `\\x02\\x02;`), so a row or a
key that dev weighed by its text passed in dev and failed on a cluster."""

from __future__ import annotations

import pytest
import yt.yson as yson
from test_prod_dev_parity import Backends

from yt_pipeline.errors import BackendError, OperationFailed
from yt_pipeline_dev.launcher import launch as dev_launch

ROW_LIMIT = 16 * 1024 * 1024  # max_row_weight's default (TChunkWriterConfig, ytlib config.cpp)
KEY_LIMIT = 16 * 1024  # max_key_weight's default, the same place

PASS_THROUGH = """
from ytjobs import read_rows, write_rows

write_rows(read_rows())
"""

#: writes a row {"l": [64 bytes] * items + [tail bytes]} for each row it reads
LIST_MAKER = """
from ytjobs import read_rows, write_row

for row in read_rows():
    write_row({"l": ["y" * 64] * row["items"] + ["x" * row["tail"]]})
"""


def list_weighing(weight: int, items: list) -> list:
    """`items` and one string more, the list weighing `weight` as binary YSON as
    ytsaurus-client writes it (the reference, not dev's count)."""
    base = len(yson.dumps([*items, ""], yson_format="binary"))
    # a string of n bytes more adds n, and a byte or two to its varint length
    for size in range(weight - base, weight - base - 4, -1):
        value = [*items, "x" * size]
        if len(yson.dumps(value, yson_format="binary")) == weight:
            return value
    raise AssertionError("no such list")


def test_a_list_key_weighing_the_limit_fails_the_sort_in_both_modes(tmp_path, prod_client,
                                                                     fake_yt):
    # a key at max_key_weight is refused ("Key weight is too large": ValidateKeyWeight in
    # schemaless_chunk_writer.cpp, `weight < MaxKeyWeight` passes), its weight 1 and the
    # key's values, a list its binary YSON. Its JSON text is far lighter: dev sorted it.
    both = Backends(tmp_path, prod_client, fake_yt, {"src/mapper.py": PASS_THROUGH})
    key = list_weighing(KEY_LIMIT - 1, [1] * 4000)
    both.put("//in/tags", [{"tags": key}])
    both.put("//out/sorted", [{"kept": True}])
    spec = both.spec("sort", input_tables=["//in/tags"], output_tables=["//out/sorted"],
                     sort_by=["tags"])
    words = r"Key weight is too large: the key \[tags\] of a row weighs 16384 bytes"
    with pytest.raises(OperationFailed, match=words):
        dev_launch(both.dev, spec)
    with pytest.raises(OperationFailed, match=words):
        both.run_prod(spec)
    assert both.rows("//out/sorted") == ([{"kept": True}],) * 2
    # one byte less is a key like any other
    both.put("//in/tags", [{"tags": list_weighing(KEY_LIMIT - 2, [1] * 4000)}])
    both.run(spec)
    dev, prod = both.rows("//out/sorted")
    assert dev == prod and len(dev) == 1


def test_a_list_reaching_the_row_weight_limit_is_refused_by_write_table_in_both_modes(
        tmp_path, prod_client, fake_yt):
    # ValidateRowWeight (schemaless_chunk_writer.cpp): a row weighing max_row_weight is
    # refused; a list of 64-byte strings weighs a byte more per item than its JSON text
    # (a two-byte length, a `;`: TBufferedBinaryYsonWriter in yt/yt/core/yson/writer.cpp)
    both = Backends(tmp_path, prod_client, fake_yt, {})
    items = ["y" * 64] * 200_000
    heavy = {"l": list_weighing(ROW_LIMIT - 1, items)}
    with pytest.raises(BackendError, match=r"row 1 is 16777216 bytes of data"):
        both.dev.write_table("//t/heavy", [heavy])
    with pytest.raises(BackendError, match=r"Row weight is too large \(row_weight 16777216"):
        both.prod.write_table("//t/heavy", [heavy])
    light = {"l": list_weighing(ROW_LIMIT - 2, items)}
    for client in (both.dev, both.prod):
        assert client.write_table("//t/heavy", [light]) == 1
    assert both.rows("//t/heavy") == ([light],) * 2


def test_a_job_writing_a_list_over_the_row_weight_limit_fails_in_both_modes(
        tmp_path, prod_client, fake_yt):
    # the job's table writer weighs its rows as write_table's does: the job fails
    both = Backends(tmp_path, prod_client, fake_yt, {"src/mapper.py": LIST_MAKER})
    heavy = list_weighing(ROW_LIMIT - 1, ["y" * 64] * 200_000)
    both.put("//in/t", [{"items": 200_000, "tail": len(heavy[-1])}])
    spec = both.spec("map", mapper="src/mapper.py", input_tables=["//in/t"],
                     output_tables=["//out/t"], max_failed_job_count=1)
    with pytest.raises(OperationFailed, match=r"16777216 bytes of data, over the row weight"):
        dev_launch(both.dev, spec)
    with pytest.raises(OperationFailed, match=r"Row weight is too large \(row_weight 16777216"):
        both.run_prod(spec)


#: writes a row of key {"k": size bytes} for each row it reads
KEY_MAKER = """
from ytjobs import read_rows, write_row

for row in read_rows():
    write_row({"k": "x" * row["size"], "n": 2})
"""
SORTED_TABLE = ("INSERT INTO `//t/s` WITH TRUNCATE "
                "SELECT * FROM (VALUES ('a', 1), ('c', 3)) AS t(k, n)")


@pytest.mark.parametrize("kind", ["map", "reduce"])
def test_a_job_writing_a_heavy_key_into_a_sorted_table_fails_in_both_modes(
        tmp_path, prod_client, fake_yt, kind):
    # A job writing into a table of sorted strict schema writes with a sorted writer, which
    # weighs each row's key first (UpdateDataWeight, then ValidateKeyWeight in
    # schemaless_chunk_writer.cpp): a key of max_key_weight fails the job, as it fails a
    # sort's. The fake did (fake/op_runner.py); dev wrote the row.
    pytest.importorskip("duckdb", reason="YQL runs on DuckDB in dev and in the fake")
    both = Backends(tmp_path, prod_client, fake_yt, {"src/job.py": KEY_MAKER})
    for client in (both.dev, both.prod):
        client.run_yql(SORTED_TABLE)
    both.run(both.spec("sort", input_tables=["//t/s"], output_tables=["//t/s"],
                       sort_by=["k"]))
    # the input's key is light (a reduce's own sort would refuse a heavy one): the job
    # makes the heavy key, 1 + 16383 bytes
    both.put("//in/t", [{"g": 1, "size": KEY_LIMIT - 1}])
    script = {"mapper": "src/job.py"} if kind == "map" else {
        "reducer": "src/job.py", "reduce_by": ["g"], "sort_by": ["g"]}
    spec = both.spec(kind, input_tables=["//in/t"], output_tables=["//t/s"],
                     max_failed_job_count=1, **script)
    errors = []
    for run in (lambda: dev_launch(both.dev, spec), lambda: both.run_prod(spec)):
        with pytest.raises(OperationFailed) as failed:
            run()
        errors.append(str(failed.value))
    assert "Key weight is too large: the key [k] of a row weighs 16384 bytes" in errors[0]
    assert "Key weight is too large (key_weight 16384, key_weight_limit 16384)" in errors[1]
    dev, prod = both.rows("//t/s")
    assert dev == prod and [row["k"] for row in dev] == ["a", "c"]
    # a byte lighter, the row is written, and the table stays sorted
    both.put("//in/t", [{"g": 1, "size": KEY_LIMIT - 2}])
    both.run(spec)
    dev, prod = both.rows("//t/s")
    assert dev == prod and [row["n"] for row in dev] == [2]


def test_write_table_into_a_sorted_table_refuses_a_heavy_key_in_both_modes(
        tmp_path, prod_client, fake_yt):
    # write_table into a table of sorted strict schema writes with a sorted writer, which
    # weighs each row's key (ValidateKeyWeight, schemaless_chunk_writer.cpp): the write
    # fails and the table stays as it was. The fake refused it (fake/tables.py); dev wrote it.
    pytest.importorskip("duckdb", reason="YQL runs on DuckDB in dev and in the fake")
    both = Backends(tmp_path, prod_client, fake_yt, {})
    for client in (both.dev, both.prod):
        client.run_yql("INSERT INTO `//t/s` WITH TRUNCATE SELECT 'a' AS k ORDER BY k")
    heavy = [{"k": "x" * (KEY_LIMIT - 1)}]  # 1 + 16383 bytes
    with pytest.raises(BackendError, match=r"write_table //t/s: Key weight is too large: the "
                                           r"key \[k\] of a row weighs 16384 bytes"):
        both.dev.write_table("//t/s", heavy, append=True)
    with pytest.raises(BackendError, match=r"Key weight is too large \(key_weight 16384, "
                                           r"key_weight_limit 16384\)"):
        both.prod.write_table("//t/s", heavy, append=True)
    assert both.rows("//t/s") == ([{"k": "a"}],) * 2
    light = [{"k": "x" * (KEY_LIMIT - 2)}]
    for client in (both.dev, both.prod):
        client.write_table("//t/s", light, append=True)
    assert both.rows("//t/s") == ([{"k": "a"}, *light],) * 2
