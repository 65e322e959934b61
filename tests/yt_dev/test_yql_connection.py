"""The DuckDB connection YQL runs on (yt_pipeline.yql_semantics.connect), in dev and in the
fake query tracker alike."""

from __future__ import annotations

import math

import pytest

from yt_pipeline import yql_semantics
from yt_pipeline.errors import QueryFailed

duckdb = pytest.importorskip("duckdb")


def test_doubles_by_zero_are_ieee_whatever_the_config_says():
    # YQL's Double division and remainder by zero are inf/nan (TDiv, TMod: std::fmod in
    # yql/essentials/minikql/invoke_builtins/mkql_builtins_div.cpp, mkql_builtins_mod.cpp);
    # with DuckDB's ieee_floating_point_ops off both would be NULL
    connection = yql_semantics.connect(duckdb, {"ieee_floating_point_ops": False})
    try:
        rest, quotient, int_rest = connection.execute(
            "SELECT 7.5e0 % 0, yql_div(-7.5e0, 0), 7 % 0").fetchone()
    finally:
        connection.close()
    assert math.isnan(rest) and quotient == -math.inf and int_rest is None


class _DuckDBBeforeIEEE:
    """DuckDB 1.0 as connect sees it: it knows no ieee_floating_point_ops setting."""

    Error = duckdb.Error
    __version__ = "unknown"  # as a build of no release number: the setting is what fails

    def __init__(self):
        self.closed = False

    def connect(self, config):
        outer = self

        class Connection:
            def execute(self, sql):
                if "ieee_floating_point_ops" in sql:
                    raise duckdb.Error('Unrecognized configuration property "ieee_floating_point_ops"')

            def close(self):
                outer.closed = True

        return Connection()


def test_a_duckdb_giving_null_for_doubles_by_zero_is_refused_in_one_line():
    old = _DuckDBBeforeIEEE()
    with pytest.raises(QueryFailed) as failure:
        yql_semantics.connect(old)
    assert str(failure.value) == (
        "YQL on DuckDB needs DuckDB 1.1 or later (installed: unknown), where a Double divided "
        "by zero is inf or nan as in YQL, not NULL: pip install 'duckdb>=1.1'")
    assert old.closed


class _OldDuckDB:
    """An older DuckDB as connect sees it: its version only."""

    Error = duckdb.Error

    def __init__(self, version):
        self.__version__ = version

    def connect(self, config):  # never reached: the version is refused first
        raise AssertionError("connected to a DuckDB too old for dev's macros")


@pytest.mark.parametrize("version", ["1.2.2", "1.3.0", "2.0.0"])
def test_a_duckdb_too_old_for_dev_macros_is_refused_in_one_line(version):
    """2.0.0 refuses yql_interval_cast's macro, which picks a struct's field by typeof(x)
    (tried: `The "entry" argument in function "struct_extract" must be a constant
    expression`); 1.2.2 does not read dev's lambdas."""
    with pytest.raises(QueryFailed) as failure:
        yql_semantics.connect(_OldDuckDB(version))
    assert str(failure.value) == (
        f"YQL on DuckDB needs DuckDB 2.0.1 or later (installed: {version}), which takes the "
        "struct field dev's macros pick by a value's type as a constant: "
        "pip install 'duckdb>=2.0.1'")


@pytest.mark.parametrize("version", ["2.0.1", "2.1.0.dev42", "10.0.0"])
def test_a_recent_enough_duckdb_is_not_refused_for_its_version(version):
    with pytest.raises(AssertionError, match="too old"):  # it got as far as connecting
        yql_semantics.connect(_OldDuckDB(version))


def _macros_defined(connection) -> set[str]:
    return {name for (name,) in connection.execute(
        "SELECT function_name FROM duckdb_functions() WHERE function_type = 'macro' "
        "AND function_name LIKE 'yql_%'").fetchall()}


def test_a_statement_is_given_the_macros_it_calls_and_those_they_call_only():
    from yt_pipeline.yql_macros import Macros, catalogue

    connection = yql_semantics.connect(duckdb, macros=False)
    try:
        assert _macros_defined(connection) == set()
        macros = Macros(duckdb, connection)
        macros.define_for("SELECT yql_div(-7, 2) AS q, 1 + 2 AS plain")
        # yql_div and the integer macros it calls (yql_int_min for the quotient that
        # overflows, the widths and the wrap-around), none of the others
        division = _macros_defined(connection)
        assert {"yql_div", "yql_int_min", "yql_bits", "yql_wrap"} <= division
        assert not division & {"yql_mod", "yql_mod_by", "yql_time_text", "yql_math_round",
                               "yql_parse_iso8601", "yql_util_instant"}
        assert connection.execute("SELECT yql_div(-7, 2)").fetchone() == (-3,)
        macros.define_for("SELECT yql_div(1, 1)")  # there already: nothing defined again
        assert macros.defined == division
        macros.define_for("SELECT yql_parse_iso8601('2024-01-05T10:00:00Z') AS t")
        assert "yql_util_instant" in _macros_defined(connection)
        assert connection.execute(
            "SELECT yql_parse_iso8601('2024-01-05T10:00:00Z')").fetchone()[0] is not None
    finally:
        connection.close()
    # the default connection has every macro, as before
    every = {name for name, _, _ in catalogue(False)}
    connection = yql_semantics.connect(duckdb)
    try:
        assert _macros_defined(connection) == every
    finally:
        connection.close()


class _DuckDBGone(_DuckDBBeforeIEEE):
    """A DuckDB of 1.1 or later whose connection fails on the setting for another reason
    (dev's DuckDB process killed as the statement's database is made)."""

    __version__ = "2.0.1"

    def connect(self, config):
        connection = super().connect(config)

        def execute(sql):
            raise duckdb.Error("DuckDB's process ended (killed by signal 15)")

        connection.execute = execute
        return connection


def test_a_failure_setting_ieee_doubles_that_is_not_an_old_duckdb_is_raised_as_it_is():
    gone = _DuckDBGone()
    with pytest.raises(duckdb.Error) as failure:
        yql_semantics.connect(gone)
    assert str(failure.value) == "DuckDB's process ended (killed by signal 15)"
    assert gone.closed
