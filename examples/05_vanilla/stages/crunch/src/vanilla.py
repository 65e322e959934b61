"""Each task sums its half of 1..upto; YT_JOB_COOKIE says which task this is."""

import os

from ytjobs import get_logger, load_config

task = int(os.environ.get("YT_JOB_COOKIE", "0"))
upto = int(load_config()["upto"])
numbers = range(task + 1, upto + 1, 2)  # task 0: odd numbers, task 1: even numbers
print(f"task {task}: sum={sum(numbers)}", flush=True)
get_logger("crunch").info("task %d done", task)
