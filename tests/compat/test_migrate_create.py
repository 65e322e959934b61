"""`yt-pipeline migrate` rewrites table creation through ytsaurus-client to the client's
`create_path(path, "table", schema=[...])`.

yt-framework's prod client kept a `yt.wrapper.YtClient` as `.client`
(yt_framework/yt/clients/client_prod.py) and its `create_path(path, node_type)` took no
schema, so stages gave a table a schema through that client or through yt.wrapper itself:
`create(type, path, recursive, ignore_existing, lock_existing, force, attributes, ...)`
and `create_table(path, recursive, ignore_existing, attributes)`
(yt/wrapper/cypress_commands.py, yt/wrapper/table_commands.py)."""

from __future__ import annotations

import json
from pathlib import Path

from yt_pipeline.migrate import migrate_text
from yt_pipeline.testing import write_pipeline

HEAD = ("import yt.wrapper as yt\n"
        "from yt_framework.core.stage import BaseStage\n"
        "\n"
        "SCHEMA = [{'name': 'id', 'type': 'int64', 'sort_order': 'ascending'},\n"
        "          {'name': 'name', 'type': 'string'}]\n"
        "\n"
        "\n"
        "class Make(BaseStage):\n"
        "    def run(self, debug):\n")                                      # 9


def body_of(text: str) -> str:
    return text.split("    def run(self, debug):\n", 1)[1]


def test_the_clients_create_with_a_schema_becomes_create_path_keeping_the_layout():
    change = migrate_text(Path("stages/make/stage.py"), HEAD + (
        "        self.deps.yt_client.client.create('table', '//t/a', recursive=True,\n"
        "                                          attributes={'schema': SCHEMA},\n"
        "                                          ignore_existing=True)\n"
        "        self.deps.yt_client.client.create(\n"
        "            'table',\n"
        "            '//t/b',\n"
        "            attributes={'schema': [{'name': 'x', 'type': 'double'}]},\n"
        "        )\n"
        "        return debug\n"))
    assert change.problems == []
    assert body_of(change.after) == (
        "        self.deps.yt_client.create_path('//t/a', 'table', schema=SCHEMA)\n"
        "        self.deps.yt_client.create_path(\n"
        "            '//t/b',\n"
        "            'table',\n"
        "            schema=[{'name': 'x', 'type': 'double'}],\n"
        "        )\n"
        "        return debug\n")
    again = migrate_text(Path("stages/make/stage.py"), change.after)
    assert not again.changed and again.problems == []


def test_yt_wrapper_creation_in_a_stage_uses_the_stages_client_and_names_what_is_left_out():
    change = migrate_text(Path("stages/make/stage.py"), HEAD + (
        "        yt.create('table', '//t/a', attributes={'schema': SCHEMA,\n"      # 10
        "                  'optimize_for': 'scan', 'compression_codec': 'zstd_3'})\n"
        "        yt.create('table', '//t/b', force=True, attributes={'schema': SCHEMA})\n"
        "        yt.create('map_node', '//t/dir', recursive=True)\n"
        "        return debug\n"))
    assert body_of(change.after) == (
        "        self.deps.yt_client.create_path('//t/a', 'table', schema=SCHEMA)\n"
        "        self.deps.yt_client.create_path('//t/b', 'table', schema=SCHEMA)\n"
        "        self.deps.yt_client.create_path('//t/dir', 'map_node')\n"
        "        return debug\n")
    assert [(p.line, p.text, p.check) for p in change.problems] == [
        (10, "yt.create(...) became create_path without the attributes 'optimize_for', "
             "'compression_codec': create_path sets a table's schema only (no storage "
             "attributes)", False),
        (12, "yt.create(...) became create_path without force=True: create_path "
             "keeps an existing table of this schema, rows and all; to start empty call "
             "self.deps.yt_client.remove('//t/b', force=True) before it", False)]


def test_a_client_bound_to_a_name_is_followed_and_the_binding_reported():
    change = migrate_text(Path("stages/make/stage.py"), HEAD + (
        "        raw = self.deps.yt_client.client\n"                               # 10
        "        raw.create_table('//t/a', attributes={'schema': SCHEMA})\n"
        "        return debug\n"))
    assert body_of(change.after).splitlines()[1] == \
        "        self.deps.yt_client.create_path('//t/a', \"table\", schema=SCHEMA)"
    [problem] = change.problems
    assert (problem.line, problem.text) == (10, (
        "self.deps.yt_client.client: yt-pipeline's client holds no ytsaurus client; call "
        "its own methods (create_path, write_table, read_table, exists, remove, list, "
        "row_count)"))


