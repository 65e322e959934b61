"""`yt-pipeline table ls|head|count|schema`, in dev and in prod on the fake proxy: the same
commands give the same answers for the same table."""

from __future__ import annotations

import json

import pytest

from yt_pipeline.testing import write_pipeline
from yt_pipeline_prod.testing import TEST_TOKEN, fake_yt  # noqa: F401 - a fixture

ROWS = [{"id": i, "name": f"n{i}", "tags": [i]} for i in range(5)] + [{"id": 9, "extra": None}]


@pytest.fixture(params=["dev", "prod"])
def folder(request, tmp_path):
    """A pipeline folder whose mode holds //t/demo/users with ROWS."""
    config = {"stages": {"enabled_stages": []}, "pipeline": {"mode": request.param}}
    files = {}
    if request.param == "prod":
        fake = request.getfixturevalue("fake_yt")
        fake.put_table("//t/demo/users", ROWS)
        files["configs/secrets.env"] = f"YT_PROXY={fake.url}\nYT_TOKEN={TEST_TOKEN}\n"
        config["pipeline"]["prod"] = {"retries": False, "poll_interval_s": 0.05}
    else:
        files[".dev/t/demo/users.jsonl"] = "".join(json.dumps(r) + "\n" for r in ROWS)
    files["configs/config.yaml"] = json.dumps(config)
    return write_pipeline(tmp_path / "p", files)


def test_ls_count_head_schema(folder, run_cli):
    def table(*args):
        result = run_cli("table", *args, "-C", str(folder))
        assert result.exit_code == 0, result.output
        return result.stdout

    assert table("ls", "//t/demo").split() == ["users"]
    assert table("count", "//t/demo/users").strip() == "6"
    head = [json.loads(line) for line in table("head", "//t/demo/users", "-n", "2").splitlines()]
    assert head == ROWS[:2]
    schema = [json.loads(line) for line in table("schema", "//t/demo/users").splitlines()]
    assert schema == [{"column": "id", "types": "int64", "schema": "inferred"},
                      {"column": "name", "types": "string | null", "schema": "inferred"},
                      {"column": "tags", "types": "any | null", "schema": "inferred"},
                      {"column": "extra", "types": "null", "schema": "inferred"}]
    view = table("head", "//t/demo/users", "-n", "3", "--format", "table")
    assert "┃ id ┃ name ┃ tags ┃" in view and "│ 2  │ n2   │ [2]  │" in view
    # the title is a line of its own, whole, however narrow the table
    assert view.splitlines()[0] == "//t/demo/users (first 3)"
    # asked for more rows than the table has: it is shown whole, and said to be
    whole = table("head", "//t/demo/users", "--format", "table")
    assert whole.splitlines()[0] == "//t/demo/users (all 6 rows)"
    assert "│ 9  │      │      │ null  │" in whole  # the last row


@pytest.mark.parametrize("command", ["count", "head", "schema"])
def test_a_missing_table_is_one_line_naming_it(folder, run_cli, command):
    result = run_cli("table", command, "//t/demo/nope", "-C", str(folder))
    assert result.exit_code == 2  # a wrong path on the command line
    assert result.stderr.strip().splitlines()[-1] == "error: there is no table //t/demo/nope"


@pytest.mark.parametrize("command", ["count", "head", "schema"])
def test_a_folder_given_for_a_table_is_named_as_a_folder(folder, run_cli, command):
    result = run_cli("table", command, "//t/demo", "-C", str(folder))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: //t/demo is a folder, not a table (yt-pipeline table ls //t/demo lists it)")


def test_ls_of_a_table_or_of_nothing(folder, run_cli):
    table = run_cli("table", "ls", "//t/demo/users", "-C", str(folder))
    assert (table.exit_code, table.stderr.strip().splitlines()[-1]) == (2, (
        "error: //t/demo/users is a table, not a folder (yt-pipeline table head "
        "//t/demo/users shows its rows)"))
    nothing = run_cli("table", "ls", "//t/nope", "-C", str(folder))
    assert (nothing.exit_code, nothing.stderr.strip()) == (2, "error: there is no folder //t/nope")


def test_the_readme_shows_what_the_command_prints(tmp_path, run_cli, monkeypatch):
    """The README's tour: `init`, `run`, then `table head` of the new pipeline's output."""
    from pathlib import Path

    monkeypatch.chdir(tmp_path)
    assert run_cli("init", "my_pipeline").exit_code == 0
    assert run_cli("run", "my_pipeline").exit_code == 0
    shown = run_cli("table", "head", "//tmp/my_pipeline/output", "-n", "3", "-C", "my_pipeline")
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    block = "$ yt-pipeline table head //tmp/my_pipeline/output -n 3 -C my_pipeline\n"
    assert block + shown.stdout in readme


def test_schema_names_uint64_for_integers_past_int64(tmp_path, run_cli):
    """An integer past int64 is a uint64 to YT (the client sends it so, and YQL infers the
    column so; yt_pipeline.column_types.value_type), so `schema` must not call it int64."""
    rows = [{"id": 18000000000000000000, "n": 1}, {"id": 5, "n": 2}, {"id": 2 ** 64 - 1, "n": 3}]
    folder = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": json.dumps({"stages": {"enabled_stages": []}}),
        ".dev/t/big.jsonl": "".join(json.dumps(r) + "\n" for r in rows),
    })
    result = run_cli("table", "schema", "//t/big", "-C", str(folder))
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"column": "id", "types": "uint64 | int64", "schema": "inferred"},
        {"column": "n", "types": "int64", "schema": "inferred"}]
