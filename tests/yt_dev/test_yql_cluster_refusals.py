"""Queries a YTsaurus cluster's YQL refuses, refused in dev too, in YQL's kind of words
rather than run with DuckDB's meaning or failed with DuckDB's own text.

Sources (ydb-platform/ydb):
- yql/essentials/sql/v1/builtin.cpp: a call of a name YQL has no built-in for fails with
  "Unknown builtin: NAME, to use YQL functions, try YQL::NAME"; the aggregate functions
  are those of yt/docs/en/yql/builtins/aggregation.md (ytsaurus/ytsaurus), which has no
  string aggregate (DuckDB's listagg, string_agg, group_concat, array_agg);
- yql/essentials/docs/en/syntax/expressions.md: REGEXP and RLIKE call Re2::Grep, MATCH
  calls Re2::Match, whose `(String?) -> Bool` takes a string, not an integer;
- yql/essentials/sql/v1/SQLv1.g.in: `select_kind_partial: select_kind (LIMIT expr ((OFFSET
  | COMMA) expr)?)?`: OFFSET only after a LIMIT, so OFFSET alone or before LIMIT is a
  syntax error.
"""

from __future__ import annotations

import pytest

from yt_pipeline.errors import QueryFailed

pytest.importorskip("duckdb", reason="dev runs YQL on DuckDB")


@pytest.fixture
def dev(dev_client):
    dev_client.create_path("//in/t", "table", schema=[
        {"name": "id", "type": "int64"}, {"name": "s", "type": "string"}])
    dev_client.write_table("//in/t", [{"id": 1, "s": "a"}, {"id": 15, "s": "b"},
                                      {"id": 25, "s": None}])
    return dev_client


@pytest.mark.parametrize(("call", "name"), [
    ("ListAgg(s)", "ListAgg"), ("LISTAGG(s, ',')", "LISTAGG"),
    ("string_agg(s, ',')", "string_agg"), ("GROUP_CONCAT(s)", "GROUP_CONCAT"),
    ("array_agg(s)", "array_agg")])
def test_a_string_aggregate_yql_has_not_is_an_unknown_builtin(dev, call, name):
    with pytest.raises(QueryFailed, match=rf"Unknown builtin: {name}\b") as failed:
        dev.run_yql(f"INSERT INTO `//out/a` WITH TRUNCATE SELECT {call} AS x FROM `//in/t`")
    assert "DuckDB" not in str(failed.value)
    assert not dev.exists("//out/a")


@pytest.mark.parametrize(("where", "operator"), [
    ('id REGEXP "5"', "REGEXP"), ('id RLIKE "5"', "RLIKE"), ('id MATCH "1.*"', "MATCH"),
    ('s NOT REGEXP (5)', "REGEXP"), ('Re2::Grep("5")(id)', "Re2::Grep")])
def test_a_pattern_operator_of_an_integer_is_refused_naming_it(dev, where, operator):
    with pytest.raises(QueryFailed) as failed:
        dev.run_yql(f"SELECT id FROM `//in/t` WHERE {where}")
    message = str(failed.value)
    assert message.startswith("YQL: ") and operator in message and "Int" in message
    assert "DuckDB" not in message and "regexp_" not in message


@pytest.mark.parametrize("tail", ["ORDER BY id OFFSET 1", "ORDER BY id OFFSET 1 LIMIT 1",
                                  "OFFSET 2"])
def test_offset_without_a_limit_before_it_is_a_syntax_error(dev, tail):
    with pytest.raises(QueryFailed, match="OFFSET") as failed:
        dev.run_yql(f"SELECT id FROM `//in/t` {tail}")
    assert "LIMIT" in str(failed.value)


def test_offset_after_limit_and_a_column_named_offset_still_run(dev):
    assert dev.run_yql("SELECT id FROM `//in/t` ORDER BY id LIMIT 1 OFFSET 1") == [{"id": 15}]
    # `LIMIT 1, 2` is LIMIT 2 OFFSET 1 (yql/essentials/docs/en/syntax/select/limit_offset.md)
    assert dev.run_yql("SELECT id FROM `//in/t` ORDER BY id LIMIT 1, 2") == [{"id": 15},
                                                                          {"id": 25}]
    assert dev.run_yql("SELECT id AS offset FROM `//in/t` WHERE id < 10") == [{"offset": 1}]


@pytest.mark.parametrize(("call", "name"), [
    # YQL's MODE is TOPFREQ(x, 1), a List<Struct<Frequency, Value>>, where DuckDB's mode is
    # the value alone; YQL's HISTOGRAM an adaptive histogram's Struct, DuckDB's a map of
    # counts; YQL's MEDIAN is PERCENTILE(x, 0.5) by TDigest (aggregation.md, "TOPFREQ and
    # MODE", "HISTOGRAM", "PERCENTILE and MEDIAN"), which dev refuses as it refuses PERCENTILE
    ("MODE(id)", "MODE"), ("Histogram(id)", "Histogram"), ("MEDIAN(id)", "MEDIAN")])
