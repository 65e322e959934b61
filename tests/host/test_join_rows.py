"""The rows each join_by key of a join reduce's job gets (core/join_rows.py), which dev and
the fake proxy both hand their jobs: the edge cases here, the whole operations in
tests/yt_prod/test_prod_dev_join_reduce.py and test_prod_fake_foreign.py."""

from __future__ import annotations

import subprocess
import sys

import pytest

from yt_pipeline.column_types import IncomparableKey, sort_key
from yt_pipeline.join_rows import join_items


def host_key(row):
    return (sort_key(row.get("host")),)


def url(host, path):
    return {"host": host, "url": f"{host}/{path}"}


def name(host, value):
    return {"host": host, "name": value}


URLS = [url("a", 1), url("a", 2), url("c", 1)]


def test_foreign_tables_listed_first_give_each_key_their_rows_table_by_table_first():
    hosts = [name("a", "A"), name("b", "B"), name("c", "C")]
    fresh = [name("a", "A2"), name("a", "A3")]  # a key twice in one table: both rows
    got = list(join_items([(2, row) for row in URLS], [(0, hosts), (1, fresh)], host_key))
    assert got == [(0, name("a", "A")), (1, name("a", "A2")), (1, name("a", "A3")),
                   (2, url("a", 1)), (2, url("a", 2)),
                   # b has no primary row: its foreign row is dropped
                   (0, name("c", "C")), (2, url("c", 1))]


def test_foreign_tables_listed_after_the_primary_ones_follow_each_keys_rows():
    hosts = [name("a", "A"), name("c", "C"), name("c", "C2")]
    got = list(join_items([(0, row) for row in URLS], [(1, hosts)], host_key))
    assert got == [(0, url("a", 1)), (0, url("a", 2)), (1, name("a", "A")),
                   (0, url("c", 1)), (1, name("c", "C")), (1, name("c", "C2"))]


def test_a_key_with_no_foreign_rows_and_an_empty_foreign_table():
    hosts = [name("c", "C")]  # nothing for a
    got = list(join_items([(2, row) for row in URLS], [(0, []), (1, hosts)], host_key))
    assert got == [(2, url("a", 1)), (2, url("a", 2)), (1, name("c", "C")), (2, url("c", 1))]


def test_primary_rows_of_several_tables_keep_their_own_index():
    # the primary stream stands where its first row's table is: foreign table 0 before it,
    # 3 after it, whichever primary table a key's rows come from
    primary = [(1, url("a", 1)), (2, url("a", 1)), (2, url("b", 1))]
    got = list(join_items(primary, [(3, [name("a", "late")]), (0, [name("a", "A"),
                                                                    name("b", "B")])],
                          host_key))
    assert got == [(0, name("a", "A")), (1, url("a", 1)), (2, url("a", 1)),
                   (3, name("a", "late")), (0, name("b", "B")), (2, url("b", 1))]


def test_no_primary_row_reads_no_foreign_row():
    assert list(join_items([], [(0, [name("a", "A")])], host_key)) == []


def test_keys_of_other_types_do_not_match():
    # YT orders values by type first: the int 1 and the double 1.0 are different keys,
    # a missing column is null
    primary = [(1, {"url": "none"}), (1, {"host": 1})]
    foreign = [{"host": None, "name": "null"}, {"host": 1.0, "name": "double"}]
    got = list(join_items(primary, [(0, sorted(foreign, key=host_key))], host_key))
    assert got == [(0, {"host": None, "name": "null"}), (1, {"url": "none"}),
                   (1, {"host": 1})]


def test_a_list_in_the_join_key_fails_as_a_clusters_reader_fails():
    with pytest.raises(IncomparableKey, match='Cannot compare values of types "any"'):
        list(join_items([(1, {"host": "a"})], [(0, [{"host": ["a"]}])], host_key))


def test_the_foreign_rows_are_read_as_the_jobs_input_is():
    # dev streams a foreign table's file: no row is read before a key asks for it
    read = []

    def foreign_rows():
        for row in [name("a", "A"), name("c", "C")]:
            read.append(row["host"])
            yield row

    joined = join_items([(1, row) for row in URLS], [(0, foreign_rows())], host_key)
    assert next(joined) == (0, name("a", "A"))
    assert read == ["a"]
    assert list(joined)[-2:] == [(0, name("c", "C")), (1, url("c", 1))]
    assert read == ["a", "c"]


def test_the_module_loads_without_the_backends():
    code = ("import sys, yt_pipeline.join_rows; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('duckdb', 'yt', 'yt_pipeline_dev', 'yt_pipeline_prod')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
