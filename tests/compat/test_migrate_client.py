"""`yt-pipeline migrate` follows a stage's YT client through the stage's own code.

yt-framework's examples and docs reach the client as `self.deps.yt_client` or a name bound
to it (`yt = self.deps.yt_client`, examples/08_multiple_configs), its operations as
`context.deps.yt_client`, its table helpers through a parameter `yt_client`
(yt_framework/operations/table.py); stages of real projects wrap it in a method, a property,
an attribute set in `__init__`, a module-level `get_client(stage)` or such a helper in a
module beside stage.py. A call of a method this client lacks (upload_file, run_map, ...) is
reported through each of them; where migrate cannot follow (getattr, a helper it does not
read, a method inherited from elsewhere) the call is listed to check by hand, and a call
of a method the client has is left alone, so the converted pipeline runs."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from yt_pipeline.migrate import migrate_text, migrate_tree
from yt_pipeline.testing import write_pipeline

HEAD = "from yt_framework.core.stage import BaseStage\n\n\n"


def problems(text: str, path: str = "stages/x/stage.py") -> dict[int, str]:
    change = migrate_text(Path(path), text)
    return {p.line: ("check: " if p.check else "") + p.text for p in change.problems}


def test_a_method_returning_the_client_is_followed():
    text = HEAD + (
        "class S(BaseStage):\n"                                         # 4
        "    def client(self):\n"
        "        return self.deps.yt_client\n"
        "\n"
        "    def run(self, debug):\n"                                   # 8
        "        self.client().upload_file('m.bin', '//tmp/m')\n"
        "        self.client().write_table('//tmp/t', [])\n"
        "        return debug\n")
    assert set(problems(text)) == {9}
    assert problems(text)[9].startswith("self.client().upload_file(...): the client does not "
                                        "upload local files")


def test_a_method_defined_below_its_use_and_a_property_and_an_attribute_are_followed():
    text = HEAD + (
        "class S(BaseStage):\n"                                         # 4
        "    def __init__(self, deps, logger):\n"
        "        super().__init__(deps, logger)\n"
        "        self._yt = self.deps.yt_client\n"
        "\n"
        "    def run(self, debug):\n"                                   # 9
        "        self.yt.run_map_submit(spec)\n"                        # 10
        "        self._yt.upload_directory('a', '//tmp/a')\n"           # 11
        "        self.cached().run_vanilla('true', [], {}, 't')\n"       # 12
        "        self.yt.row_count('//tmp/t')\n"
        "        return debug\n"
        "\n"
        "    @property\n"
        "    def yt(self):\n"
        "        return self._yt\n"
        "\n"
        "    def cached(self):\n"
        "        yt = self.yt\n"
        "        return yt\n")
    found = problems(text)
    assert set(found) == {10, 11, 12}, found
    assert found[10].startswith("self.yt.run_map_submit(...): run operations with the "
                                "functions of yt_pipeline.operations")
    assert found[11].startswith("self._yt.upload_directory(...): ")
    assert found[12].startswith("self.cached().run_vanilla(...): ")


def test_a_module_function_taking_the_stage_and_an_assignment_chain_are_followed():
    text = HEAD + (
        "def get_client(stage):\n"                                      # 4
        "    return stage.deps.yt_client\n"
        "\n"
        "class S(BaseStage):\n"                                         # 7
        "    def run(self, debug):\n"
        "        c = get_client(self)\n"                                # 9
        "        d = c\n"
        "        e: object = d\n"
        "        c.run_map('python3 m.py', '//a', '//b', [], r, {})\n"  # 12
        "        e.upload_file('m.bin', '//tmp/m')\n"                   # 13
        "        get_client(self).run_sort('//a', ['k'])\n"             # 14
        "        c.write_table('//a', [])\n"
        "        return debug\n")
    found = problems(text)
    assert set(found) == {12, 13, 14}, found
    assert found[12].startswith("c.run_map(...): ") and found[13].startswith("e.upload_file")
    assert found[14].startswith("get_client(self).run_sort(...): ")


def test_names_in_another_function_and_other_objects_are_not_the_client():
    text = HEAD + (
        "import boto3\n"                                                # 4
        "def s3():\n"
        "    return boto3.client('s3')\n"
        "class S(BaseStage):\n"
        "    def one(self):\n"                                          # 8
        "        c = self.deps.yt_client\n"
        "        return c.row_count('//a')\n"
        "    def run(self, debug):\n"                                   # 11
        "        c = s3()\n"
        "        c.upload_file('a', 'b', 'c')\n"                        # 13: boto3's
        "        s3().upload_file('a', 'b', 'c')\n"
        "        boto3.client('s3').upload_file('a', 'b', 'c')\n"
        "        self.logger.run_map('x')\n"
        "        return debug\n")
    assert problems(text) == {}


def test_what_migrate_cannot_follow_is_listed_to_check_and_left_as_it_is():
    text = HEAD + (
        "from lib.clients import make_client\n"                        # 4
        "from lib.base import WithClient\n"
        "\n"
        "def pick(stage, fake):\n"                                      # 7
        "    if fake:\n"
        "        return None\n"
        "    return stage.deps.yt_client\n"
        "\n"
        "class S(WithClient):\n"                                        # 12
        "    def run(self, debug):\n"
        "        getattr(self, 'client')().upload_file('m', '//m')\n"   # 14
        "        make_client(self.deps).run_map_submit(spec)\n"         # 15
        "        self.inherited().upload_file('m', '//m')\n"            # 16
        "        pick(self, False).run_sort('//a', ['k'])\n"            # 17
        "        make_client('conf').upload_file('m', '//m')\n"        # 18: not given the stage
        "        return debug\n")
    change = migrate_text(Path("stages/x/stage.py"), text)
    found = {p.line: p.text for p in change.problems if p.check}
    assert [p.line for p in change.problems if not p.check] == []
    assert set(found) == {14, 15, 16, 17}, found
    assert found[14] == (
        "getattr(self, 'client')().upload_file(...): migrate cannot tell whether "
        "getattr(self, 'client')() is the YT client (getattr(...) is not followed); if it is: "
        + "the client does not upload local files to Cypress: give the file to the operation "
          "that reads it with file_paths in its config section, or declare it under "
          "checkpoints: in the stage's config.yaml (docs/checkpoints.md)")
    assert "(make_client comes from lib.clients, which migrate does not follow)" in found[15]
    assert "(self.inherited() is not defined in the stage's folder)" in found[16]
    assert "(pick() is the client on some paths only)" in found[17]
    # every call left as it was: only the import changed
    assert change.after == text.replace("from yt_framework.core.stage import BaseStage",
                                        "from yt_pipeline import BaseStage")


HELPERS = '''\
def get_client(stage):
    client = stage.deps.yt_client
    return client


class ClientMixin:
    def client(self):
        return get_client(self)
'''

STAGE = '''\
from yt_framework.core.stage import BaseStage

from . import helpers
from .helpers import ClientMixin, get_client


class Stage(ClientMixin, BaseStage):
    def run(self, debug):
        get_client(self).upload_file(self.stage_dir / "m.bin", "//tmp/m")
        self.client().run_map_submit(spec)
        helpers.get_client(self).run_vanilla("true", [], {}, "t")
        get_client(self).write_table("//tmp/t", [])
        return debug
'''


@pytest.mark.parametrize("spelling", [".helpers", "helpers", "stages.x.helpers"])
def test_a_helper_in_another_module_of_the_stage_folder_is_followed(tmp_path, spelling):
    stage = STAGE.replace("from .helpers import", f"from {spelling} import")
    root = write_pipeline(tmp_path, {"stages/x/helpers.py": HELPERS,
                                     "stages/x/stage.py": stage})
    by_file = {c.path.name: c for c in migrate_tree(root)}
    found = {p.line: p.text for p in by_file["stage.py"].problems}
    assert set(found) == {9, 10, 11}, found
    assert found[9].startswith("get_client(self).upload_file(...): the client does not upload")
    assert found[10].startswith("self.client().run_map_submit(...): run operations with")
    assert found[11].startswith("helpers.get_client(self).run_vanilla(...): ")
    assert by_file["stage.py"].after == stage.replace(
        "from yt_framework.core.stage import BaseStage", "from yt_pipeline import BaseStage"
    ).replace("from .helpers import", "from stages.x.helpers import").replace(
        "from . import helpers", "from stages.x import helpers")
    # a stage already converted (nothing of yt_framework, no yt_client in it) is still read
    (root / "stages/x/stage.py").write_text(by_file["stage.py"].after)
    [again] = [c for c in migrate_tree(root) if c.path.name == "stage.py"]
    assert {p.line for p in again.problems} == {9, 10, 11}


def test_relative_imports_of_a_stage_py_name_its_package_and_other_files_keep_theirs():
    text = ("from . import helpers\n"
            "from .helpers import a, b  # kept\n"
            "from ..common.tables import (\n    names,\n)\n"
            "from ...outside import x\n")
    change = migrate_text(Path("stages/s/stage.py"), text)
    assert change.after == ("from stages.s import helpers\n"
                            "from stages.s.helpers import a, b  # kept\n"
                            "from stages.common.tables import (\n    names,\n)\n"
                            "from ...outside import x\n")
    [problem] = change.problems
    assert problem.line == 6 and problem.text == (
        "a relative import above stages/: import the module by its name from the "
        "pipeline's folder")
    for other in ("stages/s/helpers.py", "stages/s/src/mapper.py", "lib/stage.py"):
        assert migrate_text(Path(other), text).after == text


def test_a_helper_of_another_folder_is_not_taken_for_the_stage_folders(tmp_path):
    stage = STAGE.replace("from .helpers import", "from lib.helpers import")
    root = write_pipeline(tmp_path, {"stages/x/helpers.py": HELPERS,
                                     "stages/x/stage.py": stage})
    [change] = [c for c in migrate_tree(root) if c.path.name == "stage.py"]
    [check] = [p for p in change.problems if p.check]  # lib.helpers is not read: a note
    assert check.line == 9 and check.text.startswith(
        "get_client(self).upload_file(...): migrate cannot tell whether get_client(self) is "
        "the YT client (get_client comes from lib.helpers, which migrate does not follow)")


CLIENT_HELPERS = '''\
from yt_framework.yt.clients.yql.yql_requests import FilterTableRequest


def get_client(stage):
    return stage.deps.yt_client


def keep_big(stage, source, target):
    yt = get_client(stage)
    yt.filter_table_request(FilterTableRequest(input_table=source, output_table=target,
                                               condition="amount > 10"))
'''

MAKE_STAGE = '''\
from yt_framework.core.pipeline import DebugContext
from yt_framework.core.stage import BaseStage


class MakeOrders(BaseStage):
    def client(self):
        return self.deps.yt_client

    def run(self, debug: DebugContext) -> DebugContext:
        orders = [{"id": i, "amount": 7 * i} for i in range(5)]
        self.client().write_table(self.config.client.orders, orders)
        return debug
'''

SUMMARY_STAGE = '''\
from yt_framework.core.pipeline import DebugContext
from yt_framework.core.stage import BaseStage

from .helpers import get_client, keep_big


class Summary(BaseStage):
    def __init__(self, deps, logger):
        super().__init__(deps, logger)
        self._yt = get_client(self)

    @property
    def yt(self):
        return self._yt

    def run(self, debug: DebugContext) -> DebugContext:
        c = self.config.client
        keep_big(self, c.orders, c.big)
        yt = self.yt
        yt.write_table(c.summary, [{"all": get_client(self).row_count(c.orders),
                                    "read": len(yt.read_table(c.orders))}])
        return debug
'''


@pytest.fixture
def own_stages_package(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The run imports `stages.summary.helpers` from the pipeline's folder, which it puts on
    sys.path: both are undone after, so another test's `stages` package is its own."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    for name in [n for n in sys.modules if n == "stages" or n.startswith("stages.")]:
        del sys.modules[name]


@pytest.mark.usefixtures("own_stages_package")
def test_a_pipeline_reaching_its_client_through_helpers_converts_and_runs(tmp_path, run_cli):
    root = write_pipeline(tmp_path / "p", {
        "pipeline.py": ("from yt_framework.core.pipeline import DefaultPipeline\n\n"
                        "if __name__ == '__main__':\n    DefaultPipeline.main()\n"),
        "configs/config.yaml": json.dumps({"stages": {"enabled_stages": ["make", "summary"]},
                                           "pipeline": {"mode": "dev"}}),
        "stages/make/stage.py": MAKE_STAGE,
        "stages/make/config.yaml": json.dumps({"client": {"orders": "//h/orders"}}),
        "stages/summary/helpers.py": CLIENT_HELPERS,
        "stages/summary/stage.py": SUMMARY_STAGE,
        "stages/summary/config.yaml": json.dumps({"client": {
            "orders": "//h/orders", "big": "//h/big", "summary": "//h/summary"}}),
    })
    migrated = run_cli("migrate", str(root))
    assert migrated.exit_code == 0, migrated.output
    assert "cannot convert" not in migrated.stderr and "check by hand" not in migrated.stderr
    assert (root / "stages/summary/helpers.py").read_text() == CLIENT_HELPERS.replace(
        "yt_framework.yt.clients.yql.yql_requests", "yt_pipeline.compat.yql_requests")
    # yt-framework imported stage.py as stages.summary.stage; here it is loaded from its
    # file, so its relative import names the package
    for stage, text in (("make", MAKE_STAGE), ("summary", SUMMARY_STAGE.replace(
            "from .helpers import", "from stages.summary.helpers import"))):
        assert (root / f"stages/{stage}/stage.py").read_text() == text.replace(
            "from yt_framework.core.pipeline import", "from yt_pipeline import").replace(
            "from yt_framework.core.stage import", "from yt_pipeline import")
    result = run_cli("run", str(root))
    assert result.exit_code == 0, result.output

    def rows(name: str) -> list[dict]:
        text = (root / f".dev/h/{name}.jsonl").read_text()
        return [json.loads(line) for line in text.splitlines()]

    orders = [{"id": i, "amount": 7 * i} for i in range(5)]
    assert sorted(rows("orders"), key=lambda r: r["id"]) == orders
    assert sorted(rows("big"), key=lambda r: r["id"]) == [r for r in orders if r["amount"] > 10]
    assert rows("summary") == [{"all": len(orders), "read": len(orders)}]


def test_the_command_lists_lines_to_check_apart_from_those_it_cannot_convert(tmp_path,
                                                                            run_cli):
    root = write_pipeline(tmp_path / "p", {"stages/x/stage.py": HEAD + (
        "from lib.clients import make_client\n"                        # 4
        "\n"
        "class S(BaseStage):\n"
        "    def client(self):\n"
        "        return self.deps.yt_client\n"
        "\n"
        "    def run(self, debug):\n"                                   # 10
        "        self.client().upload_file('m', '//m')\n"               # 11
        "        make_client(self).run_map_submit(spec)\n"              # 12
        "        return debug\n")})
    result = run_cli("migrate", str(root))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert any(line.startswith("cannot convert: stages/x/stage.py:11: self.client()."
                               "upload_file(...): ") for line in lines), lines
    assert any(line.startswith("check by hand: stages/x/stage.py:12: make_client(self)."
                               "run_map_submit(...): migrate cannot tell whether") for line in lines)
    assert "1 line(s) left to convert by hand, and 1 to check" in result.stderr
