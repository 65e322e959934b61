"""YQL's meaning of forms DuckDB reads otherwise, the same in dev and in the fake query tracker.

Both run YQL on DuckDB and apply the same rewrites (yt_pipeline.yql_semantics), so a query
gives a prod test on the fake the rows a cluster gives, not DuckDB's. Where each meaning is
documented (ydb-platform/ydb, the YQL that YTsaurus runs, unless said otherwise):
- integer division: TIntegralDiv in yql/essentials/minikql/invoke_builtins/
  mkql_builtins_div.cpp (7 / 2 is 3, a division by zero NULL);
- literal types: ydb/docs/en/core/yql/reference/syntax/lexer.md, "Numeric literals";
- CAST: syntax/expressions.md#cast, _includes/cast_examples.md, and TFloatToIntegralImpl in
  yql/essentials/minikql/invoke_builtins/mkql_builtins_convert.cpp (a fraction is cut
  toward zero);
- SUBSTRING and LENGTH count bytes, SUBSTRING from 0: builtins/basic.md;
- LIMIT offset, count: syntax/select/limit_offset.md;
- COUNT is Uint64: yt/docs/en/yql/builtins/aggregation.md in ytsaurus/ytsaurus;
- GROUP BY expr AS name, `??` (its precedence: syntax/expressions.md, "Precedence and
  associativity of operators"), `* WITHOUT`: syntax/select/group-by.md, builtins/basic.md
  (COALESCE), syntax/select/without.md;
- a Double divided by zero is inf, -inf or nan: TDiv in mkql_builtins_div.cpp;
- named expressions: syntax/expressions.md, "Named expressions" and "Table expressions" (a
  SELECT is a table after FROM/JOIN, a list after IN, a scalar elsewhere), and
  syntax/select/from.md (a string named expression after FROM names a table).
A form neither can run is refused by the fake with dev's line, so that a prod test does not
pass with a query dev refuses.
"""

from __future__ import annotations

import pytest
from yql_alike import dev_and_fake
from yql_alike import same_rows as rows_alike

from yt_pipeline.errors import QueryFailed
from yt_pipeline_dev.client import DevClient

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

ROWS = [{"k": 1, "clicks": 7, "views": 2, "x": 2.9, "s": "abcdefg", "name": "Zoë"},
        {"k": 1, "clicks": -7, "views": 0, "x": -2.9, "s": "xyz", "name": "Al"},
        {"k": 2, "clicks": 5, "views": None, "x": None, "s": None, "name": None}]


@pytest.fixture
def both(prod_client, tmp_path):
    """A dev client and the prod client on the fake, each holding //tmp/q."""
    return dev_and_fake(prod_client, tmp_path, {"//tmp/q": ROWS})


def same_rows(both, query: str) -> list[dict]:
    return rows_alike(both, "PRAGMA yt.InferSchema = '1000';\n" + query)


def test_integers_divide_as_in_yql(both):
    rows = same_rows(both, "SELECT clicks / views AS ratio, clicks % views AS rest, "
                           "7 / 2 AS lit, -7 / 2 AS neg, 7.0 / 2 AS real "
                           "FROM `//tmp/q` ORDER BY k, clicks DESC")
    assert rows == [{"ratio": 3, "rest": 1, "lit": 3, "neg": -3, "real": 3.5},
                    {"ratio": None, "rest": None, "lit": 3, "neg": -3, "real": 3.5},
                    {"ratio": None, "rest": None, "lit": 3, "neg": -3, "real": 3.5}]


def test_remainder_is_yqls_for_integers_and_doubles(both):
    # The operators page (ydb/docs/en/core/yql/reference/syntax/expressions.md, "Arithmetic
    # operators") defines `%` for numbers without its edge cases; they are in
    # yql/essentials/minikql/invoke_builtins/mkql_builtins_mod.cpp: an integer remainder is
    # C++'s `%` (the sign of the dividend) and NULL by zero (TIntegralMod), a Double's is
    # std::fmod (the sign of the dividend, nan by zero or of an infinite dividend: TMod)
    dev, prod = both
    rows = [{"i": -7, "j": 3, "zero": 0, "x": -7.5, "y": 2.0, "z": 0.0}]
    for client in (dev, prod):
        client.write_table("//tmp/m", rows)
    got = same_rows(both, "SELECT i % j AS neg_int, -i % -j AS int_neg_div, i % zero AS int_zero, "
                          "x % y AS neg_dbl, -x % -y AS dbl_neg_div, x % z AS dbl_zero, "
                          "-x % -z AS neg_zero, x % zero AS dbl_int_zero, i % z AS int_dbl_zero, "
                          "CAST('inf' AS Double) % y AS inf_rest, x % CAST('inf' AS Double) AS by_inf "
                          "FROM `//tmp/m`")
    # a result carries nan as the text prod reads (yql_doubles)
    assert got == [{"neg_int": -1, "int_neg_div": 1, "int_zero": None, "neg_dbl": -1.5,
                    "dbl_neg_div": 1.5, "dbl_zero": "nan", "neg_zero": "nan",
                    "dbl_int_zero": "nan", "int_dbl_zero": "nan", "inf_rest": "nan",
                    "by_inf": -7.5}]


def test_integers_of_mixed_signedness_divide_in_yqls_type(both):
    # YQL divides an Int8 by a Uint8 as Int8s, an Int8 by a Uint16 as Uint16s, an Int64 by a
    # Uint64 as Int64s (RegisterBinaryIntegralToSignedFunctionOpt and ...ToUnsignedFunctionOpt
    # in yql/essentials/minikql/invoke_builtins/mkql_builtins_impl.h), each operand
    # static_cast to that type, and NULL for the least value by -1 (TIntegralDiv and
    # TIntegralMod in mkql_builtins_div.cpp and mkql_builtins_mod.cpp): 255 as an Int8 is -1
    rows = same_rows(both, "SELECT CAST(-128 AS Int8) / CAST(255 AS Uint8) AS min_by_255, "
                           "CAST(-128 AS Int8) % CAST(255 AS Uint8) AS min_rest, "
                           "CAST(clicks AS Int8) / CAST(255 AS Uint8) AS by_255, "
                           "CAST(clicks AS Int8) % CAST(2 AS Uint16) AS rest_u16, "
                           "CAST(clicks AS Int64) / CAST(18446744073709551615 AS Uint64) AS by_max, "
                           "CAST(18446744073709551615 AS Uint64) / CAST(clicks AS Int64) AS max_by, "
                           "CAST(4294967295 AS Uint32) % 10 AS u32_rest "
                           "FROM `//tmp/q` ORDER BY clicks")
    assert rows == [
        {"min_by_255": None, "min_rest": None, "by_255": 7, "rest_u16": 1, "by_max": 7,
         "max_by": 0, "u32_rest": -1},
        {"min_by_255": None, "min_rest": None, "by_255": -5, "rest_u16": 1, "by_max": -5,
         "max_by": 0, "u32_rest": -1},
        {"min_by_255": None, "min_rest": None, "by_255": -7, "rest_u16": 1, "by_max": -7,
         "max_by": 0, "u32_rest": -1}]


