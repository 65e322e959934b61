"""A table stage code makes with a strict schema (`create_path(path, "table", schema=...)`)
is the same table in dev and in prod (the fake proxy): its rows, what YQL reads of it, what
`yt-pipeline table schema` shows, and the words a write of a row off its schema fails with.

The fake checks writes to a table created with a `schema` attribute as a cluster's table
writer does ("Unknown column %Qv in strict schema": ReorderAndValidateRows in yt/yt/ytlib/
table_client/schemaless_chunk_writer.cpp; "Invalid type of column %Qv ...":
ValidateValueType in yt/yt/client/table_client/unversioned_row.cpp), and a schema whose
first columns have a sort_order makes a sorted table ("Sorted tables" in the YTsaurus docs).
"""

from __future__ import annotations

import json

import pytest
import yaml
from both_modes import compare_tables, copy_pipeline, run_both
from test_table_schema_parity import schema_lines

from yt_pipeline.errors import BackendError, InvalidSchema, QueryFailed, RefusedByCluster
from yt_pipeline.yamlio import dump_yaml
from yt_pipeline_dev.client import DevClient
from yt_pipeline_prod.testing import TEST_PROD_OPTIONS, TEST_TOKEN

EVENTS, BY_KIND = "//tmp/s/events", "//tmp/s/by_kind"
SCHEMA = [{"name": "id", "type": "int64", "sort_order": "ascending"},
          {"name": "kind", "type": "string"}, {"name": "score", "type": "double"}]
ROWS = [{"id": 1, "kind": "a", "score": 0.5}, {"id": 2, "kind": "b", "score": None},
        {"id": 3, "kind": "a", "score": 2.0}]

MAKE = f"""
from yt_pipeline import BaseStage

class Make(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.create_path({EVENTS!r}, "table", schema={SCHEMA!r})
        yt.write_table({EVENTS!r}, ROWS)
        return debug

ROWS = {ROWS!r}
"""
# no PRAGMA yt.InferSchema: YQL reads the table by its declared schema, as a cluster's does
COUNT = f"""
from yt_pipeline import BaseStage

class Count(BaseStage):
    def run(self, debug):
        self.deps.yt_client.run_yql(
            "INSERT INTO `{BY_KIND}` WITH TRUNCATE SELECT kind, COUNT(*) AS n "
            "FROM `{EVENTS}` GROUP BY kind ORDER BY kind")
        return debug
"""


def _pipeline(make_pipeline, stages: dict[str, str], retry: str = ""):
    files = {f"stages/{name}/stage.py": text for name, text in stages.items()}
    files.update({f"stages/{name}/config.yaml": retry or "{}\n" for name in stages})
    return make_pipeline(files, config={"pipeline": {"mode": "dev"},
                                        "stages": {"enabled_stages": list(stages)}})


def test_a_declared_schema_gives_the_same_table_and_schema_in_both_modes(
        make_pipeline, tmp_path, fake_yt, run_cli, monkeypatch):
    source = _pipeline(make_pipeline, {"make": MAKE, "count": COUNT})
    dev_dir, prod_dir = run_both(source, tmp_path, fake_yt, run_cli, monkeypatch)
    assert compare_tables(dev_dir, fake_yt) == 2
    assert fake_yt.rows(EVENTS) == ROWS
    assert fake_yt.rows(BY_KIND) == [{"kind": "a", "n": 2}, {"kind": "b", "n": 1}]
    for args in ((), ("--format", "table")):
        assert schema_lines(run_cli, dev_dir, EVENTS, *args) == \
            schema_lines(run_cli, prod_dir, EVENTS, *args), args
    assert [json.loads(line) for line in schema_lines(run_cli, prod_dir, EVENTS)] == [
        {"column": "id", "type": "int64", "sort_order": "ascending", "schema": "declared"},
        {"column": "kind", "type": "string", "schema": "declared"},
        {"column": "score", "type": "double", "schema": "declared"}]
    assert schema_lines(run_cli, dev_dir, EVENTS, "--format", "table")[0] == \
        f"{EVENTS}: declared schema (strict)"


OFF_SCHEMA = MAKE.replace("ROWS = ", "ROWS = [{'id': 9, 'extra': 1}] or ")


