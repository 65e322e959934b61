"""A table a YQL INSERT ... ORDER BY a DESC key wrote keeps a hidden `_yql_column_0` of
presort bytes (yql_presort; test_prod_yql_sorted_inserts shows them, fe7ffffffffffffffa for
5). Those bytes are no UTF-8, and a cluster reads a table, and feeds a job, in JSON through
a writer that refuses them, so read_table of the table fails on a cluster, and so does a
map whose input it is; dev and the fake proxy fail alike, with one clear message.

Sources (ytsaurus/ytsaurus):
- yt/yt/core/json/json_writer.cpp: TJsonWriter's constructor sets yajl_gen_validate_utf8,
  and CheckYajlCode turns yajl_gen_invalid_string into "Invalid UTF-8 string in JSON".
- yajl (contrib/deprecated/yajl, src/yajl_encode.c yajl_string_validate_utf8) checks the
  shape of the bytes only: a lead byte C0-DF, E0-EF or F0-F7 and that many continuation
  bytes (yt_pipeline.yajl_utf8).
- yt/yql/providers/yt/opt/yql_yt_key_selector.cpp, TKeySelectorBuilder::AddColumn: a DESC
  key is sorted through a hidden column of its presort bytes (a String); an expression
  sorted ascending, through a hidden column of its value, which is ordinary data.
"""

from __future__ import annotations

import pytest
from test_prod_dev_parity import Backends
from test_prod_yql_sorted_inserts import ROWS, run

from yt_pipeline.errors import OperationFailed, RefusedByCluster

pytest.importorskip("duckdb", reason="YQL runs on DuckDB in dev and in the fake")

COPY = """
from ytjobs import read_rows, write_rows

write_rows(read_rows())
"""
DESC = "PRAGMA yt.InferSchema; INSERT INTO `//t/out` WITH TRUNCATE SELECT k, v FROM `//t/in` "


@pytest.fixture
def both(tmp_path, prod_client, fake_yt):
    both = Backends(tmp_path, prod_client, fake_yt, {"src/copy.py": COPY})
    for client in (both.dev, both.prod):
        client.write_table("//t/in", ROWS)
    return both


def refusal(read) -> str:
    with pytest.raises(RefusedByCluster) as caught:
        list(read())
    return str(caught.value)


def test_reading_a_table_sorted_desc_fails_alike_in_both_modes(both):
    run(both, DESC + "ORDER BY k DESC")
    dev = refusal(lambda: both.dev.read_table("//t/out"))
    prod = refusal(lambda: both.prod.read_table("//t/out"))
    assert dev == prod == (
        'read_table //t/out: column _yql_column_0 holds the presort bytes of a YQL ORDER BY '
        '(a hidden sort column), which a cluster\'s JSON read refuses ("Invalid UTF-8 string '
        'in JSON"); read the table\'s own columns with read_columns("//t/out", ["k", "v"]) '
        "or a YQL SELECT, which does not see the hidden column")
    # the fake's own answer is the cluster's, which the prod client rewords
    with pytest.raises(Exception, match="Invalid UTF-8 string in JSON"):
        both.prod.yt().read_table("//t/out", format="json", raw=True).read()
    # reading the hidden column alone fails too
    assert refusal(lambda: both.dev.read_columns("//t/out", ["_yql_column_0"])) == refusal(
        lambda: both.prod.read_columns("//t/out", ["_yql_column_0"]))


@pytest.mark.parametrize(("order", "expected"), [
    ("ORDER BY k DESC", [(5, "e"), (3, "c"), (1, "a"), (None, "n")]),
    # the key is v, then the hidden column: the own columns come in the schema's order
    ("ORDER BY v, k DESC", [("a", 1), ("c", 3), ("e", 5), ("n", None)]),
])
def test_the_tables_own_columns_read_in_its_order(both, order, expected):
    run(both, DESC + order)
    wanted = ["k", "v"] if order == "ORDER BY k DESC" else ["v", "k"]
    for client in (both.dev, both.prod):
        rows = list(client.read_columns("//t/out", wanted))
        assert [tuple(row[name] for name in wanted) for row in rows] == expected
        assert all(sorted(row) == sorted(wanted) for row in rows)
        # the message names those columns, in that order
        assert f'read_columns("//t/out", ["{wanted[0]}", "{wanted[1]}"])' in refusal(
            lambda: client.read_table("//t/out"))  # noqa: B023


