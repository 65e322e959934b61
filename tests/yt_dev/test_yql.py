"""YQL in dev: the translator alone, then queries on DuckDB over .dev tables."""

from __future__ import annotations

import re

import pytest

from yt_pipeline.errors import QueryFailed
from yt_pipeline_dev.yql_translate import translate


class Rendered:
    def __init__(self, statement):
        self.target, self.truncate = statement.target, statement.truncate
        self.sql = statement.render(lambda path: f"T[{path}]")


def _sql(query):
    return [Rendered(statement) for statement in translate(query)]


def test_translates_paths_names_strings_and_insert():
    [statement] = _sql(
        'PRAGMA yt.Pool = "p"; USE hahn;\n'
        "INSERT INTO hahn.`//tmp/out` WITH TRUNCATE -- the result\n"
        "SELECT `key`, \"it's\" AS s, 'a\\'b' AS t FROM `//tmp/in` /* c */ WHERE x > 1;"
    )
    assert statement.target == "//tmp/out" and statement.truncate
    # a comparison is checked for types YQL compares (yql_mixed_types)
    assert statement.sql == ("SELECT \"key\", 'it''s' AS s, 'a''b' AS t FROM T[//tmp/in]   "
                             "WHERE (x > 1 AND struct_extract({'ok': true}, "
                             "yql_compare_key(typeof(x), typeof(1), '>')))")


def test_insert_without_truncate_appends_and_selects_return():
    first, second = _sql("INSERT INTO `//a` SELECT 1 AS x; SELECT * FROM `//a`")
    assert (first.target, first.truncate, first.sql) == ("//a", False, "SELECT 1 AS x")
    assert (second.target, second.sql) == (None, "SELECT * FROM T[//a]")


def test_semicolons_inside_strings_do_not_split():
    [statement] = _sql("SELECT 'a;b' AS s")
    assert statement.sql == "SELECT 'a;b' AS s"


@pytest.mark.parametrize("query, named", [
    ("$f = ($x) -> ($x + 1); SELECT $f(1)", r"lambda functions \(\$f = \(\.\.\.\) -> "),
    ("$a, $b = AsTuple(1, 2); SELECT $a", "unpacking a tuple"),
    ("SELECT $nope", r"unknown named expression \$nope"),
    ("DECLARE $p AS Int32; SELECT $p", r"DECLARE \(query parameters\)"),
    ("$t = PROCESS `//t`; SELECT * FROM $t", "PROCESS"),
    ("SELECT Python::f(name) FROM `//t`", r"the UDF Python::f is not supported in dev mode "
                                          r"\(UDF calls, Module::Function\)"),
    ("PROCESS `//t` USING Python::f(TableRows())", "PROCESS"),
    ("REDUCE `//t` ON k USING Python::f(TableRow())", "REDUCE"),
    ("DEFINE ACTION $a() AS SELECT 1; END DEFINE", "DEFINE"),
    ("SELECT * FROM `//t` FLATTEN BY xs", "FLATTEN BY"),
    ("DROP TABLE `//t`", "DROP statements"),
    ("INSERT INTO out SELECT 1", "backticked YT path"),
    ("SELECT 'open", "unterminated"),
    ("SELECT * FROM RANGE(`//tmp/logs`, `2024-01-01`, `2024-01-31`)",
     r"the table function RANGE\(\.\.\.\) is not supported in dev mode; name each table"),
    ("SELECT * FROM like(`//tmp/logs`, '2024%')", r"table function LIKE\(\.\.\.\)"),
    ("SELECT * FROM `//a` AS a RIGHT ONLY JOIN `//b` AS b ON a.k = b.k", "RIGHT ONLY JOIN"),
    ("SELECT * FROM `//a` AS a RIGHT  SEMI JOIN `//b` AS b ON a.k = b.k", "RIGHT SEMI JOIN"),
    ("SELECT * FROM `//a` AS a EXCLUSION JOIN `//b` AS b USING (k)", "EXCLUSION JOIN"),
    ("SELECT * FROM AS_TABLE(ListCreate(Struct<a:Int32>))", "AS_TABLE"),
    ("SELECT * FROM `//t` SAMPLE 0.1", "SAMPLE"),
])
def test_unsupported_constructs_are_named(query, named):
    with pytest.raises(QueryFailed, match=named):
        _sql(query)


@pytest.mark.parametrize("query", [
    "SELECT name FROM `//t` WHERE name LIKE 'x%'",
    "SELECT 'range(`//x`) left only join' AS s FROM `//t`",
    "SELECT sample, `range` FROM `//t` AS a LEFT JOIN `//u` AS b ON a.k = b.k",
])
def test_words_of_those_forms_elsewhere_are_fine(query):
    assert len(_sql(query)) == 1


def test_pragmas_only_means_nothing_to_run():
    assert _sql("PRAGMA yt.InferSchema; -- nothing\n COMMIT;") == []


# -- on DuckDB ------------------------------------------------------------------------------

# Named expressions: ydb/docs/en/core/yql/reference/syntax/expressions.md ("Named
# expressions": `$name = expr;`, defined again at will, a column name allowed; "Table
# expressions": a SELECT is a table after FROM / JOIN, a list after IN, elsewhere a scalar,
# an arbitrary row's value) and syntax/select/from.md (`$table_name = "my_table"; SELECT *
# FROM $table_name;`), in ydb-platform/ydb.
NAMED = [{"k": 1, "v": 10, "s": "a"}, {"k": 2, "v": 20, "s": "b;$x"}, {"k": 3, "v": 30,
                                                                        "s": "c"}]


