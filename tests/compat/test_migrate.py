"""`yt-pipeline migrate`: the rewrite of yt-framework imports, what it reports, and that a
second run changes nothing. Inputs are written the way yt-framework 1.4's own examples
import things (`yt_framework.core.pipeline`, `...operations.command_ops.map`,
`...yt.clients.yql.yql_requests`, `...utils.logging`, `...operations.s3`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from yt_pipeline.errors import TableNotFound
from yt_pipeline.migrate import migrate_text, migrate_tree
from yt_pipeline.testing import write_pipeline

STAGE = '''\
# a stage as yt-framework writes one
from yt_framework.core.pipeline import DebugContext  # the debug dict
from yt_framework.core.stage import BaseStage
from yt_framework.operations.command_ops.map import run_map
from yt_framework.utils.logging import log_header, log_success
from yt_framework.yt.clients.yql.yql_requests import (
    JoinTablesRequest,
    LimitTableRequest,
)


class Stage(BaseStage):
    def run(self, debug: DebugContext) -> DebugContext:
        log_header(self.logger, "Stage",   "odd   spacing kept")
        return debug
'''


def test_imports_are_rewritten_and_the_rest_is_kept_byte_for_byte():
    change = migrate_text(Path("stages/x/stage.py"), STAGE)
    assert change.problems == []
    assert change.after == STAGE.replace(
        "from yt_framework.core.pipeline import DebugContext",
        "from yt_pipeline import DebugContext").replace(
        "from yt_framework.core.stage import BaseStage", "from yt_pipeline import BaseStage").replace(
        "from yt_framework.operations.command_ops.map import run_map",
        "from yt_pipeline.operations import run_map").replace(
        "from yt_framework.utils.logging import", "from yt_pipeline.compat.logging import").replace(
        "from yt_framework.yt.clients.yql.yql_requests import (",
        "from yt_pipeline.compat.yql_requests import (")
    again = migrate_text(Path("stages/x/stage.py"), change.after)
    assert not again.changed and again.problems == []  # idempotent


def test_one_import_of_names_from_two_places_is_split():
    text = "from yt_framework.operations import run_map, list_s3_files, run_sort\n"
    change = migrate_text(Path("stage.py"), text)
    assert change.after == ("from yt_pipeline.operations import run_map, run_sort\n"
                            "from yt_framework.operations import list_s3_files\n")
    [problem] = change.problems
    assert problem.line == 1 and "list_s3_files" in problem.text and "S3" in problem.text


def test_what_cannot_be_converted_is_reported_with_its_line():
    text = ("import os\n"
            "from yt_framework.utils.env import load_secrets\n"
            "import yt_framework.core.pipeline as ytf\n"
            "from ytjobs.s3.client import S3Client\n"
            "from yt_framework.core import *\n"
            "x = ytf.DefaultPipeline\n")
    change = migrate_text(Path("stage.py"), text)
    assert not change.changed
    lines = {p.line: p.text for p in change.problems}
    assert set(lines) == {2, 3, 4, 5, 6}
    assert "secrets.env" in lines[2]
    assert "S3" in lines[4]
    assert "name what you import" in lines[5]
    assert "ytf.DefaultPipeline" in lines[6]


def test_client_methods_this_client_lacks_are_reported_with_their_line(tmp_path):
    # yt-framework's client (yt_framework/yt/clients/client_base.py) uploads files and runs
    # operations itself; here those calls would fail only when the stage runs
    text = ("from yt_framework.core.stage import BaseStage\n"
            "class S(BaseStage):\n"
            "    def run(self, debug):\n"
            "        self.deps.yt_client.upload_file(self.stage_dir / 'm.bin', '//tmp/m')\n"
            "        yt = self.deps.yt_client\n"
            "        yt.upload_directory(self.stage_dir / 'assets', '//tmp/assets')\n"
            "        yt.run_map_submit(spec)\n"
            "        yt.write_table('//tmp/t', [])\n"
            "        s3.upload_file('a', 'b', 'c')\n"
            "        return debug\n")
    change = migrate_text(Path("stages/x/stage.py"), text)
    lines = {p.line: p.text for p in change.problems}
    assert set(lines) == {4, 6, 7}, lines
    assert lines[4].startswith("self.deps.yt_client.upload_file(...): ")
    assert "file_paths" in lines[4] and "checkpoints:" in lines[4]
    assert lines[6].startswith("yt.upload_directory(...): ")
    assert "run_map(self, self.config.client.operations.map)" in lines[7]
    # a stage already converted (no yt_framework left in it) still gets the report
    stage = tmp_path / "stages/x/stage.py"
    stage.parent.mkdir(parents=True)
    stage.write_text(change.after)
    assert "yt_framework" not in change.after
    [again] = migrate_tree(tmp_path)
    assert {p.line for p in again.problems} == {4, 6, 7}


def test_a_plain_import_of_the_package_does_not_turn_from_imports_into_problems():
    # `import yt_framework` (for `yt_framework.__version__`) beside the usual from-imports:
    # only the plain import and the use through it are left; the from-imports are rewritten
    text = ("import yt_framework\n"
            "import yt_framework.core\n"
            "from yt_framework.core.stage import BaseStage\n"
            "from yt_framework.operations.table import read_table\n"
            "v = yt_framework.__version__\n")
    change = migrate_text(Path("stages/x/stage.py"), text)
    assert change.after == text.replace(
        "from yt_framework.core.stage import", "from yt_pipeline import").replace(
        "from yt_framework.operations.table import", "from yt_pipeline.compat.table import")
    assert [(p.line, p.text.split(":")[0]) for p in change.problems] == [
        (1, "import yt_framework"), (2, "import yt_framework.core"),
        (5, "yt_framework.__version__")]


def test_a_client_bound_with_a_type_annotation_is_followed():
    text = ("from yt_framework.core.stage import BaseStage\n"
            "class S(BaseStage):\n"
            "    def run(self, debug):\n"
            "        yt: object = self.deps.yt_client\n"
            "        yt.upload_file('m.bin', '//tmp/m')\n"
            "        return debug\n")
    [problem] = migrate_text(Path("stages/x/stage.py"), text).problems
    assert problem.line == 5 and problem.text.startswith("yt.upload_file(...): ")


def test_omegaconf_in_stage_code_takes_the_stage_config_and_stays_real_in_jobs():
    text = "from omegaconf import OmegaConf\n"
    assert migrate_text(Path("stages/a/stage.py"), text).after == \
        "from yt_pipeline.compat.omegaconf import OmegaConf\n"
    assert not migrate_text(Path("stages/a/src/mapper.py"), text).changed


def test_the_command_previews_rewrites_and_fails_on_leftovers(tmp_path, run_cli):
    root = write_pipeline(tmp_path / "p", {
        "pipeline.py": "from yt_framework.core.pipeline import DefaultPipeline\n",
        "stages/a/stage.py": STAGE,
        "stages/b/stage.py": "from yt_framework.operations.s3 import list_s3_files\n",
        ".dev/ignored.py": "from yt_framework.core.stage import BaseStage\n",
    })
    before = (root / "stages/a/stage.py").read_text()
    preview = run_cli("migrate", str(root), "--diff")
    assert preview.exit_code == 2
    assert "+from yt_pipeline import BaseStage" in preview.stdout
    assert (root / "stages/a/stage.py").read_text() == before  # --diff writes nothing
    assert "stages/b/stage.py:1: list_s3_files" in preview.stderr

    done = run_cli("migrate", str(root))
    assert done.exit_code == 2
    assert "rewrote 2 file(s)" in done.stdout
    assert (root / "pipeline.py").read_text() == "from yt_pipeline import DefaultPipeline\n"
    assert "yt_framework" not in (root / "stages/a/stage.py").read_text()
    assert "yt_framework" in (root / ".dev/ignored.py").read_text()  # not pipeline code
    again = run_cli("migrate", str(root))
    assert "rewrote 0 file(s)" in again.stdout


def test_a_file_that_is_not_python_is_reported_not_a_traceback(tmp_path, run_cli):
    root = write_pipeline(tmp_path / "p", {"stages/a/stage.py": "from yt_framework import (\n"})
    result = run_cli("migrate", str(root))
    assert result.exit_code == 2
    assert "stages/a/stage.py:" in result.stderr and "not valid Python" in result.stderr
    assert "Traceback" not in result.stderr


def test_read_table_streams_and_also_serves_code_that_wants_a_list(tmp_path):
    """yt-framework's read_table returned a list (`len(rows)`, `rows[0]`, two loops)."""
    from yt_pipeline_dev.client import DevClient

    client = DevClient(tmp_path)
    client.write_table("//t/x", [{"i": i} for i in range(5)])
    rows = client.read_table("//t/x")
    assert [r["i"] for r in rows] == [0, 1, 2, 3, 4]
    assert [r["i"] for r in rows] == [0, 1, 2, 3, 4]  # a second loop reads it again
    assert len(rows) == 5 and rows[0] == {"i": 0} and rows[-2:] == [{"i": 3}, {"i": 4}]
    assert rows == [{"i": i} for i in range(5)] and bool(rows)
    stream = client.read_table("//t/x")
    assert next(stream) == {"i": 0} and next(stream) == {"i": 1}
    assert [r["i"] for r in stream] == [2, 3, 4]  # a loop after next() goes on from there
    with pytest.raises(TableNotFound):
        client.read_table("//t/missing")  # at the call, not at the first row