def test_literals_and_casts_have_yql_types(both):
    rows = same_rows(both, "SELECT 1.5 AS d, 0.1 + 0.2 AS sum, 10u AS u, "
                           "CAST(1.7 AS Int64) AS lit, CAST(x AS Int32) AS cut, "
                           "CAST('xyz' AS Uint64) AS bad, CAST(256 AS Uint8) AS big "
                           "FROM `//tmp/q` ORDER BY k, x DESC")
    assert [row["cut"] for row in rows] == [2, -2, None]
    assert rows[0] == {"d": 1.5, "sum": 0.30000000000000004, "u": 10, "lit": 1, "cut": 2,
                       "bad": None, "big": None}


#: text YQL reads as an integer or a Bool, and text DuckDB's TRY_CAST reads where YQL
#: gives NULL: YQL's CAST of a String is ValueFromString (yql/essentials/minikql/
#: mkql_type_ops.cpp), util's TryFromString for an integer (util/string/cast.cpp,
#: TIntParser: an optional "+", a "-" for a signed type only, then decimal digits) and
#: "true" or "false" in any case for a Bool; DuckDB read "1.5 " and "infinity" as Doubles
#: and "0x10" as none
TEXT_CASTS = [
    ("12", "Int32", 12), ("+5", "Int32", 5), ("-0", "Int8", 0), ("007", "Int16", 7),
    ("-128", "Int8", -128), ("300", "Uint8", None), ("1.5", "Int32", None),
    (" 12", "Int32", None), ("12 ", "Int64", None), ("0x10", "Int64", None),
    ("1e2", "Uint64", None), ("1_000", "Int32", None), ("-0", "Uint32", None),
    ("TRUE", "Bool", True), ("false", "Bool", False), ("1", "Bool", None),
    ("yes", "Bool", None), ("t", "Bool", None),
    # a Double is NYql::TryDoubleFromString (yql/essentials/utils/parse_double.cpp): util's
    # StrToD (double-conversion: leading spaces and hexadecimal allowed), the whole string
    # read, or "nan"/"inf" in any case
    (" 1.5", "Double", 1.5), ("1.5 ", "Double", None), ("0x10", "Double", 16.0),
    ("-0x1F", "Double", -31.0), ("1.e5", "Double", 100000.0), (".5", "Float", 0.5),
    ("INF", "Double", "inf"), ("infinity", "Double", None), ("1_000", "Double", None),
    ("1e", "Double", None)]


@pytest.mark.parametrize(("text", "kind", "value"), TEXT_CASTS)
def test_a_string_casts_to_a_number_or_a_bool_as_yql_reads_it(both, text, kind, value):
    # a literal, and a computed string (DuckDB gave 2 for "1.5", 16 for "0x10", true for "1")
    [row] = same_rows(both, f"SELECT CAST('{text}' AS {kind}) AS lit, "
                            f"CAST(s || '{text}' AS {kind}) AS col "
                            "FROM (SELECT '' AS s FROM `//tmp/q` LIMIT 1)")
    assert row == {"lit": value, "col": value}


def test_an_integer_cast_to_a_date_or_time_is_the_same_on_the_fake(both):
    # days, seconds and microseconds since 1970-01-01 (yql/essentials/docs/en/types/
    # primitive.md in ydb), not NULL: the fake's query tracker rewrites as dev does
    rows = same_rows(both, "SELECT CAST(20103 AS Date) AS d, CAST(1772360100 AS Datetime) AS dt, "
                           "CAST(k * 1000000 AS Timestamp) AS ts, CAST(-1 AS Datetime) AS neg "
                           "FROM `//tmp/q` ORDER BY k LIMIT 1")
    # and a result gives them as those counts, as a cluster's JSON does (yql_times)
    assert rows == [{"d": 20103, "dt": 1772360100, "ts": 1000000, "neg": None}]


def test_a_timestamp_an_insert_writes_reads_back_alike_and_as_a_select_returns_it(both):
    # dev's INSERT once wrote DuckDB's JSON text of a TIMESTAMP ("2026-03-01 10:15:00"), the
    # fake the ISO text; both keep the microseconds since 1970 a cluster keeps (yql_times)
    query = ("INSERT INTO `//tmp/stamps` WITH TRUNCATE "
             "SELECT k, CAST(k * 1000000 AS Timestamp) AS whole, "
             "CAST(k * 1000000 + 250 AS Timestamp) AS micros, CAST(NULL AS Timestamp) AS none "
             "FROM `//tmp/q` ORDER BY k")
    for client in both:
        client.run_yql(query)
    dev, prod = (list(client.read_table("//tmp/stamps")) for client in both)
    assert dev == prod
    assert dev == same_rows(both, "SELECT * FROM `//tmp/stamps` ORDER BY k")
    assert dev[0] == {"k": 1, "whole": 1000000, "micros": 1000250, "none": None}


def test_substring_and_length_count_bytes_from_zero(both):
    rows = same_rows(both, "SELECT SUBSTRING('abc', 1) AS tail, SUBSTRING(s, 3, 1) AS d, "
                           "LENGTH(name) AS n FROM `//tmp/q` WHERE k = 1 ORDER BY clicks DESC")
    assert rows == [{"tail": "bc", "d": "d", "n": 4}, {"tail": "bc", "d": "", "n": 2}]


def test_limit_offset_comma_is_offset_then_count(both):
    rows = same_rows(both, "SELECT clicks FROM `//tmp/q` ORDER BY clicks LIMIT 1, 1")
    assert rows == [{"clicks": 5}]


def test_nulls_sort_first_ascending_as_on_yt(both):
    rows = same_rows(both, "SELECT views FROM `//tmp/q` ORDER BY views")
    assert rows == [{"views": None}, {"views": 0}, {"views": 2}]


def test_count_is_uint64_in_the_schema_a_query_writes(both, fake_yt):
    from yt_pipeline.column_types import yt_column_type
    from yt_pipeline_dev.yql_schema import declared

    dev, prod = both
    query = ("PRAGMA yt.InferSchema = '1000'; INSERT INTO `//tmp/c` WITH TRUNCATE "
             "SELECT k, COUNT(*) AS n, COUNT_IF(clicks > 0) AS pos FROM `//tmp/q` "
             "GROUP BY k ORDER BY k")
    dev.run_yql(query)
    prod.run_yql(query)
    expected = [{"k": 1, "n": 2, "pos": 1}, {"k": 2, "n": 1, "pos": 1}]
    assert list(dev.read_table("//tmp/c")) == list(prod.read_table("//tmp/c")) == expected
    dev_types = {name: yt_column_type(kind)
                 for name, kind in declared(dev.root, dev.visible_file("//tmp/c"))}
    prod_types = {str(column["name"]): str(column["type"])
                  for column in prod.yt().get("//tmp/c/@schema")}
    assert dev_types == prod_types == {"k": "int64", "n": "uint64", "pos": "uint64"}