def test_a_row_off_the_declared_schema_fails_the_stage_alike_and_is_not_retried(
        make_pipeline, tmp_path, fake_yt, run_cli, monkeypatch):
    """The write fails with the cluster's words in both modes, and, as in prod (a schema
    violation is permanent: yt_pipeline_prod.failures), dev does not try the stage again:
    the same rows would be refused again."""
    tries = tmp_path / "tries"
    counted = OFF_SCHEMA.replace(
        "        yt = self.deps.yt_client\n",
        f"        yt = self.deps.yt_client\n"
        f"        open({str(tries)!r} + '-' + yt.mode, 'a').write('x')\n")
    source = _pipeline(make_pipeline, {"make": counted},
                       retry="retry: {max_attempts: 3, backoff_s: 0}\n")
    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    dev_dir = copy_pipeline(source, tmp_path / "dev")
    prod_dir = copy_pipeline(source, tmp_path / "prod")
    (prod_dir / "configs" / "secrets.env").write_text(
        f"YT_PROXY={fake_yt.url}\nYT_TOKEN={TEST_TOKEN}\n")
    config_file = prod_dir / "configs" / "config.yaml"
    config = yaml.safe_load(config_file.read_text())
    config["pipeline"].update({"mode": "prod", "prod": TEST_PROD_OPTIONS})
    config_file.write_text(dump_yaml(config))
    outcomes = {folder: run_cli("run", folder) for folder in (dev_dir, prod_dir)}
    for folder, mode in ((dev_dir, "dev"), (prod_dir, "prod")):
        result = outcomes[folder]
        assert result.exit_code == 1, result.output
        assert 'Unknown column "extra" in strict schema' in result.stderr, result.stderr
        assert (tmp_path / f"tries-{mode}").read_text() == "x"
    assert EVENTS not in fake_yt.state.cypress.paths(None)  # the stage's transaction aborted
    assert not DevClient(dev_dir / ".dev").exists(EVENTS)


@pytest.fixture
def both(tmp_path, prod_client):
    return [DevClient(tmp_path / ".dev"), prod_client]


def test_writes_off_a_declared_schema_fail_with_the_same_words(both, fake_yt):
    refusals = {}
    for client in both:
        client.create_path(EVENTS, "table", schema=SCHEMA)
        client.create_path(EVENTS, "table", schema=SCHEMA)  # the same schema: fine
        client.write_table(EVENTS, ROWS[:2])
        words = []
        for rows in ([{"id": 5, "kind": "a"}, {"id": 6, "kind": 7}],
                     [{"id": 5, "colour": "red"}]):
            with pytest.raises(RefusedByCluster) as refused:
                client.write_table(EVENTS, rows, append=True)
            words.append(str(refused.value))
        with pytest.raises(BackendError) as unsorted:
            client.write_table(EVENTS, [{"id": 2}, {"id": 1}])
        words.append(str(unsorted.value))
        with pytest.raises(InvalidSchema) as other:
            client.create_path(EVENTS, "table", schema=SCHEMA[:1])
        words.append(str(other.value))
        assert list(client.read_table(EVENTS)) == ROWS[:2]
        refusals[client.mode] = words
    assert 'Invalid type of column "kind": expected type "string" or "null" but got "int64"' \
        in refusals["dev"][0] and refusals["dev"][0].split(": row 2: ")[1].startswith(
            refusals["prod"][0].split("error: ")[1])
    assert refusals["prod"][1].endswith('Unknown column "colour" in strict schema')
    assert 'row 1: Unknown column "colour" in strict schema' in refusals["dev"][1]
    assert refusals["dev"][2].endswith("Sort order violation: [2] > [1]")
    assert refusals["prod"][2].endswith("Sort order violation: [2] > [1]")
    assert refusals["dev"][3] == refusals["prod"][3] == (
        f"create_path {EVENTS}: the table exists with the schema id int64 ascending, kind "
        "string, score double, not the one declared (id int64 ascending); remove it first to "
        "make it with this schema")


def test_a_declared_schema_is_made_in_the_stage_transaction(tmp_path, prod_client, fake_yt):
    """Made by a stage's client, the table is the transaction's until it commits, in prod as
    in dev."""
    dev = DevClient(tmp_path / ".dev")
    for client in (dev, prod_client):
        txn = client.begin_transaction("make")
        txn.client.create_path(EVENTS, "table", schema=SCHEMA)
        assert txn.client.exists(EVENTS)
        assert not client.exists(EVENTS)
        record = tmp_path / f"record-{client.mode}.json"
        record.write_text(json.dumps(txn.prepare(record)))
        txn.commit()
        assert client.declared_schema(EVENTS)["columns"][0] == {
            "name": "id", "type": "int64", "required": False, "sort_order": "ascending"}


