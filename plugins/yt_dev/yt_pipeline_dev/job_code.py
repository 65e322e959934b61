"""Where a job's code comes from and how it is started.

With a code archive (from the uploader), the archive is extracted into the sandbox and the job
runs through its wrapper script, exactly as in prod but with the wrapper told to use this
interpreter and the already extracted folder. Without one, the script runs from the working
tree. Either way the interpreter is the one running the pipeline, not whatever `python3` is
first on PATH, which lets the extracted ytjobs start from the installed one's compiled
code (compiled_twins).

Jobs run in the sandbox, and find the code there as yt-framework's jobs find it in theirs:
each top entry of the extracted archive (stages/, ytjobs/, ...) is linked into the sandbox,
as prod links it into the job's working folder, so `Path("stages/<stage>/config.yaml")`
opens relative to the working folder. Without an archive, the pipeline's stages/ is linked.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tarfile
from pathlib import Path, PurePosixPath

import msgspec

import ytjobs
from yt_pipeline.errors import PackagingError
from yt_pipeline.operations import OperationSpec
from yt_pipeline.packaging import CODE_DIR_NAME, CodePackage, script_role, wrapper_name
from yt_pipeline_dev.compiled_twins import give_compiled

#: the folder that holds the ytjobs package, so jobs import the same ytjobs as the driver
YTJOBS_HOME = str(Path(ytjobs.__file__).resolve().parent.parent)
#: the stages' folder of a pipeline, and of the code archive
STAGES_DIR = "stages"
#: the largest file of a code archive read into memory whole as it is extracted; a larger
#: one is copied in pieces of this size
_WHOLE_READ = 1 << 20


class JobCode(msgspec.Struct):
    """How to start one job script: its command and the environment it needs."""

    code_dir: Path
    env: dict[str, str] = msgspec.field(default_factory=dict)
    wrappers: bool = False

    def command(self, spec: OperationSpec, script: str) -> list[str]:
        if self.wrappers:
            wrapper = self.code_dir / wrapper_name(spec.stage_name, script_role(script))
            if not wrapper.is_file():
                raise PackagingError(
                    f"the code archive has no wrapper {wrapper.name} for the script {script} "
                    f"of stage {spec.stage_name}"
                )
            return ["bash", str(wrapper)]
        return [sys.executable, str(spec.stage_dir / script)]


def prepare_code(spec: OperationSpec, sandbox: Path) -> JobCode:
    """Extract the code archive into the sandbox, or point at the working tree."""
    package = spec.code_package
    if package is None:
        pipeline_dir = str(Path(spec.pipeline_dir).resolve())
        paths = [pipeline_dir] + ([] if on_site_path(YTJOBS_HOME) else [YTJOBS_HOME])
        link_entries(sandbox, [Path(pipeline_dir) / STAGES_DIR])
        return JobCode(
            code_dir=Path(pipeline_dir),
            env={
                "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths)),
                "JOB_CONFIG_PATH": str(Path(spec.stage_dir).resolve() / spec.config_file),
            },
        )
    code_dir = sandbox / CODE_DIR_NAME
    extract_archive(Path(package.archive_path), code_dir, package,
                    compiled_from=Path(YTJOBS_HOME))
    link_entries(sandbox, sorted(code_dir.iterdir()))
    return JobCode(
        code_dir=code_dir,
        wrappers=True,
        env={
            "PYTHONPATH": str(code_dir),
            "JOB_CONFIG_PATH": str(code_dir / spec.job_config_path),
            "YTP_CODE_DIR": str(code_dir),
            "YTP_PYTHON": sys.executable,
            "YTP_SKIP_REQUIREMENTS": "1",
        },
    )


def on_site_path(folder: str) -> bool:
    """True when `folder` is a site-packages folder of this interpreter, which a job (run by
    the same interpreter) has on its path anyway, after the standard library. Put on
    PYTHONPATH, it would come before the standard library, and every installed module the
    JSON engines load (typing_extensions) would be taken for a shadowing file
    (ytjobs.shadowing): the jobs read and wrote rows with the json module, eight times
    slower (a million-row map 4.5 s where it takes 0.55 s)."""
    import site

    found = [*site.getsitepackages(), site.getusersitepackages()]
    return os.path.realpath(folder) in {os.path.realpath(each) for each in found}


def link_entries(work_dir: Path, entries: list[Path]) -> None:
    """Link each entry into the jobs' working folder under its own name, unless the folder
    holds that name already (a file of `file_paths`); hidden entries are left out."""
    for entry in entries:
        link = work_dir / entry.name
        if entry.name.startswith(".") or not entry.exists() or link.exists() or link.is_symlink():
            continue
        link.symlink_to(entry.resolve(), target_is_directory=entry.is_dir())


def extract_archive(archive: Path, destination: Path, package: CodePackage | None = None,
                    *, compiled_from: Path | None = None) -> None:
    """Extract a tar archive; no member may land outside `destination`.

    The uploader stores regular files under relative names only, so anything else (an
    absolute name, a `..`, a link, a device) means a foreign or tampered archive: it is
    refused before a single file is written. With `package`, the archive must hold the
    bytes that package was built with (CodePackage.check_unchanged). With `compiled_from`
    (the folder holding the installed ytjobs), each extracted ytjobs module equal to its
    installed twin gets the twin's compiled code (compiled_twins).
    """
    destination.mkdir(parents=True, exist_ok=True)
    try:
        with archive.open("rb") as handle:  # one open file: hashed and extracted alike
            if package is not None:
                package.check_unchanged(handle)
            with tarfile.open(fileobj=handle, mode="r:*") as tar:
                members = tar.getmembers()
                _check_members(members, archive)
                _write_members(tar, members, destination, compiled_from)
    except OSError as exc:
        if exc.filename is None:  # a full disk: a write to the extracted file names none
            # the archive is whole; what could not be written is under `destination`
            raise PackagingError(f"cannot extract the code archive {archive} into "
                                 f"{destination}: {exc}") from None
        raise PackagingError(f"cannot extract the code archive {archive}: {exc}") from None
    except tarfile.TarError as exc:  # a damaged archive
        raise PackagingError(f"cannot extract the code archive {archive}: {exc}") from None


def _write_members(tar: tarfile.TarFile, members: list[tarfile.TarInfo], destination: Path,
                   compiled_from: Path | None) -> None:
    """Write the checked members (folders and regular files under relative names without
    `..`) as tarfile's "data" filter would: a file keeps its mtime, and its mode less the
    group's and others' write bits, with the owner's read and write, and execute for the
    group and others only where the owner has it. Written here rather than by `extractall`, whose
    checks and metadata calls a member, made for archives that may hold anything, took 18
    ms of every operation's launch for the 30 files of a code archive (a third of that)."""
    made = {destination}
    given: set[Path] = set()
    for member in members:
        parts = PurePosixPath(member.name).parts
        target = destination.joinpath(*parts)
        if member.isdir():
            target.mkdir(parents=True, exist_ok=True)
            made.add(target)
            continue
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        if target in given:
            # a name the archive holds twice: the last copy is the file, and the cache
            # the first was given would pass the importer's check of size and mtime for it
            given.discard(target)
            Path(importlib.util.cache_from_source(str(target))).unlink(missing_ok=True)
        twin = (compiled_from is not None and parts[:1] == ("ytjobs",)
                and target.suffix == ".py")
        source = tar.extractfile(member)
        data = b""
        with open(target, "wb") as out:
            if source is None:
                pass
            elif twin or member.size <= _WHOLE_READ:
                data = source.read()
                out.write(data)
            else:  # a large file (a model, a file of file_paths): in pieces, as extractall
                shutil.copyfileobj(source, out, _WHOLE_READ)
        mode = (member.mode & 0o755) | 0o600
        os.chmod(target, mode if mode & 0o100 else mode & ~0o011)
        os.utime(target, (member.mtime, member.mtime))
        if twin and compiled_from is not None and give_compiled(
                target, data, member.mtime, compiled_from.joinpath(*parts)):
            given.add(target)


def _check_members(members: list[tarfile.TarInfo], archive: Path) -> None:
    for member in members:
        name = PurePosixPath(member.name)
        if "\0" in member.name:
            # a pax header's name may hold one: open() would raise a bare ValueError, after
            # the members before it were written
            why = "has a NUL in its name"
        elif name.is_absolute():
            why = "has an absolute name"
        elif ".." in name.parts:
            why = "climbs out with '..'"
        elif not (member.isfile() or member.isdir()):
            why = "is a link or a special file, not a regular file"
        else:
            continue
        raise PackagingError(f"cannot extract the code archive {archive}: its member "
                             f"{member.name!r} {why}")
