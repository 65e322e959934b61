"""A three-stage prod pipeline on the fake YT proxy, for the reliability tests.

`load` writes a table, `upper` runs a map operation on it (appending to a table that
already holds rows), `report` reads the map's output back and writes a summary. Every
table starts with known earlier content, so a failed run can be checked to have left
each table either complete or exactly as it was.

Retries are on, with small counts, short backoffs and a short request timeout, so that a
transient fault is retried within a second and a persistent one fails within a few.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yt_pipeline.testing import CliResult, invoke_cli, write_pipeline

WORDS = "//home/faults/words"
UPPER = "//home/faults/upper"
SUMMARY = "//home/faults/summary"

NEW_WORDS = [{"id": i, "word": w} for i, w in enumerate(["alpha", "beta", "gamma", "delta"])]
#: what each table holds before a run
BEFORE = {
    WORDS: [{"id": -1, "word": "stale"}],
    UPPER: [{"id": -1, "word": "EARLIER"}],
    SUMMARY: [{"count": 0, "ids": []}],
}
#: what each table holds after a successful run
AFTER = {
    WORDS: NEW_WORDS,
    UPPER: BEFORE[UPPER] + [{"id": r["id"], "word": r["word"].upper()} for r in NEW_WORDS],
    SUMMARY: [{"count": 5, "ids": [-1, 0, 1, 2, 3]}],
}
#: the tables each stage writes, in run order
STAGE_OUTPUTS = {"load": [WORDS], "upper": [UPPER], "report": [SUMMARY]}

#: seconds the client waits for one answer; a slower answer counts as a failed attempt
REQUEST_TIMEOUT_S = 0.4
ATTEMPTS = 3

LOAD_STAGE = f"""
from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("{WORDS}", {NEW_WORDS!r})
        return debug
"""

UPPER_STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Upper(BaseStage):
    def run(self, debug):
        debug["operation"] = run_map(self, self.config.client.operations.map).operation_id
        return debug
"""

UPPER_CONFIG = f"""
client:
  operations:
    map:
      input_table: {WORDS}
      output_table: {UPPER}
      append: true
"""

MAPPER = """
from ytjobs import read_rows, write_rows

write_rows({"id": row["id"], "word": row["word"].upper()} for row in read_rows())
"""

REPORT_STAGE = f"""
from yt_pipeline import BaseStage


class Report(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        ids = sorted(row["id"] for row in yt.read_table("{UPPER}"))
        yt.write_table("{SUMMARY}", [{{"count": len(ids), "ids": ids}}])
        return debug
"""


def retry_options(attempts: int = ATTEMPTS, timeout_s: float = REQUEST_TIMEOUT_S,
                  backoff_ms: int = 20) -> dict[str, Any]:
    """`pipeline.prod` with the client's retries on, made small for tests."""
    timeout_ms = int(timeout_s * 1000)
    retries = {"enable": True, "count": attempts, "total_timeout": None,
               "backoff": {"policy": "constant_time", "constant_time": backoff_ms}}
    yt_config = {
        "transaction_sleep_period": 5,
        "proxy": {"retries": retries, "request_timeout": timeout_ms,
                  "heavy_request_timeout": timeout_ms, "connect_timeout": timeout_ms},
        "operation_info_commands_timeout": timeout_ms,
        "start_operation_request_timeout": timeout_ms,
    }
    for name in ("read_retries", "write_retries", "start_operation_retries",
                 "get_operation_retries", "batch_requests_retries"):
        yt_config[name] = retries
    return {"retries": True, "poll_interval_s": 0.05, "yt_config": yt_config}


def write_prod_pipeline(root: Path, proxy_url: str, secrets: dict[str, str],
                        prod_options: dict[str, Any] | None = None) -> Path:
    secrets = {"YT_PROXY": proxy_url, **secrets}
    config = {"pipeline": {"mode": "prod", "build_folder": "//home/faults/build",
                           "prod": prod_options or retry_options()},
              "stages": {"enabled_stages": list(STAGE_OUTPUTS)}}
    files = {
        "configs/secrets.env": "".join(f"{k}={v}\n" for k, v in secrets.items()),
        "stages/load/stage.py": LOAD_STAGE,
        "stages/upper/stage.py": UPPER_STAGE,
        "stages/upper/config.yaml": UPPER_CONFIG,
        "stages/upper/src/mapper.py": MAPPER,
        "stages/report/stage.py": REPORT_STAGE,
    }
    return write_pipeline(root, files, config=config)


def seed_tables(fake: Any) -> None:
    for path, rows in BEFORE.items():
        fake.put_table(path, rows)


def table_or_none(fake: Any, path: str) -> list[dict[str, Any]] | None:
    try:
        return fake.rows(path)
    except KeyError:
        return None


@dataclass
class TimedRun:
    result: CliResult
    seconds: float

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.result.output.splitlines() if line.startswith("error:")]


def run_pipeline(root: Path, *args: str) -> TimedRun:
    started = time.monotonic()
    result = invoke_cli("run", root, *args)
    return TimedRun(result, time.monotonic() - started)