def test_a_lost_key_is_named_when_the_schema_is_declared_again(both, fake_yt):
    """A YQL INSERT WITH TRUNCATE gives the table the query's schema, without the declared
    key, in dev as on the fake: declared again, the refusal shows the key columns by their
    sort order, the one difference there is."""
    declared = [{"name": "kind", "type": "string", "sort_order": "ascending"},
                {"name": "n", "type": "uint64"}]
    for client in both:
        client.create_path(BY_KIND, "table", schema=declared)
        client.write_table(EVENTS, ROWS)
        # no ORDER BY: one by kind would sort the table by it again, as on a cluster
        # (test_prod_yql_sorted_inserts)
        client.run_yql(f"INSERT INTO `{BY_KIND}` WITH TRUNCATE SELECT kind, COUNT(*) AS n "
                       f"FROM `{EVENTS}` GROUP BY kind")
        with pytest.raises(InvalidSchema) as refused:
            client.create_path(BY_KIND, "table", schema=declared)
        assert str(refused.value) == (
            f"create_path {BY_KIND}: the table exists with the schema kind string, n uint64, "
            "not the one declared (kind string ascending, n uint64); remove it first to make "
            "it with this schema"), client.mode


@pytest.mark.parametrize("column_type, last", [
    ("date", 49672), ("datetime", 49673 * 86400 - 1), ("timestamp", 49673 * 86400 * 10**6 - 1)])
def test_a_time_column_takes_values_before_2106_only(both, fake_yt, column_type, last):
    """A date, datetime or timestamp column holds days, seconds or microseconds before
    2106-01-01: a cluster's writer refuses a later one (ValidateIntegerRange with
    DateUpperBound in yt/yt/client/table_client/validate_logical_type-inl.h)."""
    for client in both:
        client.create_path(EVENTS, "table", schema=[{"name": "t", "type": column_type}])
        client.write_table(EVENTS, [{"t": 0}, {"t": last}])
        assert list(client.read_table(EVENTS)) == [{"t": 0}, {"t": last}]
        with pytest.raises(RefusedByCluster) as refused:
            client.write_table(EVENTS, [{"t": last + 1}], append=True)
        assert f'Value {last + 1} is out of allowed range [0, {last}] in column "t" of type ' \
            f'"{column_type}"' in str(refused.value), client.mode
        assert list(client.read_table(EVENTS)) == [{"t": 0}, {"t": last}]


def test_a_required_column_refuses_null_with_the_same_words(both, fake_yt):
    """`required: true` in a declared schema: a null in that column fails the write, in dev
    as on a cluster ('Required column %v cannot have %Qlv value': ValidateValueType in
    yt/yt/client/table_client/unversioned_row.cpp), and `declared_schema` shows it."""
    schema = [{"name": "id", "type": "int64", "sort_order": "ascending", "required": True},
              {"name": "kind", "type": "string"}]
    words = {}
    for client in both:
        client.create_path(EVENTS, "table", schema=schema)
        client.write_table(EVENTS, [{"id": 1, "kind": None}])
        with pytest.raises(RefusedByCluster) as refused:
            client.write_table(EVENTS, [{"id": 2, "kind": "a"}, {"id": None, "kind": "b"}],
                               append=True)
        words[client.mode] = str(refused.value)
        assert list(client.read_table(EVENTS)) == [{"id": 1, "kind": None}]
        assert [(c["name"], c["required"]) for c in client.declared_schema(EVENTS)["columns"]] \
            == [("id", True), ("kind", False)]
    assert words["prod"].endswith('Required column "id" cannot have "null" value'), words
    assert 'row 2: Required column "id" cannot have "null" value' in words["dev"], words


def test_a_row_without_a_required_column_is_refused_as_its_null(both, fake_yt):
    """A cluster's table writer fills each column of the schema a row leaves out with null
    and then checks every column's value, a required one's null refused with the words of a
    null written (ReorderAndValidateRows in yt/yt/ytlib/table_client/schemaless_chunk_writer.cpp
    calls ValidateValueType of yt/yt/client/table_client/unversioned_row.cpp for each schema
    column). The table keeps the rows it had."""
    schema = [{"name": "id", "type": "int64", "sort_order": "ascending"},
              {"name": "kind", "type": "string", "required": True},
              {"name": "score", "type": "double"}]
    words = {}
    for client in both:
        client.create_path(EVENTS, "table", schema=schema)
        client.write_table(EVENTS, [{"id": 1, "kind": "a", "score": None}])
        with pytest.raises(RefusedByCluster) as refused:
            client.write_table(EVENTS, [{"id": 2, "kind": "b"}, {"id": 3, "score": 0.5}],
                               append=True)
        words[client.mode] = str(refused.value)
        with pytest.raises(RefusedByCluster):  # an overwrite too: the table stays
            client.write_table(EVENTS, [{"id": 4}])
        assert list(client.read_table(EVENTS)) == [{"id": 1, "kind": "a", "score": None}], \
            client.mode
    assert words["prod"].endswith('Required column "kind" cannot have "null" value'), words
    assert 'row 2: Required column "kind" cannot have "null" value' in words["dev"], words


