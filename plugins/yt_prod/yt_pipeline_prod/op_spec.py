"""An OperationSpec as a YT operation spec: user jobs, resources, files, environment.

Jobs read and write JSON lines (`<encode_utf8=%false>json`), as dev jobs do, so the same
mapper scripts run unchanged. Each job extracts the code archive (into _ytp_code/, its top
entries linked into the working folder) and runs the stage's wrapper script from it; secrets
travel only in the secure vault and are exported under their own names inside the job, never
on the command line.

An operation's `spec:` section is merged into the spec built here, block by block: mappings
merge key by key at every depth and the section's values win, so `mapper: {tmpfs_path: .}`
adds one key to the mapper and keeps its command, files and format. Anything else (a list,
a string, a number) replaces what was built: `pool_trees: [a, b]` is the whole list.
"""

from __future__ import annotations

import os
import shlex
from typing import TYPE_CHECKING, Any

from yt_pipeline.attachments import local_file
from yt_pipeline.checkpoints import ENV_VAR as CHECKPOINTS_ENV
from yt_pipeline.checkpoints import FOLDER as CHECKPOINTS_FOLDER
from yt_pipeline.errors import PackagingError
from yt_pipeline.packaging import ARCHIVE_NAME, CODE_DIR_NAME, script_role, wrapper_name
from yt_pipeline_prod.settings import deep_merge

if TYPE_CHECKING:
    from yt_pipeline.operations import OperationSpec

GIB = 1024**3
MS_PER_S = 1000


def job_format() -> Any:
    """Jobs read a NaN or infinite double as "nan", "inf" or "-inf", as the client does
    (client.json_format): without it YT's JSON writer fails the job on such a value."""
    import yt.yson as yson

    return yson.to_yson_type("json", attributes={"encode_utf8": False,
                                                 "stringify_nan_and_infinity": True})


#: Each top entry of the extracted code (stages/, ytjobs/, ...) linked into the job's working
#: folder, where yt-framework extracts its archive: a job opening
#: `Path("stages/<stage>/config.yaml")` relative to its working folder finds it. A name the
#: folder already holds (a file of `file_paths`, the archive) is left as it is.
LINK_CODE = (
    f"for ytp_entry in {CODE_DIR_NAME}/*; do "
    'ytp_name="${ytp_entry##*/}"; '
    'if [ -e "$ytp_entry" ] && [ ! -e "$ytp_name" ] && [ ! -L "$ytp_name" ]; then '
    'ln -s "$ytp_entry" "$ytp_name"; fi; done'
)


#: the name a checkpoint's uploaded copy has in the job's working folder, before it is put
#: under checkpoints/ (YT's file names are one path part)
CHECKPOINT_FILE = "ytp_checkpoint_{name}"


def checkpoint_commands(spec: OperationSpec) -> list[str]:
    """Put each checkpoint under checkpoints/<name>: a file linked, a folder unpacked from
    its tar (names are checked to be plain, yt_pipeline.checkpoints)."""
    if not spec.checkpoints:
        return []
    lines = [f"mkdir -p {CHECKPOINTS_FOLDER}"]
    for checkpoint in spec.checkpoints:
        mounted = CHECKPOINT_FILE.format(name=checkpoint.name)
        placed = f"{CHECKPOINTS_FOLDER}/{checkpoint.name}"
        if checkpoint.is_folder:
            lines.append(f"mkdir -p {placed} && tar -xf {mounted} -C {placed}")
        else:
            lines.append(f'ln -s "$PWD/{mounted}" {placed}')
    lines.append(f'export {CHECKPOINTS_ENV}="$PWD/{CHECKPOINTS_FOLDER}"')
    return lines


