"""A YQL INSERT whose top-level ORDER BY names columns, ascending, leaves a sorted table
when the write replaces the table (WITH TRUNCATE, or a table that did not exist), in dev
and on the fake query tracker as on a cluster: its strict schema's key columns marked
`sort_order`, its `sorted_by` those columns, its rows in key order (nulls first).

Sources (ydb-platform/ydb, the same files in ytsaurus/ytsaurus):
- yt/yql/providers/yt/provider/phy_opt/yql_yt_phy_opt_sort.cpp,
  TYtPhysicalOptProposalTransformer::Sort (and TopSort for ORDER BY ... LIMIT): the ORDER
  BY becomes a YtSort whose output row spec is sorted by the key selector's columns
  (TKeySelectorBuilder::FillRowSpecSort).
- yt/yql/providers/yt/opt/yql_yt_key_selector.cpp, TKeySelectorBuilder::AddColumn: a
  member sorted ascending, of a (possibly optional) data type, is a sort column itself; an
  expression, a DESC key (unless `PRAGMA yt.UseNativeDescSort`, off by default:
  DEFAULT_USE_NATIVE_DESC_SORT in yt/yql/providers/yt/common/yql_yt_settings.h) or a key of
  another type is sorted through a hidden `_yql_column_N` column instead, which the
  table keeps (the tests of hidden columns below).
- yt/yql/providers/yt/provider/yql_yt_datasink_type_ann.cpp, ValidateTableWrite:
  `replaceMeta` (a table that does not exist, or a mode other than Append and
  RenewKeepMeta) gives the written table the content's sortness (CopySortness, Exact);
  an append keeps the table's own (CopySortness from the table's row spec), so a plain
  INSERT ... ORDER BY into an existing unsorted table leaves it unsorted.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from test_prod_dev_parity import Backends

pytest.importorskip("duckdb", reason="YQL runs on DuckDB in dev and in the fake")

PASS_THROUGH = """
from ytjobs import read_rows, write_rows

write_rows(read_rows())
"""
ROWS = [{"k": 5, "v": "e"}, {"k": None, "v": "n"}, {"k": 1, "v": "a"}, {"k": 3, "v": "c"}]


@pytest.fixture
def both(tmp_path, prod_client, fake_yt):
    both = Backends(tmp_path, prod_client, fake_yt, {"src/mapper.py": PASS_THROUGH})
    for client in (both.dev, both.prod):
        client.write_table("//t/in", ROWS)
    return both


def run(both: Backends, query: str) -> None:
    for client in (both.dev, both.prod):
        client.run_yql(query)


def shown(schema: dict | None) -> list:
    assert schema is not None
    return [(c["name"], c.get("sort_order")) for c in schema["columns"]]


def key_of(both: Backends, path: str) -> list:
    """The table's key, the same in dev and on the fake, from its declared schema."""
    dev, prod = (shown(c.declared_schema(path)) for c in (both.dev, both.prod))
    assert dev == prod
    return [name for name, order in dev if order]


def rows_of(both: Backends, path: str) -> list:
    dev, prod = both.rows(path)
    assert dev == prod
    return [(row["k"], row["v"]) for row in dev]


SELECT = "SELECT k, v FROM `//t/in`"


@pytest.mark.parametrize("order", ["ORDER BY k", "ORDER BY k ASC", "ORDER BY `k`",
                                   "ORDER BY k LIMIT 10"])
def test_an_insert_with_truncate_ordered_by_a_column_is_sorted(both, order):
    run(both, f"PRAGMA yt.InferSchema; INSERT INTO `//t/out` WITH TRUNCATE {SELECT} {order}")
    assert key_of(both, "//t/out") == ["k"]
    assert both.prod.yt().get("//t/out/@sorted_by") == ["k"]
    assert both.dev.sort_order("//t/out") == ["k"]
    # YT sorts a null before any value (yt/yt/client/table_client/unversioned_value.cpp,
    # CompareRowValues: the value type first, Null the lowest)
    assert rows_of(both, "//t/out") == [(None, "n"), (1, "a"), (3, "c"), (5, "e")]


