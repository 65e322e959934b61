"""The table paths of an operation are checked the same way whatever hands them over: the
stage's config section, a dict, an OperationSpec made or changed in the stage's code, or
the section's `spec:`; and dev and prod (the fake proxy, through the real client) refuse
the same ones with the same line, before any table is touched.

A cluster would take `<append=%true>//t` as the output's own append attribute, which
the spec's TablePath(path, append=...) overrides (yt.wrapper.ypath.TablePath sets the
`append` attribute when given one), so rows would be lost or doubled; dev would write a
table named after the whole string.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from both_modes import dev_tables, prod_tables

from yt_pipeline.yamlio import dump_yaml
from yt_pipeline_prod.testing import TEST_PROD_OPTIONS, TEST_TOKEN

USERS = [{"id": i, "name": f"u{i}"} for i in range(4)]
OLD = [{"id": 99, "old": True}]

LOAD = f"""
from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//tmp/sp/users", {USERS!r})
        self.deps.yt_client.write_table("//tmp/sp/out", {OLD!r})
        return debug
"""

COPY = """
from ytjobs import read_rows, write_rows
write_rows(read_rows())
"""

SECTION = {"input_table": "//tmp/sp/users", "output_table": "//tmp/sp/out",
           "mapper": "src/mapper.py"}

# each stage body launches the map section in one of the ways a stage can
LAUNCHES = {
    "a dict": """
        run_map(self, {**self.config.client.operations.map.to_dict(),
                       "output_table": "<append=%true>//tmp/sp/out"})
    """,
    "an OperationSpec changed in code": """
        spec = build_spec(self, "map", self.config.client.operations.map)
        spec.output_tables = ["<append=%true>//tmp/sp/out"]
        launch_operation(self.context.plugin_manager, self.context.mode,
                         self.deps.yt_client, spec)
    """,
    "an OperationSpec made in code": """
        spec = OperationSpec(kind="map", stage_name=self.name, name="map",
                             stage_dir=self.stage_dir, pipeline_dir=self.context.pipeline_dir,
                             input_tables=["//tmp/sp/users"],
                             output_tables=["<append=%true>//tmp/sp/out"],
                             mapper="src/mapper.py", code_package=self.context.code_package)
        launch_operation(self.context.plugin_manager, self.context.mode,
                         self.deps.yt_client, spec)
    """,
}

STAGE = """
import dataclasses

from yt_pipeline import BaseStage
from yt_pipeline.modes import launch_operation
from yt_pipeline.operations import OperationSpec, build_spec, run_map, run_sort


class Copy(BaseStage):
    def run(self, debug):
{body}
        return debug
"""


def pipeline(root: Path, section: dict, body: str = "run_map(self, "
             "self.config.client.operations.map)") -> Path:
    (root / "configs").mkdir(parents=True)
    (root / "configs" / "config.yaml").write_text(dump_yaml(
        {"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["load", "copy"]}}))
    (root / "stages" / "load").mkdir(parents=True)
    (root / "stages" / "load" / "stage.py").write_text(LOAD)
    (root / "stages" / "load" / "config.yaml").write_text("{}\n")
    copy = root / "stages" / "copy"
    (copy / "src").mkdir(parents=True)
    (copy / "src" / "mapper.py").write_text(COPY)
    (copy / "stage.py").write_text(STAGE.format(
        body=textwrap.indent(textwrap.dedent(body).strip(), " " * 8)))
    (copy / "config.yaml").write_text(dump_yaml({"client": {"operations": section}}))
    return root


def run(mode: str, folder: Path, fake_yt, run_cli, monkeypatch):
    """The run's result and the tables it left, in `mode`."""
    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    if mode == "dev":
        result = run_cli("run", folder, "--set", "pipeline.mode=dev")
        return result, dev_tables(folder)
    (folder / "configs" / "secrets.env").write_text(f"YT_PROXY={fake_yt.url}\n"
                                                    f"YT_TOKEN={TEST_TOKEN}\n")
    config_file = folder / "configs" / "config.yaml"
    data = yaml.safe_load(config_file.read_text())
    data["pipeline"].update({"mode": "prod", "prod": TEST_PROD_OPTIONS})
    config_file.write_text(dump_yaml(data))
    result = run_cli("run", folder)
    return result, prod_tables(fake_yt)


