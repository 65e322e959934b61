"""The type and the required-ness YQL gives the columns an INSERT writes, in dev as on a
cluster, for a table read whose schema has a required column.

Sources (ydb-platform/ydb and ytsaurus/ytsaurus): a column's type_v3 is that of its YQL type,
an Optional shown `required: false` (RowSpecYqlTypeToYtNativeType in
yt/yql/providers/yt/lib/schema/schema.cpp); a table's required column is read as a type that
is not Optional, and arithmetic over such values is Optional only when an operand is
(yql/essentials/docs/en/syntax/expressions.md), but for `/` and `%` of integers, NULL for a
zero divisor; GROUP BY keeps a key's type; `COUNT(*)->Uint64`, `SUM(Signed?)->Int64?`,
`MIN(T)->T?`, `AVG(Double?)->Double?` (yt/docs/en/yql/builtins/aggregation.md);
`ROW_NUMBER()->Uint64`, `RANK([T])->Uint64` (yql/essentials/docs/en/builtins/window.md),
a window COUNT the aggregate's Uint64; a literal 1 is an Int32, never Optional.
"""

from __future__ import annotations

import pytest

from yt_pipeline.errors import QueryFailed
from yt_pipeline_dev.client import DevClient

pytest.importorskip("duckdb", reason="dev runs YQL on DuckDB")

SCHEMA = [{"name": "a", "type": "int64", "required": True}, {"name": "b", "type": "string"}]
ROWS = [{"a": 1, "b": "x"}, {"a": 2, "b": None}, {"a": 2, "b": "y"}]


@pytest.fixture
def dev(tmp_path):
    client = DevClient(tmp_path / ".dev")
    client.create_path("//in/t", "table", schema=SCHEMA)
    client.write_table("//in/t", ROWS)
    return client


def written(dev: DevClient, select: str) -> dict[str, tuple[str, bool]]:
    dev.run_yql(f"INSERT INTO `//out/o` WITH TRUNCATE {select}")
    schema = dev.declared_schema("//out/o")
    assert schema is not None
    return {c["name"]: (c["type"], c["required"]) for c in schema["columns"]}


@pytest.mark.parametrize(("select", "expected"), [
    # a required column read stays required, named or not, through `+ - *` with literals
    ("SELECT a, b, a + 1 AS c, 1 AS d, COUNT(*) OVER () AS e FROM `//in/t`",
     {"a": ("int64", True), "b": ("string", False), "c": ("int64", True),
      "d": ("int32", True), "e": ("uint64", True)}),
    # a GROUP BY key keeps its type; COUNT is a Uint64, SUM and AVG Optional
    ("SELECT a, COUNT(*) AS n, SUM(a) AS s, AVG(a) AS av FROM `//in/t` GROUP BY a",
     {"a": ("int64", True), "n": ("uint64", True), "s": ("int64", False),
      "av": ("double", False)}),
    # MIN/MAX without GROUP BY: Optional (an empty table gives NULL)
    ("SELECT MIN(a) AS mi, MAX(a) AS ma, COUNT(b) AS nb FROM `//in/t`",
     {"mi": ("int64", False), "ma": ("int64", False), "nb": ("uint64", True)}),
    # qualified by the table's alias, `*`, and window numbering
    ("SELECT t.a AS x, (t.a - 1) * 2 AS y, ROW_NUMBER() OVER w AS rn, RANK() OVER w AS rk "
     "FROM `//in/t` AS t WINDOW w AS (ORDER BY a)",
     {"x": ("int64", True), "y": ("int64", True), "rn": ("uint64", True),
      "rk": ("uint64", True)}),
    ("SELECT * FROM `//in/t` WHERE a > 1", {"a": ("int64", True), "b": ("string", False)}),
    # COALESCE and `??` of a last value not Optional are not Optional; `/` of integers is
    ("SELECT COALESCE(b, 'z') AS co, b ?? 'w' AS qq, a / 2 AS q FROM `//in/t`",
     {"co": ("string", True), "qq": ("string", True), "q": ("int64", False)}),
    # IF's condition is made Coalesce(condition, false), its two values count (TYqlIf in
    # yql/essentials/sql/v1/builtin.cpp); without the third, NULL is one of them
    ("SELECT IF(b = 'x', a, 0) AS i, IF(a > 1, b, 'n') AS j, IF(a > 1, a) AS k "
     "FROM `//in/t`", {"i": ("int64", True), "j": ("string", False), "k": ("int64", False)}),
])
def test_required_columns_follow_the_tables_read(dev, select, expected):
    assert written(dev, select) == expected


def test_an_append_of_a_required_column_read_goes_into_a_required_one(dev):
    """A table written from a required column takes an append of the same column, and
    refuses one of an Optional (YQL's append converts no Optional to a required type)."""
    written(dev, "SELECT a, COUNT(*) AS n FROM `//in/t` GROUP BY a")
    dev.run_yql("INSERT INTO `//out/o` SELECT a + 10 AS a, COUNT(*) AS n FROM `//in/t` "
                "GROUP BY a")
    assert sorted(r["a"] for r in dev.read_table("//out/o")) == [1, 2, 11, 12]
    with pytest.raises(QueryFailed) as failed:
        dev.run_yql("INSERT INTO `//out/o` SELECT MAX(a) AS a, COUNT(*) AS n FROM `//in/t`")
    assert "row type: Struct<a:Int64!=Optional<Int64>>" in str(
        failed.value)


