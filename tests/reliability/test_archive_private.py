"""The code archive never holds run state, run records, locks, dev tables or sandboxes (a
custom dev_dir too), build output or secrets.env, whatever upload_paths says."""

from __future__ import annotations

import tarfile

import pytest

from yt_pipeline.testing import invoke_cli, write_pipeline

pytest.importorskip("yt_pipeline_uploader")

PRIVATE = {
    ".runs/20260101-000000-abcdef.json": "{}",
    ".runs/stages.dev.json": "{}",
    ".runs/prod.lock": "pid",
    "state.dev.yml": "stages: {}\n",
    "state.prod.yml": "stages: {}\n",
    "state.steps.prod.yml": "stages: {}\n",
    ".state.prod.yml.x1y2.tmp": "half written",
    "local_tables/tmp/t.jsonl": "{}\n",
    "local_tables/sandbox_tmp.t_to_tmp.u/map0.stderr": "a job's stderr\n",  # older versions
    "local_tables/.sandboxes/sandbox_tmp.t_to_tmp.u/map0.stderr": "a job's stderr\n",
    ".build/old.tar.gz": "",
}
STAGE = "from yt_pipeline import BaseStage\n\nclass S(BaseStage):\n    def run(self, debug):\n        return debug\n"


def make(tmp_path, upload_paths):
    files = {"stages/s/stage.py": STAGE, "stages/s/src/mapper.py": "print()\n",
             "stages/s/config.yaml": "client:\n  operations:\n    map:\n"
                                     "      input_table: //t\n      output_table: //u\n",
             "configs/secrets.env": "YT_TOKEN=tok-archive-1234\n", "lib/helper.py": "X = 1\n",
             **PRIVATE}
    return write_pipeline(tmp_path / "p", files, config={
        "pipeline": {"mode": "dev", "dev_dir": "local_tables", "upload_paths": upload_paths},
        "stages": {"enabled_stages": ["s"]}})


@pytest.mark.parametrize("upload_paths", [["."], [{"source": ".", "target": "all"}],
                                          ["lib", "."]])
def test_uploading_the_whole_folder_leaves_the_private_parts_out(tmp_path, upload_paths):
    root = make(tmp_path, upload_paths)
    result = invoke_cli("package", str(root))
    assert result.exit_code == 0, result.output
    with tarfile.open(root / ".build" / "source.tar.gz") as archive:
        names = archive.getnames()
    assert any(name.endswith("lib/helper.py") for name in names), names
    for private in PRIVATE:
        assert not [n for n in names if n.endswith(private)], (private, names)
    assert not [n for n in names if "secrets.env" in n or "local_tables" in n
                or ".runs" in n or "/state." in n], names


@pytest.mark.parametrize("source", [".runs", "local_tables", "local_tables/tmp",
                                    "state.prod.yml", ".build"])
def test_naming_a_private_part_is_an_error(tmp_path, source):
    root = make(tmp_path, [source])
    result = invoke_cli("package", str(root))
    assert result.exit_code == 2, result.output
    assert "pipeline.upload_paths[0]" in result.output
    assert "never packed" in result.output