@pytest.mark.parametrize("query, expected", [
    ("$big = (SELECT k, v FROM `//n` WHERE v > 10);\n"
     "SELECT b.k AS k, n.s AS s FROM $big AS b JOIN `//n` AS n ON b.k = n.k ORDER BY k",
     [{"k": 2, "s": "b;$x"}, {"k": 3, "s": "c"}]),
    ("$t = SELECT k FROM `//n` WHERE s = 'a'; SELECT k FROM `//n` WHERE k NOT IN $t "
     "ORDER BY k", [{"k": 2}, {"k": 3}]),
    ("$m = 7; $n = $m * 2 + 1; -- $m is 7 here\n SELECT $n AS n, '$m' AS lit, `v` * $m AS w "
     "FROM `//n` WHERE k = 1", [{"n": 15, "lit": "$m", "w": 70}]),
    ("$top = SELECT MAX(v) FROM `//n`; SELECT k FROM `//n` WHERE v = $top",
     [{"k": 3}]),
    ("$m = v; $m = $m + 1; SELECT k, $m AS x FROM `//n` WHERE k = 2", [{"k": 2, "x": 21}]),
    ('$path = "//n"; SELECT COUNT(*) AS c FROM $path', [{"c": 3}]),
    ("$a = SELECT k, v FROM `//n`; $b = SELECT k FROM $a WHERE v < 30; "
     "SELECT * FROM $b UNION ALL SELECT 9 AS k ORDER BY k", [{"k": 1}, {"k": 2}, {"k": 9}]),
])
def test_named_expressions(dev_client, query, expected):
    dev_client.write_table("//n", NAMED)
    assert dev_client.run_yql(query) == expected


def test_a_named_select_writes_a_table(dev_client):
    dev_client.write_table("//n", NAMED)
    rows = dev_client.run_yql(
        "$rich = SELECT k, v * 2 AS v2 FROM `//n` WHERE k > 1;\n"
        "INSERT INTO `//out/rich` WITH TRUNCATE SELECT * FROM $rich ORDER BY k;\n"
        "SELECT COUNT(*) AS c FROM `//out/rich`")
    assert rows == [{"c": 2}]
    assert list(dev_client.read_table("//out/rich")) == [{"k": 2, "v2": 40}, {"k": 3, "v2": 60}]


def test_insert_then_select(dev_client):
    dev_client.write_table("//in/t", [{"k": i % 3, "v": i} for i in range(30)])
    result = dev_client.run_yql(
        "INSERT INTO `//out/agg` WITH TRUNCATE "
        "SELECT k, SUM(v) AS total, COUNT(*) AS n FROM `//in/t` GROUP BY k ORDER BY k;")
    assert result == []
    assert list(dev_client.read_table("//out/agg")) == [
        {"k": 0, "total": 135, "n": 10}, {"k": 1, "total": 145, "n": 10},
        {"k": 2, "total": 155, "n": 10}]
    rows = dev_client.run_yql("SELECT MAX(total) AS best FROM `//out/agg`")
    assert rows == [{"best": 155}]
    log = (dev_client.root / "operation.log").read_text().splitlines()
    [insert] = [line for line in log if " yql_insert " in line]
    assert " yql_insert //out/agg rows=3 duration=" in insert
    # the statement as DuckDB ran it: COUNT is cast to YQL's Uint64
    assert insert.endswith("SELECT k, SUM(v) AS total, CAST(COUNT(*) AS UBIGINT) AS n "
                           "FROM `//in/t` GROUP BY k ORDER BY k")
    [select] = [line for line in log if " yql_select " in line]
    assert " yql_select SELECT MAX(total) AS best FROM `//out/agg` rows=1 " in select + " "


def test_the_operation_log_has_one_line_per_statement_cut_with_an_ellipsis(dev_client):
    dev_client.write_table("//in/t", [{"k": 1}])
    long_list = ", ".join(f"k AS column_number_{i}" for i in range(40))
    dev_client.run_yql(f"PRAGMA yt.InferSchema = '10'; INSERT INTO `//o/a` SELECT k FROM `//in/t`;\n"
                       f"SELECT {long_list} FROM `//in/t`;")
    lines = (dev_client.root / "operation.log").read_text().splitlines()
    yql = [line for line in lines if " yql_" in line]
    assert len(yql) == 2  # the PRAGMA runs nothing; one line per statement that does
    assert " yql_append //o/a rows=1 " in yql[0]
    assert "SELECT k AS column_number_0, k AS column_number_1" in yql[1]
    assert "…" in yql[1] and "column_number_39" not in yql[1]


def test_append_and_zero_rows_truncate(dev_client):
    dev_client.run_yql("INSERT INTO `//t` WITH TRUNCATE SELECT 1 AS x")
    dev_client.run_yql("INSERT INTO `//t` SELECT 2 AS x")
    assert [r["x"] for r in dev_client.read_table("//t")] == [1, 2]
    dev_client.run_yql("INSERT INTO `//t` WITH TRUNCATE SELECT x FROM `//t` WHERE x > 5")
    assert dev_client.exists("//t") and dev_client.row_count("//t") == 0
    # the table keeps the columns the query gave it: an empty one is still readable
    assert dev_client.run_yql("SELECT COUNT(*) AS n FROM `//t`") == [{"n": 0}]


def test_a_yql_append_of_other_column_types_is_refused(dev_client):
    # YQL converts integers into a double column on an append, nothing else (TryConvertTo
    # in the append check of yt/yql/providers/yt/provider/yql_yt_datasink_type_ann.cpp);
    # the prod backend and the fake refuse the same (tests/yt_prod/test_prod_yql.py)
    dev_client.run_yql("INSERT INTO `//y` WITH TRUNCATE SELECT CAST(1 AS Int64) AS x, 0.5 AS score")
    # YQL's type diff of the two row types (GetTypeDiff, yql_type_diff): score is the same
    with pytest.raises(QueryFailed, match=re.escape("row type differs from the written row "
                                                    "type: Struct<x:Int64!=String>")):
        dev_client.run_yql("INSERT INTO `//y` SELECT 'a' AS x, 1.5 AS score")
    with pytest.raises(QueryFailed, match=re.escape("Struct<x:Int64!=Double>")):
        dev_client.run_yql("INSERT INTO `//y` SELECT 2.5 AS x, 1.5 AS score")
    dev_client.run_yql("INSERT INTO `//y` SELECT 2 AS x, 3 AS score")  # made a double
    rows = list(dev_client.read_table("//y"))
    assert rows == [{"x": 1, "score": 0.5}, {"x": 2, "score": 3.0}]
    assert [type(row["score"]) for row in rows] == [float, float]