def test_two_columns_make_a_key_of_two(both):
    run(both, "PRAGMA yt.InferSchema; INSERT INTO `//t/out` WITH TRUNCATE "
              "SELECT v, k FROM `//t/in` ORDER BY v, k")
    assert key_of(both, "//t/out") == ["v", "k"]
    assert rows_of(both, "//t/out") == [(1, "a"), (3, "c"), (5, "e"), (None, "n")]


def test_an_insert_creating_the_table_is_sorted_and_an_append_to_it_merges(both):
    run(both, f"PRAGMA yt.InferSchema; INSERT INTO `//t/new` {SELECT} ORDER BY k")
    assert key_of(both, "//t/new") == ["k"]
    # the sorted table takes a later INSERT's rows by key (a sorted merge), as one a sort
    # operation made does (test_prod_dev_sorted_tables)
    run(both, "INSERT INTO `//t/new` SELECT 2 AS k, 'b' AS v")
    assert key_of(both, "//t/new") == ["k"]
    assert rows_of(both, "//t/new") == [(None, "n"), (1, "a"), (2, "b"), (3, "c"), (5, "e")]


def schema_of(both: Backends, path: str) -> list:
    """The table's declared columns (name, type, required, sort_order), the same in dev
    and on the fake."""
    dev, prod = ([(c["name"], c.get("type"), c.get("required"), c.get("sort_order"))
                  for c in client.declared_schema(path)["columns"]]
                 for client in (both.dev, both.prod))
    assert dev == prod
    return dev


def stored_rows(both: Backends, path: str) -> tuple[list, list]:
    """The rows each mode keeps, (dev, fake), each string as its bytes: dev keeps presort
    bytes as text of one character a byte (yql_presort), the fake any string as the text
    its bytes decode to with errors="surrogateescape" (json_text). read_table gives
    neither: a cluster's JSON read refuses presort bytes (yajl_utf8)."""
    def as_bytes(row: dict, presorted: Callable[[str], bool], errors: str) -> dict:
        return {name: value.encode("latin-1" if presorted(name) else "utf-8", errors)
                if isinstance(value, str) else value for name, value in row.items()}

    file = both.dev.visible_file(path)
    assert file is not None
    dev_rows = [json.loads(line) for line in file.read_text().splitlines()]
    kept = both.dev.presorted_columns(path)
    dev = [as_bytes(row, kept.__contains__, "strict") for row in dev_rows]
    prod = [as_bytes(row, lambda _: False, "surrogateescape") for row in both.fake.rows(path)]
    return dev, prod


def hidden_of(both: Backends, path: str) -> list:
    """Each row's (k, v, _yql_column_0), the same bytes in dev and on the fake; the
    presort bytes in hex."""
    dev, prod = stored_rows(both, path)
    assert dev == prod
    return [(row["k"], row["v"] and row["v"].decode(), row["_yql_column_0"].hex()
             if isinstance(row["_yql_column_0"], bytes) else row["_yql_column_0"])
            for row in dev]


def sorted_by(both: Backends, path: str) -> list:
    prod = list(both.prod.yt().get(f"{path}/@sorted_by"))
    assert both.dev.sort_order(path) == prod
    return prod


# What a cluster leaves for a key YQL sorts through a hidden column (yql_rules.hidden_sort):
# TKeySelectorBuilder::AddColumn (yt/yql/providers/yt/opt/yql_yt_key_selector.cpp) makes a
# DESC key or an expression `_yql_column_N`, sorted ascending; FillRowSpecSort makes it
# SortedBy; ValidateTableWrite (yql_yt_datasink_type_ann.cpp) copies that sortness exactly
# (ECopySort::Exact) into the written table's row spec, and ExecPublish (yt/yql/providers/
# yt/gateway/native/yql_yt_native.cpp) copies the sorted output, or merges it keeping the
# row spec's aux columns (GetAuxColumns), into a schema whose key columns come first, each
# `ascending` (RowSpecToYTSchema, yt/yql/providers/yt/lib/schema/schema.cpp). A DESC key's
# column holds Descending(k): presort bytes of Optional<Int64> (a flag byte, then k + 2^63
# big-endian) all inverted (TGenericPresortEncoder::Encode, yql/essentials/minikql/
# computation/presort.cpp), a required String.
DESC_5, DESC_3, DESC_1, DESC_NULL = ("fe7ffffffffffffffa", "fe7ffffffffffffffc",
                                     "fe7ffffffffffffffe", "ff")


