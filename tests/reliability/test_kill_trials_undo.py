"""Seeded kill trials of a dev run whose stages run YQL queries of several statements that
fail after INSERTs into a table parallel stages append to (kill_trials_undo_pipeline.py):
the stage catches each failure and goes on, one stage is retried after such a query. A
failed query puts back every table its INSERTs wrote (yql_undo.py), keeping each under a
second name (a `.tmp` hard link) meanwhile.

Each trial interrupts a run (SIGKILL at a seeded crash point or at a random time, Ctrl-C,
SIGTERM: test_kill_trials_more.py's ways; `shared`: one of those while another pipeline of
the same folder appends to the table and runs its own failing queries on it), then up to three `--resume`s, then runs
`--resume` to its end. Every row of every table is then checked against
kill_trials_undo_pipeline.expected() (none lost, none doubled, no table a failed query
made), and that nothing is left behind: no journal record, transaction folder, `.tmp`
file, table lock or commit marker.

`YTP_KILL_TRIALS` trials of each scenario run when set (the campaign); the test-suite runs
one of each. `YTP_KILL_SEED=<seed>` replays one trial; `YTP_KILL_SEED_BASE` moves the
campaign's seeds (1000 unless set)."""

from __future__ import annotations

import random
import sys
from collections import Counter
from pathlib import Path

import pytest
from adversarial_helpers import (
    differences,
    finish,
    interrupt,
    row,
    start,
    tables,
)
from kill_campaign import (
    CAMPAIGN_OFF,
    REPLAY,
    TRIALS,
    campaign,
    commit_leftovers,
    reference_run,
    resume_to_the_end,
    seeds,
)
from kill_trials_undo_pipeline import OTHER_ROWS, expected, make
from test_adversarial_ops import _descendants

pytestmark = pytest.mark.usefixtures("sigint_reaches_the_runs")

SCENARIOS = ["point", "kill", "int", "term", "shared"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    return reference_run(tmp_path_factory.mktemp("reference"), make, check, ["rt"])


def left_behind(dev: Path) -> list[str]:
    """The `.tmp` files, table locks and commit markers under `dev`."""
    found = []
    for path in sorted(dev.rglob("*")):
        name = str(path.relative_to(dev))
        if path.name.endswith(".tmp") or path.name.endswith(".pending") or (
                path.parent.name.endswith(".held") and path.is_file()):
            found.append(name)
    return found


def check(root: Path, other_appended: bool = False) -> list[str]:
    want = expected()
    if other_appended:
        want["//a/yacc"] += Counter(row(**r) for r in OTHER_ROWS)
    problems = differences(tables(root / ".dev"), want) + commit_leftovers(root)
    left = left_behind(root / ".dev")
    if left:
        problems.append(f"left behind: {left}")
    return problems


def trial(base: Path, scenario: str, seed: int, reference: dict) -> None:
    rng = random.Random(f"undo-{scenario}-{seed}")
    marks = base / "marks"
    marks.mkdir(parents=True)
    root = make(base / "p")
    env = {"MARKS": str(marks)}
    steps = [f"{scenario} trial, seed {seed} (YTP_KILL_SEED={seed} -k {scenario})"]
    other = None
    if scenario == "shared":  # another pipeline of the folder runs beside the first run
        other = start([sys.executable, "steps.py"], cwd=root)
        scenario = rng.choice(["point", "kill", "int", "term"])
    steps.append("run: " + interrupt(root, env, rng, scenario, reference, jobs=_descendants))
    appended = False
    if other is not None:
        code, out = finish(other)
        assert "RESULT True None" in out, f"{steps[0]}: the other pipeline: {out[-3000:]}"
        appended = "APPENDING" in out
        steps.append(f"the other pipeline appended: {appended}")
    label = resume_to_the_end(root, env, rng, reference, steps)
    problems = check(root, appended)
    assert not problems, f"{label}: " + "; ".join(problems)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_one_interrupted_run_with_failing_queries_resumes_to_exact_rows(
        tmp_path, reference, scenario):
    for seed in seeds(1):
        trial(tmp_path / str(seed), scenario, seed, reference)


@pytest.mark.slow
@pytest.mark.skipif(not (TRIALS or REPLAY), reason=CAMPAIGN_OFF)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_interrupted_runs_with_failing_queries_resume_to_exact_rows(
        tmp_path, reference, scenario):
    _, failures = campaign(tmp_path, lambda base, seed: trial(base, scenario, seed, reference))
    print(f"{scenario}: {len(seeds(TRIALS))} trials, {len(failures)} failed")
    assert not failures, "\n".join(failures)
