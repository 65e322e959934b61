"""Seeded kill trials of a cached dev pipeline (kill_trials_async_pipeline.py) whose stage
runs operations started with `sync=False` at once (a map writing two appended tables by a
table switch and fd 4, a reduce appending to a table of sorted strict schema, a map_reduce),
and appends with write_table and YQL while they run, beside a stage appending to tables of
its own with a map, write_table and YQL.

Each trial interrupts a run one of test_kill_trials_more.py's ways (`point`, `kill`, `int`,
`term`, `jobkill`; `neighbour`: one of the first four while a run of another folder of the
same pipeline goes from the same moment, which must end with exact rows of its own), then
finishes it one of two ways: `--resume` (interrupted up to three times before the last), or
new runs without `--resume` (interrupted the same way), which must give the same rows
because the cache skips every stage whose commit the interrupted runs made. Every row of
every table is then checked against kill_trials_async_pipeline.expected() (the sorted
table's order too), and nothing may be left behind. A last run must then take every stage
from the cache and change no row.

`YTP_KILL_TRIALS` trials of each scenario run when set (the campaign); the test-suite runs
one of each. `YTP_KILL_SEED=<seed>` replays one trial (`-k <scenario>`); `YTP_KILL_SEED_BASE`
moves the campaign's seeds (1000 unless set).
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from adversarial_helpers import command, differences, finish, interrupt, start, tables
from kill_campaign import (
    CAMPAIGN_OFF,
    REPLAY,
    TRIALS,
    commit_leftovers,
    interrupting_campaign,
    reference_run,
    resume_to_the_end,
    seeds,
)
from kill_trials_async_pipeline import GRAPH, expected, make, sorted_keys
from test_adversarial_ops import _descendants

pytestmark = pytest.mark.usefixtures("sigint_reaches_the_runs")

SCENARIOS = ["point", "kill", "int", "term", "jobkill", "neighbour"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    return reference_run(tmp_path_factory.mktemp("reference"), make, check,
                         ["ops", "side", "split.1"])


def check(root: Path) -> list[str]:
    dev = root / ".dev"
    problems = differences(tables(dev), expected()) + commit_leftovers(root)
    if (dev / "b/sorted.jsonl").exists() and sorted_keys(dev) != sorted(sorted_keys(dev)):
        problems.append(f"//b/sorted is out of order: keys {sorted_keys(dev)}")
    return problems


def cached_run(root: Path, env: dict[str, str]) -> list[str]:
    """A run after the trial's last: every stage from the cache, no row changed."""
    code, out = finish(start(command(root), env=env))
    if code != 0:
        return [f"the cached run failed: {out[-3000:]}"]
    statuses = dict(re.findall(r"^  (\w+) +([A-Z]+) ", out, re.MULTILINE))
    problems = []
    for name in GRAPH:
        if statuses.get(name) != "CACHED":
            why = re.search(rf"\[{name}\] cache miss: .*", out)
            problems.append(f"stage {name} was {statuses.get(name)}, not CACHED"
                            + (f" ({why.group(0)})" if why else ""))
    return problems + [f"after the cached run: {p}" for p in check(root)]


def trial(base: Path, scenario: str, seed: int, reference: dict) -> bool:
    """One trial; whether its first run was stopped before its end (`jobkill`: whether one
    of its jobs was killed)."""
    rng = random.Random(f"async-{scenario}-{seed}")
    marks = base / "marks"
    marks.mkdir(parents=True)
    root = make(base / "p")
    env = {"MARKS": str(marks)}
    then = rng.choice([("--resume",), ()])
    steps = [f"{scenario} trial, seed {seed} (YTP_KILL_SEED={seed} -k {scenario}), "
             f"then {' '.join(then) or 'new runs'}"]
    neighbour = None
    if scenario == "neighbour":  # another pipeline's folder, run from the same start
        (base / "marks-q").mkdir()
        neighbour = make(base / "q")
        other = start(command(neighbour), env={"MARKS": str(base / "marks-q")})
        scenario = rng.choice(["point", "kill", "int", "term"])
    steps.append("run: " + interrupt(root, env, rng, scenario, reference, jobs=_descendants))
    stopped = "(True)" in steps[1] if scenario == "jobkill" else not steps[1].endswith("exit 0")
    problems = []
    if neighbour is not None:
        code, out = finish(other)
        problems = ([f"the other pipeline failed: {out[-3000:]}"] if code else
                    [f"the other pipeline: {p}" for p in check(neighbour)])
    label = resume_to_the_end(root, env, rng, reference, steps, then)
    problems += check(root)
    problems = problems or cached_run(root, env)
    assert not problems, f"{label}: " + "; ".join(problems)
    return stopped


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_one_interrupted_run_of_parallel_operations_ends_with_exact_rows(
        tmp_path, reference, scenario):
    for seed in seeds(1):
        trial(tmp_path / str(seed), scenario, seed, reference)


@pytest.mark.slow
@pytest.mark.skipif(not (TRIALS or REPLAY), reason=CAMPAIGN_OFF)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_interrupted_runs_of_parallel_operations_end_with_exact_rows(
        tmp_path, reference, scenario):
    interrupting_campaign(tmp_path, scenario,
                          lambda base, seed: trial(base, scenario, seed, reference))