def job_command(wrapper: str, spec: OperationSpec | None = None) -> str:
    return "\n".join([
        "set -e",
        f"mkdir -p {CODE_DIR_NAME}",
        f"tar -xzf {ARCHIVE_NAME} -C {CODE_DIR_NAME}",
        # before the code's entries are linked, so checkpoints/ is ours
        *(checkpoint_commands(spec) if spec is not None else []),
        LINK_CODE,
        f'export YTP_CODE_DIR="$PWD/{CODE_DIR_NAME}"',
        # Secrets come as YT_SECURE_VAULT_<NAME>; jobs read them under <NAME>, as in dev.
        'for ytp_var in ${!YT_SECURE_VAULT_@}; do '
        'export "${ytp_var#YT_SECURE_VAULT_}=${!ytp_var}"; done',
        f'exec bash "$YTP_CODE_DIR/{shlex.quote(wrapper)}"',
    ])


def wrapper_for(spec: OperationSpec, script: str) -> str:
    package = spec.code_package
    if package is None:
        raise PackagingError(
            f"stage {spec.stage_name}: operation {spec.name} needs the code archive, but no "
            "plugin built one; install yt-pipeline-uploader"
        )
    role = script_role(script)
    return package.wrappers.get((spec.stage_name, role)) or wrapper_name(spec.stage_name, role)


def file_paths(spec: OperationSpec, archive: str) -> list[Any]:
    """The archive, then each file_paths entry: a Cypress file as it is, a local file as
    its uploaded copy (launcher.py uploads them), under the local file's name, executable in
    the job's folder when the local file is (a sandbox file is executable only when marked
    `executable`, as ytsaurus-client's own upload marks it from the local file's mode:
    smart_upload_file in yt/wrapper/file_commands.py; dev copies the mode)."""
    import yt.wrapper as yt

    paths = [yt.FilePath(archive, file_name=ARCHIVE_NAME)]
    for item in spec.file_paths:
        uploaded = spec.uploaded_files.get(item)
        if uploaded is None:
            paths.append(yt.FilePath(item))
            continue
        executable = os.access(local_file(spec, item), os.X_OK) or None
        paths.append(yt.FilePath(uploaded[0], file_name=uploaded[1], executable=executable))
    for name, path in spec.uploaded_checkpoints.items():
        paths.append(yt.FilePath(path, file_name=CHECKPOINT_FILE.format(name=name)))
    return paths


def user_job(spec: OperationSpec, script: str, archive: str, with_format: bool = True
             ) -> dict[str, Any]:
    resources = spec.resources
    job: dict[str, Any] = {
        "command": job_command(wrapper_for(spec, script), spec),
        "file_paths": file_paths(spec, archive),
        "environment": dict(spec.env),
    }
    if with_format:
        job["format"] = job_format()
    if resources.memory_limit_gb is not None:
        job["memory_limit"] = memory_limit_bytes(resources.memory_limit_gb)
    if resources.cpu_limit is not None:
        job["cpu_limit"] = resources.cpu_limit
    if resources.gpu_limit is not None:
        job["gpu_limit"] = resources.gpu_limit
    if resources.docker_image:
        job["docker_image"] = resources.docker_image
    if resources.timeout_s is not None:
        # Each job's own limit, as dev's: the job proxy fails a job running past its user
        # job spec's `job_time_limit` (milliseconds; 1 s at least: TUserJobSpec in
        # yt/yt/ytlib/scheduler/config.cpp) with "Job time limit exceeded", and the failed
        # job counts towards max_failed_job_count (OnJobTimeLimitExceeded in
        # yt/yt/server/job_proxy/user_job.cpp).
        job["job_time_limit"] = job_time_limit_ms(resources.timeout_s)
    return job


def memory_limit_bytes(memory_limit_gb: float) -> int:
    """Bytes, 1 at least: the scheduler refuses a memory_limit of 0 when it parses the spec
    (TUserJobSpec in yt/yt/ytlib/scheduler/config.cpp: GreaterThan(0)), and a limit under a
    byte (memory_limit_gb 1e-10 passes the configuration's check, above 0) truncates to 0.
    One byte fails the job with "Memory limit exceeded", as dev fails it."""
    return max(1, int(memory_limit_gb * GIB))