def test_a_hidden_column_of_an_expressions_value_reads(both):
    # ORDER BY k + 1: the hidden column holds k + 1 itself, an Int64 (AddColumn: no presort
    # for an ascending expression of a data type), which any JSON read gives
    run(both, DESC + "ORDER BY k + 1")
    dev, prod = (list(client.read_table("//t/out")) for client in (both.dev, both.prod))
    assert dev == prod == [{"k": None, "v": "n", "_yql_column_0": None},
                           {"k": 1, "v": "a", "_yql_column_0": 2},
                           {"k": 3, "v": "c", "_yql_column_0": 4},
                           {"k": 5, "v": "e", "_yql_column_0": 6}]
    # and read by name, the hidden column with the others
    dev, prod = (list(client.read_columns("//t/out", ["v", "_yql_column_0"]))
                 for client in (both.dev, both.prod))
    assert dev == prod == [{"v": "n", "_yql_column_0": None}, {"v": "a", "_yql_column_0": 2},
                           {"v": "c", "_yql_column_0": 4}, {"v": "e", "_yql_column_0": 6}]


def test_a_map_over_the_table_fails_alike_and_one_selecting_its_own_columns_runs(both):
    run(both, DESC + "ORDER BY k DESC")
    spec = both.spec("map", mapper="src/copy.py", input_tables=["//t/out"],
                     output_tables=["//t/copied"])
    with pytest.raises(OperationFailed) as dev:
        from yt_pipeline_dev.launcher import launch as dev_launch

        dev_launch(both.dev, spec)
    assert ("map operation failed: Failed jobs limit exceeded: Invalid UTF-8 string in JSON: "
            "input //t/out: column _yql_column_0 holds the presort bytes") in str(dev.value)
    assert "//t/out{k,v}" in str(dev.value)
    with pytest.raises(OperationFailed, match="Invalid UTF-8 string in JSON"):
        both.run_prod(spec)
    # a path selecting the table's own columns never writes the hidden one
    selected = both.spec("map", mapper="src/copy.py", input_tables=["//t/out{k,v}"],
                         output_tables=["//t/copied"])
    both.run(selected)
    dev_rows, prod_rows = both.rows("//t/copied")
    assert dev_rows == prod_rows == [{"k": 5, "v": "e"}, {"k": 3, "v": "c"},
                                     {"k": 1, "v": "a"}, {"k": None, "v": "n"}]


def test_a_yt_framework_request_learns_the_columns_from_the_schema(both):
    # LimitTableRequest without columns: the client learned them by reading rows, which a
    # table of presort bytes refuses on a cluster; its schema has them
    from yt_pipeline.compat.yql_requests import LimitTableRequest

    run(both, DESC + "ORDER BY k DESC")
    for client in (both.dev, both.prod):
        refusal(lambda: client.read_table("//t/out"))  # noqa: B023
        client.limit_table_request(LimitTableRequest(input_table="//t/out",
                                                     output_table="//t/top", limit=2))
    dev, prod = both.rows("//t/top")
    assert dev == prod == [{"k": 5, "v": "e"}, {"k": 3, "v": "c"}]


def test_the_fakes_json_writer_checks_the_shape_of_a_strings_bytes():
    from yt_pipeline_prod.fake.json_rows import dump_rows
    from yt_pipeline_prod.fake.protocol import YtFakeError

    # text, and bytes of the right shape that no strict decoder takes (an overlong NUL,
    # C0 80), are written as they are
    assert dump_rows([{"a": "é日本", "b": "\udcc0\udc80"}]) == (
        '{"a":"é日本","b":"'.encode() + b'\xc0\x80"}\n')
    # a lone FE is no lead byte: refused, as the cluster's writer refuses it
    with pytest.raises(YtFakeError, match="^Invalid UTF-8 string in JSON$"):
        dump_rows([{"a": "\udcfe\x7f"}])
    # a lead byte without its continuation byte too
    with pytest.raises(YtFakeError, match="^Invalid UTF-8 string in JSON$"):
        dump_rows([{"a": "\udcc3A"}])


