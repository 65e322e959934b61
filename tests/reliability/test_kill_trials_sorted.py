"""Seeded kill trials of a dev run whose parallel stages append to tables of sorted strict
schema (kill_trials_sorted_pipeline.py): write_table appends after the last key, a YQL
`INSERT INTO` merged into the middle by key, a reduce and a map (whose job fails its first
attempt) appending, one table's schema saying `unique_keys`, a stage retried after its
appends.

Each trial interrupts a run one of test_kill_trials_more.py's ways (`point`, `kill`, `int`,
`term`, `jobkill`, `force`), then finishes it with `--resume` or with new runs (`seed`
rewrites what the others append to), either interrupted up to three times before the last.
Every row of every table is then checked against kill_trials_sorted_pipeline.expected(),
each sorted table's rows in key order (unique where its schema says so), both schemas as
seed made them, and nothing left behind.

`YTP_KILL_TRIALS` trials of each scenario run when set (the campaign); the test-suite runs
one of each. `YTP_KILL_SEED=<seed>` replays one trial (`-k <scenario>`); `YTP_KILL_SEED_BASE`
moves the campaign's seeds (1000 unless set).
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
from kill_trials_sorted_pipeline import expected, make, out_of_order
from test_adversarial_ops import _descendants
from test_kill_trials_undo import left_behind

from yt_pipeline_dev.client import DevClient

pytestmark = pytest.mark.usefixtures("sigint_reaches_the_runs")

SCENARIOS = ["point", "kill", "int", "term", "jobkill", "force"]
KEY = {"name": "k", "type": "int64", "required": False, "sort_order": "ascending"}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    return reference_run(tmp_path_factory.mktemp("reference"), make, check, ["b", "shift.1"])


def schemas(dev: Path) -> list[str]:
    """How the sorted tables' schemas differ from those seed gave them."""
    problems = []
    client = DevClient(dev)
    for name, unique in (("//s/t", False), ("//s/u", True)):
        schema = client.declared_schema(name) if client.exists(name) else None
        if not schema or schema["columns"][0] != KEY or schema["unique_keys"] != unique:
            problems.append(f"{name} lost its schema: {schema}")
    return problems


def check(root: Path) -> list[str]:
    dev = root / ".dev"
    problems = differences(tables(dev), expected()) + commit_leftovers(root)
    left = left_behind(dev)
    if left:
        problems.append(f"left behind: {left}")
    return problems + out_of_order(dev) + schemas(dev)


def trial(base: Path, scenario: str, seed: int, reference: dict) -> bool:
    """One trial; whether its first interrupted run was stopped before its end (`jobkill`:
    whether one of its jobs was killed)."""
    rng = random.Random(f"sorted-{scenario}-{seed}")
    marks = base / "marks"
    marks.mkdir(parents=True)
    root = make(base / "p")
    env = {"MARKS": str(marks)}
    then = rng.choice([("--resume",), ()])
    steps = [f"{scenario} trial, seed {seed} (YTP_KILL_SEED={seed} -k {scenario}), "
             f"then {' '.join(then) or 'new runs'}"]
    if scenario == "force":
        code, out = finish(start(command(root), env=env))
        assert code == 0, out[-3000:]
        how = rng.choice(["point", "kill", "int", "term"])
        steps.append("run --force: " + interrupt(root, env, rng, how, reference, "--force",
                                                 jobs=_descendants))
    else:
        steps.append("run: " + interrupt(root, env, rng, scenario, reference,
                                         jobs=_descendants))
    stopped = "(True)" in steps[1] if scenario == "jobkill" else not steps[1].endswith("exit 0")
    label = resume_to_the_end(root, env, rng, reference, steps, then)
    problems = check(root)
    assert not problems, f"{label}: " + "; ".join(problems)
    return stopped


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_one_interrupted_run_appending_to_sorted_tables_ends_with_exact_rows(
        tmp_path, reference, scenario):
    for seed in seeds(1):
        trial(tmp_path / str(seed), scenario, seed, reference)


@pytest.mark.slow
@pytest.mark.skipif(not (TRIALS or REPLAY), reason=CAMPAIGN_OFF)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_interrupted_runs_appending_to_sorted_tables_end_with_exact_rows(
        tmp_path, reference, scenario):
    interrupting_campaign(tmp_path, scenario,
                          lambda base, seed: trial(base, scenario, seed, reference))
