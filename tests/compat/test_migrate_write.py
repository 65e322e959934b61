"""`yt-pipeline migrate` writes every file it converts or none: a pipeline left half
converted runs on neither framework."""

from __future__ import annotations

import os

from yt_pipeline import migrate_write
from yt_pipeline.testing import write_pipeline

FILES = {
    "pipeline.py": "from yt_framework.core.pipeline import DefaultPipeline  # kept\n",
    "stages/a/stage.py": "from yt_framework.core.stage import BaseStage\n",
    "stages/b/stage.py": "from yt_framework.operations import run_map\n",
    "stages/c/stage.py": "from yt_framework.operations.table import read_table\n",
}


def _tree(root):
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_a_copy_that_cannot_be_kept_leaves_every_file_as_it_was(tmp_path, run_cli):
    root = write_pipeline(tmp_path / "p", FILES)
    # the copy of stages/c/stage.py cannot be made: a file stands where its folder goes,
    # after the copies of the files before it were made
    (root / ".yt-framework-originals/stages").mkdir(parents=True)
    (root / ".yt-framework-originals/stages/c").write_text("")
    before = _tree(root)
    result = run_cli("migrate", str(root))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[0] == (
        f"error: cannot write {root}/.yt-framework-originals/stages/c: File exists; "
        "nothing was rewritten")
    assert _tree(root) == before  # no file rewritten, no copy or temporary file left


def test_a_rename_that_fails_puts_back_the_files_already_renamed(tmp_path, run_cli,
                                                                 monkeypatch):
    root = write_pipeline(tmp_path / "p", FILES)
    (root / "stages/a/stage.py").chmod(0o750)
    before = _tree(root)
    replace, calls = os.replace, []

    def third_fails(source, target):
        calls.append(target)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(target))
        replace(source, target)

    monkeypatch.setattr(migrate_write.os, "replace", third_fails)
    result = run_cli("migrate", str(root))
    assert result.exit_code == 1
    assert "No space left on device; nothing was rewritten" in result.stderr
    assert _tree(root) == before
    assert (root / "stages/a/stage.py").stat().st_mode & 0o777 == 0o750

    monkeypatch.setattr(migrate_write.os, "replace", replace)
    done = run_cli("migrate", str(root))
    assert done.exit_code == 0 and "rewrote 4 file(s)" in done.stdout
    assert (root / "pipeline.py").read_text() == "from yt_pipeline import DefaultPipeline  # kept\n"
    assert (root / ".yt-framework-originals/pipeline.py").read_text() == FILES["pipeline.py"]
    assert (root / "stages/a/stage.py").stat().st_mode & 0o777 == 0o750


def test_a_folder_that_is_not_a_pipeline_is_refused_with_one_line(tmp_path, run_cli):
    plain = write_pipeline(tmp_path / "plain", {"tool.py": "print('hello')\n"})
    result = run_cli("migrate", str(plain))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {plain} is not a yt-framework pipeline: it has no pipeline.py, stages/ or "
        "configs/config.yaml, and no .py file in it imports yt_framework"]
    assert result.stdout == ""
    assert sorted(p.name for p in plain.iterdir()) == ["tool.py"]  # no originals folder
    # a package of helpers that imports yt_framework is taken, as is a converted pipeline
    helpers = write_pipeline(tmp_path / "helpers", {
        "base.py": "from yt_framework.core.stage import BaseStage\n"})
    assert run_cli("migrate", str(helpers)).exit_code == 0
    assert (helpers / "base.py").read_text() == "from yt_pipeline import BaseStage\n"
    again = run_cli("migrate", str(helpers))
    assert again.exit_code == 0 and "rewrote 0 file(s)" in again.stdout