def test_an_aggregate_of_another_meaning_in_duckdb_is_refused(dev, call, name):
    with pytest.raises(QueryFailed, match=rf"the function {name} is not supported in dev"):
        dev.run_yql(f"INSERT INTO `//out/m` WITH TRUNCATE SELECT {call} AS x FROM `//in/t`")
    assert not dev.exists("//out/m")


@pytest.mark.parametrize("call", ["FIRST(id)", "LAST(id)", "ANY_VALUE(id)", "ARG_MAX(s, id)",
                                  "PRODUCT(id)", "APPROX_COUNT_DISTINCT(id)", "FSUM(id)",
                                  "QUANTILE_CONT(id, 0.5)", "KURTOSIS(id)"])
def test_a_duckdb_aggregate_yql_has_not_is_an_unknown_builtin(dev, call):
    # none of them is among YQL's aggregates (MakeAggrFuncs in builtin.cpp, which reads
    # a name in lower case and without its underscores)
    with pytest.raises(QueryFailed, match=rf"Unknown builtin: {call.split('(')[0]}\b"):
        dev.run_yql(f"SELECT {call} AS x FROM `//in/t`")


@pytest.mark.parametrize(("call", "name"), [("GREATEST(id, 20)", "GREATEST"),
                                            ("least(id, 20)", "least")])
def test_greatest_and_least_are_refused_as_max_of_and_min_of_are(dev, call, name):
    # "GREATEST is a synonym for MAX_OF and LEAST is a synonym for MIN_OF" (yql/essentials/
    # docs/en/builtins/basic.md, ydb-platform/ydb), which dev refuses: DuckDB's greatest and
    # least pass over a NULL, where YQL's Max and Min of an empty value are empty
    with pytest.raises(QueryFailed, match=rf"the function {name} is not supported in dev"):
        dev.run_yql(f"INSERT INTO `//out/g` WITH TRUNCATE SELECT {call} AS x FROM `//in/t`")
    assert not dev.exists("//out/g")


def test_char_length_counts_bytes_as_length_does(dev_client):
    # YQL reads a built-in's name in lower case without its underscores (NormalizeName in
    # yql/essentials/core/sql_types/normalize_name.cpp, ydb-platform/ydb): CHAR_LENGTH and
    # CHARACTER_LENGTH are `charlength` and `characterlength`, which builtin.cpp makes the
    # same Size as LENGTH, a count of bytes; DuckDB's char_length counts characters
    dev_client.write_table("//s", [{"name": "Zoë"}])
    rows = dev_client.run_yql("SELECT CHAR_LENGTH(name) AS a, character_length(name) AS b, "
                              "CharLength(name) AS c, LENGTH(name) AS d FROM `//s`")
    assert rows == [{"a": 4, "b": 4, "c": 4, "d": 4}]


@pytest.mark.parametrize("call", ["COVAR_POP(id, n)", "covar_samp(id, n)"])
def test_a_covariance_that_takes_null_for_0_is_refused(dev_client, call):
    # COVAR_POP and COVAR_SAMP are YQL's covarpop and covarsamp, COVARIANCE_POPULATION and
    # _SAMPLE, which "do not skip NULL and count it as 0" (aggregation.md, "CORRELATION and
    # COVARIANCE"); DuckDB's covar_pop passes over the row, as its corr did (refused)
    dev_client.write_table("//c", [{"id": 1, "n": 5}, {"id": 2, "n": 15}, {"id": 3, "n": None}])
    with pytest.raises(QueryFailed, match="is not supported in dev mode"):
        dev_client.run_yql(f"SELECT {call} AS c FROM `//c`")


@pytest.mark.parametrize("call", ["LOWER(s)", "upper(s)", "ROUND(id / 2.0)", "floor(1.5)",
                                  "CONCAT(s, 'x')", "REPLACE(s, 'a', 'b')", "TRIM(s)",
                                  "substr(s, 1, 1)", "strpos(s, 'a')", "regexp_replace(s, 'a', 'b')",
                                  "date_trunc('day', CurrentUtcTimestamp())",
                                  # dev said "the result has two columns named column0"
                                  "COLUMNS(*)"])
def test_a_duckdb_scalar_function_yql_has_not_is_an_unknown_builtin(dev, call):
    # YQL's string built-ins are LENGTH, SUBSTRING, FIND, RFIND, StartsWith and EndsWith,
    # its numeric one ABS (basic.md); case, rounding and the like are UDFs (String::,
    # Unicode::, Math::), so a cluster fails LOWER(s) where DuckDB ran it
    name = call.split("(")[0]
    with pytest.raises(QueryFailed, match=rf"Unknown builtin: {name}\b"):
        dev.run_yql(f"INSERT INTO `//out/f` WITH TRUNCATE SELECT {call} AS x FROM `//in/t`")
    assert not dev.exists("//out/f")


def test_the_udfs_and_the_table_function_concat_are_told_apart(dev):
    got = dev.run_yql("SELECT String::AsciiToLower('AB') AS a, Math::Round(2.4) AS b, "
                      "Unicode::ToUpper('ab'u) AS c")
    assert got == [{"a": "ab", "b": 2.0, "c": "AB"}]
    with pytest.raises(QueryFailed, match=r"the table function CONCAT\(\.\.\.\)"):
        dev.run_yql("SELECT * FROM CONCAT(`//in/t`, `//in/t`)")


