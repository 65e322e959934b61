"""Defects found by converting yt-framework's own examples and the patterns its guide and
tests use (sorting a table named at run time, map-reduce and reduce by bare script names
and by the keywords `map_job`/`reduce_job`), each a small pipeline of our own in that
style, converted by `yt-pipeline migrate` and run in dev mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from yt_pipeline.testing import write_pipeline

EVENTS = [{"k": key, "v": n} for n, key in enumerate("cabbacab")]

SEED = f'''
from yt_framework.core.pipeline import DebugContext
from yt_framework.core.stage import BaseStage


class Seed(BaseStage):
    def run(self, debug: DebugContext) -> DebugContext:
        self.deps.yt_client.write_table("//trial/events", {EVENTS!r})
        self.deps.yt_client.write_table("//trial/to_sort", {EVENTS!r})
        return debug
'''

# the table to sort is given at run time, as yt-framework's sort guide shows: the section
# in config.yaml has sort_by only
SORT_LATER = '''
from omegaconf import OmegaConf
from yt_framework.core.pipeline import DebugContext
from yt_framework.core.stage import BaseStage
from yt_framework.operations.command_ops.sort import run_sort


class SortLater(BaseStage):
    def run(self, debug: DebugContext) -> DebugContext:
        section = OmegaConf.merge(self.config.client.operations.sort,
                                  {"input_table": "//trial/to_sort"})
        if not run_sort(context=self.context, operation_config=section):
            raise RuntimeError("sort failed")
        return debug
'''

# keywords of yt-framework 1.4 for the legs, scripts named as they sit in src/
SUMS = '''
from yt_framework.core.pipeline import DebugContext
from yt_framework.core.stage import BaseStage
from yt_framework.operations import run_map_reduce, run_reduce


class Sums(BaseStage):
    def run(self, debug: DebugContext) -> DebugContext:
        ops = self.config.client.operations
        run_map_reduce(context=self.context, operation_config=ops.map_reduce,
                       map_job="python3 mapper.py", reduce_job="python3 reducer.py")
        run_reduce(context=self.context, operation_config=ops.reduce,
                   job="python3 reducer.py")
        return debug
'''

TIMES_TEN = '''
import json
import sys

for line in sys.stdin:
    if line.strip():
        row = json.loads(line)
        print(json.dumps({"k": row["k"], "v": row["v"] * 10}))
'''

TOTALS = '''
import itertools
import json
import sys

rows = (json.loads(line) for line in sys.stdin if line.strip())
for key, group in itertools.groupby(rows, key=lambda row: row["k"]):
    print(json.dumps({"k": key, "total": sum(row["v"] for row in group)}))
'''


def _converted(tmp_path: Path, run_cli, stages: dict[str, str], enabled: list[str]) -> Path:
    files = {"pipeline.py": "from yt_framework.core.pipeline import DefaultPipeline\n\n"
                            "if __name__ == '__main__':\n    DefaultPipeline.main()\n",
             "stages/seed/stage.py": SEED, **stages}
    root = write_pipeline(tmp_path / "p", files, config={
        "stages": {"enabled_stages": ["seed", *enabled]}, "pipeline": {"mode": "dev"}})
    result = run_cli("migrate", str(root))
    assert result.exit_code == 0, result.output
    return root


def _table(root: Path, path: str) -> list[dict]:
    text = (root / ".dev" / f"{path.lstrip('/')}.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


def test_omegaconf_merge_of_a_stage_section_gives_a_section_with_the_keys_added():
    """yt-framework's stage code merges a section with run-time keys; the compat OmegaConf
    merges key by key (later wins, lists replaced) and keeps where the section came from."""
    from yt_pipeline.compat.omegaconf import OmegaConf
    from yt_pipeline.confignode import ConfigNode

    section = ConfigNode({"sort_by": ["k"], "resources": {"pool": "a", "cpu_limit": 1}},
                         path="client.operations.sort", file="stages/s/config.yaml")
    merged = OmegaConf.merge(section, {"input_table": "//t", "resources": {"pool": "b"}},
                             {"sort_by": ["v"]})
    assert merged.to_dict() == {"sort_by": ["v"], "resources": {"pool": "b", "cpu_limit": 1},
                                "input_table": "//t"}
    assert merged.file == "stages/s/config.yaml" and merged.input_table == "//t"
    assert section.to_dict()["resources"]["pool"] == "a"  # the stage's config is unchanged
    assert OmegaConf.create({"a": 1})["a"] == 1  # other names: the real OmegaConf's


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_sort_whose_table_the_stage_gives_at_run_time_runs(tmp_path, run_cli, dry_run):
    """The section has no input_table; the stage's code adds it. The check before the run
    leaves that key to the launch, which checks it with the table given."""
    root = _converted(tmp_path, run_cli, {
        "stages/sort_later/stage.py": SORT_LATER,
        "stages/sort_later/config.yaml": "client:\n  operations:\n    sort:\n"
                                         "      sort_by: [k, v]\n"}, ["sort_later"])
    result = run_cli("run", str(root), *(["--dry-run"] if dry_run else []))
    assert result.exit_code == 0, result.output
    if not dry_run:
        assert _table(root, "//trial/to_sort") == sorted(EVENTS, key=lambda r: (r["k"], r["v"]))


def test_a_section_missing_its_table_is_still_refused_before_the_run(tmp_path, run_cli):
    """A stage whose code names no input_table gets the early error as before."""
    root = _converted(tmp_path, run_cli, {
        "stages/sort_later/stage.py": SORT_LATER.replace(
            'OmegaConf.merge(self.config.client.operations.sort,\n'
            '                                  {"input_table": "//trial/to_sort"})',
            "self.config.client.operations.sort"),
        "stages/sort_later/config.yaml": "client:\n  operations:\n    sort:\n"
                                         "      sort_by: [k]\n"}, ["sort_later"])
    result = run_cli("run", str(root))
    assert result.exit_code == 2
    assert "client.operations.sort.input_table: stage sort_later: an input table is " \
           "required" in result.stderr
    assert not (root / ".dev").exists()


def test_map_reduce_and_reduce_by_yt_framework_keywords_and_bare_script_names(tmp_path,
                                                                              run_cli):
    """`map_job=`/`reduce_job=` (yt-framework 1.4's names for the legs) and `job=` of a
    reduce; `"python3 mapper.py"` names src/mapper.py, where yt-framework ran it from."""
    root = _converted(tmp_path, run_cli, {
        "stages/sums/stage.py": SUMS,
        "stages/sums/src/mapper.py": TIMES_TEN,
        "stages/sums/src/reducer.py": TOTALS,
        "stages/sums/config.yaml": (
            "client:\n  operations:\n"
            "    map_reduce:\n      input_table: //trial/events\n"
            "      output_table: //trial/mr_sums\n      reduce_by: [k]\n"
            "    reduce:\n      input_table: //trial/events\n"
            "      output_table: //trial/sums\n      reduce_by: [k]\n")}, ["sums"])
    result = run_cli("run", str(root))
    assert result.exit_code == 0, result.output
    totals = {key: sum(r["v"] for r in EVENTS if r["k"] == key) for key in "abc"}
    assert sorted(_table(root, "//trial/sums"), key=lambda r: r["k"]) == [
        {"k": key, "total": total} for key, total in sorted(totals.items())]
    assert sorted(_table(root, "//trial/mr_sums"), key=lambda r: r["k"]) == [
        {"k": key, "total": 10 * total} for key, total in sorted(totals.items())]


def test_two_different_scripts_for_one_leg_are_refused():
    from yt_pipeline.errors import ConfigError
    from yt_pipeline.operations import _job_scripts

    assert _job_scripts("map_reduce", {"mapper": "src/m.py", "map_job": "python3 src/m.py"}) \
        == {"mapper": "src/m.py"}
    with pytest.raises(ConfigError, match="two different mapper scripts"):
        _job_scripts("map_reduce", {"mapper": "src/a.py", "map_job": "src/b.py"})
    assert _job_scripts("reduce", {"job": "src/r.py"}) == {"reducer": "src/r.py"}


def test_migrate_lists_what_it_rewrote_and_keeps_each_file_as_it_was(tmp_path, run_cli):
    """Every rewritten file is named with what changed in it, its original copied under
    .yt-framework-originals/ (which later runs neither convert nor overwrite), and its
    permissions kept (an executable job script stays executable)."""
    stage = ("from yt_framework.core.pipeline import DebugContext\n"
             "from yt_framework.core.stage import BaseStage\n")
    job = "#!/usr/bin/env python3\nfrom yt_framework.core.stage import BaseStage\n"
    root = write_pipeline(tmp_path / "p", {"stages/a/stage.py": stage,
                                           "stages/a/src/tool.py": job})
    (root / "stages/a/src/tool.py").chmod(0o755)
    (root / "stages/a/stage.py").chmod(0o644)
    result = run_cli("migrate", str(root))
    assert result.exit_code == 0, result.output
    assert "rewrote stages/a/stage.py (2 lines changed)\n" in result.stdout
    assert "rewrote stages/a/src/tool.py (1 line changed)\n" in result.stdout
    assert "rewrote 2 file(s)" in result.stdout and ".yt-framework-originals" in result.stdout
    kept = root / ".yt-framework-originals"
    assert (kept / "stages/a/stage.py").read_text() == stage
    assert (kept / "stages/a/src/tool.py").read_text() == job
    assert (root / "stages/a/src/tool.py").stat().st_mode & 0o777 == 0o755
    assert (root / "stages/a/stage.py").stat().st_mode & 0o777 == 0o644
    assert "yt_framework" not in (root / "stages/a/stage.py").read_text()
    again = run_cli("migrate", str(root))
    assert again.exit_code == 0 and "rewrote 0 file(s)" in again.stdout
    assert (kept / "stages/a/stage.py").read_text() == stage  # the originals stay


def test_tar_command_bootstrap_is_deleted_from_a_stage_config_and_the_rest_kept(tmp_path,
                                                                                  run_cli):
    """yt-pipeline always unpacks the code archive before a job's script runs: the key is
    deleted (one line, comments and order kept); in a flow mapping it is reported."""
    block = ("# sums\nclient:\n  operations:\n    reduce:  # by key\n"
             "      input_table: //a\n      tar_command_bootstrap: true   # unpack first\n"
             "      output_table: //b\n      reduce_by: [k]\n")
    flow = "client:\n  operations:\n    map: {input_table: //a, tar_command_bootstrap: true}\n"
    root = write_pipeline(tmp_path / "p", {"stages/a/config.yaml": block,
                                           "stages/b/config.yaml": flow})
    preview = run_cli("migrate", str(root), "--diff")
    assert "-      tar_command_bootstrap: true   # unpack first" in preview.stdout
    assert (root / "stages/a/config.yaml").read_text() == block  # --diff writes nothing
    result = run_cli("migrate", str(root))
    assert "rewrote stages/a/config.yaml (1 line deleted)" in result.stdout
    assert (root / "stages/a/config.yaml").read_text() == block.replace(
        "      tar_command_bootstrap: true   # unpack first\n", "")
    assert (root / "stages/b/config.yaml").read_text() == flow
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "cannot convert: stages/b/config.yaml:3: operations.map.tar_command_bootstrap: "
        "delete it: yt-pipeline always unpacks")
    again = run_cli("migrate", str(root))
    assert "rewrote 0 file(s)" in again.stdout


def test_a_null_resource_yt_pipeline_lacks_is_deleted_and_a_set_one_reported(tmp_path,
                                                                              run_cli):
    """yt-framework's map guide (docs/operations/map.md) lists `user_slots: null` in its
    resources block, and its common.py takes null as not set: that line is deleted; a
    value is reported, since a run would refuse it."""
    block = ("client:\n  operations:\n    map:\n      input_table: //a\n"
             "      output_table: //b\n      resources:\n        pool: default\n"
             "        pool_tree: null\n        user_slots: null           # optional\n"
             "        job_count: 2\n")
    root = write_pipeline(tmp_path / "p", {
        "stages/a/config.yaml": block,
        "stages/b/config.yaml": block.replace("user_slots: null ", "user_slots: 4    ")})
    result = run_cli("migrate", str(root))
    assert "rewrote stages/a/config.yaml (1 line deleted)" in result.stdout
    assert (root / "stages/a/config.yaml").read_text() == block.replace(
        "        user_slots: null           # optional\n", "")
    assert result.stderr.splitlines()[0] == (
        "cannot convert: stages/b/config.yaml:9: operations.map.resources.user_slots: put it "
        "under spec: (spec: {resource_limits: {user_slots: N}})")
    assert result.exit_code == 2 and "stages/a/" not in result.stderr
    again = run_cli("migrate", str(root))
    assert "rewrote 0 file(s)" in again.stdout


def test_a_stage_file_with_a_helper_base_class_and_the_stage_deriving_from_it(tmp_path,
                                                                                run_cli):
    """yt-framework took a stage.py with a helper base class and the stage built on it
    (it picked the first by name); the stage is the class no other one derives from. A
    base imported from the pipeline's own module does not count either."""
    helper = ('from yt_framework.core.stage import BaseStage\n\n\n'
              'class Writer(BaseStage):\n'
              '    def rows(self):\n        raise NotImplementedError\n\n'
              '    def run(self, debug):\n'
              '        self.deps.yt_client.write_table(self.config.client.out,\n'
              '                                        list(self.rows()))\n'
              '        return debug\n')
    root = write_pipeline(tmp_path / "p", {
        "lib/__init__.py": "",
        "lib/base.py": helper,
        "stages/own/stage.py": helper + '\n\nclass Own(Writer):\n'
                               '    def rows(self):\n        return [{"x": 1}]\n',
        "stages/own/config.yaml": "client: {out: //trial/own}\n",
        "stages/shared/stage.py": 'from lib.base import Writer\n\n\nclass Shared(Writer):\n'
                                  '    def rows(self):\n        return [{"y": 2}]\n',
        "stages/shared/config.yaml": "client: {out: //trial/shared}\n",
    }, config={"stages": {"enabled_stages": ["own", "shared"]}, "pipeline": {"mode": "dev"}})
    assert run_cli("migrate", str(root)).exit_code == 0
    result = run_cli("run", str(root))
    assert result.exit_code == 0, result.output
    assert _table(root, "//trial/own") == [{"x": 1}]
    assert _table(root, "//trial/shared") == [{"y": 2}]


TOKEN_MAPPER = '''
import json
import os
import sys

token = os.environ.get("API_TOKEN", "")
for line in sys.stdin:
    row = json.loads(line)
    row["token_len"] = len(token)
    print(json.dumps(row))
'''


def test_a_secret_a_job_reads_is_added_to_its_operation_env(tmp_path, run_cli):
    """yt-framework put every value of secrets.env in every job's environment; here a job
    gets only what its operation's env lists, so a job that read API_TOKEN would silently
    read nothing. migrate adds the names the stage's job code reads to the env of its one
    operation section (comments kept), and the job reads the secret again."""
    stage = ("from yt_framework.core.stage import BaseStage\n"
             "from yt_framework.operations import run_map\n\n\n"
             "class Tag(BaseStage):\n    def run(self, debug):\n"
             "        run_map(self.context, self.config.client.operations.map)\n"
             "        return debug\n")
    section = ("client:\n  operations:\n    map:  # tag rows\n"
               "      input_table: //trial/events\n      output_table: //trial/tagged\n")
    root = write_pipeline(tmp_path / "p", {
        "stages/seed/stage.py": SEED, "stages/tag/stage.py": stage,
        "stages/tag/config.yaml": section, "stages/tag/src/mapper.py": TOKEN_MAPPER,
        "configs/secrets.env": "API_TOKEN=abc123\nUNUSED_KEY=zzzz\n",
    }, config={"stages": {"enabled_stages": ["seed", "tag"]}, "pipeline": {"mode": "dev"}})
    result = run_cli("migrate", str(root))
    assert result.exit_code == 0, result.output
    assert "rewrote stages/tag/config.yaml (1 line added)" in result.stdout
    assert (root / "stages/tag/config.yaml").read_text() == section.replace(
        "    map:  # tag rows\n",
        "    map:  # tag rows\n      env: [API_TOKEN]  # read by the job (migrate)\n")
    assert "rewrote 0 file(s)" in run_cli("migrate", str(root)).stdout
    assert run_cli("run", str(root)).exit_code == 0
    assert {row["token_len"] for row in _table(root, "//trial/tagged")} == {6}


def test_a_secret_read_by_a_stage_of_several_operations_is_reported(tmp_path, run_cli):
    """Which of several sections runs the job is not known: each read is reported with
    its line and the sections to look at; nothing is added."""
    section = ("client:\n  operations:\n    map:\n      input_table: //a\n"
               "      output_table: //b\n      env: [OTHER]\n"
               "    vanilla:\n      env: {MODE: fast}\n")
    root = write_pipeline(tmp_path / "p", {
        "stages/tag/stage.py": "from yt_framework.core.stage import BaseStage\n",
        "stages/tag/config.yaml": section,
        "stages/tag/src/mapper.py": TOKEN_MAPPER,
        "configs/secrets.example.env": "# copy to secrets.env\nAPI_TOKEN=your_token\n",
    })
    result = run_cli("migrate", str(root))
    assert result.exit_code == 2
    assert "cannot convert: stages/tag/src/mapper.py:6: API_TOKEN: yt-framework gave every " \
           "value of configs/secrets.env to every job" in result.stderr
    assert "add API_TOKEN to env: of client.operations.map, client.operations.vanilla in " \
           "stages/tag/config.yaml" in result.stderr
    assert (root / "stages/tag/config.yaml").read_text() == section


TABLE_HELPERS = '''
from pathlib import Path

from yt_framework.core.pipeline import DebugContext
from yt_framework.core.stage import BaseStage
from yt_framework.operations.command_ops import run_sort
from yt_framework.operations.table import download_table, get_row_count, read_table
from yt_framework.utils import log_header, stage_src_path


class Helpers(BaseStage):
    def run(self, debug: DebugContext) -> DebugContext:
        log_header(self.logger, "Helpers")
        yt = self.deps.yt_client
        with stage_src_path(self.stage_dir):
            from shapes import square
        rows = read_table(yt, "//trial/events", self.logger)
        assert get_row_count(yt, "//trial/events", self.logger) == len(rows)
        yt.write_table("//trial/squares", [{"k": r["k"], "sq": square(r["v"])} for r in rows])
        download_table(yt, "//trial/squares", Path(self.stage_dir) / "squares.jsonl",
                       self.logger)
        return debug
'''


def test_table_helpers_and_names_of_package_modules_are_converted(tmp_path, run_cli):
    """yt-framework's table helpers (`operations.table`, documented for stage code), its
    `utils` and `operations.command_ops` packages' names, and `stage_src_path` to import a
    module of the stage's src/ in stage.py: migrate converts them all and the stage runs."""
    root = write_pipeline(tmp_path / "p", {
        "stages/seed/stage.py": SEED, "stages/helpers/stage.py": TABLE_HELPERS,
        "stages/helpers/src/shapes.py": "def square(x):\n    return x * x\n",
    }, config={"stages": {"enabled_stages": ["seed", "helpers"]}, "pipeline": {"mode": "dev"}})
    result = run_cli("migrate", str(root))
    assert result.exit_code == 0, result.output
    text = (root / "stages/helpers/stage.py").read_text()
    assert "yt_framework" not in text and "from yt_pipeline.compat.table import" in text
    result = run_cli("run", str(root))
    assert result.exit_code == 0, result.output
    squares = [{"k": r["k"], "sq": r["v"] ** 2} for r in EVENTS]
    assert _table(root, "//trial/squares") == squares
    lines = (root / "stages/helpers/squares.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == squares
    import sys
    assert str(root / "stages/helpers/src") not in sys.path


def test_a_secret_yt_pipeline_would_refuse_is_reported_by_migrate(tmp_path, run_cli):
    """yt-framework took any value in secrets.env; yt-pipeline refuses one too short to be
    masked. migrate reports it with its line (never the value), not the first run."""
    root = write_pipeline(tmp_path / "p", {
        "stages/a/stage.py": "from yt_framework.core.stage import BaseStage\n",
        "configs/secrets.env": "# keys\nAPI_TOKEN=abc123\nREGION=eu\n",
    })
    result = run_cli("migrate", str(root))
    assert result.exit_code == 2
    assert "cannot convert: configs/secrets.env:3: REGION: the value of REGION has 2 " \
           "character(s)" in result.stderr
    assert "eu\n" not in result.output and "abc123" not in result.output


def test_migrate_of_a_folder_of_several_pipelines_converts_each_ones_configs(tmp_path,
                                                                              run_cli):
    """Given the repository that holds the pipelines, not one pipeline's folder, migrate
    still reads each pipeline's stage configs and secrets.env."""
    repo = tmp_path / "repo"
    for name in ("one", "two"):
        write_pipeline(repo / "pipelines" / name, {
            "stages/a/stage.py": "from yt_framework.core.stage import BaseStage\n",
            "stages/a/config.yaml": "client:\n  operations:\n    reduce:\n"
                                    "      input_table: //a\n"
                                    "      tar_command_bootstrap: true\n",
            "configs/secrets.env": "SHORT=ab\n" if name == "two" else "LONG=abcdef\n",
        })
    result = run_cli("migrate", str(repo))
    for name in ("one", "two"):
        assert f"rewrote pipelines/{name}/stages/a/config.yaml (1 line deleted)" in result.stdout
        assert "tar_command_bootstrap" not in \
            (repo / "pipelines" / name / "stages/a/config.yaml").read_text()
    assert result.exit_code == 2
    assert "cannot convert: pipelines/two/configs/secrets.env:1: SHORT:" in result.stderr


def test_line_ends_are_kept_and_a_file_not_in_utf8_is_named_not_fatal(tmp_path, run_cli):
    """A CRLF stage.py keeps its CRLF line ends (only the import changes); a file in
    another encoding is reported with its name, and the other files are still converted."""
    crlf = b"from yt_framework.core.stage import BaseStage\r\n\r\nclass A(BaseStage):\r\n" \
           b"    pass\r\n"
    root = tmp_path / "p"
    (root / "stages/a").mkdir(parents=True)
    (root / "stages/b").mkdir(parents=True)
    (root / "stages/a/stage.py").write_bytes(crlf)
    (root / "stages/b/stage.py").write_bytes(b"# caf\xe9\nfrom yt_framework.core.stage "
                                             b"import BaseStage\n")
    result = run_cli("migrate", str(root))
    assert (root / "stages/a/stage.py").read_bytes() == crlf.replace(
        b"yt_framework.core.stage", b"yt_pipeline")
    assert result.exit_code == 2
    assert "cannot convert: stages/b/stage.py:1: not UTF-8" in result.stderr
    assert "Traceback" not in result.output


def test_pipeline_configs_are_converted_and_checked_as_a_run_would(tmp_path, run_cli):
    """yt-framework took `upload_modules: one_name`; migrate writes it as a list (comment
    kept) in every config of configs/, then checks each config as a run with --config
    would, and reports a refusal at its key's line."""
    root = write_pipeline(tmp_path / "p", {
        "stages/seed/stage.py": SEED,
        "helpers_pkg/__init__.py": "",
        "configs/config.yaml": "stages:\n  enabled_stages: [seed]\npipeline:\n  mode: dev\n"
                               "  upload_modules: helpers_pkg  # shipped to jobs\n",
        "configs/config_twice.yaml": "stages:\n  enabled_stages: [seed, seed]\n"
                                     "pipeline:\n  mode: dev\n",
        "configs/notes.yaml": "just: data\n",
    })
    result = run_cli("migrate", str(root))
    assert "rewrote configs/config.yaml (1 line changed)" in result.stdout
    assert (root / "configs/config.yaml").read_text().endswith(
        "  upload_modules: [helpers_pkg]  # shipped to jobs\n")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "cannot convert: configs/config_twice.yaml:2: stages.enabled_stages: stage seed is "
        "listed twice")
    (root / "configs/config_twice.yaml").unlink()
    assert run_cli("migrate", str(root)).exit_code == 0
    assert run_cli("run", str(root)).exit_code == 0


def test_operation_keys_yt_framework_passed_on_to_the_client_are_reported(tmp_path,
                                                                          run_cli):
    """yt-framework handed keys of an operation section it did not read itself to the
    client (`max_row_weight`, any other); a run here refuses them, so migrate names each
    with its line: the documented ones with what to write, the rest as spec keys."""
    root = write_pipeline(tmp_path / "p", {
        "stages/a/stage.py": "from yt_framework.core.stage import BaseStage\n\n\n"
                             "class A(BaseStage):\n    pass\n",
        "stages/a/config.yaml": ("client:\n  operations:\n    map:\n      input_table: //a\n"
                                 "      output_table: //b\n      max_row_weight: 64M\n"
                                 "      weight: 2\n      resources:\n        pool: p\n"
                                 "        network: 1\n"),
    }, config={"stages": {"enabled_stages": ["a"]}, "pipeline": {"mode": "dev"}})
    result = run_cli("migrate", str(root))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("cannot convert: stages/a/config.yaml:6: "
                               "operations.map.max_row_weight: put it in the YT spec, in bytes")
    assert lines[1].startswith("cannot convert: stages/a/config.yaml:7: operations.map.weight: "
                               "not an operation key of yt-pipeline")
    assert lines[2].startswith("cannot convert: stages/a/config.yaml:10: "
                               "operations.map.resources.network: not a resource")
    ran = run_cli("run", str(root))
    assert ran.exit_code == 2 and "max_row_weight" in ran.stderr  # what a run would say


JOIN_ON_TWO_KEYS = '''
from yt_framework.core.stage import BaseStage
from yt_framework.yt.clients.yql.yql_requests import JoinTablesRequest


class Joins(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.join_tables_request(JoinTablesRequest(
            left_table="//trial/sales", right_table="//trial/shops",
            output_table="//trial/named", on=["shop", "day"], how="inner",
            select_columns=["a.shop", "a.day", "a.qty", "b.city"]))
        yt.join_tables_request(JoinTablesRequest(
            left_table="//trial/sales", right_table="//trial/shops",
            output_table="//trial/starred", on=["shop", "day"], how="inner"))
        return debug
'''


def test_a_join_selecting_two_columns_of_one_name_fails_in_dev_as_yql_does(tmp_path,
                                                                           run_cli):
    """A JoinTablesRequest without select_columns selects a.*, b.*; when both tables have
    the key columns, YQL on a cluster refuses the query (no two columns of one name). Dev
    refused nothing and wrote shop_1, day_1 (yt-framework's dev kept one of each): now it
    fails as the cluster would, saying which columns and what to do."""
    root = write_pipeline(tmp_path / "p", {"stages/joins/stage.py": JOIN_ON_TWO_KEYS},
                          config={"stages": {"enabled_stages": ["joins"]},
                                  "pipeline": {"mode": "dev"}})
    from yt_pipeline_dev.client import DevClient

    # written before the run: a query cannot read what its own stage wrote (in prod the
    # query tracker runs outside the stage's transaction), so dev refuses that too
    tables = DevClient(root / ".dev")
    tables.write_table("//trial/sales", [{"shop": "n", "day": 1, "qty": 2},
                                         {"shop": "s", "day": 2, "qty": 3}])
    tables.write_table("//trial/shops", [{"shop": "n", "day": 1, "city": "oslo"}])
    assert run_cli("migrate", str(root)).exit_code == 0
    result = run_cli("run", str(root))
    assert result.exit_code != 0
    assert "YQL: the result has two columns named day, shop" in result.stderr
    assert "select_columns" in result.stderr
    assert not (root / ".dev/trial/starred.jsonl").exists()


def test_a_select_of_two_columns_of_one_name_fails_in_dev_too(tmp_path):
    from yt_pipeline.errors import QueryFailed
    from yt_pipeline_dev.client import DevClient

    client = DevClient(tmp_path)
    client.write_table("//t/a", [{"k": 1, "x": 2}])
    client.write_table("//t/b", [{"k": 1, "y": 3}])
    with pytest.raises(QueryFailed, match="two columns named k"):
        client.run_yql("SELECT a.*, b.* FROM `//t/a` AS a JOIN `//t/b` AS b ON a.k = b.k;")
    assert client.run_yql("SELECT a.k, b.y FROM `//t/a` AS a JOIN `//t/b` AS b "
                          "ON a.k = b.k;") == [{"k": 1, "y": 3}]


PIPELINE_CONFIG_READER = '''
from omegaconf import OmegaConf
from yt_framework.core.stage import BaseStage


class Reader(BaseStage):
    def run(self, debug):
        settings = self.deps.pipeline_config
        whole = OmegaConf.to_container(settings, resolve=True)
        self.deps.yt_client.write_table("//trial/settings", [{
            "mode": settings.pipeline.mode, "size": OmegaConf.select(settings, "dataset.size"),
            "dataset": whole["dataset"],
            "in_yaml": "name: demo" in OmegaConf.to_yaml(settings),
            "merged": OmegaConf.to_container(OmegaConf.merge(settings.dataset, {"size": 9}))}])
        return debug
'''


def test_omegaconf_reads_the_pipeline_config_in_stage_code(tmp_path, run_cli):
    """yt-framework's `self.deps.pipeline_config` was an OmegaConf config as well, read with
    OmegaConf.to_container/select/to_yaml/merge; those take yt-pipeline's too."""
    root = write_pipeline(tmp_path / "p", {"stages/reader/stage.py": PIPELINE_CONFIG_READER},
                          config={"stages": {"enabled_stages": ["reader"]},
                                  "pipeline": {"mode": "dev"},
                                  "dataset": {"size": 3, "name": "demo"}})
    assert run_cli("migrate", str(root)).exit_code == 0
    result = run_cli("run", str(root))
    assert result.exit_code == 0, result.output
    assert _table(root, "//trial/settings") == [{
        "mode": "dev", "size": 3, "dataset": {"size": 3, "name": "demo"}, "in_yaml": True,
        "merged": {"size": 9, "name": "demo"}}]


TYPED_OMEGACONF = '''
from omegaconf import DictConfig, OmegaConf
from yt_framework.core.stage import BaseStage


def plain(section: DictConfig) -> dict:
    return OmegaConf.to_container(section)


class Typed(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//trial/typed", [plain(self.config.client)])
        return debug
'''


def test_omegaconf_imported_with_other_names_in_stage_code_is_converted(tmp_path, run_cli):
    """`from omegaconf import DictConfig, OmegaConf` (the type for hints beside it) is
    pointed to the compat module like `OmegaConf` alone; `import omegaconf` is reported."""
    root = write_pipeline(tmp_path / "p", {
        "stages/typed/stage.py": TYPED_OMEGACONF,
        "stages/typed/config.yaml": "client: {label: x, n: 2}\n",
    }, config={"stages": {"enabled_stages": ["typed"]}, "pipeline": {"mode": "dev"}})
    assert run_cli("migrate", str(root)).exit_code == 0
    assert "from yt_pipeline.compat.omegaconf import DictConfig, OmegaConf" in \
        (root / "stages/typed/stage.py").read_text()
    result = run_cli("run", str(root))
    assert result.exit_code == 0, result.output
    assert _table(root, "//trial/typed") == [{"label": "x", "n": 2}]

    from yt_pipeline.migrate import migrate_text

    [problem] = migrate_text(Path("stages/a/stage.py"), "import omegaconf\n").problems
    assert "import omegaconf: in stage code self.config is not an OmegaConf config" in \
        problem.text


def test_omegaconf_in_a_module_beside_stage_py_is_converted_and_job_code_keeps_the_real(
        tmp_path, run_cli):
    """A helper module next to stage.py runs in the pipeline's process like stage.py (jobs
    run src/): its OmegaConf takes the stage's config too. src/ keeps the real OmegaConf."""
    helper = ("from omegaconf import OmegaConf\n\n\n"
              "def plain(section):\n    return OmegaConf.to_container(section)\n")
    stage = ("from yt_framework.core.stage import BaseStage\n\n"
             "from stages.helped.helpers import plain\n\n\n"
             "class Helped(BaseStage):\n    def run(self, debug):\n"
             "        self.deps.yt_client.write_table('//trial/helped', "
             "[plain(self.config.client)])\n        return debug\n")
    root = write_pipeline(tmp_path / "p", {
        "stages/__init__.py": "", "stages/helped/__init__.py": "",
        "stages/helped/stage.py": stage, "stages/helped/helpers.py": helper,
        "stages/helped/src/tool.py": helper,
        "stages/helped/config.yaml": "client: {a: 1}\n",
    }, config={"stages": {"enabled_stages": ["helped"]}, "pipeline": {"mode": "dev"}})
    assert run_cli("migrate", str(root)).exit_code == 0
    assert (root / "stages/helped/helpers.py").read_text().startswith(
        "from yt_pipeline.compat.omegaconf import OmegaConf\n")
    assert (root / "stages/helped/src/tool.py").read_text() == helper
    result = run_cli("run", str(root))
    assert result.exit_code == 0, result.output
    assert _table(root, "//trial/helped") == [{"a": 1}]


# yt-framework 1.4 took the legs of a reduce and of a map-reduce by position right after
# the operation config: run_reduce(context, operation_config, reducer, output_schema, job),
# run_map_reduce(context, operation_config, mapper, reducer, output_schema, map_job,
# reduce_job) (yt_framework/operations/command_ops/map_reduce.py); run_map put
# output_schema third. Scripts not named like the defaults, so that a dropped leg shows.
BY_POSITION = '''
from yt_framework.core.pipeline import DebugContext
from yt_framework.core.stage import BaseStage
from yt_framework.operations import run_map_reduce, run_reduce


class Sums(BaseStage):
    def run(self, debug: DebugContext) -> DebugContext:
        ops = self.config.client.operations
        run_map_reduce(self.context, ops.map_reduce, "python3 src/tens.py",
                       "python3 src/totals.py")
        run_reduce(self.context, ops.reduce, "python3 src/totals.py")
        return debug
'''

_SECTIONS = ("client:\n  operations:\n"
             "    map_reduce:\n      input_table: //trial/events\n"
             "      output_table: //trial/mr_sums\n      reduce_by: [k]\n"
             "    reduce:\n      input_table: //trial/events\n"
             "      output_table: //trial/sums\n      reduce_by: [k]\n")


def test_reduce_and_map_reduce_legs_given_by_position_are_the_scripts_run(tmp_path,
                                                                          run_cli):
    """A leg given by position is the script run (or, not named in the section, refused
    as a keyword's is), never dropped for the default script."""
    root = _converted(tmp_path, run_cli, {
        "stages/sums/stage.py": BY_POSITION,
        "stages/sums/src/tens.py": TIMES_TEN,
        "stages/sums/src/totals.py": TOTALS,
        # default-named scripts that must not be the ones run
        "stages/sums/src/mapper.py": "import sys\n",
        "stages/sums/src/reducer.py": "import sys\n",
        "stages/sums/config.yaml": _SECTIONS}, ["sums"])
    refused = run_cli("run", str(root))
    assert refused.exit_code != 0
    assert "run_map_reduce(mapper='src/tens.py'): name the script in the stage's " \
           "config.yaml too" in refused.stderr
    named = _SECTIONS.replace("reduce_by: [k]\n    reduce:",
                              "reduce_by: [k]\n      mapper: src/tens.py\n"
                              "      reducer: src/totals.py\n    reduce:")
    (root / "stages/sums/config.yaml").write_text(named + "      reducer: src/totals.py\n")
    result = run_cli("run", str(root))
    assert result.exit_code == 0, result.output
    totals = {key: sum(r["v"] for r in EVENTS if r["k"] == key) for key in "abc"}
    assert sorted(_table(root, "//trial/sums"), key=lambda r: r["k"]) == [
        {"k": key, "total": total} for key, total in sorted(totals.items())]
    assert sorted(_table(root, "//trial/mr_sums"), key=lambda r: r["k"]) == [
        {"k": key, "total": 10 * total} for key, total in sorted(totals.items())]


def test_a_schema_third_is_still_a_schema_for_map_and_a_leg_for_reduce():
    from yt_pipeline.operations import _positional_legs

    assert _positional_legs("map", ("schema",)) == {}
    assert _positional_legs("reduce", ("python3 src/r.py", None, None)) == {
        "reducer": "python3 src/r.py"}
    assert _positional_legs("map_reduce", ("src/m.py", "src/r.py", "schema")) == {
        "mapper": "src/m.py", "reducer": "src/r.py"}
    with pytest.raises(TypeError, match="run_reduce"):
        _positional_legs("reduce", ("a", "b", "c", "d"))


def test_a_script_the_job_section_chose_for_a_bootstrapped_leg_is_listed_to_check(
        tmp_path, run_cli):
    """With tar_command_bootstrap: true, yt-framework ran the reducer its stage's
    job.map_reduce_command named (upload_wrappers.py, _resolve_map_reduce_command_scripts),
    whatever the stage passed; the converted stage runs what it passes, so the named
    script is listed to check. Without the bootstrap, the job section is the job's own."""
    section = ("client:\n  operations:\n    map_reduce:\n      input_table: //trial/events\n"
               "      output_table: //trial/mr_sums\n      reduce_by: [k]\n"
               "      tar_command_bootstrap: true\n"
               "job:\n  map_reduce_command:\n    reducer_script: reducer_mds.py\n")
    root = write_pipeline(tmp_path / "p", {
        "stages/sums/config.yaml": section,
        "stages/plain/config.yaml": section.replace("      tar_command_bootstrap: true\n", "")})
    result = run_cli("migrate", str(root))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "check by hand: stages/sums/config.yaml:10: job.map_reduce_command.reducer_script: "
        "yt-framework ran src/reducer_mds.py as the reducer of run_map_reduce (reducer=) "
        "whatever script the stage passed (tar_command_bootstrap: true); yt-pipeline runs "
        "the script the stage passes: pass src/reducer_mds.py there and name it in the "
        "operation section")
    assert "stages/plain" not in result.stderr
    assert "tar_command_bootstrap" not in (root / "stages/sums/config.yaml").read_text()