def test_yql_appends_only_to_a_table_yql_wrote_with_the_same_columns(dev_client):
    # a cluster refuses an append to a table without a schema, and one of another row type
    # (yt/yql/providers/yt/provider/yql_yt_datasink_type_ann.cpp, the `checkLayout` checks)
    dev_client.write_table("//w", [{"x": 1}])
    with pytest.raises(QueryFailed, match="does not have any scheme attribute supported by "
                                          "YQL, append is not allowed"):
        dev_client.run_yql("INSERT INTO `//w` SELECT 2 AS x")
    dev_client.run_yql("INSERT INTO `//y` WITH TRUNCATE SELECT 1 AS x")
    with pytest.raises(QueryFailed, match="row type differs"):
        dev_client.run_yql("INSERT INTO `//y` SELECT 2 AS x, 3 AS z")
    # rows written since by write_table keep the table's schema (a cluster's table keeps
    # its schema through writes); a removed table has none
    dev_client.write_table("//y", [{"x": 5}], append=True)
    dev_client.run_yql("INSERT INTO `//y` SELECT 2 AS x")
    assert [r["x"] for r in dev_client.read_table("//y")] == [1, 5, 2]
    dev_client.remove("//y")
    dev_client.write_table("//y", [{"x": 5}])
    with pytest.raises(QueryFailed, match="append is not allowed"):
        dev_client.run_yql("INSERT INTO `//y` SELECT 2 AS x")


def test_nan_and_infinities_are_written_as_the_text_prod_reads(dev_client):
    # DuckDB writes a bare NaN, which is not JSON; prod reads such a double as "nan"
    # (stringify_nan_and_infinity, yql_doubles.py), and a later query still sees a double
    nan = "CAST('nan' AS Double)"
    dev_client.run_yql(f"INSERT INTO `//d` WITH TRUNCATE SELECT 1 AS k, {nan} AS n, "
                       f"[{nan}, -CAST('inf' AS Double), 2.5] AS l, 'NaN' AS t")
    dev_client.run_yql(f"INSERT INTO `//d` SELECT 2 AS k, 0.5 AS n, [{nan}] AS l, 'x' AS t")
    assert list(dev_client.read_table("//d")) == [
        {"k": 1, "n": "nan", "l": ["nan", "-inf", 2.5], "t": "NaN"},
        {"k": 2, "n": 0.5, "l": ["nan"], "t": "x"}]
    assert dev_client.run_yql("SELECT k, n * 2 AS n2 FROM `//d` ORDER BY k") == [
        {"k": 1, "n2": "nan"}, {"k": 2, "n2": 1.0}]


def test_columns_are_those_of_the_first_rows(dev_client):
    # YQL sees a schemaless table's columns in its first rows only: 1000, the rows the prod
    # backend asks for with PRAGMA yt.InferSchema (infer_schema.cpp, `InferSchemaFromSample`)
    rows = ({"id": i, **({"soon": "a"} if i == 500 else {}), **({"late": "b"} if i == 2500 else {})}
            for i in range(3000))
    dev_client.write_table("//big", rows)
    assert dev_client.run_yql("SELECT id, soon FROM `//big` WHERE soon IS NOT NULL") == [
        {"id": 500, "soon": "a"}]
    with pytest.raises(QueryFailed, match="late"):
        dev_client.run_yql("SELECT id, late FROM `//big` WHERE late IS NOT NULL")
    # the query's own pragma sets how many rows count
    with pytest.raises(QueryFailed, match="soon"):
        dev_client.run_yql("PRAGMA yt.InferSchema = '10'; SELECT soon FROM `//big`")
    with pytest.raises(QueryFailed, match="1 to 1000 rows"):
        dev_client.run_yql("PRAGMA yt.InferSchema = '1001'; SELECT id FROM `//big`")


def test_nested_unicode_and_nulls_survive(dev_client):
    dev_client.write_table("//n", [{"name": "Zoë ✓", "tags": ["a", "b"], "m": {"x": 1}, "v": 1},
                                   {"name": "b", "tags": [], "m": {"x": 2}, "v": None}])
    dev_client.run_yql("INSERT INTO `//n2` WITH TRUNCATE SELECT * FROM `//n`")
    assert list(dev_client.read_table("//n2")) == [
        {"name": "Zoë ✓", "tags": ["a", "b"], "m": {"x": 1}, "v": 1},
        {"name": "b", "tags": [], "m": {"x": 2}, "v": None}]


def test_a_column_only_null_in_the_first_rows_does_not_exist(dev_client):
    # the cluster's inference skips null values (infer_schema.cpp, `AddRow`)
    dev_client.write_table("//z", [{"a": 1, "none": None}])
    assert dev_client.run_yql("SELECT * FROM `//z`") == [{"a": 1}]
    dev_client.write_table("//nothing", [{"none": None}])
    with pytest.raises(QueryFailed, match="first 1 row.s. has no columns"):
        dev_client.run_yql("SELECT * FROM `//nothing`")


def test_a_select_other_statements_follow_keeps_10000_rows_at_most(dev_client):
    # the query tracker keeps 10,000 rows of a result (query_tracker/config.cpp,
    # `row_count_limit`); the prod backend reads all rows only of a SELECT ending the query
    dev_client.write_table("//r", ({"i": i} for i in range(10_001)))
    assert len(dev_client.run_yql("SELECT i FROM `//r`")) == 10_001
    then = "; INSERT INTO `//o` WITH TRUNCATE SELECT 1 AS a"
    assert dev_client.run_yql("SELECT i FROM `//r` WHERE i < 2 ORDER BY i" + then) == [
        {"i": 0}, {"i": 1}]
    with pytest.raises(QueryFailed, match="keeps 10000 rows of a result") as failed:
        dev_client.run_yql("SELECT i FROM `//r`" + then)
    assert "\n" not in str(failed.value)


