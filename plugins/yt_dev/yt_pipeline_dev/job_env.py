"""The environment of a dev job, and the check of a stage's requirements.txt.

A job inherits the driver's environment minus every secret (the keys of secrets.env, the
YT token, and any variable whose value holds a secret value, in any written form of it); it
gets back only the secrets its operation names in `env`, both as YT_SECURE_VAULT_<NAME> (as
YT provides them) and as <NAME>.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from yt_pipeline.errors import ConfigError
from yt_pipeline.operations import OperationSpec
from yt_pipeline.requirement_lines import requirement_names

ALWAYS_HIDDEN = ("YT_TOKEN",)


def job_environment(
    spec: OperationSpec, code_env: dict[str, str], hidden: Iterable[str], job_index: int,
    secret_forms: Iterable[str] = (), jobs_before: int = 0,
) -> dict[str, str]:
    """`secret_forms`: every written form of every secret value (secret_forms.all_forms);
    `job_index`: the job's place in its phase; `jobs_before`: the jobs the operation started
    in its earlier phases (a map_reduce's mappers, before its reducers)."""
    drop = set(hidden) | set(ALWAYS_HIDDEN)
    forms = [form for form in secret_forms if form]
    env = {
        k: v for k, v in os.environ.items()
        if k not in drop and not k.startswith("YT_SECURE_VAULT_")
        # a secret exported under another name (a copy of the token, a proxy URL holding
        # it) is a secret too: a cluster's job inherits nothing of the driver's shell. It is
        # looked for in each of its forms, since a URL holds a password percent-encoded
        # (RFC 3986 userinfo: `@` as %40) and a Basic credential holds it in base64. PATH
        # stays whatever it holds: without it the wrapper finds no python3 (a short secret,
        # 4 letters, may well be part of a folder name)
        and (k == "PATH" or not any(form in v for form in forms))
    }
    inherited_path = env.get("PYTHONPATH")
    env.update(code_env)
    if inherited_path:
        env["PYTHONPATH"] = code_env["PYTHONPATH"] + os.pathsep + inherited_path
    # the first run of each job (processes.run_jobs numbers the jobs run again). A dev phase
    # is one task: YT_TASK_JOB_INDEX and the cookie count within it, while YT_JOB_INDEX counts
    # every job of the operation, as a cluster draws it for each job from one generator of
    # the operation (TaskHost_->NextJobIndex() in TTask::ScheduleAllocation, yt/yt/server/
    # controller_agent/controllers/task.cpp): a map_reduce's reducers come after its mappers
    env["YT_JOB_INDEX"] = str(jobs_before + job_index)
    env["YT_TASK_JOB_INDEX"] = str(job_index)
    env["YT_JOB_COOKIE"] = str(job_index)
    env.update(spec.env)
    for name, value in spec.secure_env.items():
        env[f"YT_SECURE_VAULT_{name}"] = value
        env[name] = value
    return env


def missing_requirements(requirements: Path) -> list[str]:
    """Distributions named in a requirements file that are not installed."""
    # imported here: importlib.metadata loads the email package (30 ms), and most stages
    # have no requirements.txt
    from importlib import metadata

    missing = []
    for name in requirement_names(requirements):
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
    return missing


def check_requirements(spec: OperationSpec) -> None:
    """Report missing packages by name; dev never installs into the user's environment."""
    requirements = Path(spec.stage_dir) / "requirements.txt"
    if not requirements.is_file():
        return
    missing = missing_requirements(requirements)
    if missing:
        raise ConfigError(
            f"stage {spec.stage_name} needs packages that are not installed: "
            f"{', '.join(missing)} (dev mode does not install them: "
            f"pip install {' '.join(missing)})",
            file=requirements,
        )