def _schema_types(both, path: str) -> tuple[dict[str, str], dict[str, str]]:
    """The column types of a table's schema in dev and on the fake, as each one shows it."""
    dev, prod = both
    dev_types = {str(column["name"]): str(column["type"])
                 for column in dev.declared_schema(path)["columns"]}
    prod_types = {str(column["name"]): str(column["type"])
                  for column in prod.yt().get(path + "/@schema")}
    return dev_types, prod_types


def test_narrow_integer_casts_keep_their_width_in_the_schema_a_query_writes(both, fake_yt):
    # YQL writes an Int32 column as int32 and a Uint8 one as uint8, whatever the native
    # type flags (RowSpecYqlTypeToYtType in yt/yql/providers/yt/lib/schema/schema.cpp,
    # ydb-platform/ydb); dev and the fake wrote int64 and uint64
    dev, prod = both
    query = ("INSERT INTO `//tmp/n` WITH TRUNCATE SELECT CAST(clicks AS Uint8) AS a, "
             "CAST(clicks AS Uint32) AS b, CAST(clicks AS Int32) AS c, "
             "CAST(clicks AS Int8) AS d, CAST(clicks AS Int16) AS e FROM `//tmp/q` ORDER BY c")
    for client in both:
        client.run_yql(query)
    assert list(dev.read_table("//tmp/n")) == list(prod.read_table("//tmp/n")) == [
        {"a": None, "b": None, "c": -7, "d": -7, "e": -7},
        {"a": 5, "b": 5, "c": 5, "d": 5, "e": 5}, {"a": 7, "b": 7, "c": 7, "d": 7, "e": 7}]
    dev_types, prod_types = _schema_types(both, "//tmp/n")
    assert dev_types == prod_types == {"a": "uint8", "b": "uint32", "c": "int32",
                                       "d": "int8", "e": "int16"}
    # a later query reads the columns in those types: an Int8 times an Int32 is an
    # Int32 (the wider operand's type, mkql_builtins_impl.h), a copy keeps each width
    for client in both:
        client.run_yql("INSERT INTO `//tmp/n2` WITH TRUNCATE SELECT d * CAST(1000 AS Int32) AS d2, a, c "
                       "FROM `//tmp/n`")
    dev_types, prod_types = _schema_types(both, "//tmp/n2")
    assert dev_types == prod_types == {"d2": "int32", "a": "uint8", "c": "int32"}


def test_an_integer_literal_is_an_int32_operand_of_plus_minus_and_times(both, fake_yt):
    # an integer literal is an Int32 (lexer.md, "Numeric literals") and an Int8 times an
    # Int32 is an Int32 (mkql_builtins_impl.h): 7 * 100 is 700, where DuckDB typed the
    # literal as narrow as the column and failed the Int8 multiplication
    query = ("INSERT INTO `//tmp/lit` WITH TRUNCATE SELECT CAST(clicks AS Int8) * 100 AS m, "
             "CAST(clicks AS Int8) + 200 AS p, CAST(clicks AS Int8) - 200 AS s "
             "FROM `//tmp/q` ORDER BY m")
    for client in both:
        client.run_yql(query)
    dev, prod = both
    assert list(dev.read_table("//tmp/lit")) == list(prod.read_table("//tmp/lit")) == [
        {"m": -700, "p": 193, "s": -207}, {"m": 500, "p": 205, "s": -195},
        {"m": 700, "p": 207, "s": -193}]
    dev_types, prod_types = _schema_types(both, "//tmp/lit")
    assert dev_types == prod_types == {"m": "int32", "p": "int32", "s": "int32"}


def test_a_value_out_of_a_narrow_columns_range_is_refused_alike(both, fake_yt):
    # an int8 column holds -128..127 only: a write of 300 to it is refused in dev and on
    # the fake alike, and a value that fits is taken (enable_integral_type_conversion)
    dev, prod = both
    for client in both:
        client.run_yql("INSERT INTO `//tmp/small` WITH TRUNCATE "
                       "SELECT CAST(clicks AS Int8) AS d FROM `//tmp/q`")
    messages = []
    for client in both:
        client.write_table("//tmp/small", [{"d": 100}], append=True)
        with pytest.raises(Exception) as refused:
            client.write_table("//tmp/small", [{"d": 300}], append=True)
        messages.append(str(refused.value))
    assert all('Value 300 is out of the range of type "int8" in column "d"' in message
               for message in messages), messages
    assert sorted(row["d"] for row in dev.read_table("//tmp/small")) == \
        sorted(row["d"] for row in prod.read_table("//tmp/small")) == [-7, 5, 7, 100]


def test_numbering_window_functions_are_uint64_on_the_fake_as_in_dev(both, fake_yt):
    # ROW_NUMBER()->Uint64, RANK([T])->Uint64 (yql/essentials/docs/en/builtins/window.md)
    from yt_pipeline.column_types import yt_column_type
    from yt_pipeline_dev.yql_schema import declared

    dev, prod = both
    query = ("PRAGMA yt.InferSchema = '1000'; INSERT INTO `//tmp/w` WITH TRUNCATE "
             "SELECT k, clicks, ROW_NUMBER() OVER (PARTITION BY k ORDER BY clicks) AS rn, "
             "RANK() OVER (ORDER BY k) AS r FROM `//tmp/q` ORDER BY k, clicks")
    dev.run_yql(query)
    prod.run_yql(query)
    dev_rows = list(dev.read_table("//tmp/w"))
    assert dev_rows == list(prod.read_table("//tmp/w"))
    assert [(row["rn"], row["r"]) for row in dev_rows] == [(1, 1), (2, 1), (1, 3)]
    dev_types = {name: yt_column_type(kind)
                 for name, kind in declared(dev.root, dev.visible_file("//tmp/w"))}
    prod_types = {str(column["name"]): str(column["type"])
                  for column in prod.yt().get("//tmp/w/@schema")}
    assert dev_types == prod_types
    assert (dev_types["rn"], dev_types["r"]) == ("uint64", "uint64")


@pytest.mark.parametrize("query", [
    "SELECT * FROM `//tmp/q` AS a LEFT JOIN `//tmp/names` AS b ON a.k = b.k",
    "SELECT a.*, b.* FROM `//tmp/q` AS a JOIN `//tmp/names` AS b ON a.k = b.k ORDER BY a.x",
    "SELECT a.k, b.k FROM `//tmp/q` AS a JOIN `//tmp/names` AS b ON a.k = b.k; SELECT 1 AS x",
    "INSERT INTO `//tmp/joined` WITH TRUNCATE "
    "SELECT * FROM `//tmp/q` AS a JOIN `//tmp/names` AS b ON a.k = b.k",
])
def test_a_result_with_two_columns_of_one_name_fails_on_the_fake_as_in_dev(both, query):
    # columns are known by their names ("you can't have two columns with the same name in
    # the subquery": YTsaurus docs, JOIN); the fake kept the last of the two, so a LEFT
    # JOIN's unmatched rows had their own key replaced by the other table's null
    dev, prod = both
    for client in (dev, prod):
        client.write_table("//tmp/names", [{"k": 1, "label": "one"}])
    errors = []
    for client in (dev, prod):
        with pytest.raises(QueryFailed) as failed:
            client.run_yql(query)
        errors.append(str(failed.value))
    assert all("YQL: the result has two columns named k (a join whose tables both have "
               "them" in error for error in errors), errors
    assert not dev.exists("//tmp/joined") and not prod.exists("//tmp/joined")