def test_errors(dev_client):
    with pytest.raises(QueryFailed, match="//missing"):
        dev_client.run_yql("SELECT * FROM `//missing`")
    dev_client.write_table("//t", [{"x": 1}])
    dev_client.run_yql("INSERT INTO `//u` WITH TRUNCATE SELECT x FROM `//t`")
    before = dev_client.table_path("//u").read_bytes()
    with pytest.raises(QueryFailed) as failed:
        dev_client.run_yql("INSERT INTO `//u` WITH TRUNCATE SELECT nope FROM `//t`")
    assert str(failed.value) == "YQL: 1:40: Member not found: nope"
    assert dev_client.table_path("//u").read_bytes() == before
    # an empty table without a schema has no columns to infer: the cluster refuses it
    # (yql_yt_provider.cpp, `TYtTableDescription::Validate`)
    dev_client.write_table("//empty", [])
    for query in ("SELECT x FROM `//empty`", "SELECT COUNT(*) AS n FROM `//empty`"):
        with pytest.raises(QueryFailed, match='Cannot infer schema for table "//empty", '
                                              "table is empty"):
            dev_client.run_yql(query)


# -- the executor in-process (the worker's engine) -------------------------------------------

@pytest.fixture
def executor(dev_client):
    from yt_pipeline_dev.yql_duckdb import Executor

    return Executor(dev_client)


@pytest.mark.parametrize("late_row, query, expected", [
    ({"v": 1.5}, "SELECT v FROM `//t` WHERE id = 20999", [{"v": 1.5}]),
    # a map column is Yson (yt_pipeline.yql_yson): its keys are looked up
    ({"m": {"a": 1, "b": 2}}, "SELECT Yson::ConvertToInt64(m.b) AS b FROM `//t` "
                              "WHERE id = 20999", [{"b": 2}]),
])
def test_late_types_are_not_lost(dev_client, executor, late_row, query, expected):
    # types are learned from every row: a sample would read 1.5 as 2
    first = {"m": {"a": 1}} if "m" in late_row else {"v": 1}
    dev_client.write_table("//t", ({"id": i, **first} for i in range(20_999)))
    dev_client.write_table("//t", [{"id": 20_999, **late_row}], append=True)
    assert executor.run(query) == expected


def test_a_result_gives_a_date_as_its_day_count_and_a_decimal_as_text(dev_client):
    # a cluster's JSON gives a date column's count of days (yt_pipeline.yql_times)
    rows = dev_client.run_yql("SELECT Date('2024-02-29') AS d, CAST(1.50 AS DECIMAL(4,2)) AS x")
    assert rows == [{"d": 19782, "x": "1.50"}]


def test_columns_are_learned_once_per_table_content(dev_client, executor):
    import json

    from yt_pipeline_dev.yql_schema import CACHE_DIR

    # a map's type is not checked row by row (yql_checked): the table's types are learned
    dev_client.write_table("//s", [{"id": 1, "m": {"k": "a"}}, {"id": 2, "m": {"k": "b"}}])
    assert executor.run("SELECT SUM(id) AS total FROM `//s`") == [{"total": 2 + 1}]
    [entry] = (dev_client.root / CACHE_DIR).glob("*.json")
    learned = json.loads(entry.read_text())
    assert learned["columns"] == [["id", "BIGINT"], ["m", "STRUCT(k VARCHAR)"]]
    # the next query reads the kept types instead of learning them: shown by editing them
    entry.write_text(json.dumps({**learned, "columns": [["id", "VARCHAR"], ["m", "JSON"]]}))
    assert executor.run("SELECT id FROM `//s` ORDER BY id") == [{"id": "1"}, {"id": "2"}]
    # a write gives the table a new identity: its types are learned again
    dev_client.write_table("//s", [{"id": 1.5, "m": {"k": "a"}}])
    assert executor.run("SELECT id FROM `//s`") == [{"id": 1.5}]
    assert dev_client.list("//") == ["s"]  # the kept columns are not a table


def test_a_damaged_column_cache_is_learned_again(dev_client, executor):
    from yt_pipeline_dev.yql_schema import CACHE_DIR

    dev_client.write_table("//d", [{"v": 1.5, "m": {"k": 1}}])
    executor.run("SELECT v FROM `//d`")
    [entry] = (dev_client.root / CACHE_DIR).glob("*.json")
    entry.write_text("{not json")
    assert executor.run("SELECT v FROM `//d`") == [{"v": 1.5}]


# -- YQL's meaning of forms DuckDB reads otherwise --------------------------------------------

def test_integers_divide_as_in_yql(dev_client):
    # YQL divides integers in C++ fashion and gives NULL for a division or remainder by zero
    # (TIntegralDiv in yql/essentials/minikql/invoke_builtins/mkql_builtins_div.cpp, ydb)
    dev_client.write_table("//q", [{"clicks": 7, "views": 2}, {"clicks": -7, "views": 0}])
    rows = dev_client.run_yql("SELECT clicks / views AS ratio, clicks % views AS rest, "
                              "-7 / 2 AS neg, 7.0 / 2 AS real FROM `//q` ORDER BY clicks DESC")
    assert rows == [{"ratio": 3, "rest": 1, "neg": -3, "real": 3.5},
                    {"ratio": None, "rest": None, "neg": -3, "real": 3.5}]


