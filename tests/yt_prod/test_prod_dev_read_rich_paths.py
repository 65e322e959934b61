"""`read_table` and `read_columns` of a rich path (`//t{a,b}[#10:#20]`) give in dev the rows
a cluster gives: the rows of each row range, in the order the ranges are written, with the
selected columns only (YTsaurus docs, YPath: "Row ranges", "Column selection"); columns
given to read_columns replace the path's, as ytsaurus-client's TablePath(columns=) sets
them over the path's own. Dev refused such a path ("not supported in dev mode"), where the
same stage code runs in prod."""

from __future__ import annotations

import pytest

from yt_pipeline.errors import InvalidTablePath, TableNotFound
from yt_pipeline_dev.client import DevClient

ROWS = [{"a": n, "b": f"v{n}"} for n in range(5)]


@pytest.fixture(params=["dev", "prod"])
def client(request, tmp_path):
    if request.param == "dev":
        return DevClient(tmp_path / "pipe" / ".dev")
    return request.getfixturevalue("prod_client")


@pytest.mark.parametrize("path, expected", [
    ("//tmp/t[#1:#3]", ROWS[1:3]),
    ("//tmp/t[#3:]", ROWS[3:]),
    ("//tmp/t[:#2]", ROWS[:2]),
    ("//tmp/t[#4]", ROWS[4:5]),
    ("//tmp/t[#1,#3]", [ROWS[1], ROWS[3]]),
    ("//tmp/t[#3:#5,#0:#2]", ROWS[3:5] + ROWS[0:2]),
    ("//tmp/t[#1:#3,#2:#4]", ROWS[1:3] + ROWS[2:4]),
    ("//tmp/t[#4:#1]", []),
    ("//tmp/t[#7:#9]", []),
    ("//tmp/t{a}", [{"a": n} for n in range(5)]),
    ("//tmp/t{b,zz}[#2:#4]", [{"b": "v2"}, {"b": "v3"}]),
])
def test_a_rich_path_reads_what_it_selects(client, path, expected):
    client.write_table("//tmp/t", ROWS)
    rows = client.read_table(path)
    assert list(rows) == expected
    assert len(rows) == len(expected) and list(rows) == expected  # a second pass alike
    assert list(client.read_columns(path, None)) == expected


def test_read_columns_replace_the_path_s_columns(client):
    client.write_table("//tmp/t", ROWS)
    assert list(client.read_columns("//tmp/t{b}[#1:#3]", ["a"])) == [{"a": 1}, {"a": 2}]
    assert list(client.read_columns("//tmp/t{b}", ["a"])) == [{"a": n} for n in range(5)]


def test_a_missing_table_read_through_a_range_is_named(client):
    with pytest.raises(TableNotFound, match=r"//tmp/nope"):
        client.read_table("//tmp/nope[#1:#2]")


def test_a_half_read_range_is_closed_with_its_rows(client):
    client.write_table("//tmp/t", ROWS)
    rows = client.read_table("//tmp/t[#1:#4]")
    assert next(rows) == ROWS[1]
    rows.close()
    assert list(rows) == ROWS[1:4]  # a new pass


def test_dev_refuses_a_key_range_it_cannot_order(tmp_path):
    client = DevClient(tmp_path / "pipe" / ".dev")
    client.write_table("//tmp/t", ROWS)
    with pytest.raises(InvalidTablePath, match=r"only row ranges"):
        client.read_table("//tmp/t[(1):(3)]")
