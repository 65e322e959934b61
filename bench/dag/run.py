"""DAG runner figures: parallel speed-up and scheduling overhead.

(a) 8 independent stages that each wait 1 s, with 8 workers and one after another; and a
    diamond of 4 levels (1, 3, 3, 1 stages of 1 s each), the same two ways.
(b) 2,000 no-op stages in a random DAG, planned and run; then --resume of 200 stages that
    all succeeded already (nothing left to run: the cost is planning and bookkeeping).
(c) the same 2,000 stages with the cache on: a first run, then a run that takes every stage
    from the cache (the cost is fingerprinting: code, imports, config, debug, upstream).

    python bench/dag/run.py [--quick]
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

import yaml

from yt_pipeline import BaseStage
from yt_pipeline.config import load_config
from yt_pipeline.discovery import DiscoveredStage
from yt_pipeline.pipeline import BasePipeline, DefaultPipeline
from yt_pipeline.registry import StageRegistry
from yt_pipeline.runner import Runner, RunOptions

SLEEP_STAGE = """
import time
from yt_pipeline import BaseStage

class Wait(BaseStage):
    def run(self, debug):
        time.sleep(self.config.seconds)
        debug[self.name] = 1
        return debug
"""


def write_config(root: Path, stages: dict, workers: int = 4, cache: bool = False) -> None:
    (root / "configs").mkdir(parents=True, exist_ok=True)
    pipeline = {"mode": "dev", "workers": workers, **({"cache": True} if cache else {})}
    config = {"pipeline": pipeline, "stages": stages}
    (root / "configs" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def sleeping_pipeline(root: Path, graph: dict[str, list[str]], seconds: float) -> Path:
    for name in graph:
        folder = root / "stages" / name
        folder.mkdir(parents=True)
        (folder / "stage.py").write_text(SLEEP_STAGE)
        (folder / "config.yaml").write_text(f"seconds: {seconds}\n")
    write_config(root, {"graph": graph})
    return root


def wall_time(root: Path, workers: int) -> float:
    pipeline = DefaultPipeline(config=load_config(root))
    started = time.perf_counter()
    pipeline.run(RunOptions(workers=workers))
    return time.perf_counter() - started


class NoOp(BaseStage):
    def run(self, debug):
        return debug


def noop_pipeline_class(names: list[str], stage_dir: Path) -> type[BasePipeline]:
    class ManyStages(BasePipeline):
        def setup(self) -> None:
            registry = StageRegistry()
            for name in names:
                registry.add(DiscoveredStage(name, NoOp, stage_dir, "bench"))
            self.set_stage_registry(registry)

    return ManyStages


def random_dag(count: int, rng: random.Random) -> dict[str, list[str]]:
    names = [f"s{i:04d}" for i in range(count)]
    return {
        name: sorted(rng.sample(names[:i], min(i, rng.randint(0, 3)))) for i, name in enumerate(names)
    }


def noop_run(root: Path, graph: dict[str, list[str]], cache: bool = False,
             **options) -> tuple[float, float, object]:
    """Seconds to load the configuration, and to plan and run; and the result."""
    write_config(root, {"graph": graph}, cache=cache)
    (root / "stages").mkdir(exist_ok=True)
    cls = noop_pipeline_class(list(graph), root / "stages")
    started = time.perf_counter()
    pipeline = cls(config=load_config(root))
    pipeline.yt  # noqa: B018 - the client is made before the clock starts, as in a real run
    loaded = time.perf_counter()
    result = Runner(pipeline, RunOptions(**options)).run()
    done = time.perf_counter()
    assert result.success
    return loaded - started, done - loaded, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="0.2 s stages instead of 1 s")
    args = parser.parse_args()
    logging.getLogger("yt_pipeline").setLevel(logging.WARNING)
    logging.getLogger("yt_pipeline").addHandler(logging.StreamHandler(sys.stderr))
    seconds = 0.2 if args.quick else 1.0
    tmp = Path(tempfile.mkdtemp(prefix="ytp-bench-dag-"))

    print(f"(a) parallel stages, each waiting {seconds:g} s")
    flat = {f"w{i}": [] for i in range(8)}
    levels = [["top"], ["l2a", "l2b", "l2c"], ["l3a", "l3b", "l3c"], ["bottom"]]
    diamond: dict[str, list[str]] = {}
    for upper, lower in zip(levels, levels[1:] + [[]], strict=True):
        for name in upper:
            diamond.setdefault(name, [])
        for name in lower:
            diamond[name] = list(upper)
    for label, graph in (("8 independent", flat), ("diamond 1-3-3-1", diamond)):
        root = sleeping_pipeline(tmp / label.replace(" ", "_"), graph, seconds)
        parallel = wall_time(root, 8)
        sequential = wall_time(root, 1)
        print(f"  {label:<16} 8 workers {parallel:6.2f} s   one by one {sequential:6.2f} s   "
              f"speed-up {sequential / parallel:4.1f}x")

    print("(b) scheduling overhead, no-op stages")
    rng = random.Random(7)
    big = random_dag(2000, rng)
    load_s, run_s, result = noop_run(tmp / "big", big)
    levels_n = len(Runner(noop_pipeline_class(list(big), tmp / "big" / "stages")(
        config=load_config(tmp / "big")), RunOptions()).target.graph.levels)
    print(f"  2000 stages, {levels_n} levels, 4 workers: planned and run in {run_s:.3f} s "
          f"(target < 2 s); configuration loaded in {load_s:.3f} s")
    load_s, run_s, _ = noop_run(tmp / "big", big, workers=1)
    print(f"  2000 stages, 1 worker: planned and run in {run_s:.3f} s")
    done = random_dag(200, rng)
    noop_run(tmp / "resume", done)
    load_s, run_s, result = noop_run(tmp / "resume", done, resume=True)
    skipped = sum(1 for s in result.step_results.values() if s.status == "SKIPPED")
    print(f"  --resume of 200 done stages ({skipped} skipped): {run_s:.3f} s (target < 0.5 s); "
          f"configuration loaded in {load_s:.3f} s")

    print("(c) the cache on, no-op stages")
    _, first_s, _ = noop_run(tmp / "cached", big, cache=True)
    _, again_s, result = noop_run(tmp / "cached", big, cache=True)
    cached = sum(1 for s in result.step_results.values() if s.status == "CACHED")
    print(f"  2000 stages, 4 workers: first run {first_s:.3f} s; again, {cached} from the "
          f"cache, {again_s:.3f} s")


if __name__ == "__main__":
    main()