def test_literals_have_yql_types(dev_client):
    # "Floating point literals have the Double type by default", and integer suffixes
    # (ydb docs, yql/reference/syntax/lexer.md, "Numeric literals")
    rows = dev_client.run_yql("SELECT 1.5 AS d, 0.1 + 0.2 AS sum, 1.5f AS f, 10ul AS u, "
                              "7s AS s")
    assert rows == [{"d": 1.5, "sum": 0.30000000000000004, "f": 1.5, "u": 10, "s": 7}]


def test_cast_gives_null_where_yql_does(dev_client):
    # "CAST("xyz" AS Uint64) IS NULL", "CAST(-1 AS Uint16) IS NULL", "CAST(256 AS Uint8) IS
    # NULL" (ydb docs, yql/reference/_includes/cast_examples.md); YQL's Int8 has 8 bits,
    # DuckDB's INT8 64
    rows = dev_client.run_yql(
        "SELECT CAST('xyz' AS Uint64) AS bad, CAST(-1 AS Uint16) AS neg, "
        "CAST(256 AS Uint8) AS big, CAST(300 AS Int8) AS int8, CAST('12' AS Int64?) AS ok, "
        "CAST(12345 AS Utf8) AS text, CAST('1.2345' AS Decimal(5, 2)) AS dec")
    assert rows == [{"bad": None, "neg": None, "big": None, "int8": None, "ok": 12,
                     "text": "12345", "dec": "1.23"}]


def test_an_integer_cast_to_a_date_or_time_counts_from_the_epoch_as_in_yql(dev_client):
    # yql/essentials/docs/en/types/primitive.md (ydb): Int and Uint convert to Date, Datetime
    # and Timestamp, whose values are days, seconds and microseconds since 1970-01-01 and
    # whose range ends at 2106-01-01; DuckDB's TRY_CAST gave NULL for every integer
    dev_client.write_table("//e", [{"days": 20103, "s": 1772360100, "us": 1772360100000000}])
    rows = dev_client.run_yql(
        "SELECT CAST(days AS Date) AS d, CAST(s AS Datetime) AS dt, "
        "CAST(us AS Timestamp) AS ts, CAST(20103u AS Date) AS lit, "
        "CAST(-1 AS Date) AS before, CAST(49673 AS Date) AS after, "
        "CAST(49672 AS Date) AS last, CAST('2025-01-15' AS Date) AS text FROM `//e`")
    # a result gives them as the counts again, as a cluster's JSON does (yql_times)
    assert rows == [{"d": 20103, "dt": 1772360100, "ts": 1772360100000000, "lit": 20103,
                     "before": None, "after": None, "last": 49672, "text": 20103}]


def test_substring_counts_from_zero_and_length_counts_bytes(dev_client):
    # ydb docs, yql/reference/builtins/basic.md: SUBSTRING("abcdefg", 3, 1) is "d",
    # SUBSTRING("abcdefg", NULL, 3) "abc"; LENGTH is the length in bytes
    dev_client.write_table("//s", [{"s": "abcdefg", "name": "Zoë"}])
    rows = dev_client.run_yql("SELECT SUBSTRING(s, 3, 1) AS a, SUBSTRING(s, 3) AS b, "
                              "SUBSTRING(s, NULL, 3) AS c, LENGTH(name) AS n, LEN(s) AS m "
                              "FROM `//s`")
    assert rows == [{"a": "d", "b": "defg", "c": "abc", "n": 4, "m": 7}]


GROUPED = [{"k": 1, "v": 10, "n": None}, {"k": 2, "v": 20, "n": 5},
           {"k": 3, "v": 30, "n": None}, {"k": 4, "v": -40, "n": 0}]


@pytest.mark.parametrize("query, expected", [
    # syntax/select/without.md: "SELECT * WITHOUT foo, bar FROM my_table", "SELECT *
    # WITHOUT t.foo FROM my_table AS t"
    ("SELECT * WITHOUT v, n FROM `//g` ORDER BY k LIMIT 1", [{"k": 1}]),
    ("SELECT * WITHOUT t.v FROM `//g` AS t WHERE k = 2", [{"k": 2, "n": 5}]),
    ("SELECT t.* WITHOUT v FROM `//g` AS t WHERE k = 4", [{"k": 4, "n": 0}]),
    ("SELECT k FROM (SELECT * WITHOUT n FROM `//g`) WHERE v > 15 ORDER BY k",
     [{"k": 2}, {"k": 3}]),
])
def test_select_star_without_leaves_the_columns_out(dev_client, query, expected):
    dev_client.write_table("//g", GROUPED)
    assert dev_client.run_yql(query) == expected


@pytest.mark.parametrize("query, expected", [
    # syntax/expressions.md, "Precedence and associativity of operators": ?? is below + -
    # and above comparisons, and right-associative; builtins/basic.md#coalesce
    ("SELECT n ?? 0 AS x FROM `//g` ORDER BY k", [{"x": 0}, {"x": 5}, {"x": 0}, {"x": 0}]),
    ("SELECT n ?? k * 10 + 1 AS x FROM `//g` ORDER BY k",
     [{"x": 11}, {"x": 5}, {"x": 31}, {"x": 0}]),
    ("SELECT n + 1 ?? -k AS x FROM `//g` ORDER BY k",
     [{"x": -1}, {"x": 6}, {"x": -3}, {"x": 1}]),
    ("SELECT (n ?? v) * 2 AS x FROM `//g` ORDER BY k",
     [{"x": 20}, {"x": 10}, {"x": 60}, {"x": 0}]),
    ("SELECT NULL ?? n ?? v AS x FROM `//g` ORDER BY k",
     [{"x": 10}, {"x": 5}, {"x": 30}, {"x": 0}]),
    ("SELECT k FROM `//g` WHERE n ?? 7 = 7 ORDER BY k", [{"k": 1}, {"k": 3}]),
])
def test_the_coalesce_operator(dev_client, query, expected):
    dev_client.write_table("//g", GROUPED)
    assert dev_client.run_yql(query) == expected