@pytest.mark.parametrize("query, line", [
    ("SELECT * WITHOUT IF EXISTS name FROM `//tmp/q`",
     "YQL: WITHOUT IF EXISTS is not supported in {where}; name columns the table has (see "
     "docs/yql-in-dev.md)"),
    ("SELECT CAST(clicks AS Int64) * 4611686018427387904 AS big FROM `//tmp/q`",
     "YQL: integer overflow, which YQL wraps around (two's complement) in the width of its "
     "own result type and {who} cannot reproduce (Out of Range Error: Overflow in "
     "multiplication of INT64 (7 * 4611686018427387904)!); cast to a wider type or to "
     "Double"),
    ("$f = ($x) -> ($x + 1); SELECT $f(k) FROM `//tmp/q`",
     "YQL: lambda functions ($f = (...) -> ...) are not supported in {where}; write the "
     "expression where it is used"),
    ("SELECT $nope FROM `//tmp/q`",
     "YQL: unknown named expression $nope: define it ($name = ...;) in a statement before the "
     "one using it"),
    ("PROCESS `//tmp/q` USING Python::f(TableRows())",
     "YQL: PROCESS (a stream of a table through a UDF) is not supported in {where}"),
    ("REDUCE `//tmp/q` ON k USING Python::f(TableRow())",
     "YQL: REDUCE (a YQL reduce through a UDF) is not supported in {where}"),
    ("UPSERT INTO `//tmp/q` SELECT 1 AS k", "YQL: UPSERT is not supported in {where}"),
    ("SELECT Python::f(s) FROM `//tmp/q`",
     "YQL: the UDF Python::f is not supported in {where} (UDF calls, Module::Function); "
     "the ones it runs are listed in docs/yql-in-dev.md"),
    ("SELECT * FROM `//tmp/q` FLATTEN BY s", "YQL: FLATTEN BY is not supported in {where}"),
    ("SELECT * FROM RANGE(`//tmp`, `a`, `b`)",
     "YQL: the table function RANGE(...) is not supported in {where}; name each table, "
     "joined with UNION ALL"),
    ("SELECT * FROM `//tmp/q` AS a RIGHT ONLY JOIN `//tmp/q` AS b USING (k)",
     "YQL: RIGHT ONLY JOIN is not supported in {where}"),
    ("SELECT * FROM `//tmp/q` SAMPLE 0.5", "YQL: SAMPLE is not supported in {where}"),
    # a YQL built-in DuckDB cannot run as YQL means it (basic.md), and a name DuckDB does not
    # know: named, not DuckDB's "Catalog Error" or "Binder Error"
    ("SELECT Random(k) AS r FROM `//tmp/q`",
     "YQL: the function Random is not supported in {where} (see docs/yql-in-dev.md)"),
    ("SELECT k FROM `//tmp/q` WHERE NANVL(x, 0.0) > 0",
     "YQL: the function NANVL is not supported in {where} (see docs/yql-in-dev.md)"),
    # CORR takes a NULL as 0 in YQL (builtins/aggregation.md, "CORRELATION and
    # COVARIANCE"); DuckDB's corr passed over the row and answered
    ("SELECT CORR(clicks, views) AS c FROM `//tmp/q`",
     "YQL: the function CORR is not supported in {where} (see docs/yql-in-dev.md)"),
    # MIN_BY with a count gives a list (builtins/aggregation.md, "MAX_BY and MIN_BY")
    ("SELECT MIN_BY(k, clicks, 2) AS m FROM `//tmp/q`",
     "YQL: MIN_BY with a count (a list of values) is not supported in {where}"),
    ("SELECT Frobnicate(k) AS r FROM `//tmp/q`",
     "YQL: the function Frobnicate is not supported in {where} (see docs/yql-in-dev.md)"),
    ("SELECT Nothing(Foo?) AS r FROM `//tmp/q`",
     "YQL: Nothing(Foo?) is not supported in {where}: give an optional primitive type, "
     "like Nothing(String?)"),
    # a column of a named GROUP BY expression, used out of an aggregate function: group_by.md
    # (`key * 2 AS dk1 -- ERROR`), in YQL's words and at the column (yql/essentials/sql/v1/
    # node.cpp; sql_ut.cpp, SelectWithBadAggregatedTerms)
    ("SELECT k * 2 AS dk FROM `//tmp/q` GROUP BY k * 2 AS d",
     "YQL: 2:8: Column `k` must either be a key column in GROUP BY or it should be used in "
     "aggregation function"),
    ("SELECT d, COUNT(*) AS n,\n  k AS k1 FROM `//tmp/q` GROUP BY k * 2 AS d",
     "YQL: 3:3: Column `k` must either be a key column in GROUP BY or it should be used in "
     "aggregation function"),
    # `||` joins String and Utf8 only (the pairs yql/essentials/minikql/invoke_builtins/
    # mkql_builtins_concat.cpp registers for Concat): a date or time operand is refused,
    # where DuckDB wrote it as text, and with no rows to run on too, as YQL refuses it
    # before running
    ("SELECT CAST(20000 AS Date) || '-' || s AS d FROM `//tmp/q`",
     "YQL: || joins String and Utf8 values only, and an operand is a Date: cast it, "
     "CAST(... AS String)"),
    ("SELECT s || CAST(k AS Datetime) AS d FROM `//tmp/q` WHERE k > 5",
     "YQL: || joins String and Utf8 values only, and an operand is a Datetime: cast it, "
     "CAST(... AS String)"),
    ("SELECT 'at ' || CAST(k AS Timestamp) AS d FROM `//tmp/q`",
     "YQL: || joins String and Utf8 values only, and an operand is a Timestamp: cast it, "
     "CAST(... AS String)"),
    # Unwrap of an empty value fails the query, with the comment given (basic.md, Unwrap)
    ("SELECT Unwrap(views, 'no views where clicks = ' || CAST(clicks AS String)) AS v "
     "FROM `//tmp/q`",
     "YQL: Unwrap of an empty value (NULL): no views where clicks = 5"),
])
def test_forms_dev_refuses_fail_the_query_on_the_fake_with_the_same_line(both, query, line):
    dev, prod = both
    query = "PRAGMA yt.InferSchema = '1000';\n" + query
    with pytest.raises(QueryFailed) as in_dev:
        dev.run_yql(query)
    assert str(in_dev.value) == line.format(where="dev mode", who="dev")
    with pytest.raises(QueryFailed) as in_prod:
        prod.run_yql(query)
    # the client reports a failed query as "YQL query <id> failed: <the query's error>"
    message = str(in_prod.value)
    assert message.startswith("YQL query ") and " failed: " in message
    assert message.split(" failed: ", 1)[1] == line.format(where="the fake query tracker",
                                                         who="the fake query tracker")