def test_operation_keys_yt_pipeline_refuses_are_listed_with_their_line(tmp_path, run_cli):
    root = write_pipeline(tmp_path / "p", {
        "stages/a/stage.py": "from yt_framework.core.stage import BaseStage\n",
        "stages/a/config.yaml": ("# comment\nclient:\n  operations:\n    map:\n"
                                 "      input_table: //a\n      operation_description:\n"
                                 "        owner: me\n      resources:\n        user_slots: 4\n"),
    })
    result = run_cli("migrate", str(root))
    assert result.exit_code == 2
    assert "stages/a/config.yaml:6: operations.map.operation_description: put a YT spec key " \
           "under spec:" in result.stderr
    assert "stages/a/config.yaml:9: operations.map.resources.user_slots" in result.stderr
    assert (root / "stages/a/config.yaml").read_text().startswith("# comment\n")  # untouched


# a helper beside a stage, typed the way yt-framework's own tests type the client
# (tests/test_client_base.py there: `from yt_framework.yt.clients.client_base import
# BaseYTClient`), and requests taken from the package that re-exports them
# (yt_framework/yt/clients/__init__.py lists the eight *Request classes)
HELPERS = '''\
from yt_framework.yt import BaseYTClient as Client
from yt_framework.yt.clients import BaseYTClient, JoinTablesRequest
from yt_framework.yt.clients.client_base import BaseYTClient as Base


def copy(client: BaseYTClient, source: str, target: str) -> int:
    return client.write_table(target, list(client.read_table(source)))
'''


