"""Fixtures for the dev backend: a client, stages with job scripts to build specs from, and
a small code archive built the way the uploader builds one (ytjobs/ and stages/<name>/ inside,
at the root a wrapper `operation_wrapper_<stage>_<role>.sh` that honours YTP_CODE_DIR,
YTP_PYTHON and YTP_SKIP_REQUIREMENTS, as yt_pipeline.packaging describes)."""

from __future__ import annotations

import hashlib
import io
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

import ytjobs
from yt_pipeline.operations import OperationSpec, Resources
from yt_pipeline.packaging import ARCHIVE_NAME, CODE_DIR_NAME, CodePackage, wrapper_name
from yt_pipeline_dev.client import DevClient

# the YQL tests share with the prod ones the queries that must fail alike (yql_alike.py)
sys.path.insert(0, str(Path(__file__).parents[1] / "yt_prod"))


@pytest.fixture
def dev_client(tmp_path) -> DevClient:
    return DevClient(tmp_path / "pipe" / ".dev", hidden_env=["MY_SECRET", "OTHER_SECRET"],
                     secret_values=["hunter2-secret"])


class StageMaker:
    def __init__(self, pipeline_dir: Path):
        self.pipeline_dir = pipeline_dir

    def __call__(self, name: str, scripts: dict[str, str], config: str = "x: 1\n") -> Path:
        stage_dir = self.pipeline_dir / "stages" / name
        (stage_dir / "src").mkdir(parents=True, exist_ok=True)
        (stage_dir / "config.yaml").write_text(config)
        for relative, text in scripts.items():
            (stage_dir / relative).write_text(textwrap.dedent(text))
        return stage_dir

    def spec(self, kind: str, stage: str, job_count: int | None = None,
             timeout_s: float | None = None, **fields) -> OperationSpec:
        return OperationSpec(
            kind=kind, stage_name=stage, name=fields.pop("name", kind),
            stage_dir=self.pipeline_dir / "stages" / stage, pipeline_dir=self.pipeline_dir,
            resources=Resources(job_count=job_count, timeout_s=timeout_s), **fields,
        )


@pytest.fixture
def stages(tmp_path) -> StageMaker:
    return StageMaker(tmp_path / "pipe")

WRAPPER = """#!/usr/bin/env bash
set -euo pipefail
code_dir="${{YTP_CODE_DIR:-$PWD/{code_dir}}}"
if [ -z "${{YTP_CODE_DIR:-}}" ]; then
    mkdir -p "$code_dir" && tar -xzf "${{YTP_ARCHIVE:-{archive}}}" -C "$code_dir"
fi
requirements="$code_dir/stages/{stage}/requirements.txt"
if [ "${{YTP_SKIP_REQUIREMENTS:-0}}" != "1" ] && [ -f "$requirements" ]; then
    "${{YTP_PYTHON:-python3}}" -m pip install -q -r "$requirements"
fi
export PYTHONPATH="$code_dir${{PYTHONPATH:+:$PYTHONPATH}}"
export JOB_CONFIG_PATH="$code_dir/stages/{stage}/config.yaml"
export YTP_FROM_WRAPPER=1
exec "${{YTP_PYTHON:-python3}}" "$code_dir/stages/{stage}/{script}"
"""


def _add(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, 0
    tar.addfile(info, io.BytesIO(data))


def build_package(pipeline_dir: Path, stage: str, scripts: dict[str, str],
                  extra_members: dict[str, bytes] | None = None) -> CodePackage:
    """scripts maps a role (map, reduce, vanilla) to the script path in the stage folder."""
    build = pipeline_dir / ".build"
    build.mkdir(parents=True, exist_ok=True)
    archive = build / ARCHIVE_NAME
    wrappers = {}
    with tarfile.open(archive, "w:gz") as tar:
        home = Path(ytjobs.__file__).parent
        for source in sorted(home.rglob("*.py")):  # subpackages too (logging, mapper, ...)
            if "__pycache__" not in source.parts:
                _add(tar, f"ytjobs/{source.relative_to(home).as_posix()}", source.read_bytes())
        stage_dir = pipeline_dir / "stages" / stage
        for path in sorted(stage_dir.rglob("*")):
            if path.is_file():
                _add(tar, f"stages/{stage}/{path.relative_to(stage_dir).as_posix()}",
                     path.read_bytes())
        for role, script in scripts.items():
            name = wrapper_name(stage, role)
            text = WRAPPER.format(code_dir=CODE_DIR_NAME, archive=ARCHIVE_NAME, stage=stage,
                                  script=script)
            _add(tar, name, text.encode(), 0o755)
            wrappers[(stage, role)] = name
        for name, data in (extra_members or {}).items():
            _add(tar, name, data)
    data = archive.read_bytes()
    return CodePackage(archive_path=archive, content_hash=hashlib.sha256(data).hexdigest(),
                       size=len(data), file_count=0, wrappers=wrappers)


@pytest.fixture
def make_code_package():
    return build_package
