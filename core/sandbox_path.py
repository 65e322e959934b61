"""`$(SandboxPath)` in a job's environment values, put in as a cluster's job proxy puts it.

The job proxy formats each value of the user job spec's `environment` with a
TPatternFormatter whose one property, SandboxPath, is the job's user sandbox, its working
folder (TUserJob::PrepareEnvironment in yt/yt/server/job_proxy/user_job.cpp, ytsaurus); the
formatter (yt/yt/core/misc/pattern_formatter.cpp) puts a known property's value for
`$(Name)`, the name ending at the first `)`, and leaves any other `$(...)` as written. The
name holds no parenthesis, so a plain replace finds exactly the places it formats.
"""

from __future__ import annotations

SANDBOX_PATH = "$(SandboxPath)"


def formatted(value: str, sandbox: str) -> str:
    """`value` with each `$(SandboxPath)` made `sandbox` (an absolute folder)."""
    return value.replace(SANDBOX_PATH, sandbox)