def job_time_limit_ms(timeout_s: float) -> int:
    return int(round(timeout_s * MS_PER_S))


def _output_paths(spec: OperationSpec) -> list[Any]:
    import yt.wrapper as yt

    return [yt.TablePath(path, append=spec.append) for path in spec.output_tables]


def build(spec: OperationSpec, archive: str | None, sorted_inputs: bool) -> tuple[str, dict]:
    """(operation type, spec dict). `reduce` on inputs not sorted by the key runs as a
    map_reduce without a mapper: same result, and YT accepts unsorted input there (see
    reduce_inputs.py for when that is chosen)."""
    resources = spec.resources
    body: dict[str, Any] = {"title": f"yt-pipeline {spec.stage_name}/{spec.name}"}
    if spec.max_failed_job_count is not None:
        body["max_failed_job_count"] = spec.max_failed_job_count
    if resources.pool:
        body["pool"] = resources.pool
    if resources.pool_tree:
        body["pool_trees"] = [resources.pool_tree]
    kind = spec.kind
    if spec.secure_env and kind != "sort":
        # a sort has no job to read it (the sorts that ready a reduce's inputs are built
        # from the reduce's spec): the secrets go only where a job runs
        body["secure_vault"] = dict(spec.secure_env)
    if kind != "vanilla":
        body["input_table_paths"] = list(spec.input_tables)
    if kind == "sort":
        body["output_table_path"] = spec.output_tables[0]
        body["sort_by"] = list(spec.sort_by)
        return "sort", deep_merge(body, spec.extra_spec)
    archive = archive or ""
    if kind == "vanilla":
        task = user_job(spec, spec.script or "", archive, with_format=False)
        task["job_count"] = resources.job_count or 1
        # The task has no output table, so what it prints is no table's rows: the job proxy
        # sends fd 1 to the stderr pipe (UserJob::PreparePipes in yt/yt/server/job_proxy/
        # user_job.cpp), where get_job_stderr shows it, as dev keeps it in the stage's log.
        task["redirect_stdout_to_stderr"] = True
        body["tasks"] = {spec.name: task}
    else:
        body["output_table_paths"] = _output_paths(spec)
    if kind == "map":
        body["mapper"] = user_job(spec, spec.mapper or "", archive)
        if resources.job_count:
            body["job_count"] = resources.job_count
    if kind == "reduce" and not sorted_inputs:
        kind = "map_reduce"
    if kind in ("reduce", "map_reduce"):
        body["reduce_by"] = list(spec.reduce_by)
        body["sort_by"] = list(spec.sort_by or spec.reduce_by)
        body["reducer"] = user_job(spec, spec.reducer or "", archive)
        if spec.join_by:
            # the foreign tables are marked in input_table_paths (<foreign=%true>//t), as
            # ytsaurus-client's run_reduce sends them with its join_by (ReduceSpecBuilder)
            body["join_by"] = list(spec.join_by)
        if spec.mapper:
            body["mapper"] = user_job(spec, spec.mapper, archive)
        if resources.job_count:
            body["job_count" if kind == "reduce" else "partition_count"] = resources.job_count
    merged = deep_merge(body, spec.extra_spec)
    if kind != spec.kind and isinstance(merged.get("job_io"), dict):
        # a reduce run as a map_reduce: the reducer reads as reduce_job_io says, and a
        # map_reduce has no job_io of its own (TMapReduceOperationSpec registers map_job_io,
        # sort_job_io and reduce_job_io: yt/yt/ytlib/scheduler/config.cpp), so the
        # scheduler would keep the reduce's job_io unread (its spec keeps unrecognized keys)
        merged["reduce_job_io"] = deep_merge(merged.get("reduce_job_io") or {},
                                             merged.pop("job_io"))
    return kind, merged