@pytest.mark.parametrize("query, expected", [
    # syntax/select/group-by.md: an expression named with AS in GROUP BY, its name used in
    # SELECT, HAVING and ORDER BY
    ("SELECT kk, COUNT(*) AS c FROM `//g` GROUP BY k % 2 AS kk ORDER BY kk",
     [{"kk": 0, "c": 2}, {"kk": 1, "c": 2}]),
    ("SELECT kk, SUM(v) AS s FROM `//g` GROUP BY v > 0 AS kk HAVING kk ORDER BY s",
     [{"kk": True, "s": 60}]),
    ("SELECT half, n, COUNT(*) AS c FROM `//g` GROUP BY k / 3 AS half, n "
     "ORDER BY half DESC, n", [{"half": 1, "n": None, "c": 1}, {"half": 1, "n": 0, "c": 1},
                               {"half": 0, "n": None, "c": 1}, {"half": 0, "n": 5, "c": 1}]),
    ("SELECT kk * 10 AS big, MAX(k) AS top FROM `//g` GROUP BY n ?? 0 AS kk ORDER BY big",
     [{"big": 0, "top": 4}, {"big": 50, "top": 2}]),
])
def test_group_by_expression_as_name(dev_client, query, expected):
    dev_client.write_table("//g", GROUPED)
    assert dev_client.run_yql(query) == expected


def test_a_misspelt_column_is_named_with_the_one_meant(dev_client):
    # YQL's words and hint (FindOrReportMissingMember, yql/essentials/core/type_ann/
    # type_ann_core.cpp), at the column: not DuckDB's Binder Error
    dev_client.write_table("//ev", [{"user": "a", "amount": 1.5}])
    with pytest.raises(QueryFailed) as failed:
        dev_client.run_yql("SELECT SUM(amout) AS s FROM `//ev`")
    assert str(failed.value) == "YQL: 1:12: Member not found: amout. Did you mean amount?"


@pytest.mark.parametrize("query, expected", [
    # a GROUP BY expression holding a CAST: its keyword AS, the type and the functions
    # around it are not columns of the table, so `day AS d` and `CAST(day AS String)` in
    # the SELECT are its name, which YQL takes (syntax/select/group-by.md)
    ("SELECT day AS d, COUNT(*) AS n FROM `//ev` GROUP BY CAST(CAST(ts AS Timestamp) AS Date) "
     "AS day ORDER BY d", [{"d": 20103, "n": 2}, {"d": 20104, "n": 1}]),
    ("SELECT CAST(day AS String) AS d FROM `//ev` GROUP BY CAST(ts AS Timestamp) AS day "
     "ORDER BY d", [{"d": "2025-01-15T00:10:00Z"}, {"d": "2025-01-15T08:00:00Z"},
                    {"d": "2025-01-16T09:30:00Z"}]),
    ("SELECT DateTime::MakeDate(DateTime::StartOfWeek(day)) AS week, COUNT(*) AS n "
     "FROM `//ev` GROUP BY CAST(DateTime::ParseIso8601(ts) AS Date) AS day ORDER BY n DESC",
     [{"week": 20101, "n": 2}, {"week": 20101, "n": 1}]),
])
def test_group_by_a_cast_as_name(dev_client, query, expected):
    dev_client.write_table("//ev", [{"ts": "2025-01-15T00:10:00Z"},
                                    {"ts": "2025-01-15T08:00:00Z"},
                                    {"ts": "2025-01-16T09:30:00Z"}])
    assert dev_client.run_yql(query) == expected


def test_a_double_divided_by_zero_is_infinite_or_nan(dev_client):
    # YQL divides a Double as C++ does (TDiv, yql/essentials/minikql/invoke_builtins/
    # mkql_builtins_div.cpp; syntax/expressions.md shows SELECT 0.0 / 0.0), an integer
    # toward zero with NULL for zero (TIntegralDiv there)
    dev_client.write_table("//d", [{"x": 1.5, "y": 0.0, "i": 7, "z": 0}])
    rows = dev_client.run_yql("SELECT x / y AS pos, -x / y AS neg, y / y AS nan, "
                              "x / z AS by_int, i / z AS int_zero, i / 2 AS int_half, "
                              "-i / 2 AS neg_half, i / 2.0 AS real, 1.0 / 0 AS lit "
                              "FROM `//d`")
    # a result carries NaN and infinities as the text prod reads (yql_doubles)
    assert rows == [{"pos": "inf", "neg": "-inf", "nan": "nan", "by_int": "inf",
                     "int_zero": None, "int_half": 3, "neg_half": -3, "real": 3.5,
                     "lit": "inf"}]


@pytest.mark.parametrize("query, line", [
    ("SELECT * WITHOUT IF EXISTS v FROM `//t`",
     "YQL: WITHOUT IF EXISTS is not supported in dev mode; name columns the table has (see "
     "docs/yql-in-dev.md)"),
])
def test_yql_forms_duckdb_cannot_parse_are_named(query, line):
    with pytest.raises(QueryFailed) as failed:
        _sql(query)
    assert str(failed.value) == line