def test_a_desc_key_sorts_the_table_by_a_hidden_column_it_keeps(both):
    run(both, f"PRAGMA yt.InferSchema; INSERT INTO `//t/out` WITH TRUNCATE {SELECT} "
              "ORDER BY k DESC")
    assert schema_of(both, "//t/out") == [
        ("_yql_column_0", "string", True, "ascending"),
        ("k", "int64", False, None), ("v", "string", False, None)]
    assert sorted_by(both, "//t/out") == ["_yql_column_0"]
    # the bytes of a null, inverted, sort after every value's: nulls last
    assert hidden_of(both, "//t/out") == [(5, "e", DESC_5), (3, "c", DESC_3),
                                          (1, "a", DESC_1), (None, "n", DESC_NULL)]


def test_a_desc_key_after_a_column_sorts_by_both_not_by_the_column_alone(both):
    run(both, "PRAGMA yt.InferSchema; INSERT INTO `//t/out` WITH TRUNCATE "
              "SELECT v, k FROM `//t/in` ORDER BY v, k DESC")
    assert key_of(both, "//t/out") == ["v", "_yql_column_0"]
    assert sorted_by(both, "//t/out") == ["v", "_yql_column_0"]
    assert hidden_of(both, "//t/out") == [(1, "a", DESC_1), (3, "c", DESC_3),
                                          (5, "e", DESC_5), (None, "n", DESC_NULL)]


@pytest.mark.parametrize(("order", "key"), [("ORDER BY k + 1", ["_yql_column_0"]),
                                            ("ORDER BY k, k + 1", ["k", "_yql_column_0"])])
def test_an_expression_key_is_a_hidden_column_of_its_values(both, order, key):
    # an ascending key of a data type needs no presort: the column holds the value itself
    # (AddColumn: `needPresort` only for DESC or a type other than a data type)
    run(both, f"PRAGMA yt.InferSchema; INSERT INTO `//t/out` WITH TRUNCATE {SELECT} {order}")
    assert key_of(both, "//t/out") == key
    assert sorted_by(both, "//t/out") == key
    assert ("_yql_column_0", "int64", False, "ascending") in schema_of(both, "//t/out")
    assert hidden_of(both, "//t/out") == [(None, "n", None), (1, "a", 2), (3, "c", 4),
                                          (5, "e", 6)]


def test_a_column_named_again_desc_is_skipped(both):
    # a member the key selector saw already is skipped before its direction counts
    # (AddColumn: `UniqMemberColumns_`): the table is sorted by k alone, with no hidden column
    run(both, f"PRAGMA yt.InferSchema; INSERT INTO `//t/out` WITH TRUNCATE {SELECT} "
              "ORDER BY k, k DESC")
    assert schema_of(both, "//t/out") == [("k", "int64", False, "ascending"),
                                          ("v", "string", False, None)]
    assert rows_of(both, "//t/out") == [(None, "n"), (1, "a"), (3, "c"), (5, "e")]


def test_a_query_does_not_see_the_hidden_column(both):
    # the table's row spec leaves its aux columns (SortedBy members not of its Type) out of
    # the row type (TYqlRowSpecInfo::GetAuxColumns; ParseFull takes the schema's extra key
    # columns for them, in yt/yql/providers/yt/lib/row_spec/yql_row_spec.cpp)
    run(both, f"PRAGMA yt.InferSchema; INSERT INTO `//t/out` WITH TRUNCATE {SELECT} "
              "ORDER BY k DESC")
    dev, prod = (client.run_yql("SELECT * FROM `//t/out`") for client in (both.dev, both.prod))
    assert dev == prod == [{"k": 5, "v": "e"}, {"k": 3, "v": "c"}, {"k": 1, "v": "a"},
                           {"k": None, "v": "n"}]


