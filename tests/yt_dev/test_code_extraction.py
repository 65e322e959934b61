"""Dev extracts a code archive itself (job_code._write_members) rather than through
tarfile's extractall: the files must come out as the "data" filter would write them (the
filter prod's wrapper and the earlier dev code used), and the extracted ytjobs must still
start from the installed one's compiled code."""

from __future__ import annotations

import importlib.util
import io
import os
import py_compile
import stat
import subprocess
import sys
import tarfile
import tracemalloc
from pathlib import Path

import pytest

from yt_pipeline.errors import PackagingError
from yt_pipeline_dev.job_code import extract_archive

MTIME = 946684800  # 2000-01-01, the uploader's fixed mtime


def _archive(path: Path, files: dict[str, tuple[bytes, int]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, (data, mode) in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, MTIME
            tar.addfile(info, io.BytesIO(data))
    return path


MODES = [0o644, 0o600, 0o755, 0o777, 0o666, 0o700, 0o070, 0o007, 0o4755, 0o2711, 0o1777, 0o000]


@pytest.mark.skipif(not hasattr(tarfile, "data_filter"), reason="no tarfile.data_filter")
def test_files_get_the_modes_and_times_of_the_data_filter(tmp_path):
    files = {f"stages/s/file_{mode:o}.sh": (b"echo\n", mode) for mode in MODES}
    archive = _archive(tmp_path / "code.tar.gz", files)
    destination = tmp_path / "out"
    extract_archive(archive, destination)
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            # what tarfile's own filter would have made of the member (Lib/tarfile.py)
            expected = tarfile.data_filter(member, str(destination)).mode
            written = (destination / member.name).stat()
            assert stat.S_IMODE(written.st_mode) == expected, member.name
            assert written.st_mtime == MTIME
            assert (destination / member.name).read_bytes() == b"echo\n"


def test_folders_are_made_for_files_listed_without_them(tmp_path):
    archive = _archive(tmp_path / "code.tar.gz", {
        "a/b/c/deep.txt": (b"deep\n", 0o644), "top.txt": (b"top\n", 0o644),
        "./dotted/x.txt": (b"x\n", 0o644)})
    extract_archive(archive, tmp_path / "out")
    assert (tmp_path / "out/a/b/c/deep.txt").read_text() == "deep\n"
    assert (tmp_path / "out/top.txt").read_text() == "top\n"
    assert (tmp_path / "out/dotted/x.txt").read_text() == "x\n"


SOURCE = b'ANSWER = "from the installed source"\n'


def test_an_extracted_ytjobs_module_equal_to_its_twin_gets_its_compiled_code(tmp_path):
    installed = tmp_path / "installed"
    twin = installed / "ytjobs" / "answer.py"
    twin.parent.mkdir(parents=True)
    twin.write_bytes(SOURCE)
    py_compile.compile(str(twin), invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    archive = _archive(tmp_path / "code.tar.gz", {
        "ytjobs/__init__.py": (b"", 0o644), "ytjobs/answer.py": (SOURCE, 0o644),
        "ytjobs/other.py": (b"OTHER = 1\n", 0o644)})
    out = tmp_path / "out"
    extract_archive(archive, out, compiled_from=installed)
    extracted = out / "ytjobs" / "answer.py"
    cached = Path(importlib.util.cache_from_source(str(extracted)))
    assert cached.is_file()
    # no twin for other.py: left for the job to compile
    assert not Path(importlib.util.cache_from_source(str(out / "ytjobs/other.py"))).exists()
    # same size and mtime, other text: only the cache the importer accepted still answers
    # with the installed text
    extracted.write_bytes(SOURCE.replace(b"installed", b"changed!!"))
    os.utime(extracted, (MTIME, MTIME))
    env = {**os.environ, "PYTHONPATH": str(out), "PYTHONDONTWRITEBYTECODE": "1"}
    # -S and another working folder: no installed, editable or checked-out ytjobs comes
    # before the extracted one
    answer = subprocess.run([sys.executable, "-S", "-c",
                             "import ytjobs.answer as a; print(a.ANSWER)"], cwd=tmp_path,
                            env=env, capture_output=True, text=True)
    assert answer.returncode == 0, answer.stderr
    answer = answer.stdout.strip()
    assert answer == "from the installed source"


def test_a_twin_edited_after_it_was_read_is_read_again(tmp_path):
    installed = tmp_path / "installed"
    twin = installed / "ytjobs" / "answer.py"
    twin.parent.mkdir(parents=True)
    twin.write_bytes(SOURCE)
    py_compile.compile(str(twin), invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    archive = _archive(tmp_path / "code.tar.gz", {"ytjobs/answer.py": (SOURCE, 0o644)})
    extract_archive(archive, tmp_path / "first", compiled_from=installed)
    # the installed file edited (its cache now stale): no cache given from the old reading
    edited = SOURCE.replace(b"installed", b"edited!!!")
    twin.write_bytes(edited)
    os.utime(twin, (twin.stat().st_atime, twin.stat().st_mtime + 60))
    archive = _archive(tmp_path / "code2.tar.gz", {"ytjobs/answer.py": (edited, 0o644)})
    second = tmp_path / "second" / "ytjobs" / "answer.py"
    extract_archive(archive, tmp_path / "second", compiled_from=installed)
    assert not Path(importlib.util.cache_from_source(str(second))).exists()


def test_a_module_written_twice_keeps_no_cache_of_its_first_copy(tmp_path):
    # an archive may hold a name twice (tar appends; the last copy wins, as extractall
    # writes it): the cache given to the first copy, equal to its twin, must not stay
    # beside the second, whose size and mtime the importer would find the same
    installed = tmp_path / "installed"
    twin = installed / "ytjobs" / "answer.py"
    twin.parent.mkdir(parents=True)
    twin.write_bytes(SOURCE)
    py_compile.compile(str(twin), invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    second = SOURCE.replace(b"installed", b"2nd copy!")
    assert len(second) == len(SOURCE)
    archive = tmp_path / "code.tar"
    with tarfile.open(archive, "w") as tar:
        for data in (b"", SOURCE, second):
            info = tarfile.TarInfo("ytjobs/__init__.py" if not data else "ytjobs/answer.py")
            info.size, info.mode, info.mtime = len(data), 0o644, MTIME
            tar.addfile(info, io.BytesIO(data))
    out = tmp_path / "out"
    extract_archive(archive, out, compiled_from=installed)
    assert (out / "ytjobs" / "answer.py").read_bytes() == second
    env = {**os.environ, "PYTHONPATH": str(out), "PYTHONDONTWRITEBYTECODE": "1"}
    answer = subprocess.run([sys.executable, "-S", "-c",
                             "import ytjobs.answer as a; print(a.ANSWER)"], cwd=tmp_path,
                            env=env, capture_output=True, text=True)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip() == "from the 2nd copy! source"


def test_a_name_holding_a_nul_is_refused_before_anything_is_written(tmp_path):
    # a pax header can give a member any name; a NUL in it made open() raise a bare
    # ValueError after the members before it were written
    archive = tmp_path / "code.tar"
    with tarfile.open(archive, "w", format=tarfile.PAX_FORMAT) as tar:
        for name in ("first.txt", "x"):
            info = tarfile.TarInfo(name)
            info.size, info.mtime = 1, MTIME
            if name == "x":
                info.pax_headers = {"path": "a\x00b"}
            tar.addfile(info, io.BytesIO(b"x"))
    out = tmp_path / "out"
    with pytest.raises(PackagingError, match="NUL in its name"):
        extract_archive(archive, out)
    assert not any(out.iterdir())


def test_a_large_file_is_not_held_in_memory_whole(tmp_path):
    # a file of file_paths or a model under stages/ can be large: it is copied in pieces,
    # as extractall copied it, not read into memory whole for each operation
    size = 64 << 20
    archive = tmp_path / "code.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("stages/s/model.bin")
        info.size, info.mtime = size, MTIME
        tar.addfile(info, io.BytesIO(bytes(size)))
    tracemalloc.start()
    try:
        extract_archive(archive, tmp_path / "out")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (tmp_path / "out/stages/s/model.bin").stat().st_size == size
    assert peak < 8 << 20, peak


def test_a_file_named_as_the_folder_itself_is_refused_in_one_line(tmp_path):
    # a file member "." lands on the destination folder: refused as any other member that
    # cannot be written, not by an IndexError of the look for ytjobs modules
    from yt_pipeline.errors import PackagingError

    archive = _archive(tmp_path / "code.tar.gz", {".": (b"x", 0o644)})
    with pytest.raises(PackagingError) as refused:
        extract_archive(archive, tmp_path / "out", compiled_from=tmp_path)
    assert str(refused.value).startswith(f"cannot extract the code archive {archive}: ")
