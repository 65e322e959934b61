"""A dev pipeline that gives a report something of everything to show.

    load ──> clean_users (map operation, cached on the second run) ──┐
      ├───> clean_events (fails its first attempt of each run) ──────┴─> join ─> publish ─> archive
      ├───> enrich (vanilla: its tasks' output goes to .dev/enrich.log)
      └───> an oddly named stage whose `when:` is false (SKIPPED)

Dependencies are inferred from the tables in each stage's `inputs:`/`outputs:`; three stages
run at once. `publish` runs a map whose job fails, printing the secret it was given, so its
sandbox is kept with that stderr; `archive` is then not run. The secret must never reach
the report, nor may the markup hidden in a stage name and in an error.
"""

from __future__ import annotations

from pathlib import Path

from yt_pipeline.testing import write_pipeline

SECRET = "tok-9f8e7d6c5b4a-report"
ODD_NAME = "<img src=x onerror=alert(1)>"
#: how each stage ends in the second run (both runs fail at publish)
SECOND_RUN = {"load": "SUCCESS", "clean_users": "CACHED", "clean_events": "SUCCESS",
              "enrich": "SUCCESS", ODD_NAME: "SKIPPED", "join": "SUCCESS", "publish": "FAILED",
              "archive": "NOT RUN"}
#: rows of each table after a run
ROWS = {"//report/raw": 6, "//report/users": 4, "//report/events": 6, "//report/enriched": 3,
        "//report/joined": 4}

STAGE = '''
import time
from pathlib import Path

from yt_pipeline import BaseStage
from yt_pipeline.errors import OperationFailed
from yt_pipeline.operations import run_map, run_vanilla


class Step(BaseStage):
    def run(self, debug):
        cfg = self.config
        yt = self.deps.yt_client
        time.sleep(cfg.get("sleep", 0))
        if cfg.get("fail_first"):  # the first attempt of each run fails
            marker = Path(self.context.pipeline_dir) / f"attempted.{self.context.run_id}"
            if not marker.exists():
                marker.write_text("1")
                raise OperationFailed("events feed not ready yet", stage=self.name,
                                      operation="fetch")
        for path, count in (cfg.get("write") or {}).items():
            yt.write_table(path, ({"id": i, "kind": "user" if i % 3 else "bot"}
                                  for i in range(count)))
        for name in (cfg.get("client", {}).get("operations") or {}):
            if name == "vanilla":
                run_vanilla(self, cfg.client.operations.vanilla)
                yt.write_table("//report/enriched", ({"id": i} for i in range(3)))
            else:
                run_map(self, cfg.client.operations[name])
        return debug
'''

MAPPER = '''
import os
import sys

from ytjobs import read_rows, write_rows

if os.environ.get("REPORT_FAIL"):
    sys.stderr.write("publishing with token " + os.environ["REPORT_API_KEY"] + "\\n")
    sys.stderr.write("<script>alert('stderr')</script> upstream refused the batch\\n")
    sys.exit(3)
write_rows(row for row in read_rows() if row["kind"] == "user")
'''

VANILLA = '''
import os
import sys

sys.stderr.write("enrich task started, key " + os.environ["REPORT_API_KEY"] + "\\n")
print("enriched 3 rows")
'''


def _map(source: str, target: str, **extra) -> dict:
    return {"operations": {"map": {"input_table": source, "output_table": target, **extra}}}


STAGES: dict[str, dict] = {
    "load": {"outputs": ["//report/raw"], "write": {"//report/raw": 6}, "sleep": 0.3},
    "clean_users": {"inputs": ["//report/raw"], "outputs": ["//report/users"], "cache": True,
                    "sleep": 0.5, "client": _map("//report/raw", "//report/users")},
    "clean_events": {"inputs": ["//report/raw"], "outputs": ["//report/events"],
                     "retry": {"max_attempts": 3, "backoff_s": 0.1}, "fail_first": True,
                     "sleep": 0.3, "write": {"//report/events": 6}},
    "enrich": {"inputs": ["//report/raw"], "outputs": ["//report/enriched"], "sleep": 0.8,
               "client": {"operations": {"vanilla": {"env": ["REPORT_API_KEY"]}}}},
    ODD_NAME: {"inputs": ["//report/raw"], "when": "mode == 'prod'"},
    "join": {"inputs": ["//report/users", "//report/events"], "outputs": ["//report/joined"],
             "sleep": 0.2, "write": {"//report/joined": 4}},
    "publish": {"inputs": ["//report/joined"], "outputs": ["//report/published"], "sleep": 0.2,
                "client": _map("//report/joined", "//report/published",
                               env={"REPORT_API_KEY": None, "REPORT_FAIL": "1"})},
    "archive": {"inputs": ["//report/published"]},
}


def write_report_pipeline(root: Path) -> Path:
    files = {"configs/secrets.env": f"REPORT_API_KEY={SECRET}\n"}
    for name, cfg in STAGES.items():
        files[f"stages/{name}/stage.py"] = STAGE
        if "operations" in cfg.get("client", {}):
            kind = next(iter(cfg["client"]["operations"]))
            script = "src/vanilla.py" if kind == "vanilla" else "src/mapper.py"
            files[f"stages/{name}/{script}"] = VANILLA if kind == "vanilla" else MAPPER
    config = {"pipeline": {"mode": "dev", "workers": 3},
              "stages": {"graph": {name: [] for name in STAGES}}}
    write_pipeline(root, files, config)
    import yaml

    for name, cfg in STAGES.items():
        (root / "stages" / name / "config.yaml").write_text(yaml.safe_dump(cfg))
    return root