@pytest.mark.parametrize(("order", "expected"), [
    ("ORDER BY k DESC", [(5, "e"), (3, "c"), (1, "a"), (None, "n")]),
    ("ORDER BY v DESC, k", [(None, "n"), (5, "e"), (3, "c"), (1, "a")]),
    ("ORDER BY k + 1", [(None, "n"), (1, "a"), (3, "c"), (5, "e")]),
])
def test_a_final_select_sorted_through_a_hidden_column_returns_its_own_columns(both, order,
                                                                              expected):
    # the prod client runs a final SELECT as an INSERT into a result table (yql_text.prepare)
    # that keeps the hidden `_yql_column_0` a cluster's sort leaves (hidden_sort, above);
    # the column is out of the query's row type (TYqlRowSpecInfo::ParsePatched, aux columns
    # of SortedBy, in yt/yql/providers/yt/lib/row_spec/yql_row_spec.cpp), and its presort
    # bytes are no UTF-8 a cluster's JSON read could give: the client reads the result's
    # own columns only, as dev's rows are
    dev, prod = (client.run_yql(f"{SELECT} {order}") for client in (both.dev, both.prod))
    for rows in (dev, prod):
        assert [sorted(row) for row in rows] == [["k", "v"]] * len(expected)
        assert [(row["k"], row["v"]) for row in rows] == expected


def test_an_append_to_a_table_of_hidden_key_drops_it_and_the_sort(both):
    # the append's rows are not sorted so: the table's sortness made common with theirs is
    # none (ValidateTableWrite, MakeCommonSortness), and ExecPublish's merge reads only the
    # row type's columns and the unsorted row spec's aux columns, none ("Use explicit
    # columns for source tables to cut aux columns", yt/yql/providers/yt/gateway/native/
    # yql_yt_native.cpp), the table's rows first
    run(both, f"PRAGMA yt.InferSchema; INSERT INTO `//t/out` WITH TRUNCATE {SELECT} "
              "ORDER BY k DESC")
    run(both, "INSERT INTO `//t/out` SELECT 7 AS k, 'z' AS v")
    assert schema_of(both, "//t/out") == [("k", "int64", False, None),
                                          ("v", "string", False, None)]
    assert not both.prod.yt().exists("//t/out/@sorted_by")
    assert both.dev.sort_order("//t/out") is None
    assert rows_of(both, "//t/out") == [(5, "e"), (3, "c"), (1, "a"), (None, "n"), (7, "z")]


def test_an_append_ordered_desc_writes_no_hidden_column(both):
    # an append keeps the table's meta and sortness (ValidateTableWrite: no replaceMeta):
    # its rows go in as written, without the hidden column
    run(both, f"PRAGMA yt.InferSchema; INSERT INTO `//t/out` WITH TRUNCATE {SELECT}")
    run(both, "INSERT INTO `//t/out` SELECT k, v FROM `//t/out` ORDER BY k DESC")
    assert key_of(both, "//t/out") == []
    assert [name for name, *_ in schema_of(both, "//t/out")] == ["k", "v"]
    assert all(set(row) == {"k", "v"} for row in both.rows("//t/out")[0])
    assert len(rows_of(both, "//t/out")) == 8


def test_an_append_ordered_by_a_column_keeps_an_unsorted_table_unsorted(both):
    run(both, f"PRAGMA yt.InferSchema; INSERT INTO `//t/out` WITH TRUNCATE {SELECT}")
    run(both, "INSERT INTO `//t/out` SELECT k, v FROM `//t/out` ORDER BY k")
    assert key_of(both, "//t/out") == []
    assert len(rows_of(both, "//t/out")) == 8


def test_a_truncate_without_order_by_unsorts_a_sorted_table(both):
    run(both, f"PRAGMA yt.InferSchema; INSERT INTO `//t/out` WITH TRUNCATE {SELECT} ORDER BY k")
    run(both, "INSERT INTO `//t/out` WITH TRUNCATE SELECT 9 AS k, 'z' AS v "
              "UNION ALL SELECT 0 AS k, 'y' AS v")
    assert key_of(both, "//t/out") == []
    # an unsorted table has no sorted_by attribute at all
    assert not both.prod.yt().exists("//t/out/@sorted_by")
    assert both.dev.sort_order("//t/out") is None
    assert sorted(rows_of(both, "//t/out")) == [(0, "y"), (9, "z")]


