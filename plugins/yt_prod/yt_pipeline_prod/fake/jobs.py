"""One job of a fake operation: a local process in a temporary sandbox.

The sandbox holds the spec's file_paths (read from the fake Cypress under their file_name),
the environment is the spec's plus the secure vault as YT_SECURE_VAULT_<NAME>, rows go in
and come out as JSON lines, as a YT job with `format: json` sees them.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yt_pipeline_prod.fake.tables import dump_json_rows, parse_json_rows


@dataclass
class JobResult:
    id: str
    type: str
    exit_code: int
    stderr: bytes
    #: output rows per output table index
    outputs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    error: str = ""
    #: the command line the job ran and its environment, for tests to inspect
    command: str = ""
    environment: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def failed(self) -> bool:
        return self.exit_code != 0 or bool(self.error)


def split_outputs(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """JSON output with table switches (`{"$value": null, "$attributes": {"table_index": 1}}`)."""
    outputs: dict[int, list[dict[str, Any]]] = {0: []}
    index = 0
    for row in rows:
        if set(row) == {"$value", "$attributes"} and row["$value"] is None:
            index = int(row["$attributes"].get("table_index", index))
            outputs.setdefault(index, [])
            continue
        outputs.setdefault(index, []).append(row)
    return outputs


#: what a job finds on PATH besides python3: the shell tools a wrapper uses (tar, mkdir)
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def job_environment(python_bin: str, extra: dict[str, str], user_job: dict[str, Any],
                    secure_vault: dict[str, Any], ids: dict[str, str]) -> dict[str, str]:
    # A clean environment, as on a cluster node: nothing of the caller's leaks in, and
    # `python3` is the bare interpreter the fake was given (see interpreter.py), found first
    # on PATH, never the test's own with its packages.
    env = {"PATH": os.pathsep.join([python_bin, SYSTEM_PATH]), "LANG": "C.UTF-8"}
    env.update(extra)
    env.update({str(k): str(v) for k, v in (user_job.get("environment") or {}).items()})
    for name, value in secure_vault.items():
        env[f"YT_SECURE_VAULT_{name}"] = value if isinstance(value, str) else json.dumps(value)
    env.update(ids)
    return env


def run_job(job_id: str, job_type: str, user_job: dict[str, Any], files: dict[str, bytes],
            rows: list[dict[str, Any]] | None, env: dict[str, str],
            timeout_s: float) -> JobResult:
    with tempfile.TemporaryDirectory(prefix="fake-yt-job-") as sandbox:
        for name, data in files.items():
            target = Path(sandbox) / name
            target.write_bytes(data)
            target.chmod(0o755)
        env = dict(env, HOME=sandbox, TMPDIR=sandbox)
        command = str(user_job.get("command", ""))
        stdin = dump_json_rows(rows) if rows is not None else b""
        try:
            done = subprocess.run(
                ["bash", "-c", command],
                input=stdin, capture_output=True, cwd=sandbox, env=env, timeout=timeout_s,
            )
        except subprocess.TimeoutExpired as expired:
            return JobResult(job_id, job_type, -9, expired.stderr or b"",
                             error=f"job timed out after {timeout_s:.0f}s", command=command,
                             environment=env)
        result = JobResult(job_id, job_type, done.returncode, done.stderr, command=command,
                           environment=env)
        if done.returncode != 0:
            result.error = f"user job exited with code {done.returncode}"
            return result
        try:
            result.outputs = split_outputs(parse_json_rows(done.stdout))
        except (ValueError, UnicodeDecodeError) as error:
            result.error = f"job output is not JSON rows: {error}"
            result.exit_code = 1
        return result
