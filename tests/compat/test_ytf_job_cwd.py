"""A job finds its stage's files relative to its working folder, as yt-framework's jobs do
(yt-framework extracts its code archive into the job's working folder; yt-pipeline extracts
into `_ytp_code/` and links each top entry of it into the working folder).

The same pipeline runs in dev and in prod on the fake proxy: its map job opens
`Path("stages/read_config/config.yaml")` and an attached file by their relative names and
writes what it read into its rows; its vanilla job fails unless it finds its config the
same way. Jobs in prod run the bare Python 3.8 of the fake, so the config is read without
PyYAML.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import yaml

from yt_pipeline.operations import OperationSpec, Resources
from yt_pipeline.yamlio import dump_yaml
from yt_pipeline_dev.client import DevClient
from yt_pipeline_dev.job_code import link_entries
from yt_pipeline_dev.launcher import launch, sandbox_for
from yt_pipeline_prod.op_spec import LINK_CODE
from yt_pipeline_prod.testing import TEST_PROD_OPTIONS, TEST_TOKEN

MARKER = "read-from-the-working-folder"
NOTES = "an attached file, also in the working folder"

CONFIG_READER = """
from pathlib import Path


def setting(key):
    # the stage's config.yaml, found as yt-framework's jobs find it: relative to the
    # working folder (read without PyYAML, which the job's Python does not have)
    for line in Path("stages/read_config/config.yaml").read_text().splitlines():
        name, _, value = line.strip().partition(":")
        if name == key:
            return value.strip()
    raise SystemExit("no %s in stages/read_config/config.yaml" % key)
"""

FILES = {
    "configs/config.yaml": """
        stages:
          enabled_stages: [make_rows, read_config, check_vanilla]
        pipeline:
          mode: dev
          build_folder: //tmp/cwd/build
    """,
    "stages/make_rows/stage.py": """
        from yt_pipeline import BaseStage


        class MakeRows(BaseStage):
            def run(self, debug):
                self.deps.yt_client.write_table("//tmp/cwd/input", [{"id": 1}, {"id": 2}])
                return debug
    """,
    "stages/read_config/stage.py": """
        from yt_pipeline import BaseStage
        from yt_pipeline.operations import run_map


        class ReadConfig(BaseStage):
            def run(self, debug):
                run_map(self, self.config.client.operations.map)
                return debug
    """,
    "stages/read_config/src/mapper.py": CONFIG_READER + """
import json
import sys

marker = setting("marker")
notes = Path("notes.txt").read_text().strip()
for line in sys.stdin:
    row = json.loads(line)
    print(json.dumps({"id": row["id"], "marker": marker, "notes": notes,
                      "stages_linked": Path("stages").is_symlink()}))