@pytest.mark.parametrize("query, expected", [
    ("SELECT * WITHOUT s, name, x FROM `//tmp/q` ORDER BY clicks",
     [{"k": 1, "clicks": -7, "views": 0}, {"k": 2, "clicks": 5, "views": None},
      {"k": 1, "clicks": 7, "views": 2}]),
    ("SELECT t.* WITHOUT t.s, t.name FROM `//tmp/q` AS t WHERE k = 2",
     [{"k": 2, "clicks": 5, "views": None, "x": None}]),
    ("SELECT views ?? -1 AS v, x ?? views ?? 9.5 AS w, views + 1 ?? 0 AS p "
     "FROM `//tmp/q` ORDER BY clicks",
     [{"v": 0, "w": -2.9, "p": 1}, {"v": -1, "w": 9.5, "p": 0}, {"v": 2, "w": 2.9, "p": 3}]),
    ("SELECT sign, COUNT(*) AS c, SUM(clicks) AS total FROM `//tmp/q` "
     "GROUP BY clicks > 0 AS sign HAVING sign ORDER BY sign",
     [{"sign": True, "c": 2, "total": 12}]),
    ("SELECT kk, k, COUNT(*) AS c FROM `//tmp/q` GROUP BY views ?? 0 AS kk, k "
     "ORDER BY kk, k", [{"kk": 0, "k": 1, "c": 1}, {"kk": 0, "k": 2, "c": 1},
                        {"kk": 2, "k": 1, "c": 1}]),
    # a named column is the name's key, and a key under its own name too (TColumnNode::DoInit
    # in yql/essentials/sql/v1/node.cpp reads the column as its GROUP BY name)
    ("SELECT clicks AS c FROM `//tmp/q` GROUP BY clicks AS c ORDER BY c",
     [{"c": -7}, {"c": 5}, {"c": 7}]),
    # the prod client runs a final SELECT as an INSERT into a result table it reads back
    # (yql_text.prepare); ordered DESC, that table keeps the hidden sort column
    # `_yql_column_0` a cluster's YQL leaves (yql_rules.hidden_sort), which the client
    # leaves out of its read (on a cluster its presort bytes, not UTF-8, would fail the JSON
    # read), as dev's rows leave it out
    ("SELECT k + 1 AS next, kk, COUNT(*) AS n FROM `//tmp/q` GROUP BY k AS kk "
     "HAVING kk > 0 ORDER BY kk DESC", [{"next": 3, "kk": 2, "n": 1},
                                       {"next": 2, "kk": 1, "n": 2}]),
    # a column named in GROUP BY is a column of that name in the result: TColumnNode::DoInit
    # (yql/essentials/sql/v1/node.cpp) renames the column to its GROUP BY name before
    # TSelectCore (sql/v1/select.cpp) labels an unnamed select item with its column's name
    ("SELECT clicks, COUNT(*) AS n FROM `//tmp/q` GROUP BY clicks AS c ORDER BY c",
     [{"c": -7, "n": 1}, {"c": 5, "n": 1}, {"c": 7, "n": 1}]),
    # the name is visible in WHERE as the expression, even where the table has a column of
    # that name (yql/essentials/docs/en/syntax/group_by.md, the warning on GROUP BY .. AS:
    # `WHERE foo > 0 GROUP BY bar AS foo` filters by bar)
    ("SELECT views, COUNT(*) AS n FROM `//tmp/q` WHERE views > 0 "
     "GROUP BY clicks AS views ORDER BY views", [{"views": 5, "n": 1}, {"views": 7, "n": 1}]),
    ("SELECT kk, COUNT(*) AS n FROM `//tmp/q` WHERE kk > 0 AND k < 5 "
     "GROUP BY clicks % 2 AS kk ORDER BY kk", [{"kk": 1, "n": 2}]),
    # names in ROLLUP and GROUPING SETS (group_by.md, "ROLLUP, CUBE, and GROUPING SETS": a
    # subtotal's other keys are NULL)
    ("SELECT kk, COUNT(*) AS n FROM `//tmp/q` GROUP BY ROLLUP(k AS kk) ORDER BY kk",
     [{"kk": None, "n": 3}, {"kk": 1, "n": 2}, {"kk": 2, "n": 1}]),
    ("SELECT kk, pos, COUNT(*) AS n FROM `//tmp/q` "
     "GROUP BY GROUPING SETS ((k AS kk), (clicks > 0 AS pos)) ORDER BY kk, pos",
     [{"kk": None, "pos": False, "n": 1}, {"kk": None, "pos": True, "n": 2},
      {"kk": 1, "pos": None, "n": 2}, {"kk": 2, "pos": None, "n": 1}]),
    ("SELECT x / views AS d, -x / views AS n, clicks / views AS i, x / 2 AS h "
     "FROM `//tmp/q` WHERE k = 1 ORDER BY clicks",
     [{"d": "-inf", "n": "inf", "i": None, "h": -1.45}, {"d": 1.45, "n": -1.45, "i": 3,
                                                        "h": 1.45}]),
])
def test_forms_dev_rewrites_give_the_same_rows_on_the_fake(both, query, expected):
    assert same_rows(both, query) == expected


def test_strings_names_and_comments_are_left_alone(both):
    # the rewrites look at the code only: a string holding `??` or `7 / 2`, a backticked
    # name and a comment keep their text
    rows = same_rows(both, "SELECT 'a ?? 1.5' AS s, \"CAST(x AS Int8)\" AS `1.5`, "
                           "'it''s' AS q -- a ?? in a comment\n"
                           "FROM `//tmp/q` WHERE k = 2")
    assert rows == [{"s": "a ?? 1.5", "1.5": "CAST(x AS Int8)", "q": "it's"}]


@pytest.mark.parametrize("query, expected", [
    # a named SELECT as a table, joined, and as a list after IN
    ("$pos = (SELECT k, clicks FROM `//tmp/q` WHERE clicks > 0);\n"
     "SELECT p.clicks AS c, q.s AS s FROM $pos AS p JOIN `//tmp/q` AS q "
     "ON p.clicks = q.clicks ORDER BY c",
     [{"c": 5, "s": None}, {"c": 7, "s": "abcdefg"}]),
    ("$neg = SELECT clicks FROM `//tmp/q` WHERE clicks < 0; "
     "SELECT clicks FROM `//tmp/q` WHERE clicks NOT IN $neg ORDER BY clicks",
     [{"clicks": 5}, {"clicks": 7}]),
    # a scalar, a column, one defined from another, a string naming a table; `$` in a string
    # or a comment is text
    ("$top = SELECT MAX(clicks) FROM `//tmp/q`; $m = clicks; $m2 = $m * 2; -- $m here\n"
     "SELECT $m2 AS d, '$m' AS lit FROM `//tmp/q` WHERE clicks = $top",
     [{"d": 14, "lit": "$m"}]),
    ('$path = "//tmp/q"; SELECT COUNT(*) AS c FROM $path', [{"c": 3}]),
])
def test_named_expressions_give_the_same_rows_on_the_fake(both, query, expected):
    assert same_rows(both, query) == expected


