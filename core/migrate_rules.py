"""Where each name of yt-framework 1.4 lives in yt-pipeline, for `yt-pipeline migrate`.

`MOVED[module][name]` is the module that provides `name` here; `UNSUPPORTED[module]` says
why a module has no counterpart. A name of a known module missing from both is reported
with the module's reason, or as unknown. Modules of `ytjobs` keep their names (jobs import
ours as they imported theirs), except those in `UNSUPPORTED`.
"""

from __future__ import annotations

TOP = "yt_pipeline"
OPERATIONS = "yt_pipeline.operations"
COMPAT_LOGGING = "yt_pipeline.compat.logging"
COMPAT_YQL = "yt_pipeline.compat.yql_requests"
COMPAT_OMEGACONF = "yt_pipeline.compat.omegaconf"
COMPAT_TABLE = "yt_pipeline.compat.table"
COMPAT_SYS_PATH = "yt_pipeline.compat.sys_path"
COMPAT_CLIENTS = "yt_pipeline.compat.clients"
COMPAT_DEPS = "yt_pipeline.compat.dependencies"
#: files that run in the driver (not in jobs), where `self.config` is a ConfigNode (and the
#: modules beside a stage.py: migrate.stage_side)
STAGE_SIDE_FILES = ("stage.py", "pipeline.py")

_RUNS = {name: OPERATIONS for name in
         ("run_map", "run_vanilla", "run_reduce", "run_map_reduce", "run_sort")}
_YQL_REQUESTS = {name: COMPAT_YQL for name in (
    "JoinTablesRequest", "FilterTableRequest", "SelectColumnsRequest",
    "GroupByAggregateRequest", "UnionTablesRequest", "DistinctRequest",
    "SortTableRequest", "LimitTableRequest")}
_TABLE_HELPERS = {name: COMPAT_TABLE for name in
                  ("get_row_count", "read_table", "download_table")}
_LOG_HELPERS = {name: COMPAT_LOGGING for name in (
    "log_header", "log_operation", "log_success", "log_config", "setup_logging",
    "ColoredFormatter")}

MOVED: dict[str, dict[str, str]] = {
    "yt_framework.core": {"BasePipeline": TOP, "BaseStage": TOP, "StageRegistry": TOP},
    "yt_framework.core.pipeline": {"DefaultPipeline": TOP, "BasePipeline": TOP,
                                   "DebugContext": TOP},
    "yt_framework.core.debug_context": {"DebugContext": TOP},
    "yt_framework.core.stage": {"BaseStage": TOP},
    "yt_framework.core.registry": {"StageRegistry": TOP},
    "yt_framework.contracts": {"StageContext": TOP, "StageDependencies": COMPAT_DEPS},
    "yt_framework.contracts.stage": {"StageContext": TOP, "StageDependencies": COMPAT_DEPS},
    "yt_framework.core.dependencies": {"PipelineStageDependencies": COMPAT_DEPS},
    "yt_framework.operations": {**_RUNS, **_TABLE_HELPERS},
    "yt_framework.operations.table": dict(_TABLE_HELPERS),
    "yt_framework.operations.command_ops.map": {"run_map": OPERATIONS},
    "yt_framework.operations.command_ops.vanilla": {"run_vanilla": OPERATIONS},
    "yt_framework.operations.command_ops.sort": {"run_sort": OPERATIONS},
    "yt_framework.operations.command_ops.map_reduce": {"run_map_reduce": OPERATIONS,
                                                       "run_reduce": OPERATIONS},
    "yt_framework.operations.command_ops": dict(_RUNS),
    "yt_framework.utils.logging": dict(_LOG_HELPERS),
    "yt_framework.utils": {**_LOG_HELPERS, "stage_src_path": COMPAT_SYS_PATH},
    "yt_framework.utils.sys_path": {"stage_src_path": COMPAT_SYS_PATH},
    "yt_framework.yt.clients.yql.yql_requests": dict(_YQL_REQUESTS),
    "yt_framework.yt.clients.yql": dict(_YQL_REQUESTS),
    # the client's type, and the requests yt_framework/yt/clients/__init__.py re-exports
    "yt_framework.yt": {"BaseYTClient": COMPAT_CLIENTS},
    "yt_framework.yt.clients": {"BaseYTClient": COMPAT_CLIENTS, **_YQL_REQUESTS},
    "yt_framework.yt.clients.client_base": {"BaseYTClient": COMPAT_CLIENTS},
}

_S3 = ("S3 helpers are not part of yt-pipeline: list the objects with your own S3 client "
       "(boto3) in the stage, and write the paths with write_table")
_CHECKPOINT = ("checkpoint uploads are not part of yt-pipeline: give the file to the "
               "operation with file_paths")

_SECRETS = ("yt-pipeline reads configs/secrets.env itself: read a secret with "
            "self.deps.settings.secret(NAME)")

_YTIGNORE = ("yt-pipeline reads .ytignore files itself when it packs the code "
             "(docs/code-upload.md)")

UNSUPPORTED: dict[str, str] = {
    "yt_framework.operations.s3": _S3,
    "ytjobs.s3": _S3,
    "ytjobs.s3.client": _S3,
    "yt_framework.operations.checkpoint": _CHECKPOINT,
    "yt_framework.utils.env": _SECRETS,
    "yt_framework.typed_jobs": "typed jobs are not part of yt-pipeline: write a mapper script",
    "yt_framework.operations.upload": "yt-pipeline builds and uploads the code archive itself",
    "yt_framework.operations.dependencies": "yt-pipeline builds operation dependencies itself",
    "yt_framework.operations.common": "yt-pipeline builds the job environment itself",
    "yt_framework.yt.factory": "the client is self.deps.yt_client",
    "yt_framework.yt.clients": "the client is self.deps.yt_client",
}

