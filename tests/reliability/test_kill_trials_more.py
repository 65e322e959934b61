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

import random
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
from kill_trials_pipeline import expected, make
from test_adversarial_ops import _descendants

# the trials send their runs Ctrl-C: SIGINT must reach them (conftest.py)
pytestmark = pytest.mark.usefixtures("sigint_reaches_the_runs")

SCENARIOS = ["point", "kill", "int", "term", "jobkill", "force"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    return reference_run(tmp_path_factory.mktemp("reference"), make, check,
                         ["mapper.1", "rt"])


def check(root: Path) -> list[str]:
    return differences(tables(root / ".dev"), expected()) + commit_leftovers(root)


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
    label = resume_to_the_end(root, env, rng, reference, steps)
    problems = check(root)
    assert not problems, f"{label}: " + "; ".join(problems)
    return stopped


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_one_interrupted_run_of_appending_stages_resumes_to_exact_rows(
        tmp_path, reference, scenario):
    """One trial of each scenario (under a minute for all six on 2 cores)."""
    for seed in seeds(1):
        trial(tmp_path / str(seed), scenario, seed, reference)


@pytest.mark.slow
@pytest.mark.skipif(not (TRIALS or REPLAY), reason=CAMPAIGN_OFF)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_interrupted_runs_of_appending_stages_resume_to_exact_rows(
        tmp_path, reference, scenario):
    """Many trials of each scenario. At least half of the first runs must have been
    interrupted (the moment of each interruption is drawn within the reference run's
    duration): fewer means the trials tested little, as when the reference ran in a slow
    spell and the trials did not."""
    interrupting_campaign(tmp_path, scenario,
                          lambda base, seed: trial(base, scenario, seed, reference))