def error_line(result) -> str:
    """The one line the run ends with on stderr."""
    lines = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize("mode", ["dev", "prod"])
@pytest.mark.parametrize("way", sorted(LAUNCHES))
def test_an_attribute_in_a_launched_output_path_is_refused_and_the_table_kept(
        tmp_path, fake_yt, run_cli, monkeypatch, mode, way):
    folder = pipeline(tmp_path / mode, {"map": dict(SECTION)}, LAUNCHES[way])
    result, tables = run(mode, folder, fake_yt, run_cli, monkeypatch)
    assert result.exit_code == 1, result.output  # the stage fails
    # the reason config load gives for the same path, in one line
    assert error_line(result).endswith(
        "stage copy: the map section its code made: output_table: table path attributes are "
        "not supported ('<append=%true>//tmp/sp/out'): use the operation's append: key"
        if way == "a dict" else
        "stage copy: operation map: output_tables: table path attributes are not supported "
        "('<append=%true>//tmp/sp/out'): use the operation's append: key")
    assert tables["//tmp/sp/out"] == OLD
    assert "//tmp/sp/<append=%true>" not in " ".join(tables)


@pytest.mark.parametrize("mode", ["dev", "prod"])
def test_table_paths_under_spec_are_refused_at_config_load(tmp_path, fake_yt, run_cli,
                                                           monkeypatch, mode):
    # prod would replace the section's output with this one, attributes and all; dev
    # would not see it
    section = {**SECTION, "spec": {"output_table_paths": ["<append=%true>//tmp/sp/out"]}}
    folder = pipeline(tmp_path / mode, {"map": section})
    result, tables = run(mode, folder, fake_yt, run_cli, monkeypatch)
    assert result.exit_code == 2, result.output
    assert error_line(result).endswith(
        "stages/copy/config.yaml: client.operations.map.spec.output_table_paths: stage copy: "
        "output_table_paths changes the rows the jobs get or write, which dev does not "
        "model, so neither mode takes it: write the section's own output_tables key, which "
        "both modes run")
    assert "//tmp/sp/out" not in tables  # refused before the first stage ran


SPLIT = """
from ytjobs import read_rows, write_row
for row in read_rows():
    write_row(row, table_index=row["id"] % 2)
"""


def test_output_and_input_table_as_lists_give_the_same_rows_in_both_modes(
        tmp_path, fake_yt, run_cli, monkeypatch):
    # `output_table` and `input_table` take a path or a list of paths, as their plural
    # forms do (docs/operations.md, "Keys of an operation section")
    section = {"input_table": ["//tmp/sp/users", "//tmp/sp/out"],
               "output_table": ["//tmp/sp/even", "//tmp/sp/odd"], "mapper": "src/mapper.py"}
    found = {}
    for mode in ("dev", "prod"):
        folder = pipeline(tmp_path / mode, {"map": section})
        (folder / "stages" / "copy" / "src" / "mapper.py").write_text(SPLIT)
        result, tables = run(mode, folder, fake_yt, run_cli, monkeypatch)
        assert result.exit_code == 0, result.output
        found[mode] = {path: sorted(rows, key=lambda row: row["id"])
                       for path, rows in tables.items() if path.startswith("//tmp/sp/")}
    assert found["dev"] == found["prod"]
    assert found["dev"]["//tmp/sp/even"] == USERS[0::2]
    assert found["dev"]["//tmp/sp/odd"] == [*USERS[1::2], *OLD]