def test_a_ytsaurus_client_table_schema_makes_the_same_table_in_both_modes(both, fake_yt):
    """A schema built with yt.wrapper.schema.TableSchema is read by its own to_yson_type()
    (yt/wrapper/schema/table_schema.py, ytsaurus-client): ti.Int64 bare is a required
    column, ti.Optional[...] an optional one (GetTypeV3Info in yt/yt/client/table_client/
    logical_type.cpp). Both modes make the same table of it and refuse the same rows."""
    import yt.type_info as ti
    from yt.wrapper.schema import TableSchema

    def built():
        return TableSchema().add_column("id", ti.Int64, sort_order="ascending") \
            .add_column("kind", ti.Optional[ti.String]).add_column("score", ti.Double)

    shown, words = {}, {}
    for client in both:
        client.create_path(EVENTS, "table", schema=built())
        client.create_path(EVENTS, "table", schema=built())  # the same schema again: fine
        client.write_table(EVENTS, [{"id": 1, "kind": None, "score": 0.5}])
        with pytest.raises(RefusedByCluster) as refused:
            client.write_table(EVENTS, [{"id": 2, "kind": "b"}], append=True)
        words[client.mode] = str(refused.value)
        assert list(client.read_table(EVENTS)) == [{"id": 1, "kind": None, "score": 0.5}]
        shown[client.mode] = client.declared_schema(EVENTS)["columns"]
        with pytest.raises(InvalidSchema) as other:
            client.create_path(EVENTS, "table", schema=TableSchema().add_column("id", ti.Int64))
        assert str(other.value).startswith(f"create_path {EVENTS}: the table exists with the "
                                           "schema id int64 ascending, kind string, score "
                                           "double, not the one declared (id int64)"), \
            client.mode
    assert shown["dev"] == shown["prod"] == [
        {"name": "id", "type": "int64", "required": True, "sort_order": "ascending"},
        {"name": "kind", "type": "string", "required": False},
        {"name": "score", "type": "double", "required": True}]
    assert [(c["name"], c.get("required", False)) for c in fake_yt.state.cypress.lookup(EVENTS, None).attributes[
        "schema"]] == [("id", True), ("kind", False), ("score", True)]
    assert words["prod"].endswith('Required column "score" cannot have "null" value'), words
    assert 'row 1: Required column "score" cannot have "null" value' in words["dev"], words


def test_float_and_interval_columns_are_declared_written_and_read_alike(both, fake_yt):
    """`float` and `interval` are simple types a cluster takes in a schema
    (ESimpleLogicalValueType in yt/yt/client/table_client/row_base.h). A float column keeps
    doubles, a finite one within a 32-bit float's range, infinities too; an interval column
    signed microseconds of less than 49673 days (ValidateSimpleLogicalType in
    yt/yt/client/table_client/validate_logical_type-inl.h); YQL reads them as Float and
    Interval."""
    schema = [{"name": "id", "type": "int64", "sort_order": "ascending"},
              {"name": "f", "type": "float"}, {"name": "gap", "type": "interval"}]
    rows = [{"id": 1, "f": 0.5, "gap": -90_000_000}, {"id": 2, "f": None, "gap": 0},
            {"id": 3, "f": 3e38, "gap": None}]
    words = {}
    for client in both:
        client.create_path(EVENTS, "table", schema=schema)
        client.write_table(EVENTS, rows)
        assert list(client.read_table(EVENTS)) == rows, client.mode
        assert [(c["name"], c["type"]) for c in client.declared_schema(EVENTS)["columns"]] \
            == [("id", "int64"), ("f", "float"), ("gap", "interval")], client.mode
        with pytest.raises(RefusedByCluster) as refused:
            client.write_table(EVENTS, [{"id": 4, "f": 1e39, "gap": 0}], append=True)
        words[client.mode] = str(refused.value)
        client.run_yql(f"INSERT INTO `{BY_KIND}` WITH TRUNCATE SELECT id, f * 2 AS twice, "
                       f"gap + Interval('PT1S') AS later FROM `{EVENTS}` WHERE id < 3")
        assert list(client.read_table(BY_KIND)) == [
            {"id": 1, "twice": 1.0, "later": -89_000_000},
            {"id": 2, "twice": None, "later": 1_000_000}], client.mode
        assert [(c["name"], c["type"]) for c in client.declared_schema(BY_KIND)["columns"]] \
            == [("id", "int64"), ("twice", "float"), ("later", "interval")], client.mode
    out_of_range = ("Value 1e+39 is out of allowed range [-3.4028234663852886e+38, "
                    '3.4028234663852886e+38] in column "f" of type "float"')
    assert words["prod"].endswith(out_of_range), words
    assert f"row 1: {out_of_range}" in words["dev"], words


