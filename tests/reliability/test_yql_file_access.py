"""Dev YQL reads the .dev tables a query names as YT paths, and no other file: each of
DuckDB's readers is tried on a secret file beside the tables, on /etc/passwd, on a glob and
on a URL, in a SELECT, in an INSERT ... SELECT, and spliced in from a stage's config."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("duckdb")

from yt_pipeline.errors import QueryFailed  # noqa: E402
from yt_pipeline.testing import invoke_cli, write_pipeline  # noqa: E402
from yt_pipeline_dev.client import DevClient  # noqa: E402
from yt_pipeline_dev.yql_duckdb import Executor  # noqa: E402
from yt_pipeline_dev.yql_sandbox import restricted_connection  # noqa: E402

SECRET = "yql-secret-TOKEN-55aa"

#: every DuckDB function that opens a file or URL by name, as {path} is filled in
READERS = [
    "SELECT * FROM read_text({path})",
    "SELECT * FROM read_blob({path})",
    "SELECT * FROM read_csv({path})",
    "SELECT * FROM read_csv_auto({path})",
    "SELECT * FROM read_csv([{path}])",
    "SELECT * FROM read_json({path})",
    "SELECT * FROM read_json_auto({path})",
    "SELECT * FROM read_ndjson({path})",
    "SELECT * FROM read_json_objects({path})",
    "SELECT * FROM read_parquet({path})",
    "SELECT * FROM parquet_metadata({path})",
    "SELECT * FROM parquet_schema({path})",
    "SELECT * FROM sniff_csv({path})",
    "SELECT * FROM glob({path})",
    "SELECT * FROM {path}",
    "SELECT * FROM query('SELECT * FROM read_text(' || {path} || ')')",
    "SELECT (SELECT content FROM read_text({path})) AS leaked",
    "WITH t AS (SELECT * FROM read_text({path})) SELECT * FROM t",
]


@pytest.fixture
def setup(tmp_path):
    root = tmp_path / "p"
    (root / "configs").mkdir(parents=True)
    secret_file = root / "configs" / "secrets.env"
    secret_file.write_text(f"YT_TOKEN={SECRET}\n")
    client = DevClient(root / ".dev")
    client.write_table("//tmp/t", [{"id": 1}, {"id": 2}])
    return client, secret_file


def targets(secret_file: Path) -> list[str]:
    relative = "configs/secrets.env"  # from the pipeline folder, the worker's usual cwd
    return [str(secret_file), relative, "/etc/passwd", str(secret_file.parent) + "/*",
            "file://" + str(secret_file), "http://127.0.0.1:9/x.csv",
            "s3://bucket/x.csv", str(secret_file.parent.parent / ".dev" / "tmp" / "*.jsonl")]


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@pytest.mark.parametrize("reader", READERS)
def test_no_duckdb_reader_opens_a_file(setup, reader, monkeypatch):
    client, secret_file = setup
    monkeypatch.chdir(secret_file.parent.parent)
    executor = Executor(client)
    for target in targets(secret_file):
        query = reader.format(path=literal(target))
        with pytest.raises(QueryFailed):
            rows = executor.run(query)
            pytest.fail(f"{query} gave {rows!r}")


@pytest.mark.parametrize("reader", READERS[:4])
def test_an_insert_does_not_copy_a_file_into_a_table(setup, reader, monkeypatch):
    client, secret_file = setup
    monkeypatch.chdir(secret_file.parent.parent)
    query = ("INSERT INTO `//tmp/stolen` WITH TRUNCATE "
             + reader.format(path=literal(str(secret_file))))
    with pytest.raises(QueryFailed, match="disabled by configuration|Permission"):
        client.run_yql(query)
    assert not client.table_path("//tmp/stolen").exists()


@pytest.mark.parametrize("statement", [
    "ATTACH '{file}' AS x", "COPY (SELECT 1) TO '{dir}/out.csv'", "INSTALL httpfs",
    "LOAD httpfs", "LOAD '{dir}/x.duckdb_extension'", "SET enable_external_access = true",
    "RESET enable_external_access", "SET allowed_paths = ['{file}']",
    "SET allowed_directories = ['/']", "PRAGMA enable_external_access = true",
    "IMPORT DATABASE '{dir}'", "EXPORT DATABASE '{dir}/export'",
    "CREATE SECRET s (TYPE s3)", "SET temp_directory = '{dir}'",
])
def test_statements_that_reach_files_are_refused(setup, statement):
    client, secret_file = setup
    sql = statement.format(file=secret_file, dir=secret_file.parent)
    # the translator refuses them by their first word (a PRAGMA it ignores, as YQL's
    # pragmas mean nothing to DuckDB) ...
    if sql.startswith("PRAGMA"):
        assert client.run_yql(sql) == []
    else:
        with pytest.raises(QueryFailed):
            client.run_yql(sql)
    # ... and the connection would refuse them too, were the translator ever to let one by
    import duckdb

    connection = restricted_connection(duckdb, [str(client.table_path("//tmp/t"))])
    try:
        with pytest.raises(duckdb.Error):
            connection.execute(sql)
        row = connection.execute(
            "SELECT value FROM duckdb_settings() WHERE name = 'enable_external_access'").fetchone()
        assert row == ("false",)
    finally:
        connection.close()
    assert not (secret_file.parent / "out.csv").exists()


def test_tables_named_as_yt_paths_still_read_and_write(setup):
    client, _ = setup
    client.run_yql("INSERT INTO `//tmp/u` WITH TRUNCATE SELECT id * 10 AS id FROM `//tmp/t`")
    client.run_yql("INSERT INTO `//tmp/u` SELECT id FROM `//tmp/t`")
    rows = client.run_yql("SELECT a.id AS id FROM `//tmp/u` AS a JOIN `//tmp/t` AS b "
                          "ON a.id = b.id ORDER BY id")
    assert [r["id"] for r in rows] == [1, 2]


STAGE = """
from yt_pipeline import BaseStage


class Spliced(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        column = self.config.client.column
        yt.run_yql(f"INSERT INTO `//tmp/out` WITH TRUNCATE SELECT {column} FROM `//tmp/in`")
        return debug
"""


def test_a_config_value_spliced_into_a_query_reads_no_file(tmp_path):
    column = "(SELECT content FROM read_text('configs/secrets.env')) AS leaked"
    root = write_pipeline(tmp_path / "p", {
        "configs/secrets.env": f"YT_TOKEN={SECRET}\n",
        "stages/spliced/stage.py": STAGE,
        "stages/spliced/config.yaml": f"client:\n  column: \"{column}\"\n",
        ".dev/tmp/in.jsonl": '{"id": 1}\n',  # there before the run: the query reads it
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["spliced"]}})
    result = invoke_cli("run", str(root))
    assert result.exit_code == 1, result.output
    assert "disabled by configuration" in result.output
    assert not (root / ".dev" / "tmp" / "out.jsonl").exists()
    assert SECRET not in result.output
