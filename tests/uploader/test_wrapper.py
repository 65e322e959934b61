"""The wrapper scripts really start a job: from an extracted folder, or by unpacking the
archive themselves, and the job finds its config and ytjobs in the archive."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from packaging_helpers import build, make_tar, make_wheel

ROWS = [{"name": "ann"}, {"name": "bo"}]
WRAPPER = "operation_wrapper_clean_map.sh"
pytestmark = pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")


def run_wrapper(wrapper: Path, sandbox: Path, *args: str, **env: str):
    environ = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("YTP_", "PYTHON", "JOB_"))
    }
    environ.update({"YTP_PYTHON": sys.executable, **env})
    stdin = "".join(json.dumps(row) + "\n" for row in ROWS)
    return subprocess.run(
        ["sh", str(wrapper), *args], cwd=sandbox, input=stdin, capture_output=True,
        text=True, env=environ, timeout=60,
    )


def output_rows(result) -> list[dict]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def check_rows(rows: list[dict], code_dir: Path) -> None:
    assert [r["name"] for r in rows] == ["ann", "bo"]
    assert {r["label"] for r in rows} == {"from-clean-config"}
    assert [r["shout"] for r in rows] == ["HELLO ANN", "HELLO BO"]
    assert {r["ytjobs_from"] for r in rows} == {str(code_dir)}


@pytest.fixture
def sandbox(tmp_path) -> Path:
    folder = tmp_path / "sandbox"
    folder.mkdir()
    return folder


def test_wrapper_runs_the_mapper_from_an_extracted_folder(full_pipeline, sandbox, tmp_path):
    package = build(full_pipeline())
    code_dir = tmp_path / "code"
    with tarfile.open(package.archive_path) as tar:
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(code_dir, **safe)
    result = run_wrapper(
        code_dir / WRAPPER, sandbox, "--flag", "two words",
        YTP_CODE_DIR=str(code_dir), YTP_SKIP_REQUIREMENTS="1",
    )
    rows = output_rows(result)
    check_rows(rows, code_dir)
    assert rows[0]["argv"] == ["--flag", "two words"]
    assert list(sandbox.iterdir()) == []  # nothing extracted, nothing installed


def test_wrapper_unpacks_the_archive_itself(full_pipeline, sandbox):
    package = build(full_pipeline())
    shutil.copy(package.archive_path, sandbox / "source.tar.gz")
    shutil.copy(package.build_dir / WRAPPER, sandbox / WRAPPER)
    result = run_wrapper(sandbox / WRAPPER, sandbox, YTP_SKIP_REQUIREMENTS="1")
    check_rows(output_rows(result), sandbox / "_ytp_code")
    assert (sandbox / "_ytp_code/stages/clean/config.yaml").is_file()


def test_wrapper_takes_the_archive_named_in_the_environment(full_pipeline, sandbox):
    package = build(full_pipeline())
    shutil.copy(package.archive_path, sandbox / f"{package.remote_name}")
    result = run_wrapper(
        package.build_dir / WRAPPER, sandbox,
        YTP_ARCHIVE=package.remote_name, YTP_SKIP_REQUIREMENTS="1",
    )
    check_rows(output_rows(result), sandbox / "_ytp_code")


def test_wrapper_installs_the_stage_requirements(full_pipeline, sandbox, tmp_path):
    wheel = make_wheel(tmp_path, "tinydep", "VALUE = 'installed'\n")
    mapper = (
        "import sys, tinydep\n"
        "sys.stdout.write(tinydep.VALUE + ' ' + tinydep.__file__ + '\\n')\n"
    )
    pipeline = full_pipeline(extra={
        "stages/clean/requirements.txt": f"{wheel}\n",
        "stages/clean/src/mapper.py": mapper,
    })
    package = build(pipeline)
    shutil.copy(package.archive_path, sandbox / "source.tar.gz")
    result = run_wrapper(package.build_dir / WRAPPER, sandbox)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"installed {sandbox / '_ytp_deps' / 'tinydep.py'}"


@pytest.mark.parametrize("evil", ["../escaped.txt", "/tmp/ytp-escaped-absolute.txt"])
def test_wrapper_refuses_members_that_would_leave_its_folder(full_pipeline, sandbox, evil):
    package = build(full_pipeline())
    make_tar(sandbox / "source.tar.gz", {"ok.txt": b"fine", evil: b"gotcha"})
    result = run_wrapper(package.build_dir / WRAPPER, sandbox, YTP_SKIP_REQUIREMENTS="1")
    assert result.returncode != 0
    assert f"refusing archive member {evil!r}" in result.stderr
    assert result.stdout == ""
    assert not (sandbox.parent / "escaped.txt").exists()
    assert not Path("/tmp/ytp-escaped-absolute.txt").exists()
    assert not (sandbox / "_ytp_code").exists()


def test_wrapper_holds_only_the_stage_and_script(full_pipeline):
    package = build(full_pipeline())
    text = (package.build_dir / "operation_wrapper_clean_tidy.sh").read_text()
    assert "stage=clean\n" in text and "script=stages/clean/src/tidy.py\n" in text
    assert "TOKEN" not in text and "secrets" not in text