def test_a_named_select_written_by_insert_is_the_same_table(both):
    dev, prod = both
    query = ("PRAGMA yt.InferSchema = '1000';\n"
             "$pos = SELECT k, clicks * 2 AS c2 FROM `//tmp/q` WHERE clicks > 0;\n"
             "INSERT INTO `//tmp/pos` WITH TRUNCATE SELECT * FROM $pos ORDER BY c2;")
    for client in (dev, prod):
        client.run_yql(query)
    expected = [{"k": 2, "c2": 10}, {"k": 1, "c2": 14}]
    assert list(dev.read_table("//tmp/pos")) == list(prod.read_table("//tmp/pos")) == expected


def test_unusual_column_names_read_alike_and_system_columns_are_not_inferred(prod_client,
                                                                           tmp_path):
    """Dots, spaces and non-ASCII letters are ordinary column names; a column starting with
    `$` is a system column, which schema inference skips (TStreamSchemaInferer::AddRow in
    yt/yql/providers/yt/lib/infer_schema/infer_schema.cpp, ydb-platform/ydb). In JSON rows
    such a key is written escaped, `$$x`: a single `$` is refused by YT's JSON parser
    (json_callbacks.cpp)."""
    dev = DevClient(tmp_path / ".dev")
    rows = [{"k": 1, "a.b": 5, "é x": "z", "$$x": 7}, {"k": 1, "a.b": 6, "é x": None, "$$x": 8}]
    for client in (dev, prod_client):
        client.write_table("//tmp/odd", rows)
    star = same_rows((dev, prod_client), "SELECT * FROM `//tmp/odd` ORDER BY `a.b`")
    assert star == [{"a.b": 5, "k": 1, "é x": "z"}, {"a.b": 6, "k": 1, "é x": None}]
    grouped = same_rows((dev, prod_client),
                        "SELECT k, COUNT(*) AS n FROM `//tmp/odd` GROUP BY k")
    assert grouped == [{"k": 1, "n": 2}]


def test_a_column_with_an_empty_name_is_refused_alike_naming_the_table(prod_client, tmp_path):
    """No YT table schema may name a column "" ("Column name cannot be empty":
    ValidateColumnSchema in yt/yt/client/table_client/schema.cpp), and DuckDB has no such
    column: both refuse the table in one line, where dev failed in DuckDB's words and the
    fake read the table as one `json` column."""
    dev = DevClient(tmp_path / ".dev")
    for client in (dev, prod_client):
        client.write_table("//tmp/blank", [{"k": 1, "": 5}])
    for client in (dev, prod_client):
        for query in ("SELECT * FROM `//tmp/blank`",
                      "SELECT k, COUNT(*) AS n FROM `//tmp/blank` GROUP BY k"):
            with pytest.raises(QueryFailed) as caught:
                client.run_yql("PRAGMA yt.InferSchema = '1000';\n" + query)
            message = str(caught.value)
            assert "\n" not in message
            assert message.endswith('table //tmp/blank has a column with an empty name (""), '
                                    "which YQL cannot read here and no YT table schema "
                                    "allows: rename the column")


def test_statements_end_at_semicolons_of_the_code_only(both):
    # a query's statements are separated by `;`, the last one may be left out, a comment
    # counts as a space, strings take C escapes (ydb/docs/en/core/yql/reference/syntax/
    # lexer.md); empty statements are allowed (yt_pipeline.yql_statements, shared by dev
    # and the fake)
    rows = same_rows(both, ";; SELECT 'a;b' AS s, \"c\\\";d\" AS t, 'e\\';' AS u, 1 AS `x;y` "
                           "-- f;g\nFROM `//tmp/q` /* h; 'i */ WHERE k = 2;; -- j;\n;")
    assert rows == [{"s": "a;b", "t": 'c";d', "u": "e';", "x;y": 1}]


#: syntax errors, placed as YQL places an issue
SYNTAX_ERRORS = [
    # line 1 is the PRAGMA the test puts first; YQL counts lines and columns from 1
    ("SELECT k,\n  s FROM `//tmp/q` WHERE k = 1 ORDR BY k",
     'YQL: 3:32: syntax error at or near "ORDR" (line 3, column 32 of the query)'),
    # the second FROM of the second statement: a 'FROM' string is no code
    ("SELECT k AS a FROM `//tmp/q`; SELECT 'FROM' AS s, k FROM `//tmp/q` WHERE FROM k = 1",
     'YQL: 2:74: syntax error at or near "FROM" (line 2, column 74 of the query)'),
    # the second AND, though the CAST rewrites made the line DuckDB parsed longer
    ("SELECT CAST(k AS Int64) AS a FROM `//tmp/q` WHERE CAST(k AS Int64) > 0 AND AND k = 1",
     'YQL: 2:76: syntax error at or near "AND" (line 2, column 76 of the query)'),
    # at a table: its path, not the SQL that reads it
    ("SELECT * FRM `//tmp/q`",
     'YQL: 2:14: syntax error at or near "`//tmp/q`" (line 2, column 14 of the query)'),
]


@pytest.mark.parametrize("query, line", [
    # placed as YQL places an issue, line:column from 1 (line 1 is the PRAGMA put first)
    ("SELECT 1 AS x FROM `//tmp/q` /* a comment left open; SELECT 2",
     "YQL: 2:30: unterminated /* comment (line 2, column 30 of the query)"),
    ("SELECT 'a;b AS x FROM `//tmp/q`",
     "YQL: 2:8: unterminated ' quote (line 2, column 8 of the query)"),
    ("SELECT 1 AS `x FROM //tmp/q",
     "YQL: 2:13: unterminated ` quote (line 2, column 13 of the query)"),
    *SYNTAX_ERRORS,
])
def test_a_bad_query_fails_alike_naming_its_line_and_column(both, query, line):
    dev, prod = both
    query = "PRAGMA yt.InferSchema = '1000';\n" + query
    with pytest.raises(QueryFailed) as in_dev:
        dev.run_yql(query)
    with pytest.raises(QueryFailed) as in_prod:
        prod.run_yql(query)
    assert str(in_dev.value) == line
    assert str(in_prod.value).split(" failed: ", 1)[-1] == line


