"""How many tasks and jobs a vanilla operation may have: the controller counts them when it
materializes the operation and fails it, before any job, past the controller agent's
vanilla_operation_options (TVanillaController::ValidateOperationLimits in yt/yt/server/
controller_agent/controllers/vanilla_controller.cpp; the defaults are TVanillaOperationOptions'
in yt/yt/server/controller_agent/config.cpp). The spec parser has checked already that each
task gives a job_count of 1 at least (operations.check_vanilla_tasks).
"""

from __future__ import annotations

from typing import Any

from yt_pipeline_prod.fake.protocol import YtFakeError

#: max_task_count and max_total_job_count of a stock controller agent
MAX_TASK_COUNT = 100
MAX_TOTAL_JOB_COUNT = 100_000


def check_vanilla_limits(tasks: dict[str, Any]) -> None:
    if len(tasks) > MAX_TASK_COUNT:
        raise YtFakeError(f"Maximum number of tasks exceeded: {len(tasks)} > {MAX_TASK_COUNT}")
    total = sum(int(task["job_count"]) for task in tasks.values())
    if total > MAX_TOTAL_JOB_COUNT:
        raise YtFakeError(f"Maximum total job count exceeded: {total} > "
                          f"{MAX_TOTAL_JOB_COUNT}")
