"""Which stages have job code, and which scripts their operations run.

A stage needs the archive when its `src/` holds one of the default job scripts, or when its
config.yaml names a script for an operation (`client.operations.<name>.script|mapper|reducer`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import msgspec

from yt_pipeline.errors import PackagingError
from yt_pipeline.operation_names import DEFAULT_SCRIPTS
from yt_pipeline.stage import STAGE_CONFIG_FILE
from yt_pipeline.yamlio import read_yaml_mapping

SCRIPT_KEYS = ("script", "mapper", "reducer")


class JobScript(msgspec.Struct, frozen=True):
    """One job script of a stage: `script` is relative to the stage folder."""

    stage: str
    script: str

    @property
    def role(self) -> str:
        from yt_pipeline.packaging import script_role  # with the archive: most runs have none

        return script_role(self.script)

    @property
    def wrapper(self) -> str:
        from yt_pipeline.packaging import wrapper_name

        return wrapper_name(self.stage, self.role)


def find_job_scripts(stage_name: str, stage_dir: Path, shown_config: str,
                     pipeline_dir: Path | None = None) -> list[JobScript]:
    """The job scripts of one stage, sorted by wrapper name; two scripts that would share
    a wrapper are an error, since a backend could not tell which one an operation meant."""
    scripts = {s for s in DEFAULT_SCRIPTS.values() if (stage_dir / s).is_file()}
    config_path = stage_dir / STAGE_CONFIG_FILE
    if config_path.is_file():
        config = read_yaml_mapping(config_path, display=shown_config, memo=pipeline_dir)
        scripts.update(_named_scripts(config, stage_dir, shown_config))
    by_wrapper: dict[str, JobScript] = {}
    for script in sorted(scripts):
        job = JobScript(stage_name, script)
        other = by_wrapper.get(job.wrapper)
        if other is not None:
            raise PackagingError(
                f"{shown_config}: scripts {other.script} and {script} of stage {stage_name} "
                f"would share the wrapper {job.wrapper}; rename one of them"
            )
        by_wrapper[job.wrapper] = job
    return [by_wrapper[name] for name in sorted(by_wrapper)]


def _named_scripts(config: Mapping[str, Any], stage_dir: Path, shown: str) -> set[str]:
    client = config.get("client")
    operations = client.get("operations") if isinstance(client, Mapping) else None
    if not isinstance(operations, Mapping):
        return set()
    found = set()
    for op_name, op_config in operations.items():
        if not isinstance(op_config, Mapping):
            continue
        for key in SCRIPT_KEYS:
            value = op_config.get(key)
            if value is None:
                continue
            where = f"client.operations.{op_name}.{key}"
            found.add(_checked_script(value, stage_dir, shown, where))
    return found


def _checked_script(value: Any, stage_dir: Path, shown: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PackagingError(f"{shown}: {where}: must be a script path, got {value!r}")
    script = PurePosixPath(value.replace("\\", "/"))
    if script.is_absolute() or ".." in script.parts:
        raise PackagingError(
            f"{shown}: {where}: script {value} must be a path inside the stage folder"
        )
    if not (stage_dir / script).is_file():
        raise PackagingError(f"{shown}: {where}: script {value} not found in {stage_dir}")
    return str(script)