@pytest.mark.parametrize("call", ["LIST(s)", "list(DISTINCT s)"])
def test_yqls_list_aggregate_is_refused_where_duckdbs_would_keep_nulls(dev, call):
    # YQL's LIST is list_traits_factory (MakeAggrFuncs in builtin.cpp): items of an
    # Optional passed over (IfPresent in list_traits_factory_opt_gen, yql/essentials/mount/
    # lib/yql/aggregate.yqls), NULL for no rows; DuckDB's list keeps NULL items
    with pytest.raises(QueryFailed, match=r"the function (LIST|list) is not supported in dev"):
        dev.run_yql(f"INSERT INTO `//out/l` WITH TRUNCATE SELECT {call} AS x FROM `//in/t`")
    assert not dev.exists("//out/l")
    # AGGREGATE_LIST, which dev writes as DuckDB's list, still runs
    assert sorted(dev.run_yql("SELECT AGGREGATE_LIST(s) AS x FROM `//in/t`")[0]["x"]) == [
        "a", "b"]


@pytest.mark.parametrize(("query", "form"), [
    ('SELECT id FROM `//in/t` WHERE s SIMILAR TO "a.*"', "SIMILAR TO"),
    ('SELECT id FROM `//in/t` WHERE s ~ "a"', "~"),
    ('SELECT id FROM `//in/t` WHERE s !~ "a"', "!~"),
    ("SELECT id FROM `//in/t` QUALIFY ROW_NUMBER() OVER (ORDER BY id) = 1", "QUALIFY"),
    ("SELECT id FROM `//in/t` ORDER BY ALL", "ORDER BY ALL"),
    ("SELECT id FROM `//in/t` GROUP BY ALL ORDER BY id", "GROUP BY ALL"),
    # dev said "the result has two columns named column0 (a join whose tables ...)"
    ("SELECT * EXCLUDE (s) FROM `//in/t`", "* EXCLUDE"),
    ("SELECT * REPLACE (id + 1 AS id) FROM `//in/t`", "* REPLACE"),
    # SQL's typed literals and truth tests: YQL writes Date("..."), Interval("P1D")
    ('SELECT DATE "2024-01-01" AS d', "DATE '...'"),
    ("SELECT id FROM `//in/t` WHERE created < TIMESTAMP '2024-01-01 00:00:00'",
     "TIMESTAMP '...'"),
    ('SELECT INTERVAL "1 day" AS i', "INTERVAL '...'"),
    ("SELECT id FROM `//in/t` WHERE (id > 1) IS TRUE", "IS TRUE"),
    ("SELECT id FROM `//in/t` WHERE (id > 1) IS NOT FALSE", "IS NOT FALSE"),
])
def test_duckdbs_own_syntax_is_refused_as_a_cluster_fails_to_parse_it(dev, query, form):
    # none is in YQL's grammar (yql/essentials/sql/v1/SQLv1.g.in): its match operators are
    # LIKE, ILIKE, GLOB, REGEXP, RLIKE and MATCH, `~` is the unary bitwise NOT, a
    # select_core ends with WINDOW and ORDER BY (no QUALIFY), a sort item is an expression
    # and GROUP BY [ALL] takes a list of grouping elements
    with pytest.raises(QueryFailed, match="not YQL") as failed:
        dev.run_yql(query)
    assert form in str(failed.value)


def test_yqls_own_uses_of_those_words_still_run(dev):
    got = dev.run_yql("SELECT id, ~id AS inverted, id + ~0 AS less FROM `//in/t` "
                      "WHERE id < 10 ORDER BY id")
    assert got == [{"id": 1, "inverted": -2, "less": 0}]


@pytest.mark.parametrize("kind", ["BOOLEAN", "HUGEINT", "BLOB", "REAL", "TIME", "NUMERIC",
                                  "TIMESTAMPTZ"])
def test_a_cast_to_a_type_yql_has_not_is_refused(dev, kind):
    # YQL's simple type names are LookupSimpleTypeBySqlAlias's (yql/essentials/core/
    # sql_types/simple_types.cpp, ydb-platform/ydb): DuckDB's BOOLEAN, HUGEINT, BLOB...
    # are not among them, so a cluster fails the CAST that DuckDB ran
    with pytest.raises(QueryFailed, match=rf"{kind} is not a YQL type"):
        dev.run_yql(f"SELECT CAST(id AS {kind}) AS x FROM `//in/t`")


def test_yqls_own_type_names_and_sqls_aliases_still_cast(dev):
    got = dev.run_yql("SELECT CAST(id AS Int32?) AS a, CAST(id AS INTEGER) AS b, "
                      "CAST(id AS varchar) AS c, CAST(id AS Decimal(10, 2)) AS d, "
                      "CAST(id AS bigint) AS e, id AS time FROM `//in/t` WHERE id = 1")
    assert [{k: v for k, v in row.items() if k != "d"} for row in got] == [
        {"a": 1, "b": 1, "c": "1", "e": 1, "time": 1}]