def test_the_fake_reads_non_ascii_text_and_sorts_strings_by_their_bytes(prod_client,
                                                                       fake_yt):
    # YT compares strings bytewise (CompareRowValues, yt/yt/client/table_client/
    # unversioned_value.cpp): 0x80 before C3 A9 (é), E0 A0 80 before a lone FE
    fake_yt.put_table("//t/s", [{"s": "é"}, {"s": "\udcfe"}, {"s": "\udc80"},
                                {"s": "\u0800"}, {"s": "a"}])
    yt = prod_client.yt()
    yt.run_sort("//t/s", "//t/sorted", sort_by=["s"])
    assert fake_yt.rows("//t/sorted") == [{"s": "a"}, {"s": "\udc80"}, {"s": "é"},
                                          {"s": "\u0800"}, {"s": "\udcfe"}]
    prod_client.write_table("//t/text", [{"s": "é"}, {"s": "日本"}])
    assert list(prod_client.read_table("//t/text")) == [{"s": "é"}, {"s": "日本"}]


def test_a_table_sorted_again_by_its_own_columns_keeps_the_bytes_and_still_fails(both):
    # a sort operation reads and writes rows in YT's own format, not JSON: the presort
    # bytes go into its output, no longer a key column there, and a JSON read of that
    # output fails on them as well
    run(both, DESC + "ORDER BY k DESC")
    both.run(both.spec("sort", input_tables=["//t/out"], output_tables=["//t/by_v"],
                       sort_by=["v"]))
    dev = refusal(lambda: both.dev.read_table("//t/by_v"))
    prod = refusal(lambda: both.prod.read_table("//t/by_v"))
    assert dev == prod
    assert dev.startswith("read_table //t/by_v: column _yql_column_0 holds the presort bytes")
    dev_rows, prod_rows = (list(client.read_columns("//t/by_v", ["k", "v"]))
                           for client in (both.dev, both.prod))
    assert dev_rows == prod_rows == [{"k": 1, "v": "a"}, {"k": 3, "v": "c"},
                                     {"k": 5, "v": "e"}, {"k": None, "v": "n"}]


def test_a_request_learns_the_columns_of_a_table_sorted_again_from_its_schema(both):
    # sorted again by its own columns, the table keeps the hidden column's presort bytes
    # (no longer a key column: test above), so its rows still cannot be read to learn its
    # columns; its schema still names the hidden one (`_yql_`-named, which no query names)
    from yt_pipeline.compat.yql_requests import LimitTableRequest

    run(both, DESC + "ORDER BY k DESC")
    both.run(both.spec("sort", input_tables=["//t/out"], output_tables=["//t/by_v"],
                       sort_by=["v"]))
    for client in (both.dev, both.prod):
        client.limit_table_request(LimitTableRequest(input_table="//t/by_v",
                                                     output_table="//t/top", limit=2))
    dev, prod = both.rows("//t/top")
    assert dev == prod == [{"k": 1, "v": "a"}, {"k": 3, "v": "c"}]


def test_a_select_reads_the_own_columns_of_a_table_sorted_again(both):
    # the refusal's advice, a YQL SELECT of the table's own columns, holds once a sort has
    # left the hidden column an ordinary one: the fake loads its presort bytes into DuckDB
    # as dev keeps them (text of one character a byte), not as bytes no JSON reader takes
    run(both, DESC + "ORDER BY k DESC")
    both.run(both.spec("sort", input_tables=["//t/out"], output_tables=["//t/by_v"],
                       sort_by=["v"]))
    run(both, "INSERT INTO `//t/sel` WITH TRUNCATE SELECT k, v FROM `//t/by_v` WHERE k > 1")
    dev, prod = both.rows("//t/sel")
    assert sorted(dev, key=str) == sorted(prod, key=str) == [{"k": 3, "v": "c"},
                                                             {"k": 5, "v": "e"}]