def test_what_create_path_cannot_take_is_left_as_it_is_and_named():
    text = HEAD + (
        "        attrs = make_attributes()\n"                                      # 10
        "        self.deps.yt_client.client.create('table', '//t/a', attributes=attrs)\n"
        "        yt.create('table', '//t/b', attributes={'schema': TableSchema()})\n"
        "        yt.create('file', '//t/c')\n"
        "        yt.create('table', '//t/d', **options)\n"
        "        return debug\n")
    change = migrate_text(Path("stages/make/stage.py"), text)
    assert body_of(change.after) == body_of(text)
    lines = {p.line: p.text for p in change.problems}
    assert set(lines) == {11, 12, 13, 14}, lines
    assert lines[11].startswith("self.deps.yt_client.client.create(...): attributes=attrs "
                                "is no {...} literal")
    assert lines[12].startswith("yt.create(...): the schema is TableSchema(...), not a list "
                                "of columns")
    assert lines[13] == ("yt.create(...): yt-pipeline's client creates a table or a folder "
                         "(map_node) only, with create_path")
    assert lines[14].startswith("yt.create(...): migrate cannot tell its arguments")


def test_a_literal_schema_create_path_would_refuse_is_named_at_migrate_time():
    change = migrate_text(Path("stages/make/stage.py"), HEAD + (
        "        yt.create('table', '//t/a', attributes={'schema': [\n"              # 10
        "            {'name': 'k', 'type': 'int64', 'sort_order': 'descending'}]})\n"
        "        return debug\n"))
    assert "self.deps.yt_client.create_path('//t/a', 'table', schema=[" in change.after
    [problem] = change.problems
    assert (problem.line, problem.text) == (10, (
        "yt.create(...): create_path '//t/a': schema column 'k': sort_order 'descending' is "
        "not 'ascending': correct the schema before the run"))


def test_job_code_keeps_yt_wrapper_and_code_outside_a_stage_is_named():
    job = "import yt.wrapper as yt\nyt.create('table', '//t/a', recursive=True)\n"
    assert not migrate_text(Path("stages/make/src/job.py"), job).changed
    helper = ("import yt.wrapper as yt\n\n\n"
              "def prepare():\n"
              "    yt.create('table', '//t/a', recursive=True)\n")
    change = migrate_text(Path("pipeline.py"), helper)
    assert not change.changed
    [problem] = change.problems
    assert problem.line == 5 and problem.text.startswith(
        "yt.create(...) outside a stage's method: create the table with the stage's client")


def test_a_client_migrate_cannot_follow_is_listed_to_check():
    text = ("from lib.clients import make_client\n"
            "from yt_framework.core.stage import BaseStage\n\n\n"
            "class S(BaseStage):\n"
            "    def run(self, debug):\n"
            "        make_client(self).client.create('table', '//t/a')\n"              # 7
            "        return debug\n")
    change = migrate_text(Path("stages/s/stage.py"), text)
    assert "make_client(self).client.create('table', '//t/a')" in change.after
    [problem] = change.problems
    assert problem.check and problem.line == 7
    assert problem.text.startswith("make_client(self).client.create(...): migrate cannot "
                                   "tell whether make_client(self) is the YT client")


MAKE = '''\
from yt_framework.core.pipeline import DebugContext
from yt_framework.core.stage import BaseStage

USERS = "//trial/users"


class Make(BaseStage):
    def run(self, debug: DebugContext) -> DebugContext:
        self.deps.yt_client.client.create(
            "table",
            USERS,
            attributes={
                "schema": [{"name": "id", "type": "int64", "sort_order": "ascending"},
                           {"name": "name", "type": "string", "required": True}],
                "optimize_for": "scan",
            },
            recursive=True,
            ignore_existing=True,
        )
        self.deps.yt_client.write_table(USERS, [{"id": 1, "name": "ann"},
                                                {"id": 2, "name": "bob"}])
        return debug
'''


def test_a_migrated_stage_creating_a_table_with_a_schema_runs_in_dev(tmp_path, run_cli):
    root = write_pipeline(tmp_path / "p", {
        "pipeline.py": "from yt_framework.core.pipeline import DefaultPipeline\n\n"
                       "if __name__ == '__main__':\n    DefaultPipeline.main()\n",
        "stages/make/stage.py": MAKE}, config={
        "stages": {"enabled_stages": ["make"]}, "pipeline": {"mode": "dev"}})
    result = run_cli("migrate", str(root))
    # optimize_for has no counterpart: named with its line, the rest converted
    assert result.exit_code == 2, result.output
    assert ("cannot convert: stages/make/stage.py:9: self.deps.yt_client.client.create(...) "
            "became create_path without the attributes 'optimize_for'") in result.output
    assert "self.deps.yt_client.create_path(\n            USERS,\n            \"table\",\n" \
        in (root / "stages/make/stage.py").read_text()
    for _ in range(2):  # a second run takes the table it made, of this very schema
        ran = run_cli("run", str(root))
        assert ran.exit_code == 0, ran.output
    rows = (root / ".dev/trial/users.jsonl").read_text().splitlines()
    assert [json.loads(row) for row in rows] == [{"id": 1, "name": "ann"},
                                                 {"id": 2, "name": "bob"}]
    shown = run_cli("table", "schema", "//trial/users", "-C", str(root))
    assert shown.exit_code == 0, shown.output
    assert [json.loads(line) for line in shown.stdout.splitlines()] == [
        {"column": "id", "type": "int64", "sort_order": "ascending", "schema": "declared"},
        {"column": "name", "type": "string", "required": True, "schema": "declared"}]