#: names of `yt_framework.operations`, `yt_framework.utils` and `yt_framework.yt` without a
#: counterpart, and why
UNSUPPORTED_NAMES: dict[str, str] = {
    "list_s3_files": _S3, "save_s3_paths_to_table": _S3,
    "init_checkpoint_directory": _CHECKPOINT, "add_checkpoint": _CHECKPOINT,
    "init_tokenizer_artifact_directory": _CHECKPOINT,
    "upload_all_code": "yt-pipeline builds and uploads the code archive itself",
    "build_environment": "yt-pipeline builds the job environment itself",
    "prepare_docker_auth": "set docker_image in the operation's resources",
    "build_stage_dependencies": "yt-pipeline builds operation dependencies itself",
    "build_map_dependencies": "yt-pipeline builds operation dependencies itself",
    "build_ytjobs_dependencies": "yt-pipeline builds operation dependencies itself",
    "load_secrets": _SECRETS, "load_env_file": _SECRETS,
    "YTIgnoreMatcher": _YTIGNORE, "YTIgnorePattern": _YTIGNORE,
    # yt_framework/yt/factory.py, re-exported by yt_framework/yt/__init__.py
    "create_yt_client": "the client is self.deps.yt_client",
}
#: the modules whose names UNSUPPORTED_NAMES tells of
_NAMED_MODULES = ("yt_framework.operations", "yt_framework.utils", "yt_framework.yt")


_RUN_FUNCTION = ("run operations with the functions of yt_pipeline.operations: "
                 "run_map(self, self.config.client.operations.map), and the same for "
                 "run_reduce, run_map_reduce, run_sort and run_vanilla (docs/operations.md)")
_UPLOAD = ("the client does not upload local files to Cypress: give the file to the "
           "operation that reads it with file_paths in its config section, or declare it "
           "under checkpoints: in the stage's config.yaml (docs/checkpoints.md)")

#: methods of yt-framework's client (yt_framework/yt/clients/client_base.py) that
#: `self.deps.yt_client` here lacks, and what to write instead; the others
#: (create_path, exists, write_table, read_table, row_count, run_yql, the *_request
#: methods) keep their names
CLIENT_METHODS: dict[str, str] = {
    "upload_file": _UPLOAD, "upload_directory": _UPLOAD,
    **{name: _RUN_FUNCTION for name in (
        "run_map", "run_map_submit", "run_reduce", "run_reduce_submit", "run_map_reduce",
        "run_map_reduce_submit", "run_sort", "run_vanilla", "run_vanilla_submit")},
}
#: the attribute that names the client in stage code (`self.deps.yt_client`)
CLIENT_ATTRIBUTE = "yt_client"


def is_framework(module: str) -> bool:
    return module == "yt_framework" or module.startswith("yt_framework.")


def unsupported_reason(module: str) -> str | None:
    """Why `module` (or a package above it) has no counterpart; None when it has one."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        reason = UNSUPPORTED.get(".".join(parts[:end]))
        if reason:
            return reason
    return None


def target_of(module: str, name: str) -> tuple[str | None, str]:
    """(our module, "") for a name we provide, or (None, why not)."""
    moved = MOVED.get(module, {})
    if name in moved:
        return moved[name], ""
    reason = unsupported_reason(module)
    if reason:
        return None, reason
    if module in _NAMED_MODULES and name in UNSUPPORTED_NAMES:
        return None, UNSUPPORTED_NAMES[name]
    if module in MOVED:
        return None, f"{module}.{name} has no counterpart in yt-pipeline"
    return None, f"{module} has no counterpart in yt-pipeline"

#: operation-section keys yt-framework read that yt-pipeline refuses, and what to write
OPERATION_KEYS: dict[str, str] = {
    "operation_description": "put a YT spec key under spec: (spec: {description: ...})",
    "checkpoint": "give the file to the operation with file_paths",
    "tokenizer_artifact": "give the files to the operation with file_paths",
    "environment_public_keys": "list the variables the job needs under env:",
    "use_plain_environment_for_secrets": "secrets reach a job only through env: (never in "
                                         "the plain environment)",
    "max_row_weight": ("put it in the YT spec, in bytes: spec: {job_io: {table_writer: "
                       "{max_row_weight: 67108864}}} for 64M (map_job_io / reduce_job_io "
                       "for a map-reduce)"),
    "map_job_count": "put it in the YT spec: spec: {map_job_count: N}",
    "job_io": "put it in the YT spec: spec: {job_io: ...}",
    "tar_command_bootstrap": "delete it: yt-pipeline always unpacks the code archive "
                             "before it runs an operation's scripts (what "
                             "tar_command_bootstrap: true did)",
}
#: operation keys `migrate` deletes from a stage's config.yaml: they ask for what
#: yt-pipeline always does
DROPPED_KEYS = ("tar_command_bootstrap",)
RESOURCE_KEYS: dict[str, str] = {
    "user_slots": "put it under spec: (spec: {resource_limits: {user_slots: N}})",
}
