"""The extracted ytjobs starts from the installed ytjobs's compiled code (compiled_twins):
written only for files equal to their installed twin whose cache is valid, and accepted by
Python's importer for the extracted file."""

from __future__ import annotations

import importlib.util
import os
import py_compile
import subprocess
import sys
from pathlib import Path

import pytest

from yt_pipeline_dev.compiled_twins import reuse_compiled

SOURCE = 'ANSWER = "from the source"\n'


def _installed(root: Path, text: str = SOURCE) -> Path:
    source = root / "installed" / "pkg" / "mod.py"
    source.parent.mkdir(parents=True)
    (source.parent / "__init__.py").write_text("")
    source.write_text(text)
    py_compile.compile(str(source), invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    return source.parent


def _extracted(root: Path, text: str = SOURCE) -> Path:
    source = root / "extracted" / "pkg" / "mod.py"
    source.parent.mkdir(parents=True)
    (source.parent / "__init__.py").write_text("")
    source.write_text(text)
    os.utime(source, (315532800, 315532800))  # an archive's fixed mtime (1980-01-01)
    return source.parent


def _answer(package_dir: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(package_dir.parent), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-c", "import pkg.mod; print(pkg.mod.ANSWER)"],
                          env=env, capture_output=True, text=True, check=True).stdout.strip()


def test_the_importer_takes_the_code_given(tmp_path):
    installed, extracted = _installed(tmp_path), _extracted(tmp_path)
    assert reuse_compiled(extracted, installed) == 1  # mod.py (the empty __init__ has no cache)
    source = extracted / "mod.py"
    stat = source.stat()
    # the same size and mtime, other text: only a cached file the importer accepted can
    # still give the answer of the original text
    source.write_text(SOURCE.replace("the source", "the cache!"))
    os.utime(source, (stat.st_atime, stat.st_mtime))
    assert source.stat().st_size == stat.st_size
    assert _answer(extracted) == "from the source"


def test_a_file_that_differs_from_its_twin_is_left_to_compile(tmp_path):
    installed = _installed(tmp_path)
    extracted = _extracted(tmp_path, SOURCE.replace("source", "other!"))
    assert reuse_compiled(extracted, installed) == 0
    assert not Path(importlib.util.cache_from_source(str(extracted / "mod.py"))).exists()
    assert _answer(extracted) == "from the other!"


def test_a_stale_installed_cache_is_not_used(tmp_path):
    installed, extracted = _installed(tmp_path), _extracted(tmp_path)
    twin = installed / "mod.py"
    os.utime(twin, (twin.stat().st_atime, twin.stat().st_mtime + 60))  # edited since
    assert reuse_compiled(extracted, installed) == 0


MAPPER = """
    import os, sys
    from ytjobs import read_rows, write_rows
    modules = [m for name, m in sys.modules.items() if name.split(".")[0] == "ytjobs"]
    cached = sorted(os.path.basename(m.__cached__) for m in modules
                    if getattr(m, "__cached__", None) and os.path.exists(m.__cached__))
    write_rows({**row, "cached": cached} for row in read_rows())
"""


def _installed_copy(root: Path) -> Path:
    """A copy of the installed ytjobs with a valid cache for each file."""
    import shutil

    import ytjobs

    home = root / "site"
    shutil.copytree(Path(ytjobs.__file__).parent, home / "ytjobs",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for source in (home / "ytjobs").rglob("*.py"):
        py_compile.compile(str(source))
    return home


@pytest.mark.parametrize("twins", [True, False])
def test_a_map_job_imports_ytjobs_from_the_code_given(dev_client, stages, make_code_package,
                                                      monkeypatch, tmp_path, twins):
    from yt_pipeline_dev import job_code
    from yt_pipeline_dev.launcher import launch

    home = _installed_copy(tmp_path) if twins else tmp_path / "nothing-installed"
    monkeypatch.setattr(job_code, "YTJOBS_HOME", str(home))
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")  # a job's own compiling writes none
    stages("arch", {"src/mapper.py": MAPPER})
    package = make_code_package(stages.pipeline_dir, "arch", {"map": "src/mapper.py"})
    dev_client.write_table("//in/t", [{"id": 1}, {"id": 2}])
    spec = stages.spec("map", "arch", job_count=2, input_tables=["//in/t"],
                       output_tables=["//out/t"], mapper="src/mapper.py", code_package=package)
    launch(dev_client, spec)
    rows = list(dev_client.read_table("//out/t"))
    assert [row["id"] for row in rows] == [1, 2]
    for row in rows:
        if twins:
            tag = sys.implementation.cache_tag
            assert {f"__init__.{tag}.pyc", f"codec.{tag}.pyc"} <= set(row["cached"])
        else:
            assert row["cached"] == []
