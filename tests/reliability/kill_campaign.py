"""What the seeded kill campaigns of dev runs share (test_kill_trials_more.py,
test_kill_trials_undo.py, test_kill_trials_async.py, test_kill_trials_sorted.py): their
settings, the uninterrupted reference run that tells where and when to stop a run, the
`--resume`s (or new runs) that follow an interrupted run, the leftovers no run may leave,
and the loop of a campaign's trials.

`YTP_KILL_TRIALS` trials of each scenario run when set (the campaign); the test-suite runs
one of each. `YTP_KILL_SEED=<seed>` replays one trial; the campaign's trial i runs seed
`YTP_KILL_SEED_BASE` + i (1000 unless set).
"""

from __future__ import annotations

import os
import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from adversarial_helpers import command, crash_points, finish, interrupt, start
from test_adversarial_ops import _descendants

TRIALS = int(os.environ.get("YTP_KILL_TRIALS", "0"))
REPLAY = os.environ.get("YTP_KILL_SEED")
SEED_BASE = int(os.environ.get("YTP_KILL_SEED_BASE", "1000"))
#: how a `--resume` is interrupted (`early`: SIGKILL in its first second, while it settles
#: what the killed run left, packages the code, takes the lock)
RESUME_INTERRUPTS = ["point", "kill", "int", "term", "early"]
CAMPAIGN_OFF = "a campaign: set YTP_KILL_TRIALS (40, say)"


def reference_run(base: Path, make: Callable[[Path], Path],
                  check: Callable[[Path], list[str]], marks: list[str]) -> dict:
    """One uninterrupted run of the pipeline `make` writes: its rows must pass `check` and
    its failing first attempts leave `marks`; its crash points and its duration are where
    and when the trials stop runs."""
    root = make(base / "p")
    made = base / "marks"
    made.mkdir()
    points = base / "points"
    started = time.perf_counter()
    code, out = finish(start(command(root), env={"MARKS": str(made),
                                                  "YTP_CRASH_COUNT": str(points)}))
    elapsed = time.perf_counter() - started
    assert code == 0, out[-3000:]
    assert sorted(os.listdir(made)) == marks, "the first attempts did not fail"
    assert check(root) == []
    return {"points": len(crash_points(points)), "elapsed": elapsed}


def commit_leftovers(root: Path) -> list[str]:
    """The journal records and transaction folders a finished run left (none may stay)."""
    problems = []
    journal = root / ".runs/journal.dev"
    if journal.is_dir() and list(journal.iterdir()):
        problems.append(f"journal records left: {sorted(os.listdir(journal))}")
    txn = root / ".dev/.txn"
    if txn.is_dir() and list(txn.iterdir()):
        problems.append(f"transaction folders left: {sorted(os.listdir(txn))}")
    return problems


def resume_to_the_end(root: Path, env: dict[str, str], rng: random.Random,
                      reference: dict, steps: list[str],
                      options: tuple[str, ...] = ("--resume",)) -> str:
    """Up to three runs with `options` (`()`: new runs, which a cached pipeline's committed
    stages skip) interrupted at random, then one run to its end, which must succeed; the
    trial's steps as one label."""
    name = " ".join(options) or "new run"
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        how = rng.choice(RESUME_INTERRUPTS)
        steps.append(f"{name}: " + interrupt(root, env, rng, how, reference, *options,
                                             jobs=_descendants))
    code, out = finish(start(command(root, *options), env=env))
    label = "; ".join(steps)
    assert code == 0, f"{label}; the last {name} failed: {out[-3000:]}"
    return label


def seeds(count: int) -> list[int]:
    return [int(REPLAY)] if REPLAY else list(range(1, count + 1))


def campaign(tmp_path: Path, trial: Callable[[Path, int], object]) -> tuple[int, list[str]]:
    """Every trial of a campaign (one failure does not hide the next): how many returned a
    true value, and the failures."""
    true, failures = 0, []
    for seed in seeds(TRIALS):
        base = tmp_path / str(seed)
        try:
            true += bool(trial(base, SEED_BASE + seed if not REPLAY else seed))
        except AssertionError as error:
            failures.append(str(error)[:4000])
        else:
            shutil.rmtree(base)
    return true, failures


def interrupting_campaign(tmp_path: Path, scenario: str,
                          trial: Callable[[Path, int], object]) -> None:
    """A campaign whose trials return whether their first run was interrupted: none may
    fail, and at least half of the first runs must have been interrupted (the moment of
    each is drawn within the reference run's duration): fewer means the trials tested
    little, as when the reference ran in a slow spell and the trials did not. A `jobkill`
    trial's run ends on its own, with one job killed."""
    stopped, failures = campaign(tmp_path, trial)
    print(f"{scenario}: {len(seeds(TRIALS))} trials, {stopped} first runs interrupted "
          f"(jobkill: a job killed), {len(failures)} failed")
    assert not failures, "\n".join(failures)
    if not REPLAY and scenario != "jobkill":  # else the trials tested little
        assert stopped >= TRIALS // 2, f"only {stopped} of {TRIALS} runs were interrupted"
