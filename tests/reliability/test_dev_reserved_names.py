"""YT names that begin with "." in dev: dev keeps every name beginning with "." for itself
(.txn, .locks, .cache and .removed at the top of .dev, a write's temporary files beside its
table), and YT allows such names for tables and folders (a Cypress node's name is any
non-empty string but "." and ".."; the YPath docs, "YPath": literals). They are stored
under an escaped name (yt_pipeline_dev/paths.py), and behave as any other name: listed,
read, kept through runs, operations and the sweeps at a run's start.

Each table holds rows of its own; every check compares the rows read back."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from yt_pipeline.testing import write_pipeline

#: at the top, the names of dev's own folders; below, a hidden-looking name and the escape
TABLES = ["//.txn/t", "//.locks/t", "//.cache/t", "//.removed/a.stale/t", "//.removed/b.stale",
          "//x/.hidden", "//x/^y", "//x/^.z", "//x/.w.jsonl/t", "//.tmp"]

STAGE = """
import json
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Names(BaseStage):
    def run(self, debug):
        client = self.deps.yt_client
        for path in json.loads(self.config.client.tables):
            client.write_table(path, [{"path": path, "run": 1}], append=True)
        run_map(self, self.config.client.operations.copy)
        return debug
"""
MAPPER = """
from ytjobs import read_rows, write_rows

write_rows(dict(row, mapped=True) for row in read_rows())
"""


def _pipeline(root: Path) -> Path:
    return write_pipeline(root, {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev"},
                                           "stages": {"graph": {"names": []}}}),
        "stages/names/stage.py": STAGE,
        "stages/names/src/mapper.py": MAPPER,
        "stages/names/config.yaml": json.dumps({"client": {
            "tables": json.dumps(TABLES),
            "operations": {"copy": {"input_table": "//x/.hidden", "output_table": "//.txn/out",
                                    "mapper": "src/mapper.py"}}}}),
    })


def test_tables_named_like_dev_s_own_files_keep_their_rows_through_runs(tmp_path, run_cli):
    from yt_pipeline_dev.client import DevClient

    root = _pipeline(tmp_path / "p")
    for _ in range(2):
        done = run_cli("run", root, "--force")
        assert done.exit_code == 0, done.output
    client = DevClient(root / ".dev")
    for path in TABLES:  # appended by both runs, swept by neither
        assert list(client.read_table(path)) == [{"path": path, "run": 1}] * 2, path
    assert list(client.read_table("//.txn/out")) == [
        {"path": "//x/.hidden", "run": 1, "mapped": True}] * 2
    assert client.list("//") == [".cache", ".locks", ".removed", ".tmp", ".txn", "x"]
    assert client.list("//.removed") == ["a.stale", "b.stale"]
    assert client.list("//x") == [".hidden", ".w.jsonl", "^.z", "^y"]
    assert client.list("//.txn") == ["out", "t"]
    # no YT name is kept under a name of dev's own
    assert not [p for p in (root / ".dev").rglob("*.jsonl")
                if any(part.startswith(".") and part != ".dev"
                       for part in p.relative_to(root).parts)
                and ".cache" not in p.parts]


def test_removing_a_dot_folder_leaves_dev_s_own_folder(tmp_path):
    from yt_pipeline_dev.client import DevClient

    client = DevClient(tmp_path / ".dev")
    client.write_table("//.locks/t", [{"a": 1}])
    client.write_table("//kept", [{"b": 2}])
    client.remove("//.locks", recursive=True)
    assert not client.exists("//.locks")
    assert (tmp_path / ".dev/.locks").is_dir()  # the write locks of dev itself
    client.write_table("//kept", [{"b": 3}], append=True)
    assert list(client.read_table("//kept")) == [{"b": 2}, {"b": 3}]


MAKE_STAGE = """
from yt_pipeline import BaseStage


class Make(BaseStage):
    def run(self, debug):
        client = self.deps.yt_client
        client.write_table("//in", [{"a": 1}])
        # a folder of the pipeline's own, named as the operation's sandbox once was
        client.write_table("//sandbox_fails.map_in_to_out/mine", [{"b": 2}], append=True)
        return debug
"""
FAILING_STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Fails(BaseStage):
    def run(self, debug):
        run_map(self, self.config.client.operations.map)
        return debug
"""


def test_a_kept_sandbox_is_no_yt_folder(tmp_path, run_cli):
    from yt_pipeline_dev.client import DevClient

    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev"},
                                           "stages": {"graph": {"make": [],
                                                                "fails": ["make"]}}}),
        "stages/make/stage.py": MAKE_STAGE,
        "stages/fails/stage.py": FAILING_STAGE,
        "stages/fails/src/mapper.py": "import sys\nsys.exit(3)\n",
        "stages/fails/config.yaml": json.dumps({"client": {"operations": {"map": {
            "input_table": "//in", "output_table": "//out", "mapper": "src/mapper.py",
            "max_failed_job_count": 1}}}}),
    })
    for _ in range(2):
        done = run_cli("run", root, "--force")
        assert done.exit_code == 1 and "sandbox kept at" in done.output, done.output
    assert (root / ".dev/.sandboxes/sandbox_fails.map_in_to_out/map0.stderr").is_file()
    client = DevClient(root / ".dev")
    # a cluster lists what the pipeline made, and nothing of how dev ran its jobs
    assert client.list("//") == ["in", "sandbox_fails.map_in_to_out"]
    assert client.list("//sandbox_fails.map_in_to_out") == ["mine"]
    # each launch cleared the sandbox; the folder of that name kept both runs' rows
    assert list(client.read_table("//sandbox_fails.map_in_to_out/mine")) == [{"b": 2}] * 2


_NAMES = st.text(alphabet=st.sampled_from(list(".^~tjsonl/")), min_size=1, max_size=9).filter(
    lambda n: "/" not in n and n not in (".", ".."))


@given(st.lists(_NAMES, min_size=2, max_size=6, unique=True))
def test_stored_names_are_distinct_never_dev_s_own_and_undone(names):
    from yt_pipeline_dev.paths import TABLE_SUFFIX, folder_name, folder_part, stored_name, table_name

    folders = [folder_part(n) for n in names]
    tables = [stored_name(n) + TABLE_SUFFIX for n in names]
    assert len(set(folders) | set(tables)) == 2 * len(names)  # no table meets a folder
    assert not [s for s in folders + tables if s.startswith(".")]
    assert [folder_name(f) for f in folders] == names
    assert [table_name(t) for t in tables] == names