""",
    "stages/check_vanilla/stage.py": """
        from yt_pipeline import BaseStage
        from yt_pipeline.operations import run_vanilla


        class CheckVanilla(BaseStage):
            def run(self, debug):
                run_vanilla(self, self.config.client.operations.vanilla)
                return debug
    """,
    "stages/check_vanilla/src/vanilla.py": """
        from pathlib import Path

        config = Path("stages/check_vanilla/config.yaml")
        if "greeting: hello" not in config.read_text():
            raise SystemExit("the vanilla job did not find its config relative to its cwd")
        print("vanilla found", config)
    """,
    "stages/check_vanilla/config.yaml": """
        job:
          greeting: hello
        client:
          operations:
            vanilla: {}
    """,
    "notes.txt": NOTES + "\n",
}


def map_config(file_path: str) -> dict:
    return {
        "job": {"marker": MARKER},
        "client": {"operations": {"map": {
            "input_table": "//tmp/cwd/input",
            "output_table": "//tmp/cwd/output",
            "file_paths": [file_path],
            "resources": {"job_count": 2},
        }}},
    }


def make_pipeline(root: Path, file_path: str) -> Path:
    for relative, text in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    (root / "stages/read_config/config.yaml").write_text(dump_yaml(map_config(file_path)))
    return root


def expected_rows() -> list[dict]:
    return [{"id": i, "marker": MARKER, "notes": NOTES, "stages_linked": True} for i in (1, 2)]


def by_id(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda row: row["id"])


def test_a_dev_job_reads_its_config_relative_to_its_working_folder(tmp_path, run_cli):
    pipeline = make_pipeline(tmp_path / "dev", "notes.txt")
    ran = run_cli("run", pipeline)
    assert ran.exit_code == 0, ran.output
    output = pipeline / ".dev/tmp/cwd/output.jsonl"
    assert by_id([json.loads(line) for line in output.read_text().splitlines()]) == \
        expected_rows()
    assert "vanilla found stages/check_vanilla/config.yaml" in \
        (pipeline / ".dev/check_vanilla.log").read_text()


def test_a_prod_job_reads_its_config_relative_to_its_working_folder(tmp_path, run_cli,
                                                                     fake_yt, prod_client,
                                                                     monkeypatch):
    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    yt = prod_client.yt()
    yt.create("map_node", "//tmp/cwd", recursive=True, ignore_existing=True)
    yt.write_file("//tmp/cwd/notes.txt", (NOTES + "\n").encode())
    pipeline = make_pipeline(tmp_path / "prod", "//tmp/cwd/notes.txt")
    (pipeline / "configs/secrets.env").write_text(f"YT_PROXY={fake_yt.url}\nYT_TOKEN={TEST_TOKEN}\n")
    config_file = pipeline / "configs/config.yaml"
    config = yaml.safe_load(config_file.read_text())
    config["pipeline"].update({"mode": "prod", "prod": TEST_PROD_OPTIONS})
    config_file.write_text(dump_yaml(config))

    ran = run_cli("run", pipeline)
    assert ran.exit_code == 0, ran.output
    node = fake_yt.state.cypress.lookup("//tmp/cwd/output", None)
    assert by_id([dict(row) for row in node.rows]) == expected_rows()


# -- the linking itself ------------------------------------------------------------------

def test_prod_links_leave_the_working_folders_own_files_alone(tmp_path):
    code = tmp_path / "_ytp_code"
    (code / "stages/s").mkdir(parents=True)
    (code / "stages/s/config.yaml").write_text("from the archive\n")
    (code / "notes.txt").write_text("from the archive\n")
    (code / "ytjobs").mkdir()
    (tmp_path / "notes.txt").write_text("attached\n")  # a file of file_paths, placed by YT
    done = subprocess.run(["bash", "-c", "set -e\n" + LINK_CODE], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == "", done.stderr
    assert (tmp_path / "stages/s/config.yaml").read_text() == "from the archive\n"
    assert (tmp_path / "notes.txt").read_text() == "attached\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_symlink()) == ["stages", "ytjobs"]
    # the links are relative: the working folder may be moved or mounted elsewhere
    assert str((tmp_path / "stages").readlink()) == "_ytp_code/stages"


def test_prod_links_nothing_from_an_empty_archive(tmp_path):
    (tmp_path / "_ytp_code").mkdir()
    done = subprocess.run(["bash", "-c", "set -e\n" + LINK_CODE], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_ytp_code"]


def test_dev_links_leave_the_sandboxs_own_files_alone(tmp_path):
    code, sandbox = tmp_path / "code", tmp_path / "sandbox"
    for name in ("stages", "ytjobs", ".hidden"):
        (code / name).mkdir(parents=True)
    (code / "words.txt").write_text("from the archive\n")
    sandbox.mkdir()
    (sandbox / "words.txt").write_text("attached\n")
    link_entries(sandbox, sorted(code.iterdir()))
    assert sorted(p.name for p in sandbox.iterdir()) == ["stages", "words.txt", "ytjobs"]
    assert (sandbox / "words.txt").read_text() == "attached\n"
    assert (sandbox / "stages").resolve() == (code / "stages").resolve()


def test_dev_without_an_archive_links_the_pipelines_stages(tmp_path):
    pipeline = tmp_path / "pipe"
    stage_dir = pipeline / "stages/plain"
    (stage_dir / "src").mkdir(parents=True)
    (stage_dir / "config.yaml").write_text("marker: working-tree\n")
    (stage_dir / "src/mapper.py").write_text(textwrap.dedent("""
        import json, sys
        from pathlib import Path
        text = Path("stages/plain/config.yaml").read_text().strip()
        for line in sys.stdin:
            print(json.dumps(dict(json.loads(line), config=text)))
    """))
    client = DevClient(pipeline / ".dev")
    client.write_table("//in/t", [{"id": 1}])
    spec = OperationSpec(kind="map", stage_name="plain", name="map", stage_dir=stage_dir,
                         pipeline_dir=pipeline, resources=Resources(),
                         input_tables=["//in/t"], output_tables=["//out/t"],
                         mapper="src/mapper.py")
    assert spec.code_package is None
    launch(client, spec)
    assert list(client.read_table("//out/t")) == [{"id": 1, "config": "marker: working-tree"}]
    # the sandbox is gone, its link with it; the stage folder it pointed at is not
    assert not sandbox_for(client, spec).exists()
    assert (stage_dir / "config.yaml").read_text() == "marker: working-tree\n"
