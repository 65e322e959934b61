"""`yt-pipeline package`: builds the archive through the pipeline and says what it holds."""

from __future__ import annotations

import hashlib
import re

from packaging_helpers import SECRET


def field(output: str, name: str) -> str:
    match = re.search(rf"^{name}:\s+(.+)$", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def test_package_prints_path_size_files_and_hash(full_pipeline, run_cli):
    pipeline = full_pipeline()
    result = run_cli("package", pipeline)
    assert result.exit_code == 0, result.output

    archive = pipeline / ".build" / "source.tar.gz"
    data = archive.read_bytes()
    assert field(result.stdout, "archive") == str(archive)
    assert field(result.stdout, "size").startswith(f"{len(data)} bytes (")
    digest = hashlib.sha256(data).hexdigest()
    assert field(result.stdout, "sha256") == digest
    assert field(result.stdout, "remote") == f"source-{digest[:16]}.tar.gz"
    assert "wrapper:  operation_wrapper_clean_map.sh  (clean map)" in result.stdout
    assert "[Upload] Packaging code..." in result.stderr
    assert SECRET not in result.output


def test_package_lists_files_on_request(full_pipeline, run_cli):
    result = run_cli("package", full_pipeline(), "--list")
    assert result.exit_code == 0, result.output
    listed = re.findall(r"^\s+\d+\s+(\S+)$", result.stdout, re.MULTILINE)
    assert "stages/clean/src/mapper.py" in listed and "lookup/keep.tmp" in listed
    assert len(listed) == int(field(result.stdout, "files"))


def test_package_honours_set_and_config(full_pipeline, run_cli, tmp_path):
    pipeline = full_pipeline()
    full = int(field(run_cli("package", pipeline).stdout, "files"))
    fewer = run_cli("package", pipeline, "--set", "pipeline.upload_paths=[]")
    assert int(field(fewer.stdout, "files")) == full - 4

    other = tmp_path / "other.yaml"
    other.write_text("stages: {enabled_stages: [report]}\n")
    result = run_cli("package", pipeline, "--config", other)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("nothing to package")


def test_package_reports_a_bad_path_in_one_line(full_pipeline, run_cli):
    pipeline = full_pipeline()
    result = run_cli("package", pipeline, "--set", "pipeline.upload_paths=[../elsewhere]")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: pipeline.upload_paths[0]: source ../elsewhere is outside the pipeline "
        f"folder {pipeline}"
    )