# A non-finite double sorts as the double it is: -inf before every other double, +inf after
# them, NaN after +inf and equal to another NaN (CompareRowValues in ytsaurus's
# yt/yt/client/table_client/unversioned_row.cpp: `lhsValue < rhsValue`, then std::isnan),
# whereas dev keeps it as the text the prod client reads ("-inf", yql_doubles.py), which
# must still sort as the double it stands for.
NON_FINITE = ("PRAGMA yt.InferSchema; INSERT INTO `//t/out` WITH TRUNCATE "
              "SELECT IF(k = 3, -1.0/0.0, IF(k = 5, 0.0/0.0, IF(k = 1, 1.0/0.0, 0.5))) AS x, v "
              "FROM `//t/in` ORDER BY x")


def read_both(both: Backends, path: str) -> list:
    dev, prod = list(both.dev.read_table(path)), list(both.prod.read_table(path))
    assert dev == prod
    return [(row["x"], row["v"]) for row in dev]


def test_non_finite_doubles_are_sorted_as_doubles(both):
    run(both, NON_FINITE)
    assert key_of(both, "//t/out") == ["x"]
    assert read_both(both, "//t/out") == [("-inf", "c"), (0.5, "n"), ("inf", "a"), ("nan", "e")]


def test_a_table_of_minus_infinity_takes_a_sorted_append_of_a_finite_double(both):
    run(both, "PRAGMA yt.InferSchema; INSERT INTO `//t/out` WITH TRUNCATE "
              "SELECT -1.0/0.0 AS x, v FROM `//t/in` WHERE k = 3 ORDER BY x")
    for client in (both.dev, both.prod):
        client.write_table("//t/out", [{"x": -5.0, "v": "z"}], append=True)
    assert read_both(both, "//t/out") == [("-inf", "c"), (-5.0, "z")]


GROUP_SIZES = """
from ytjobs import groups, read_rows, write_row

for x, rows in groups(read_rows(), "x"):
    write_row({"x": x, "n": len(list(rows))})
"""


def test_a_reduce_orders_non_finite_doubles_as_doubles(tmp_path, prod_client, fake_yt):
    both = Backends(tmp_path, prod_client, fake_yt, {"src/sizes.py": GROUP_SIZES})
    for client in (both.dev, both.prod):
        client.write_table("//t/in", ROWS + [{"k": 3, "v": "d"}, {"k": 1, "v": "b"}])
    run(both, NON_FINITE.replace("ORDER BY x", "ORDER BY v"))
    both.run(both.spec("reduce", reducer="src/sizes.py", input_tables=["//t/out"],
                       output_tables=["//t/r"], reduce_by=["x"], sort_by=["x"]))
    dev, prod = (list(client.read_table("//t/r")) for client in (both.dev, both.prod))
    assert dev == prod == [{"x": "-inf", "n": 2}, {"x": 0.5, "n": 1}, {"x": "inf", "n": 2},
                           {"x": "nan", "n": 1}]


def test_the_fake_s_sort_puts_nan_after_every_other_double(tmp_path, prod_client, fake_yt):
    both = Backends(tmp_path, prod_client, fake_yt, {})
    prod_client.write_table("//t/in", [{"k": k, "v": v} for k, v in
                                       [(1, "a"), (5, "b"), (1, "c"), (2, "d"), (3, "e")]])
    prod_client.run_yql("PRAGMA yt.InferSchema; INSERT INTO `//t/out` WITH TRUNCATE "
                        "SELECT IF(k = 5, 0.0/0.0, CAST(k AS Double)) AS x, v FROM `//t/in` "
                        "ORDER BY v")
    both.run_prod(both.spec("sort", input_tables=["//t/out"], output_tables=["//t/s"],
                            sort_by=["x"]))
    assert [(row["x"], row["v"]) for row in prod_client.read_table("//t/s")] == \
        [(1.0, "a"), (1.0, "c"), (2.0, "d"), (3.0, "e"), ("nan", "b")]


def test_a_sort_takes_the_non_finite_doubles_a_query_wrote(both):
    # a sort moves a table's rows as the values they are: a cluster's writer checks them
    # against the schema natively, where dev keeps a non-finite double as text
    run(both, NON_FINITE.replace("ORDER BY x", "ORDER BY v"))
    both.run(both.spec("sort", input_tables=["//t/out"], output_tables=["//t/s"],
                       sort_by=["x"]))
    assert read_both(both, "//t/s") == [("-inf", "c"), (0.5, "n"), ("inf", "a"), ("nan", "e")]
    assert key_of(both, "//t/s") == ["x"]