def test_the_rewrites_leave_strings_names_and_grouped_casts_alone():
    [statement] = _sql("SELECT 'a 1.5 CAST(x AS Int8) ??' AS `1.5`, CAST(k AS Int64) AS k2 "
                       "FROM `//t` GROUP BY CAST(k AS Int64)")
    cast = ("CASE WHEN typeof(k) IN ('DOUBLE', 'FLOAT') THEN TRY_CAST(trunc(TRY_CAST(k AS "
            "DOUBLE)) AS BIGINT) WHEN typeof(k) = 'DATE' THEN TRY_CAST(CAST(TRY_CAST(k AS "
            "DATE) - DATE '1970-01-01' AS BIGINT) AS BIGINT) WHEN typeof(k) = 'TIMESTAMP_S' "
            "THEN TRY_CAST((epoch_us(CAST(TRY_CAST(k AS TIMESTAMP_S) AS TIMESTAMP)) // 1000000) "
            "AS BIGINT) WHEN typeof(k) = 'TIMESTAMP' THEN TRY_CAST(epoch_us(TRY_CAST(k AS "
            "TIMESTAMP)) AS BIGINT) WHEN typeof(k) = 'INTERVAL' THEN TRY_CAST(epoch_us(TRY_CAST("
            "k AS INTERVAL)) AS BIGINT) WHEN typeof(k) = 'VARCHAR' THEN TRY_CAST(CASE WHEN "
            "regexp_full_match(TRY_CAST(k AS VARCHAR), '[+-]?[0-9]+') THEN TRY_CAST(k AS "
            "VARCHAR) END AS BIGINT) ELSE TRY_CAST(k AS BIGINT) END")
    # a Yson, a Json or a Uuid YQL refuses to cast to Int64: refused when DuckDB binds
    check = ("struct_extract({'ok': 0}, CASE WHEN typeof(k) LIKE 'UNION_\"yson:%' THEN "
             "'yql_cast_refused:Yson:Int64' WHEN typeof(k) = 'JSON' THEN "
             "'yql_cast_refused:Json:Int64' WHEN typeof(k) = 'UUID' THEN "
             "'yql_cast_refused:Uuid:Int64' ELSE 'ok' END)")
    cast = f"struct_extract({{'check': {check}, 'cast': {cast}}}, 'cast')"
    assert statement.sql == ("SELECT 'a 1.5 CAST(x AS Int8) ??' AS \"1.5\", "
                             f"{cast} AS k2 FROM T[//t] GROUP BY {cast}")


# -- results and column types as YQL gives them -----------------------------------------------

def test_count_is_uint64_in_the_schema_a_query_writes(dev_client):
    # COUNT(*)->Uint64, COUNT(T)->Uint64, COUNT_IF(Bool?)->Uint64 (ytsaurus/ytsaurus,
    # yt/docs/en/yql/builtins/aggregation.md; older pages said Uint64?, but COUNT_IF is a
    # count whose default value is Uint64 0: count_if_traits_factory_opt in
    # yql/essentials/mount/lib/yql/aggregate.yqls, ydb); DuckDB's count is a signed BIGINT
    from yt_pipeline.column_types import yt_column_type
    from yt_pipeline_dev.yql_schema import declared

    dev_client.write_table("//c", [{"k": 1, "v": None}, {"k": 1, "v": 2}, {"k": 2, "v": 3}])
    dev_client.run_yql("PRAGMA yt.InferSchema = '1000'; INSERT INTO `//c_out` WITH TRUNCATE "
                       "SELECT k, COUNT(*) AS n, COUNT(v) AS m, COUNT_IF(v > 2) AS big, "
                       "COUNT(*) OVER () AS w FROM `//c` GROUP BY k ORDER BY k")
    assert list(dev_client.read_table("//c_out")) == [
        {"k": 1, "n": 2, "m": 1, "big": 0, "w": 2}, {"k": 2, "n": 1, "m": 1, "big": 1, "w": 2}]
    columns = declared(dev_client.root, dev_client.visible_file("//c_out"))
    assert {name: yt_column_type(kind) for name, kind in columns} == {
        "k": "int64", "n": "uint64", "m": "uint64", "big": "uint64", "w": "uint64"}
    # a window COUNT is the aggregate over the window's rows: a Uint64, never NULL
    assert columns.required == {"n", "m", "big", "w"}


def test_numbering_window_functions_are_uint64_in_the_schema_a_query_writes(dev_client):
    # ROW_NUMBER()->Uint64, RANK([T])->Uint64, DENSE_RANK([T])->Uint64, NTILE(Uint64)->Uint64
    # (yql/essentials/docs/en/builtins/window.md in ydb-platform/ydb, the YQL YTsaurus runs);
    # DuckDB's are a signed BIGINT, which a cluster's table would not have
    from yt_pipeline.column_types import yt_column_type
    from yt_pipeline_dev.yql_schema import declared

    dev_client.write_table("//r", [{"u": "a", "h": 3}, {"u": "a", "h": 1}, {"u": "b", "h": 2}])
    dev_client.run_yql(
        "PRAGMA yt.InferSchema = '1000'; INSERT INTO `//r_out` WITH TRUNCATE "
        "SELECT u, h, ROW_NUMBER() OVER (PARTITION BY u ORDER BY h DESC) AS rn, "
        "RANK() OVER w AS r, DENSE_RANK() OVER w AS dr, NTILE(2) OVER w AS t, "
        "ROW_NUMBER() OVER w - 1 AS shifted FROM `//r` WINDOW w AS (ORDER BY h) ORDER BY h")
    assert list(dev_client.read_table("//r_out")) == [
        {"u": "a", "h": 1, "rn": 2, "r": 1, "dr": 1, "t": 1, "shifted": 0},
        {"u": "b", "h": 2, "rn": 1, "r": 2, "dr": 2, "t": 1, "shifted": 1},
        {"u": "a", "h": 3, "rn": 1, "r": 3, "dr": 3, "t": 2, "shifted": 2}]
    columns = declared(dev_client.root, dev_client.visible_file("//r_out"))
    assert {name: yt_column_type(kind) for name, kind in columns} == {
        "u": "string", "h": "int64", "rn": "uint64", "r": "uint64", "dr": "uint64",
        "t": "uint64", "shifted": "int64"}