def test_a_utf8_column_is_declared_written_and_read_alike(both, fake_yt):
    """`utf8` is a simple type a cluster takes in a schema (ESimpleLogicalValueType in
    yt/yt/client/table_client/row_base.h): its values are text of valid UTF-8
    (ValidateSimpleLogicalType<Utf8> in yt/yt/client/table_client/validate_logical_type-inl.h)
    and YQL reads the column as Utf8 (the utf8 case of schema.cpp in
    yt/yql/providers/yt/lib/schema): a String appended to it is refused in YQL's type diff, a
    Utf8 goes in."""
    schema = [{"name": "word", "type": "utf8", "required": True}, {"name": "raw", "type": "string"}]
    rows = [{"word": "été", "raw": "x"}, {"word": "b", "raw": None}]
    for client in both:
        client.create_path(EVENTS, "table", schema=schema)
        client.write_table(EVENTS, rows)
        assert list(client.read_table(EVENTS)) == rows, client.mode
        assert client.declared_schema(EVENTS)["columns"] == [
            {"name": "word", "type": "utf8", "required": True},
            {"name": "raw", "type": "string", "required": False}], client.mode
        with pytest.raises(RefusedByCluster) as refused:
            client.write_table(EVENTS, [{"word": 5, "raw": "y"}], append=True)
        assert 'Invalid type of column "word": expected type "utf8" or "null" but got ' \
               '"int64"' in str(refused.value), client.mode
        with pytest.raises(QueryFailed) as differs:
            client.run_yql(f"INSERT INTO `{EVENTS}` SELECT raw AS word, raw FROM `{EVENTS}`")
        assert ('row type differs from the written row type: Struct<word:Utf8!=Optional<'
                'String>>') in str(differs.value), client.mode
        client.run_yql(f"INSERT INTO `{EVENTS}` SELECT word, raw FROM `{EVENTS}` "
                       "WHERE raw IS NULL")
        assert list(client.read_table(EVENTS)) == [*rows, {"word": "b", "raw": None}], \
            client.mode
    assert [(c["name"], c["type"]) for c in fake_yt.state.cypress.lookup(EVENTS, None)
            .attributes["schema"]] == [("word", "utf8"), ("raw", "string")]


@pytest.mark.parametrize("kind", ["json", "uuid", "date32", "datetime64",
                                  "timestamp64", "interval64", "null", "void"])
def test_a_type_a_cluster_takes_but_dev_cannot_keep_is_refused_alike(both, fake_yt, kind):
    """The other simple types a cluster takes in a schema (row_base.h): dev cannot keep or
    read their values as a cluster does, so both modes refuse them, naming the column and
    the type (docs/dev-vs-prod.md)."""
    for client in both:
        with pytest.raises(InvalidSchema) as refused:
            client.create_path(EVENTS, "table", schema=[{"name": "v", "type": kind}])
        assert str(refused.value).startswith(
            f"create_path {EVENTS}: schema column 'v': type '{kind}' is one a cluster takes, "
            "but not here: "), client.mode
        assert not client.exists(EVENTS)


def test_a_required_null_column_is_refused_with_the_cluster_words(both, fake_yt):
    # MakeLogicalType in yt/yt/client/table_client/logical_type.cpp; test_null_type in
    # yt/yt/tests/integration (schema tests): "Null type cannot be required"
    for client in both:
        with pytest.raises(InvalidSchema) as refused:
            client.create_path(EVENTS, "table",
                               schema=[{"name": "v", "type": "null", "required": True}])
        assert str(refused.value) == (
            f"create_path {EVENTS}: schema column 'v': a column of type null cannot be "
            'required (its values are all null) (as a cluster refuses it: "Null type cannot be '
            'required")'), client.mode
