"""Seeded kill trials of a dev run whose stages append to tables that exist before they run
(kill_trials_pipeline.py): operations (map with a job failing its first attempt, sort +
reduce, map_reduce) and write_table appending to one table from parallel stages, YQL
`INSERT INTO` without TRUNCATE from two parallel stages, a stage retried after appending.

Each trial interrupts a run one way (`point`: SIGKILL at a seeded crash point, which may be
one inside a commit, core/crashpoints.py; `kill`: SIGKILL of the driver's process group at a
random time, its jobs left running in their own sessions; `int`: Ctrl-C, SIGINT to that
group; `term`: SIGTERM to the driver; `jobkill`: SIGKILL of one job process; `force`: a
complete run, then `run --force` interrupted one of those ways), then interrupts up to three
`--resume`s (SIGKILL at a random time, early in the run or at a crash point, SIGTERM,
SIGINT), then runs `--resume` to its end. Every row of every table is then checked against
kill_trials_pipeline.expected(): none lost, none doubled, no half-written line, no journal
record or transaction folder left.

A failing trial names its scenario and seed; `YTP_KILL_SEED=<seed>` replays that one trial
(`-k <scenario>`). The campaign, `YTP_KILL_TRIALS` trials of each scenario (40 make some
15 minutes on 2 cores), runs only when that variable is set: the test-suite runs one trial of
each. The campaign's seeds are `YTP_KILL_SEED_BASE` + 1, + 2, ... (1000 unless set): a new
base draws trials no campaign has run yet. A campaign runs all its trials, then fails naming
every failing seed, and prints how many first runs were interrupted (`-rP` shows it).
"""

from __future__ import annotations

import os
import random
import shutil
import time
from pathlib import Path

import pytest
from adversarial_helpers import command, crash_points, differences, finish, interrupt, start, tables
from kill_trials_pipeline import expected, make
from test_adversarial_ops import _descendants

# the trials send their runs Ctrl-C: SIGINT must reach them (conftest.py)
pytestmark = pytest.mark.usefixtures("sigint_reaches_the_runs")

TRIALS = int(os.environ.get("YTP_KILL_TRIALS", "0"))
REPLAY = os.environ.get("YTP_KILL_SEED")
#: the campaign's trial i runs seed SEED_BASE + i
SEED_BASE = int(os.environ.get("YTP_KILL_SEED_BASE", "1000"))
SCENARIOS = ["point", "kill", "int", "term", "jobkill", "force"]
#: how a `--resume` is interrupted (`early`: SIGKILL in its first second, while it settles
#: what the killed run left, packages the code, takes the lock)
RESUME_INTERRUPTS = ["point", "kill", "int", "term", "early"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    """One uninterrupted run: its rows must be the expected ones; its crash points and its
    duration are where and when the trials stop runs."""
    base = tmp_path_factory.mktemp("reference")
    root = make(base / "p")
    marks = base / "marks"
    marks.mkdir()
    points = base / "points"
    started = time.perf_counter()
    code, out = finish(start(command(root), env={"MARKS": str(marks),
                                                  "YTP_CRASH_COUNT": str(points)}))
    elapsed = time.perf_counter() - started
    assert code == 0, out[-3000:]
    assert sorted(os.listdir(marks)) == ["mapper.1", "rt"], "the first attempts did not fail"
    assert check(root) == []
    return {"points": len(crash_points(points)), "elapsed": elapsed}


def check(root: Path) -> list[str]:
    problems = differences(tables(root / ".dev"), expected())
    journal = root / ".runs/journal.dev"
    if journal.is_dir() and list(journal.iterdir()):
        problems.append(f"journal records left: {sorted(os.listdir(journal))}")
    txn = root / ".dev/.txn"
    if txn.is_dir() and list(txn.iterdir()):
        problems.append(f"transaction folders left: {sorted(os.listdir(txn))}")
    return problems


def trial(base: Path, scenario: str, seed: int, reference: dict) -> bool:
    """One trial; whether its first interrupted run was stopped before its end (`jobkill`:
    whether one of its jobs was killed)."""
    rng = random.Random(f"{scenario}-{seed}")
    marks = base / "marks"
    marks.mkdir(parents=True)
    root = make(base / "p")
    env = {"MARKS": str(marks)}
    steps = [f"{scenario} trial, seed {seed} (YTP_KILL_SEED={seed} -k {scenario})"]
    if scenario == "force":
        code, out = finish(start(command(root), env=env))
        assert code == 0, out[-3000:]
        how = rng.choice(["point", "kill", "int", "term"])
        steps.append("run --force: " + interrupt(root, env, rng, how, reference, "--force", jobs=_descendants))
    else:
        steps.append("run: " + interrupt(root, env, rng, scenario, reference, jobs=_descendants))
    # a job killed makes its operation run it again: the run may end well, and what counts
    # is whether a job was killed before the run ended
    stopped = "(True)" in steps[1] if scenario == "jobkill" else not steps[1].endswith("exit 0")
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        how = rng.choice(RESUME_INTERRUPTS)
        steps.append("--resume: " + interrupt(root, env, rng, how, reference, "--resume", jobs=_descendants))
    code, out = finish(start(command(root, "--resume"), env=env))
    label = "; ".join(steps)
    assert code == 0, f"{label}; the last --resume failed: {out[-3000:]}"
    problems = check(root)
    assert not problems, f"{label}: " + "; ".join(problems)
    return stopped


def seeds(count: int) -> list[int]:
    return [int(REPLAY)] if REPLAY else list(range(1, count + 1))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_one_interrupted_run_of_appending_stages_resumes_to_exact_rows(
        tmp_path, reference, scenario):
    """One trial of each scenario (under a minute for all six on 2 cores)."""
    for seed in seeds(1):
        trial(tmp_path / str(seed), scenario, seed, reference)


@pytest.mark.slow
@pytest.mark.skipif(not (TRIALS or REPLAY), reason="a campaign: set YTP_KILL_TRIALS (40, say)")
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_interrupted_runs_of_appending_stages_resume_to_exact_rows(
        tmp_path, reference, scenario):
    """Many trials of each scenario. At least half of the first runs must have been
    interrupted (the moment of each interruption is drawn within the reference run's
    duration): fewer means the trials tested little, as when the reference ran in a slow
    spell and the trials did not."""
    stopped, failures = 0, []
    for seed in seeds(TRIALS):
        base = tmp_path / str(seed)
        try:  # every trial runs: one failure does not hide the next
            stopped += trial(base, scenario, SEED_BASE + seed if not REPLAY else seed, reference)
        except AssertionError as error:
            failures.append(str(error)[:4000])
        else:
            shutil.rmtree(base)
    print(f"{scenario}: {len(seeds(TRIALS))} trials, {stopped} first runs interrupted "
          f"(jobkill: a job killed), "
          f"{len(failures)} failed")
    assert not failures, "\n".join(failures)
    if not REPLAY and scenario != "jobkill":  # else the trials tested little
        assert stopped >= TRIALS // 2, f"only {stopped} of {TRIALS} runs were interrupted"
