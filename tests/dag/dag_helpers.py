"""Pipelines for the DAG tests: every stage is the same small class, driven by its config.

A stage appends `start <name>` and `end <name>` to order.log in the pipeline folder (and
`<name> <thread>` to threads.log), sleeps
`sleep` seconds, fails when `fail` is set (or while fewer than `fail_times` attempts were
made), copies `copy: [from, to]` tables doubling `x`, and adds `set` to the debug.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

STAGE = '''
import threading
import time
from pathlib import Path

from yt_pipeline import BaseStage
from yt_pipeline.errors import ConfigError, OperationFailed


class Step(BaseStage):
    def run(self, debug):
        cfg = self.config
        log = Path(self.context.pipeline_dir) / "order.log"
        with log.open("a") as out:
            out.write(f"start {self.name}\\n")
        with (log.parent / "threads.log").open("a") as out:
            out.write(f"{self.name} {threading.current_thread().name}\\n")
        time.sleep(cfg.get("sleep", 0))
        attempts = Path(self.context.pipeline_dir) / f"attempts.{self.name}"
        made = int(attempts.read_text()) + 1 if attempts.exists() else 1
        attempts.write_text(str(made))
        if made <= cfg.get("fail_times", 0):
            kind = cfg.get("fail_kind", "operation")
            if kind == "config":
                raise ConfigError("bad value", file="x.yaml", key="k")
            raise OperationFailed(f"attempt {made} failed", stage=self.name, operation="map")
        if cfg.get("fail"):
            raise RuntimeError(f"boom in {self.name}")
        debug["seen_" + self.name] = dict(debug)
        if cfg.get("copy"):
            source, target = cfg.copy
            yt = self.deps.yt_client
            yt.write_table(target, ({"x": r["x"] * 2} for r in yt.read_table(source)))
        for key, value in (cfg.get("set") or {}).items():
            debug[key] = value
        with log.open("a") as out:
            out.write(f"end {self.name}\\n")
        return debug
'''


def write_dag(root: Path, stages: dict[str, dict], pipeline: dict | None = None,
              graph: dict | None = None, chain: list[str] | None = None) -> Path:
    """A pipeline folder: `stages` maps a name to its config.yaml content."""
    for name, cfg in stages.items():
        folder = root / "stages" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "stage.py").write_text(STAGE)
        (folder / "config.yaml").write_text(yaml.safe_dump(cfg or {}))
    stages_cfg = {"enabled_stages": chain} if chain else {"graph": graph}
    config = {"pipeline": {"mode": "dev", **(pipeline or {})}, "stages": stages_cfg}
    (root / "configs").mkdir(parents=True, exist_ok=True)
    (root / "configs" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root


@pytest.fixture
def dag(tmp_path):
    counter = iter(range(1000))

    def make(stages, **kwargs) -> Path:
        return write_dag(tmp_path / f"p{next(counter)}", stages, **kwargs)

    return make


def order_of(root: Path) -> list[str]:
    log = root / "order.log"
    return log.read_text().split("\n")[:-1] if log.exists() else []


def started(root: Path) -> list[str]:
    return [line.split()[1] for line in order_of(root) if line.startswith("start ")]


def state_of(root: Path, mode: str = "dev") -> dict:
    return yaml.safe_load((root / f"state.{mode}.yml").read_text())


def run_pipeline(root: Path, **options):
    """Run in-process through the Python API; returns the result, or the StageFailed (the
    PluginHookFailed) the run raised."""
    from yt_pipeline.config import load_config
    from yt_pipeline.errors import PluginHookFailed, StageFailed
    from yt_pipeline.pipeline import DefaultPipeline
    from yt_pipeline.runner import RunOptions

    pipeline = DefaultPipeline(config=load_config(root))
    try:
        return pipeline.run(RunOptions(**options))
    except (StageFailed, PluginHookFailed) as failure:
        return failure
    finally:
        pipeline.close()


def dev_client(root: Path):
    from yt_pipeline_dev.client import DevClient

    return DevClient(root / ".dev")