def test_a_fraction_cast_to_an_integer_is_cut_toward_zero(dev_client):
    # TFloatToIntegralImpl (yql/essentials/minikql/invoke_builtins/mkql_builtins_convert.cpp,
    # ydb): NaN and values out of range give NULL, any other is static_cast (cut toward 0)
    dev_client.write_table("//f", [{"x": 2.9}, {"x": -2.9}])
    rows = dev_client.run_yql("SELECT CAST(x AS Int32) AS i, CAST(x AS Uint8) AS u, "
                              "CAST(1.7 AS Int64) AS lit, CAST(1.5f AS Int16) AS f, "
                              "CAST('12' AS Int64) AS s, CAST(7 AS Int8) AS n "
                              "FROM `//f` ORDER BY x DESC")
    assert rows == [{"i": 2, "u": 2, "lit": 1, "f": 1, "s": 12, "n": 7},
                    {"i": -2, "u": None, "lit": 1, "f": 1, "s": 12, "n": 7}]


def test_substring_counts_bytes(dev_client):
    # builtins/basic.md (ydb docs): SUBSTRING's position and length are in bytes
    dev_client.write_table("//u", [{"s": "Zoë!"}])
    rows = dev_client.run_yql("SELECT SUBSTRING(s, 2, 2) AS e, SUBSTRING(s, 4) AS tail, "
                              "SUBSTRING(s, NULL, 2) AS head, SUBSTRING(s, 9) AS none "
                              "FROM `//u`")
    assert rows == [{"e": "ë", "tail": "!", "head": "Zo", "none": ""}]
    with pytest.raises(QueryFailed) as failed:
        dev_client.run_yql("SELECT SUBSTRING(s, 3, 1) AS half FROM `//u`")
    assert str(failed.value) == (
        "YQL: SUBSTRING cut a UTF-8 character in two: YQL counts bytes and would give bytes "
        "that are not text, which dev cannot hold; cut at a character's first byte")


def test_limit_offset_comma_is_offset_then_count(dev_client):
    # syntax/select/limit_offset.md (ydb docs): "LIMIT 3, 7" is "LIMIT 7 OFFSET 3"
    dev_client.write_table("//l", [{"k": i} for i in range(12)])
    rows = dev_client.run_yql("SELECT k FROM `//l` ORDER BY k LIMIT 3, 7")
    assert [row["k"] for row in rows] == list(range(3, 10))
    rows = dev_client.run_yql("SELECT k FROM `//l` ORDER BY k LIMIT 2 OFFSET 9")
    assert [row["k"] for row in rows] == [9, 10]


def test_integer_overflow_is_named_as_yql_wraps_around(dev_client):
    # YQL's integer +, - and * wrap around: SafeAdd/SafeSub/SafeMul in yql/essentials/
    # minikql/invoke_builtins/mkql_safe_ops.h (ydb); DuckDB fails with its own words
    with pytest.raises(QueryFailed) as failed:
        dev_client.run_yql("SELECT 9223372036854775807 + 1 AS a")
    assert str(failed.value) == (
        "YQL: integer overflow, which YQL wraps around (two's complement) in the width of "
        "its own result type and dev cannot reproduce (Out of Range Error: Overflow in "
        "addition of INT64 (9223372036854775807 + 1)!); cast to a wider type or to Double")



def test_a_copied_dev_folder_keeps_the_schemas_yql_gave_its_tables(dev_client, tmp_path):
    # `cp -r .dev` gives each table file a new inode and modification time, which keyed the
    # schema YQL gave the table: the copy's tables had none, so their columns were inferred
    # from their rows (x read as an integer, not the double the query wrote) and an append
    # was refused as to a table without a schema
    import subprocess

    from yt_pipeline_dev.client import DevClient

    dev_client.run_yql("INSERT INTO `//y` WITH TRUNCATE SELECT 1.0 AS x, 'a' AS s")
    query = "SELECT x / 2 AS half FROM `//y`"
    assert dev_client.run_yql(query) == [{"half": 0.5}]
    copy = tmp_path / "copy" / ".dev"
    copy.parent.mkdir()
    subprocess.run(["cp", "-r", str(dev_client.root), str(copy)], check=True)
    copied = DevClient(copy)
    assert copied.run_yql(query) == [{"half": 0.5}]
    copied.run_yql("INSERT INTO `//y` SELECT 3.0 AS x, 'b' AS s")  # appends to a schema
    assert [r["x"] for r in copied.read_table("//y")] == [1.0, 3.0]
    # a table written since with other bytes has no schema left, in the copy as anywhere
    copied.remove("//y")
    copied.write_table("//y", [{"x": 1.0, "s": "a"}])
    with pytest.raises(QueryFailed, match="append is not allowed"):
        copied.run_yql("INSERT INTO `//y` SELECT 2.0 AS x, 'c' AS s")


def test_a_backticked_name_takes_escapes_and_a_semicolon(dev_client):
    # names in backticks take C escapes, `\`` for a backtick (ydb/docs/en/core/yql/
    # reference/syntax/lexer.md), so the `;` after it is the name's, not a statement's end
    rows = dev_client.run_yql("SELECT 1 AS `a\\`;b`, 2 AS `c``;d`, 'e;' AS `f;g`;")
    assert rows == [{"a`;b": 1, "c`;d": 2, "f;g": "e;"}]


def test_a_yson_column_a_query_wrote_is_yson_again(dev_client):
    # YQL writes a Yson column as one (YT type any) and reads it back as Yson: its value is
    # written as it is, and list functions still refuse it (yt_pipeline.yql_yson)
    dev_client.write_table("//t", [{"i": 1, "tags": ["a", "b"]}])
    dev_client.run_yql("INSERT INTO `//copy` WITH TRUNCATE SELECT i, tags FROM `//t`")
    assert list(dev_client.read_table("//copy")) == [{"i": 1, "tags": ["a", "b"]}]
    assert dev_client.run_yql("SELECT Yson::ConvertToStringList(tags) AS tags, "
                              "Yson::ConvertToString(tags[1]) AS second FROM `//copy`") == [
        {"tags": ["a", "b"], "second": "b"}]
    with pytest.raises(QueryFailed, match="YQL: column tags is Yson"):
        dev_client.run_yql("SELECT ListLength(tags) AS n FROM `//copy`")
