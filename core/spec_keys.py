"""The keys of an operation's `spec:` section that change which rows its jobs read or
write, refused in both modes when the configuration is read.

`spec:` goes to the cluster as it is (prod merges it into the spec it builds, op_spec.py),
while dev runs the operation from the section's own keys and has no scheduler to give the
rest to. Scheduling keys (title, pool_trees, time_limit, tmpfs_path, ...) change how a
cluster runs the jobs, not their rows, so dev may leave them to prod. The keys below would
give prod other rows than dev, so neither mode takes them and the error says what to write
instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yt_pipeline.errors import ConfigError
    from yt_pipeline.operation_config import Fail

_SECTION_KEY = "write the section's own {key} key, which both modes run"

#: top-level spec key -> what to do instead
ROW_KEYS = {
    # a reduce's foreign tables join each primary key with the rows of the foreign tables
    # of the same join_by key (YTsaurus docs, Reduce: join_by); the section's own join_by
    # key runs that join in both modes (join_keys.py)
    "join_by": "write the section's own join_by key and mark the foreign tables in "
               "input_tables (<foreign=%true>//table), which both modes run",
    "input_table_paths": _SECTION_KEY.format(key="input_tables"),
    "output_table_paths": _SECTION_KEY.format(key="output_tables"),
    "output_table_path": _SECTION_KEY.format(key="output_table"),
    "reduce_by": _SECTION_KEY.format(key="reduce_by"),
    "sort_by": _SECTION_KEY.format(key="sort_by"),
    # with it false a key's rows may reach several jobs (docs, Reduce:
    # enable_key_guarantee); dev keeps each key in one job, as a cluster does by default
    "enable_key_guarantee": "a key's rows always reach one job, as on a cluster by default",
    "pivot_keys": "which keys a job gets is not configurable: set resources.job_count",
    # a map's QL filter (docs, Map: input_query) runs on the cluster only
    "input_query": "filter the rows in the mapper or in YQL",
}

_FORMAT = "jobs read and write JSON lines in both modes, which ytjobs reads and writes"

#: a user job's keys that change what it reads or writes -> what to do instead
JOB_ROW_KEYS = {
    # jobs read and write JSON lines in both modes (op_spec.job_format)
    "format": _FORMAT, "input_format": _FORMAT, "output_format": _FORMAT,
    # dev puts table switches in a job's input as a cluster does by default
    # (InitEnableInputTableIndex in yt/yt/ytlib/scheduler/config.cpp: on when the
    # operation reads more than one table; dev's table_switches.py)
    "enable_input_table_index": "a job's input carries table switches exactly when the "
                                "operation reads more than one table, in both modes",
}


def check_spec_section(value: Any, fail: Fail) -> dict[str, Any]:
    """The section's `spec:` as a dict, refused when it is not a mapping, gives a key of
    ROW_KEYS or JOB_ROW_KEYS, or a job environment value that is not text."""
    if value is None:
        return {}
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    if not isinstance(value, Mapping):
        raise fail("must be a mapping of YT operation spec keys", "spec")
    for key, hint in ROW_KEYS.items():
        if key in value:
            raise _refused(fail, f"spec.{key}", hint)
    jobs = [(role, value.get(role)) for role in ("mapper", "reducer")]
    tasks = value.get("tasks")
    if isinstance(tasks, Mapping):
        jobs += [(f"tasks.{name}", task) for name, task in tasks.items()]
    for where, job in jobs:
        if isinstance(job, Mapping):
            for key, hint in JOB_ROW_KEYS.items():
                if key in job:
                    raise _refused(fail, f"spec.{where}.{key}", hint)
            _check_environment(job.get("environment"), fail, f"spec.{where}.environment")
    _check_numbers(value, jobs, fail)
    return dict(value)


def _check_environment(environment: Any, fail: Fail, key: str) -> None:
    """A job's `environment` under `spec:`, which prod merges into the one it builds: text
    values only, as a cluster's scheduler reads them when the operation starts (the user
    job spec's `environment` is a map of string to string, THashMap<TString, TString> in
    yt/yt/ytlib/scheduler/config.h, and a string is read from a string node only:
    Deserialize(TString&, INodePtr) in yt/yt/core/ytree/serialize.cpp), where YAML reads
    `THREADS: 4` as a number and `DEBUG: true` as a boolean."""
    if environment is None:
        return
    if not isinstance(environment, Mapping):
        raise fail("must be a mapping of variable name: text", key)
    for name, item in environment.items():
        if not isinstance(item, str):
            raise fail(f"must be text, got {_described(item)}: quote it (a cluster refuses "
                       "a job environment value that is not a string when the operation "
                       "starts)", f"{key}.{name}")


def _described(value: Any) -> str:
    """A YAML value as its reader would call it: `the number 4`, `null`."""
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: a bool is one in Python
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    return "a mapping" if isinstance(value, Mapping) else f"a {type(value).__name__}"


#: spec keys a cluster reads from an integer node, and a user job's (TOperationSpecBase,
#: TSimpleOperationSpecBase, TSortOperationSpecBase and TUserJobSpec in yt/yt/ytlib/
#: scheduler/config.h): "2" there fails start_operation while the spec is parsed
INTEGER_KEYS = ("max_failed_job_count", "job_count", "max_job_count", "data_weight_per_job",
                "data_size_per_job", "partition_count", "partition_data_weight",
                "partition_job_count", "data_weight_per_partition_job", "map_job_count",
                "data_weight_per_map_job")
JOB_INTEGER_KEYS = ("memory_limit", "max_stderr_size", "job_time_limit", "gpu_limit",
                    "job_count")
#: a user job's keys read from a number node, whole or not
JOB_NUMBER_KEYS = ("cpu_limit",)


def _check_number(value: Any, whole: bool, fail: Fail, key: str) -> None:
    """A number key of the spec given as text, a boolean or (for a whole one) a fraction,
    which YAML gives for `"2"`, `true` or `2.5`: dev does not read these keys, a cluster
    refuses the spec."""
    if value is None:
        return
    allowed: tuple[type, ...] = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, allowed):
        shown = f"the text {value!r}" if isinstance(value, str) else _described(value)
        raise fail(f"must be {'a whole number' if whole else 'a number'}, got {shown} (a "
                   "cluster refuses the spec when the operation starts)", key)


def _check_numbers(section: Mapping[str, Any], jobs: list[tuple[str, Any]],
                   fail: Fail) -> None:
    for key in INTEGER_KEYS:
        _check_number(section.get(key), True, fail, f"spec.{key}")
    for where, job in jobs:
        if not isinstance(job, Mapping):
            continue
        for key in JOB_INTEGER_KEYS:
            if key != "job_count" or where.startswith("tasks."):  # a vanilla task's count
                _check_number(job.get(key), True, fail, f"spec.{where}.{key}")
        for key in JOB_NUMBER_KEYS:
            _check_number(job.get(key), False, fail, f"spec.{where}.{key}")


def _refused(fail: Fail, key: str, hint: str) -> ConfigError:
    name = key.rsplit(".", 1)[-1]
    return fail(f"{name} changes the rows the jobs get or write, which dev does not "
                f"model, so neither mode takes it: {hint}", key)