def test_the_least_integer_by_minus_one_is_null_as_in_yql(both):
    # TIntegralDiv and TIntegralMod (yql/essentials/minikql/invoke_builtins/
    # mkql_builtins_div.cpp, mkql_builtins_mod.cpp, ydb) give NULL when the divisor is -1 and
    # the dividend the least value of the result type: its quotient does not fit, and its
    # remainder is NULL too. DuckDB fails the division ("Overflow in division") and gives 0
    # for the remainder.
    dev, prod = both
    rows = [{"k": 1, "a": -(2 ** 63), "b": -1}, {"k": 2, "a": 7, "b": -1},
            {"k": 3, "a": -(2 ** 63), "b": 2}]
    for client in (dev, prod):
        client.write_table("//tmp/least", rows)
    got = same_rows(both, "SELECT k, a / b AS q, a % b AS r, (a + 1) / b AS q1, "
                          "CAST(-128 AS Int8) / CAST(-1 AS Int8) AS q8, "
                          "CAST(-128 AS Int8) % CAST(-1 AS Int8) AS r8, "
                          "CAST(-2147483648 AS Int32) / CAST(-1 AS Int32) AS q32, "
                          # a literal divisor: -1 still gives NULL, any other the remainder
                          # with the dividend's sign
                          "a % -1 AS rl, a % 3 AS r3, a % 3.0 AS rd "
                          "FROM `//tmp/least` ORDER BY k")
    assert got == [
        {"k": 1, "q": None, "r": None, "q1": 2 ** 63 - 1, "q8": None, "r8": None, "q32": None,
         "rl": None, "r3": -2, "rd": -2.0},
        {"k": 2, "q": -7, "r": 0, "q1": -8, "q8": None, "r8": None, "q32": None,
         "rl": 0, "r3": 1, "rd": 1.0},
        {"k": 3, "q": -(2 ** 62), "r": 0, "q1": -(2 ** 62) + 1, "q8": None, "r8": None,
         "q32": None, "rl": None, "r3": -2, "rd": -2.0}]


def test_basic_builtins_give_yqls_values_alike(both):
    # yql/essentials/docs/en/builtins/basic.md (ydb): Just makes a value optional, Nothing is
    # an empty value of the type named, Unwrap gives a value that is there, IF without an
    # else is empty when the condition is false (a NULL condition takes the else branch),
    # NVL is COALESCE; list.md: ListLength of AsList; names in any case
    rows = same_rows(both, "SELECT k, Just(clicks) AS j, Nothing(String?) AS n, "
                           "nothing(Optional<Int64>) AS n2, Unwrap(clicks) AS u, "
                           "IF(clicks > 0, 'pos', 'neg') AS sign, IF(views > 0, s) AS seen, "
                           "NVL(views, -1) AS v, ListLength(AsList(k, clicks, 3)) AS len, "
                           "StartsWith(s, 'ab') AS sw, EndsWith(s, 'z') AS ew "
                           "FROM `//tmp/q` ORDER BY k, clicks")
    assert rows == [
        {"k": 1, "j": -7, "n": None, "n2": None, "u": -7, "sign": "neg", "seen": None,
         "v": 0, "len": 3, "sw": False, "ew": True},
        {"k": 1, "j": 7, "n": None, "n2": None, "u": 7, "sign": "pos", "seen": "abcdefg",
         "v": 2, "len": 3, "sw": True, "ew": False},
        {"k": 2, "j": 5, "n": None, "n2": None, "u": 5, "sign": "pos", "seen": None,
         "v": -1, "len": 3, "sw": None, "ew": None}]


def test_current_utc_date_and_time_are_utcs_now_in_each_type(both):
    # basic.md, CurrentUtc...: the type is the name's end (Date, Datetime in seconds,
    # Timestamp in microseconds); its arguments only say when to compute it again
    import datetime

    query = ("PRAGMA yt.InferSchema = '1000';\n"
             "SELECT CurrentUtcDate() AS d, CurrentUtcDatetime() AS dt, "
             "CurrentUtcTimestamp(k) AS ts FROM `//tmp/q` WHERE k = 2")
    for client in both:
        before = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        [row] = client.run_yql(query)
        after = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        # a result's dates are counts from 1970, as a cluster's JSON gives them (yql_times)
        epoch = datetime.datetime(1970, 1, 1)
        stamp = epoch + datetime.timedelta(microseconds=row["ts"])
        seconds = epoch + datetime.timedelta(seconds=row["dt"])
        assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= stamp <= after, \
            (row, before, after)
        assert isinstance(row["dt"], int) and before.replace(microsecond=0) <= seconds <= after
        assert row["d"] in ((before - epoch).days, (after - epoch).days)




def test_a_division_by_minus_one_is_null_only_when_its_result_type_overflows(both):
    # TIntegralDiv (yql/essentials/minikql/invoke_builtins/mkql_builtins_div.cpp, ydb) gives
    # NULL only when the result type is no wider than the dividend's; the result of Int8 by
    # Int32 is an Int32 (RegisterBinaryIntegralToSignedFunctionOpt, mkql_builtins_impl.h),
    # and an integer literal is an Int32, an Int64 past its range (lexer.md, "Numeric
    # literals"): the least Int8 or Int16 by -1 fits. DuckDB typed the literal as narrow as
    # the dividend, and gave NULL.
    got = same_rows(both, "SELECT CAST(-128 AS Int8) / -1 AS q8, "
                          "CAST(-128 AS Int8) % -1 AS r8, "
                          "CAST(-32768 AS Int16) / -1 AS q16, "
                          "CAST(-128 AS Int8) / CAST(-1 AS Int32) AS q8c, "
                          "-2147483648 / -1 AS big, "
                          "CAST(-2147483648 AS Int32) / -1 AS q32, "
                          "k / -1 AS k1 FROM `//tmp/q` ORDER BY k LIMIT 1")
    assert got == [{"q8": 128, "r8": 0, "q16": 32768, "q8c": 128, "big": 2 ** 31,
                    "q32": None, "k1": -1}]


def test_dates_and_times_cast_to_text_as_yql_writes_them(both):
    # ValueToString (yql/essentials/minikql/mkql_type_ops.cpp, ydb): a Date is
    # "YYYY-MM-DD"; a Datetime "YYYY-MM-DDThh:mm:ssZ"; a Timestamp adds "." and its six
    # digits of microseconds, trailing zeros kept, only when they are not all zero (WriteUs).
    # DuckDB wrote "2024-01-02 03:04:05.12".
    got = same_rows(both, "SELECT CAST(CAST(1704164645 AS Datetime) AS String) AS dt, "
                          "CAST(CAST(1704164645120000 AS Timestamp) AS Utf8) AS ts, "
                          "CAST(CAST(1704164645000000 AS Timestamp) AS String) AS whole, "
                          "CAST(CAST(1704164645000001 AS Timestamp) AS String) AS tiny, "
                          "CAST(CAST(19724 AS Date) AS String) AS d, "
                          "CAST(CAST(k AS Datetime) AS String?) AS col, "
                          "CAST(k AS String) AS plain "
                          "FROM `//tmp/q` ORDER BY k LIMIT 1")
    assert got == [{"dt": "2024-01-02T03:04:05Z", "ts": "2024-01-02T03:04:05.120000Z",
                    "whole": "2024-01-02T03:04:05Z", "tiny": "2024-01-02T03:04:05.000001Z",
                    "d": "2024-01-02", "col": "1970-01-01T00:00:01Z", "plain": "1"}]


