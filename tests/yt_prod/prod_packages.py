"""A small code archive for prod tests, laid out as the uploader lays it out: ytjobs/,
stages/<name>/..., and one wrapper script per (stage, job script) at the root."""

from __future__ import annotations

import hashlib
import io
import tarfile
import textwrap
from pathlib import Path

from yt_pipeline.packaging import (
    ARCHIVE_NAME,
    CODE_DIR_NAME,
    CodePackage,
    script_role,
    wrapper_name,
)

REPO = Path(__file__).resolve().parents[2]

WRAPPER = """#!/bin/bash
set -euo pipefail
code="${{YTP_CODE_DIR:-}}"
if [ -z "$code" ]; then
    code="$PWD/{code_dir}"
    mkdir -p "$code"
    tar -xzf "${{YTP_ARCHIVE:-{archive}}}" -C "$code"
fi
export PYTHONPATH="$code${{PYTHONPATH:+:$PYTHONPATH}}"
export JOB_CONFIG_PATH="$code/stages/{stage}/config.yaml"
exec "${{YTP_PYTHON:-python3}}" "$code/stages/{stage}/{script}"
"""


def _add(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, 0
    tar.addfile(info, io.BytesIO(data))


def build_package(build_dir: Path, stages: dict[str, dict[str, str]]) -> CodePackage:
    """stages: name -> {path inside the stage folder: text}. Same input, same bytes."""
    files: dict[str, tuple[bytes, int]] = {}
    for source in sorted((REPO / "ytjobs").rglob("*.py")):  # subpackages too
        files[f"ytjobs/{source.relative_to(REPO / 'ytjobs').as_posix()}"] = (
            source.read_bytes(), 0o644)
    wrappers: dict[tuple[str, str], str] = {}
    for stage, stage_files in stages.items():
        stage_files = {"config.yaml": "{}\n", **stage_files}
        for relative, text in stage_files.items():
            files[f"stages/{stage}/{relative}"] = (textwrap.dedent(text).encode(), 0o644)
            if relative.endswith(".py") and relative.startswith("src/"):
                role = script_role(relative)
                name = wrapper_name(stage, role)
                script = WRAPPER.format(code_dir=CODE_DIR_NAME, archive=ARCHIVE_NAME,
                                        stage=stage, script=relative)
                files[name] = (script.encode(), 0o755)
                wrappers[(stage, role)] = name
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            data, mode = files[name]
            _add(tar, name, data, mode)
    import gzip

    archive_bytes = gzip.compress(raw.getvalue(), mtime=0)
    build_dir.mkdir(parents=True, exist_ok=True)
    archive = build_dir / ARCHIVE_NAME
    archive.write_bytes(archive_bytes)
    return CodePackage(archive_path=archive, content_hash=hashlib.sha256(archive_bytes).hexdigest(),
                       size=len(archive_bytes), file_count=len(files), wrappers=wrappers)
