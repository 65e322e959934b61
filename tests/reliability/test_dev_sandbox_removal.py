"""A finished operation's sandbox is moved aside and removed in a thread (later_removal.py);
the run waits for those removals when it ends, and the next run's start sweeps what a
killed run left. Attacked here: a YT folder named like a moved-aside sandbox (the dev
folder holds YT folders too, so a sweep by name deleted it with its tables), and a run
killed at seeded moments while many removals go (50 maps in a loop, and maps started with
sync=False at once), then resumed: the rows of exactly one run, every row checked, and no
moved-aside sandbox left once the resume ended."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

from adversarial_helpers import command, finish, start

from yt_pipeline.testing import write_pipeline

TRIALS = int(os.environ.get("YTP_ADV_TRIALS", "2"))
LOOPS = 50
PARALLEL = 6

STAGE = f"""
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Many(BaseStage):
    def run(self, debug):
        ops = self.config.client.operations
        for _ in range({LOOPS}):
            run_map(self, ops.loop)
        for handle in [run_map(self, ops.parallel, sync=False) for _ in range({PARALLEL})]:
            handle.wait()
        return debug
"""
MAPPER = """
from ytjobs import read_rows, write_rows

write_rows(read_rows())
"""
KEEP_STAGE = """
from yt_pipeline import BaseStage


class Keep(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//.archive.stale/t", [{"kept": 1}], append=True)
        self.deps.yt_client.write_table("//.sandbox_x.0123abcd.stale/t", [{"kept": 2}],
                                        append=True)
        return debug
"""
INPUT = [{"i": i} for i in range(7)]


def many_maps(root: Path) -> Path:
    op = {"input_table": "//r/in", "mapper": "src/mapper.py", "append": True}
    root = write_pipeline(root, {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev"},
                                           "stages": {"graph": {"many": []}}}),
        "stages/many/stage.py": STAGE,
        "stages/many/src/mapper.py": MAPPER,
        "stages/many/config.yaml": json.dumps({"client": {"operations": {
            "loop": {**op, "output_table": "//r/loop"},
            "parallel": {**op, "output_table": "//r/parallel"}}}}),
    })
    (root / ".dev/r").mkdir(parents=True)
    (root / ".dev/r/in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in INPUT))
    return root


def rows(path: Path) -> Counter:
    if not path.exists():
        return Counter()
    return Counter(json.dumps(json.loads(line), sort_keys=True)
                   for line in path.read_text().splitlines())


def moved_aside(dev: Path) -> list[str]:
    """Sandboxes moved aside and not removed: in `.removed`, or (as older versions put
    them) beside the sandboxes."""
    return sorted(str(p.relative_to(dev)) for p in
                  [*dev.glob(".removed/*.stale"), *dev.glob(".sandbox*.stale")])


def test_a_yt_folder_named_like_a_moved_aside_sandbox_is_not_swept(tmp_path):
    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev"},
                                           "stages": {"graph": {"keep": []}}}),
        "stages/keep/stage.py": KEEP_STAGE,
    })
    for _ in range(2):
        code, out = finish(start(command(root, "--force")))
        assert code == 0, out
    # each run's start sweeps moved-aside sandboxes; these are YT folders, and keep their
    # rows of both runs
    # (a YT name beginning with "." is kept under a name beginning with "^": paths.py)
    assert rows(root / ".dev/^.archive.stale/t.jsonl") == Counter({'{"kept": 1}': 2})
    assert rows(root / ".dev/^.sandbox_x.0123abcd.stale/t.jsonl") == Counter({'{"kept": 2}': 2})


def test_a_run_ends_with_every_sandbox_removed(tmp_path):
    root = many_maps(tmp_path / "p")
    code, out = finish(start(command(root)))
    assert code == 0, out
    one = Counter({json.dumps(r): 1 for r in INPUT})
    assert rows(root / ".dev/r/loop.jsonl") == Counter({k: LOOPS for k in one})
    assert rows(root / ".dev/r/parallel.jsonl") == Counter({k: PARALLEL for k in one})
    assert moved_aside(root / ".dev") == []
    assert [p.name for p in (root / ".dev/.sandboxes").iterdir()] == []
    assert [p.name for p in (root / ".dev").iterdir() if "sandbox_" in p.name] == []


def test_killed_while_removals_run_then_resumed(tmp_path):
    rng = random.Random(20261206)
    for trial in range(3 * TRIALS):
        root = many_maps(tmp_path / f"t{trial}")
        run = start(command(root))
        delay = rng.uniform(0.5, 6.0)
        time.sleep(delay)
        label = f"trial {trial} (killed after {delay:.2f} s)"
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
        finish(run)
        code, out = finish(start(command(root, "--resume")))
        assert code == 0, f"{label}: {out[-3000:]}"
        one = Counter({json.dumps(r): 1 for r in INPUT})
        assert rows(root / ".dev/r/loop.jsonl") == Counter({k: LOOPS for k in one}), label
        assert rows(root / ".dev/r/parallel.jsonl") == Counter({k: PARALLEL for k in one}), \
            label
        assert moved_aside(root / ".dev") == [], label