@pytest.mark.parametrize("mode", ["dev", "prod"])
def test_a_sort_into_two_tables_is_refused_at_config_load(tmp_path, fake_yt, run_cli,
                                                          monkeypatch, mode):
    # before: both modes sorted into the first table, and prod created the second empty
    section = {"input_table": "//tmp/sp/users", "sort_by": ["id"],
               "output_table": ["//tmp/sp/a", "//tmp/sp/b"]}
    folder = pipeline(tmp_path / mode, {"sort": section},
                      "run_sort(self, self.config.client.operations.sort)")
    result, tables = run(mode, folder, fake_yt, run_cli, monkeypatch)
    assert result.exit_code == 2, result.output
    assert error_line(result) == (
        "error: stages/copy/config.yaml: client.operations.sort.output_table: stage copy: a "
        "sort writes one output table, got 2 (//tmp/sp/a, //tmp/sp/b): sort each table in "
        "an operation of its own")
    assert not [path for path in tables if path.startswith("//tmp/sp/")]


@pytest.mark.parametrize("mode", ["dev", "prod"])
@pytest.mark.parametrize("fields, line", [
    ({"kind": "sort", "output_tables": ["//tmp/sp/a", "//tmp/sp/b"], "sort_by": ["id"]},
     "stage copy: operation sort: output_tables: a sort writes one output table, got 2 "
     "(//tmp/sp/a, //tmp/sp/b): sort each table in an operation of its own"),
    # build_spec gives a sort without an output its input table; a spec made in code
    # has to say it
    ({"kind": "sort", "output_tables": [], "sort_by": ["id"]},
     "stage copy: operation sort: output_tables: an output table is required"),
    ({"output_tables": []},
     "stage copy: operation map: output_tables: an output table is required"),
    # a string would be read as one table a character
    ({"input_tables": "//tmp/sp/users"},
     "stage copy: operation map: input_tables: must be a list of table paths, got str"),
    ({"input_tables": ["//tmp/sp/users[(1):(3)]"]},
     "stage copy: operation map: input_tables: only row ranges (#from:#to) are supported, "
     "got [(1):(3)] in '//tmp/sp/users[(1):(3)]': key ranges depend on the table's sort "
     "order; filter the rows in the job or in YQL"),
])
def test_a_spec_made_in_code_is_refused_alike_in_both_modes(tmp_path, fake_yt, run_cli,
                                                           monkeypatch, mode, fields, line):
    given = {"kind": "map", "input_tables": ["//tmp/sp/users"],
             "output_tables": ["//tmp/sp/out"], "mapper": "src/mapper.py", **fields}
    body = f"""
        given = {given!r}
        spec = OperationSpec(stage_name=self.name, name=given["kind"],
                             stage_dir=self.stage_dir, pipeline_dir=self.context.pipeline_dir,
                             code_package=self.context.code_package, **given)
        launch_operation(self.context.plugin_manager, self.context.mode,
                         self.deps.yt_client, spec)
    """
    folder = pipeline(tmp_path / mode, {"map": dict(SECTION)}, body)
    result, tables = run(mode, folder, fake_yt, run_cli, monkeypatch)
    assert result.exit_code == 1, result.output
    assert error_line(result) == f"error: stage copy failed: {line}"
    assert tables["//tmp/sp/out"] == OLD
    assert "//tmp/sp/a" not in tables and "//tmp/sp/b" not in tables


@pytest.mark.parametrize("mode", ["dev", "prod"])
def test_a_table_given_by_keyword_is_refused_before_anything_runs(tmp_path, fake_yt, run_cli,
                                                                 monkeypatch, mode):
    # the run_* helpers take the operation's tables from its section only; a keyword
    # would otherwise be a way around the section's checks
    body = """
        run_map(self, self.config.client.operations.map,
                output_table="<append=%true>//tmp/sp/out")
    """
    folder = pipeline(tmp_path / mode, {"map": dict(SECTION)}, body)
    result, tables = run(mode, folder, fake_yt, run_cli, monkeypatch)
    assert result.exit_code == 1, result.output
    assert error_line(result) == (
        "error: stage copy failed: run_map(output_table=...): operation keys are not keyword "
        "arguments; put output_table in the operation config passed (a section, or a dict "
        "such as {**section.to_dict(), 'output_table': ...})")
    assert tables["//tmp/sp/out"] == OLD
