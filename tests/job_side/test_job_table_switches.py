"""ytjobs with several input and output tables: control rows hidden, indexes offered, switches
written only where the table changes — in this interpreter and in a bare Python 3.8."""

from __future__ import annotations

import io
import json

import pytest
from bare_python import run_bare

from ytjobs import groups, read_indexed_rows, read_rows, table_switch, write_row, write_rows
from ytjobs.codec import iter_rows


def switch(index: int) -> bytes:
    # as YT writes a table switch in JSON (YTsaurus docs, Switching between tables; the JSON
    # writer puts $attributes first: yt/yt/core/json/unittests/writer_ut.cpp)
    return b'{"$attributes":{"table_index":%d},"$value":null}\n' % index


TWO_TABLES = (switch(0) + b'{"k":1,"v":"a"}\n{"k":2,"v":"b"}\n'
              + switch(1) + b'{"k":1,"v":"c"}\n' + switch(0) + b'{"k":3,"v":"d"}\n')


def test_read_rows_leaves_control_rows_out():
    assert [r["v"] for r in read_rows(io.BytesIO(TWO_TABLES))] == ["a", "b", "c", "d"]
    # the codec itself keeps them unless asked
    assert len(list(iter_rows(io.BytesIO(TWO_TABLES)))) == 7


def test_control_rows_left_out_across_small_blocks():
    rows = list(iter_rows(io.BytesIO(TWO_TABLES), chunk=5, drop_control=True))
    assert [r["v"] for r in rows] == ["a", "b", "c", "d"]


def test_a_row_with_other_dollar_keys_is_data():
    data = b'{"$value":1,"$attributes":{}}\n{"$attributes":{},"$value":null,"x":1}\n'
    assert len(list(read_rows(io.BytesIO(data)))) == 2


def test_read_indexed_rows_gives_the_table_of_each_row():
    assert [(t, r["v"]) for t, r in read_indexed_rows(io.BytesIO(TWO_TABLES))] == [
        (0, "a"), (0, "b"), (1, "c"), (0, "d")]
    # one input table: no control rows, every row from table 0
    assert [t for t, _ in read_indexed_rows(io.BytesIO(b'{"k":1}\n{"k":2}\n'))] == [0, 0]


def test_groups_of_indexed_rows_keep_the_table_of_each_row():
    data = (switch(0) + b'{"k":1,"v":"a"}\n' + switch(1) + b'{"k":1,"v":"c"}\n{"k":2,"v":"e"}\n')
    got = [(k, [(t, r["v"]) for t, r in rows])
           for k, rows in groups(read_indexed_rows(io.BytesIO(data)), "k")]
    assert got == [(1, [(0, "a"), (1, "c")]), (2, [(1, "e")])]
    assert list(groups([], "k")) == []
    assert [k for k, _ in groups([(0, {"a": 1, "b": 2}), (1, {"a": 1, "b": 3})], ["a", "b"])] == [
        (1, 2), (1, 3)]


def test_writes_switch_only_when_the_table_changes():
    out = io.BytesIO()
    write_row({"n": 1}, out)
    write_row({"n": 2}, out, table_index=1)
    write_row({"n": 3}, out, table_index=1)
    write_rows([{"n": 4}], out, table_index=2)
    write_rows([{"n": 5}], out)
    assert out.getvalue() == (b'{"n":1}\n' + switch(1) + b'{"n":2}\n{"n":3}\n' + switch(2)
                              + b'{"n":4}\n' + switch(0) + b'{"n":5}\n')
    assert table_switch(3) == switch(3)
    fresh = io.BytesIO()  # each stream starts on table 0
    write_row({"n": 6}, fresh)
    assert fresh.getvalue() == b'{"n":6}\n'


@pytest.mark.parametrize("bad", [-1, "1", 1.0, True])
def test_bad_table_index(bad):
    with pytest.raises(ValueError, match="table_index"):
        write_row({"n": 1}, io.BytesIO(), table_index=bad)


JOIN = """
from ytjobs import groups, read_indexed_rows, read_rows, write_row, write_rows
import sys
for key, items in groups(read_indexed_rows(), "k"):
    items = list(items)
    write_row({"k": key, "tables": [t for t, _ in items]}, table_index=len(items) % 2)
write_rows([])
"""


def test_in_a_bare_python_38():
    sorted_input = (switch(0) + b'{"k":1,"v":"a"}\n' + switch(1) + b'{"k":1,"v":"c"}\n'
                    + switch(0) + b'{"k":2,"v":"b"}\n{"k":3,"v":"d"}\n')
    done = run_bare(["-c", JOIN], stdin=sorted_input)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines(keepends=True)
    assert lines == [b'{"k":1,"tables":[0,1]}\n', switch(1), b'{"k":2,"tables":[0]}\n',
                     b'{"k":3,"tables":[0]}\n']
    assert json.loads(lines[0]) == {"k": 1, "tables": [0, 1]}