def test_the_client_type_and_requests_of_yt_framework_yt_clients_are_converted(tmp_path):
    change = migrate_text(Path("stages/x/helpers.py"), HELPERS)
    assert change.problems == []
    assert change.after.splitlines()[:4] == [
        "from yt_pipeline.compat.clients import BaseYTClient as Client",
        "from yt_pipeline.compat.clients import BaseYTClient",
        "from yt_pipeline.compat.yql_requests import JoinTablesRequest",
        "from yt_pipeline.compat.clients import BaseYTClient as Base",
    ]
    # the converted helper runs against the dev client, which is a BaseYTClient
    from yt_pipeline_dev.client import DevClient

    namespace: dict = {}
    exec(compile(change.after, "helpers.py", "exec"), namespace)
    client = DevClient(tmp_path)
    client.write_table("//tmp/a", [{"id": 1}, {"id": 2}])
    assert isinstance(client, namespace["BaseYTClient"])
    assert namespace["copy"](client, "//tmp/a", "//tmp/b") == 2
    assert list(client.read_table("//tmp/b")) == [{"id": 1}, {"id": 2}]


# what a stage is given, as yt-framework names it: the dataclass of
# yt_framework/core/dependencies.py and the protocol of yt_framework/contracts/stage.py
# (re-exported by yt_framework/contracts/__init__.py), with the same three fields
DEPS_HELPER = '''\
from yt_framework.contracts import StageContext, StageDependencies
from yt_framework.core.dependencies import PipelineStageDependencies


def client_of(deps: StageDependencies):
    return deps.yt_client
'''


def test_the_stage_dependencies_types_are_converted_to_stage_deps(tmp_path):
    change = migrate_text(Path("stages/x/helpers.py"), DEPS_HELPER)
    assert change.problems == []
    assert change.after.splitlines()[:3] == [
        "from yt_pipeline import StageContext",
        "from yt_pipeline.compat.dependencies import StageDependencies",
        "from yt_pipeline.compat.dependencies import PipelineStageDependencies",
    ]
    from yt_pipeline.stage import StageDeps
    from yt_pipeline_dev.client import DevClient

    namespace: dict = {}
    exec(compile(change.after, "helpers.py", "exec"), namespace)
    client = DevClient(tmp_path)
    deps = StageDeps(yt_client=client, pipeline_config=None, configs_dir=tmp_path)
    assert isinstance(deps, namespace["StageDependencies"])
    assert isinstance(deps, namespace["PipelineStageDependencies"])
    assert namespace["client_of"](deps) is client


def test_making_a_client_points_to_the_one_a_stage_is_given():
    # create_yt_client comes from yt_framework/yt/factory.py through yt_framework/yt
    [problem] = migrate_text(Path("stages/x/stage.py"),
                             "from yt_framework.yt import create_yt_client\n").problems
    assert problem.line == 1 and "the client is self.deps.yt_client" in problem.text
