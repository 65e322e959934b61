"""Building the code archive of a pipeline: what the `ytp_package_code` hook does."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yt_pipeline.errors import PackagingError
from yt_pipeline_uploader.jobcode import JobScript, find_job_scripts

if TYPE_CHECKING:
    # the file walk and the archive's description are imported once there is code to
    # pack: most stages of a dev run have no job, and every run asks for the archive
    from yt_pipeline.packaging import CodePackage
    from yt_pipeline_uploader.leaks import SecretScan
    from yt_pipeline_uploader.private import Private
    from yt_pipeline_uploader.walk import Entry, Source

log = logging.getLogger("yt_pipeline.uploader")

MODULES_KEY = "pipeline.upload_modules"
PATHS_KEY = "pipeline.upload_paths"
#: an archive still being written after this long was left by a build that died
ABANDONED_PARTIAL_S = 600


def package_code(pipeline_dir: Path, settings: Any, stages: list[Any]) -> CodePackage | None:
    """Build `.build/source.tar.gz` for the enabled `stages`; None when none has job code."""
    pipeline_dir = Path(pipeline_dir).resolve()
    jobs = {
        stage.name: find_job_scripts(
            stage.name, stage.stage_dir, _shown_config(stage, pipeline_dir), pipeline_dir
        )
        for stage in stages
    }
    if not any(jobs.values()):
        log.debug("[Upload] no enabled stage has job code; nothing to package")
        return None
    log.info("[Upload] Packaging code...")

    from yt_pipeline.packaging import ARCHIVE_NAME, CodePackage
    from yt_pipeline_uploader import sources as src

    # Everything is checked before .build is touched, so a bad configuration leaves the
    # previous build as it was.
    chosen: list[Source] = []
    for stage in stages:
        chosen += src.stage_sources(pipeline_dir, stage.name, stage.stage_dir, jobs[stage.name])
    (jobs_package, *extra), private = _shared_sources(pipeline_dir, settings)
    files = _collect([jobs_package, *chosen, *extra], _secret_ids(settings, pipeline_dir),
                     private)

    from yt_pipeline_uploader.leaks import SecretScan, known_secrets

    scan = SecretScan(known_secrets(settings))

    from yt_pipeline_uploader.archive import Member, human_size, write_archive
    from yt_pipeline_uploader.wrapper import wrapper_text

    scripts = [job for stage_jobs in jobs.values() for job in stage_jobs]
    generated = {job.wrapper: wrapper_text(job).encode() for job in scripts}
    for name in generated:
        if name in files:
            raise PackagingError(
                f"{files[name].origin}: {name} is the name of a job wrapper at the archive root"
            )
    configs = _config_twins(stages, pipeline_dir, scan)
    for name in configs:
        if name in files:
            raise PackagingError(f"{files[name].origin}: {name} in the archive is the JSON "
                                 "form of the stage's config.yaml, which jobs read")
    members = [Member(e.arcname, e.executable, path=e.path, shown=_display(e.path, pipeline_dir))
               for e in files.values()]
    members += [Member(name, True, data=data) for name, data in generated.items()]
    members += [Member(name, False, data=data) for name, data in configs.items()]

    _warn_of_shadowed_modules(stages, scripts)
    build_dir = _build_dir(pipeline_dir)
    # every byte packed is searched for the secrets as it is read: a copy of secrets.env
    # under a name no rule knows still never leaves the machine
    info = write_archive(build_dir / ARCHIVE_NAME, members, scan)
    _write_wrappers(build_dir, generated)
    _remove_leftovers(build_dir, {ARCHIVE_NAME, *generated})
    log.info(
        "[Upload] %s: %s, %d files, sha256 %s",
        _display(build_dir / ARCHIVE_NAME, pipeline_dir), human_size(info.size),
        info.file_count, info.sha256[:16],
    )
    return CodePackage(
        archive_path=build_dir / ARCHIVE_NAME,
        content_hash=info.sha256,
        size=info.size,
        file_count=info.file_count,
        wrappers=_wrapper_map(scripts),
    )


def _warn_of_shadowed_modules(stages: list[Any], scripts: list[JobScript]) -> None:
    """A job script's folder comes first on the job's sys.path: a file there named like a
    standard library module (tokenize.py, say) replaces that module for the job and for
    every library it imports, which then fails in ways that do not name the file (a
    mapper killed by SIGSEGV with nothing on stderr)."""
    import sys

    stdlib: frozenset[str] = getattr(sys, "stdlib_module_names", frozenset())
    folders = {(job.stage, Path(job.script).parent.as_posix()) for job in scripts}
    for stage in stages:
        for name, script_dir in sorted(folders):
            if name != stage.name:
                continue
            for path in sorted((Path(stage.stage_dir) / script_dir).glob("*.py")):
                if path.stem in stdlib:
                    log.warning("[Upload] stages/%s/%s has the name of a standard library "
                                "module (%s): a job of that folder, and every library it "
                                "imports, gets this file instead; rename it", name,
                                Path(script_dir, path.name).as_posix(), path.stem)


def list_shared_code(pipeline_dir: Path, settings: Any) -> dict[str, list[tuple[str, Path]]]:
    """What every job finds in the archive besides its stage (the `ytp_list_shared_code`
    hook): the files of ytjobs, of each `upload_modules` and each `upload_paths` entry, as
    `package_code` packs them, by entry."""
    from yt_pipeline_uploader.walk import list_source

    pipeline_dir = Path(pipeline_dir).resolve()
    shared, private = _shared_sources(pipeline_dir, settings)
    secret_ids = _secret_ids(settings, pipeline_dir)
    listed: dict[str, list[tuple[str, Path]]] = {}
    labels: dict[str, str] = {}
    for source in shared:
        label = labels.setdefault(source.origin, _label(source))
        files = listed.setdefault(label, [])
        files += [(e.arcname, e.path) for e in list_source(source, secret_ids, private)]
    return listed


def _shared_sources(pipeline_dir: Path, settings: Any) -> tuple[list[Source], Private]:
    """ytjobs, `upload_modules` and `upload_paths`, checked; and what is never packed."""
    from yt_pipeline_uploader import sources as src
    from yt_pipeline_uploader.private import private_paths

    extra = src.module_sources(pipeline_dir, list(_setting(settings, MODULES_KEY)), MODULES_KEY)
    private = private_paths(pipeline_dir, settings)
    extra += src.path_sources(pipeline_dir, list(_setting(settings, PATHS_KEY)), PATHS_KEY,
                              private)
    return [src.jobs_package_source(), *src.check_distinct_targets(extra)], private


def _label(source: Source) -> str:
    """How the cache names a shared source: `ytjobs`, `pipeline.upload_paths[0] helpers`."""
    return source.origin if source.origin == source.target else f"{source.origin} {source.target}"


def _collect(sources: list[Source], secret_ids: frozenset[tuple[int, int]],
             private: Private) -> dict[str, Entry]:
    from yt_pipeline_uploader.walk import list_source

    files: dict[str, Entry] = {}
    for source in sources:
        for entry in list_source(source, secret_ids, private):
            other = files.get(entry.arcname)
            if other is not None and other.path.resolve() != entry.path.resolve():
                raise PackagingError(
                    f"{entry.origin}: {entry.arcname} in the archive would come from both "
                    f"{other.path} ({other.origin}) and {entry.path}"
                )
            files.setdefault(entry.arcname, entry)
    return files


def _config_twins(stages: list[Any], pipeline_dir: Path, scan: SecretScan) -> dict[str, bytes]:
    from yt_pipeline_uploader.config_json import STAGE_CONFIG_JSON, config_json
    from yt_pipeline_uploader.sources import STAGES_TARGET

    twins = {}
    for stage in stages:
        data = config_json(Path(stage.stage_dir), _shown_config(stage, pipeline_dir),
                           pipeline_dir, scan)
        if data is not None:
            twins[f"{STAGES_TARGET}/{stage.name}/{STAGE_CONFIG_JSON}"] = data
    return twins


def _wrapper_map(scripts: list[JobScript]) -> dict[tuple[str, str], str]:
    return {(job.stage, job.role): job.wrapper for job in scripts}


def _setting(settings: Any, key: str) -> Any:
    value = settings.get(key) if settings is not None else None
    return value or []


def _secret_ids(settings: Any, pipeline_dir: Path) -> frozenset[tuple[int, int]]:
    """Identities of the secret files, to refuse them under any name (a hard link too)."""
    candidates = [pipeline_dir / "configs" / "secrets.env"]
    configured = getattr(settings, "secrets_file", None)
    if configured:
        candidates.append(Path(configured))
    ids = set()
    for path in candidates:
        try:
            info = path.stat()
        except OSError:
            continue
        ids.add((info.st_dev, info.st_ino))
    return frozenset(ids)


def _build_dir(pipeline_dir: Path) -> Path:
    from yt_pipeline.packaging import BUILD_DIR_NAME

    build_dir = pipeline_dir / BUILD_DIR_NAME
    if build_dir.is_symlink() or build_dir.is_file():
        build_dir.unlink()
    build_dir.mkdir(exist_ok=True)
    return build_dir


def _remove_leftovers(build_dir: Path, keep: set[str]) -> None:
    """What .build holds matches the configuration just used: every other file goes.

    Files are replaced one by one rather than the folder removed and made again, so another
    run of the pipeline (the other mode) reading or writing .build meanwhile always finds
    whole files. An archive another build is writing stays, unless it was left long ago.
    """
    from yt_pipeline_uploader.archive import PARTIAL_SUFFIX

    for path in build_dir.iterdir():
        if path.name in keep:
            continue
        try:
            if path.name.endswith(PARTIAL_SUFFIX):
                if time.time() - path.stat().st_mtime < ABANDONED_PARTIAL_S:
                    continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:
            pass  # another build cleaned it first


def _write_wrappers(build_dir: Path, generated: dict[str, bytes]) -> None:
    # The same scripts as at the archive root, for a backend that starts a job from them.
    from yt_pipeline_uploader.archive import PARTIAL_SUFFIX

    for name, data in generated.items():
        fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=PARTIAL_SUFFIX,
                                         dir=build_dir)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.chmod(temporary, 0o755)
            os.replace(temporary, build_dir / name)
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            if exc.filename is None:  # a full disk: say which file could not be written
                exc.filename = str(build_dir / name)
            raise


def _shown_config(stage: Any, pipeline_dir: Path) -> str:
    return _display(Path(stage.stage_dir) / "config.yaml", pipeline_dir)


def _display(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base))
    except ValueError:
        return str(path)