def test_text_that_looks_like_a_date_a_time_or_a_uuid_stays_text_alike(prod_client, tmp_path):
    # a string of a table without a schema is a String to YQL whatever its text: YSON's
    # string is a String (TStreamSchemaInferer::AddRow, yt/yql/providers/yt/lib/
    # infer_schema/infer_schema.cpp); DuckDB's JSON reader took these for DATE, TIMESTAMP
    # WITH TIME ZONE, TIME and UUID, and gave a date column's values as counts of days
    rows = [{"i": 1, "day": "2024-01-05", "seen": "1970-01-02T14:08:00Z", "clock": "10:00:00",
             "id": "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "nested": {"day": "2024-02-29"},
             "days": ["2024-03-01"]},
            {"i": 2, "day": "2024-02-29", "seen": "2001-02-03T04:05:06Z", "clock": "23:59:59",
             "id": "6ba7b811-9dad-11d1-80b4-00c04fd430c8", "nested": {"day": "x"},
             "days": []}]
    dev = DevClient(tmp_path / ".dev")
    for client in (dev, prod_client):
        client.write_table("//tmp/text", rows)
    query = ("SELECT day, seen, clock, id, nested, days, seen || '!' AS marked, "
             "String::Contains(seen, 'Z') AS utc, LENGTH(day) AS size "
             "FROM `//tmp/text` ORDER BY i")
    got = same_rows((dev, prod_client), query)
    assert got == [{**{k: v for k, v in row.items() if k != "i"}, "marked": row["seen"] + "!",
                    "utc": True, "size": 10} for row in rows]
    [latest] = same_rows((dev, prod_client), "SELECT MAX(seen) AS seen, MIN(day) AS day "
                                             "FROM `//tmp/text`")
    assert latest == {"seen": "2001-02-03T04:05:06Z", "day": "2024-01-05"}


def test_in_passes_over_a_null_item_as_yql_does_by_default(both):
    # YQL's IN without PRAGMA AnsiInForEmptyOrNullableItemsCollections (the translator's
    # default, yql/essentials/sql/v1): the suite case yql/essentials/tests/sql/suites/in/
    # in_noansi.yql gives 1 IN (2, 3, null) false, null IN (1) NULL, 128 IN (128ut, 1t)
    # true; DuckDB's IN is SQL's, where 1 IN (2, 3, NULL) is NULL and NOT IN drops the row
    [row] = same_rows(both, "SELECT 1 IN (2, 3, NULL) AS a, NULL IN (1) AS b, "
                            "128 IN (128ut, 1t) AS c, 1 NOT IN (2, NULL) AS d, "
                            "views + 1 IN (1, NULL) AS e "
                            "FROM `//tmp/q` WHERE clicks = -7")
    assert row == {"a": False, "b": None, "c": True, "d": True, "e": True}
    # NOT IN keeps the rows whose value is not among the items, NULL or not; a NULL value
    # is NULL even before no items (in_noansi_empty.yql: null IN () is Nothing<Bool?>)
    rows = same_rows(both, "SELECT k, clicks FROM `//tmp/q` "
                           "WHERE views NOT IN (SELECT views FROM `//tmp/q` WHERE k = 9) "
                           "ORDER BY k, clicks")
    assert rows == [{"k": 1, "clicks": -7}, {"k": 1, "clicks": 7}]
    rows = same_rows(both, "SELECT clicks FROM `//tmp/q` "
                           "WHERE clicks NOT IN (SELECT views FROM `//tmp/q`) ORDER BY clicks")
    assert rows == [{"clicks": -7}, {"clicks": 5}, {"clicks": 7}]


def test_in_is_sqls_under_its_pragma(both):
    # in_ansi.yql: under PRAGMA AnsiInForEmptyOrNullableItemsCollections, 1 IN (2, 3, null)
    # is Nothing<Bool?> (NULL), so NOT IN keeps no row; the pragma holds for the statements
    # after it
    [row] = same_rows(both, "PRAGMA AnsiInForEmptyOrNullableItemsCollections;\n"
                            "SELECT 1 IN (2, 3, NULL) AS a, 1 NOT IN (2, NULL) AS d "
                            "FROM `//tmp/q` WHERE clicks = -7")
    assert row == {"a": None, "d": None}
    [row] = same_rows(both, "PRAGMA AnsiInForEmptyOrNullableItemsCollections;\n"
                            "PRAGMA DisableAnsiInForEmptyOrNullableItemsCollections;\n"
                            "SELECT 1 IN (2, 3, NULL) AS a FROM `//tmp/q` WHERE clicks = -7")
    assert row == {"a": False}


def test_min_by_and_max_by_keep_a_null_value_of_the_row_they_pick(both):
    # builtins/aggregation.md, "MAX_BY and MIN_BY": the value of the row with the least
    # (greatest) key; rows with a NULL key are passed over (the suite case aggregate/
    # compare_by_nulls.sql: NULL when every key is). DuckDB's min_by also passed over a row
    # whose value is NULL: MAX_BY(views, k) gave the views of a k = 1 row
    [row] = same_rows(both, "SELECT MAX_BY(views, k) AS null_value, MIN_BY(name, views) AS al, "
                            "MIN_BY(name, CAST(NULL AS Int32)) AS no_key FROM `//tmp/q`")
    assert row == {"null_value": None, "al": "Al", "no_key": None}


def test_bool_and_and_bool_or_do_not_pass_over_null(both):
    # builtins/aggregation.md, "BOOL_AND, BOOL_OR and BOOL_XOR": a false decides BOOL_AND (a
    # true BOOL_OR), else any NULL makes it NULL; DuckDB's pass over NULL (true, false)
    [row] = same_rows(both, "SELECT BOOL_AND(views >= 0) AS all_or_null, "
                            "BOOL_OR(views > 5) AS none_or_null, BOOL_AND(views > 1) AS one_false, "
                            "BOOL_OR(views > 1) AS one_true FROM `//tmp/q`")
    assert row == {"all_or_null": None, "none_or_null": None, "one_false": False,
                   "one_true": True}
    rows = same_rows(both, "SELECT k, SOME(k) AS some_k FROM `//tmp/q` GROUP BY k ORDER BY k")
    assert rows == [{"k": 1, "some_k": 1}, {"k": 2, "some_k": 2}]


def test_a_double_cast_to_text_is_written_as_yql_writes_it(both):
    # ValueToString (yql/essentials/minikql/mkql_type_ops.cpp) writes a Double with util's
    # FloatToString (util/string/cast.cpp, PREC_AUTO): double-conversion's shortest digits,
    # as a decimal for exponents -10 to 20, with e+NN past them; DuckDB wrote "2.0", "1e+20",
    # "1e-07" and "-0.0"
    [row] = same_rows(both, "SELECT CAST(x - 0.9 AS String) AS whole, CAST(x AS String) AS frac, "
                            "CAST(1e20 AS String) AS big, CAST(1e21 AS String) AS huge, "
                            "CAST(1e-7 AS String) AS small, CAST(1.5e-11 AS String) AS tiny, "
                            "CAST(-0.0 AS Utf8) AS minus_zero, CAST(CAST(0.1 AS Float) AS String) "
                            "AS float, CAST(-1.0 / 0 AS String) AS inf "
                            "FROM `//tmp/q` WHERE clicks = 7")
    assert row == {"whole": "2", "frac": "2.9", "big": "100000000000000000000",
                   "huge": "1e+21", "small": "0.0000001", "tiny": "1.5e-11",
                   "minus_zero": "-0", "float": "0.1", "inf": "-inf"}