def test_keys_of_a_rollup_stay_optional(dev):
    """ROLLUP makes a key NULL in its rolled-up rows."""
    assert written(dev, "SELECT a, COUNT(*) AS n FROM `//in/t` GROUP BY ROLLUP(a)")["a"] \
        == ("int64", False)
    # a GROUP BY expression named like a required column is read by that name
    assert written(dev, "SELECT a, COUNT(*) AS n FROM `//in/t` GROUP BY b AS a")["a"] \
        == ("string", False)


@pytest.mark.parametrize(("join", "expected"), [
    # the side a JOIN may leave without a row is Optional (IsLeftJoinSideOptional: Right,
    # Full, Exclusion; IsRightJoinSideOptional: Left, Full, Exclusion; AddOptionalType in
    # yql/essentials/core/yql_join.cpp, ydb-platform/ydb); an inner JOIN keeps both
    ("JOIN", (True, True)), ("LEFT JOIN", (True, False)), ("RIGHT JOIN", (False, True)),
    ("FULL JOIN", (False, False)), ("CROSS JOIN", (True, True)),
])
def test_a_join_keeps_the_required_columns_of_the_sides_it_keeps(dev, join, expected):
    condition = "" if join == "CROSS JOIN" else " ON l.a = r.a"
    columns = written(dev, f"SELECT l.a AS la, r.a + 1 AS ra, r.b AS rb FROM `//in/t` AS l "
                           f"{join} `//in/t` AS r{condition}")
    assert columns == {"la": ("int64", expected[0]), "ra": ("int64", expected[1]),
                       "rb": ("string", False)}


def test_a_list_its_length_and_a_re2_test_are_written_required(dev):
    # `AGGREGATE_LIST(T?)->List<T>` (aggregation.md): the list is never NULL, written as a
    # `list` type_v3, which the master shows as `any`, required; `ListLength(List<T>)->
    # Uint64` (yql/essentials/docs/ru/builtins/list.md); `Re2::Grep(String) -> (String?)
    # -> Bool` (yql/essentials/docs/en/udf/list/re2.md), false for an empty value
    assert written(dev, "SELECT AGGREGATE_LIST(b) AS l, AGG_LIST_DISTINCT(a) AS d, "
                        "ListLength(AGGREGATE_LIST(b)) AS n FROM `//in/t`") == {
        "l": ("any", True), "d": ("any", True), "n": ("uint64", True)}
    [row] = dev.read_table("//out/o")
    assert (sorted(row["l"]), sorted(row["d"]), row["n"]) == (["x", "y"], [1, 2], 2)
    assert written(dev, "SELECT a, ListLength(AGGREGATE_LIST(b) OVER ()) AS w, "
                        "Re2::Grep('x')(b) AS g, Re2::Match('y')(b) AS m FROM `//in/t`") == {
        "a": ("int64", True), "w": ("uint64", True), "g": ("boolean", True),
        "m": ("boolean", True)}
    assert sorted((r["a"], r["w"], r["g"], r["m"]) for r in dev.read_table("//out/o")) == [
        (1, 2, True, False), (2, 2, False, False), (2, 2, False, True)]


def test_the_length_of_a_list_that_may_be_empty_stays_optional(dev):
    # `ListLength(List<T>?)->Uint64?`: a list column of no required-ness may be NULL
    assert written(dev, "SELECT ListLength(l) AS n FROM (SELECT IF(a > 1, AsList(a)) AS l "
                        "FROM `//in/t`)") == {"n": ("uint64", False)}


def test_a_list_made_of_values_is_written_required(dev):
    # `AsList(T..)->List<T>` (yt/docs/en/yql/builtins/basic.md), and `[...]` is AsList
    # ("operator notation" of container literals): a list, never NULL, of items that may be
    assert written(dev, "SELECT AsList(b, 'z') AS l, [a, 3] AS m, ListLength([b]) AS n "
                        "FROM `//in/t`") == {
        "l": ("any", True), "m": ("any", True), "n": ("uint64", True)}
    assert sorted((r["m"], r["n"]) for r in dev.read_table("//out/o")) == [
        ([1, 3], 1), ([2, 3], 1), ([2, 3], 1)]


def test_a_named_re2_test_is_written_required(dev):
    # `$has = Re2::Grep(p); $has(s)`: the same Bool as the call written in place
    dev.run_yql("$has = Re2::Grep('x'); INSERT INTO `//out/o` WITH TRUNCATE "
                "SELECT a, $has(b) AS g FROM `//in/t`")
    schema = dev.declared_schema("//out/o")
    assert schema is not None
    assert {c["name"]: c["required"] for c in schema["columns"]} == {"a": True, "g": True}
    assert sorted((r["a"], r["g"]) for r in dev.read_table("//out/o")) == [
        (1, True), (2, False), (2, False)]
