"""Seeded kill trials of a prod run on the fake YT proxy whose stages append to tables that
exist before they run: kill_trials_pipeline.py's pipeline (test_kill_trials_more.py is its
dev campaign), in prod by prod_kill_trials_pipeline.py.

Each trial interrupts a run one way (`point`: SIGKILL at a seeded crash point, one of them
between the journal's commit record and the YT commit; `kill`: SIGKILL of the driver's
process group at a random time, its operations left running on the fake; `int`: Ctrl-C;
`term`: SIGTERM to the driver; `jobkill`: SIGKILL of one job process the fake runs; `force`:
a complete run, then `run --force` interrupted one of those ways), then interrupts up to
three `--resume`s, then runs `--resume` to its end, sometimes at once, sometimes once the
killed runs' transactions have expired. Then, on the fake: every row of every table under
//a is the one of one run (kill_trials_pipeline.expected()), no transaction is left pinged
(each ends within its lease) and no operation is left running, no YQL staging table is left,
and the commit markers are one expiring document per stage commit (stage_txn.py keeps them
for MARKER_TTL_DAYS so that a later run can tell a finished commit from an aborted one);
locally, no journal record is left.

A failing trial names its scenario and seed; `YTP_PROD_KILL_SEED=<seed>` replays that one
trial (`-k <scenario>`). The campaign, `YTP_PROD_KILL_TRIALS` trials of each scenario, runs
only when that variable is set: the test-suite runs one trial of two scenarios.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("yt_pipeline_prod")

from adversarial_helpers import (  # noqa: E402 - after the skip
    command,
    crash_points,
    differences,
    finish,
    interrupt,
    start,
)
from kill_trials_pipeline import GRAPH, expected  # noqa: E402
from prod_kill_trials_pipeline import (  # noqa: E402
    LEASE_MS,
    leftovers,
    make,
    marker_counts,
    tables,
)
from test_adversarial_ops import _descendants  # noqa: E402

from yt_pipeline_prod.fake import FakeYtProxy  # noqa: E402
from yt_pipeline_prod.testing import TEST_TOKEN  # noqa: E402

# the trials send their runs Ctrl-C: SIGINT must reach them (conftest.py)
pytestmark = pytest.mark.usefixtures("sigint_reaches_the_runs")

TRIALS = int(os.environ.get("YTP_PROD_KILL_TRIALS", "0"))
REPLAY = os.environ.get("YTP_PROD_KILL_SEED")
SCENARIOS = ["point", "kill", "int", "term", "jobkill", "force"]
#: how a `--resume` is interrupted (`early`: SIGKILL in its first second, while it finishes
#: the killed run's commits, packages the code, takes the lock)
RESUME_INTERRUPTS = ["point", "kill", "int", "term", "early"]
#: how a lock conflict with a stage transaction of a killed run reads (the title of the
#: transaction, stage_txn.ProdStageTransaction, follows)
LOCKED_BY_A_KILLED_STAGE = "is locked by concurrent transaction"


class Trial:
    """One trial's fake proxy (its jobs see MARKS: the mapper's job 1 fails its first
    attempt once per trial) and pipeline."""

    def __init__(self, base: Path):
        self.marks = base / "marks"
        self.marks.mkdir(parents=True)
        self.env = {"MARKS": str(self.marks)}
        self.fake = FakeYtProxy(token=TEST_TOKEN, job_env=self.env).start()
        self.root = make(base / "p", self.fake.url)

    def stop(self) -> None:
        # what a killed run left running: its operations' jobs end with their transactions
        self.fake.state.cypress.expire_transactions()
        for op in list(self.fake.state.operations.values()):
            op.aborted = True
        self.fake.stop()


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    """One uninterrupted run: its rows must be the expected ones; its crash points and its
    duration are where and when the trials stop runs."""
    trial = Trial(tmp_path_factory.mktemp("reference"))
    try:
        points = trial.root.parent / "points"
        started = time.perf_counter()
        code, out = finish(start(command(trial.root),
                                 env={**trial.env, "YTP_CRASH_COUNT": str(points)}))
        elapsed = time.perf_counter() - started
        assert code == 0, out[-3000:]
        assert sorted(os.listdir(trial.marks)) == ["mapper.1", "rt"], \
            "the first attempts did not fail"
        assert check(trial, commits=1, killed=False) == []
        names = crash_points(points)
        return {"points": len(names), "names": names, "elapsed": elapsed}
    finally:
        trial.stop()


def transactions_end(fake: Any) -> list[str]:
    """Wait for every transaction left to end with its lease (the fake aborts one nobody
    pinged for its timeout, as a cluster does: the Transactions page of the Cypress docs);
    what is still alive after the longest lease there is, plus two seconds: a transaction
    something still pings, or one with no lease (an operation's, while it runs)."""
    cypress = fake.state.cypress
    with cypress.lock:
        longest = max((tx.timeout_s for tx in cypress.transactions.values()), default=0.0)
    deadline = time.monotonic() + min(longest, 60.0) + 2
    while True:
        cypress.expire_transactions()
        with cypress.lock:
            alive = [f"{tx.id} ({tx.attributes.get('title', '')})"
                     for tx in cypress.transactions.values()]
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    running = [op.id for op in list(fake.state.operations.values()) if op.finished is None]
    return ([f"transactions alive after their lease: {alive}"] if alive else []) + \
        ([f"operations still running: {running}"] if running else [])


def check(trial: Trial, commits: int | tuple[int, int], killed: bool) -> list[str]:
    """What is wrong after the last run. `commits`: how many times each stage committed
    (a range when a `--force` run was interrupted); `killed`: whether a run was killed
    outright (SIGKILL), which may leave YQL staging tables to expire."""
    problems = differences(tables(trial.fake), expected())
    journal = trial.root / ".runs/journal.prod"
    if journal.is_dir() and list(journal.iterdir()):
        problems.append(f"journal records left: {sorted(os.listdir(journal))}")
    problems += transactions_end(trial.fake)
    problems += leftovers(trial.fake, killed)
    low, high = (commits, commits) if isinstance(commits, int) else commits
    per_stage: Counter = Counter()
    for title, count in marker_counts(trial.fake).items():
        stage = title.split(" stage ", 1)[-1].split(" attempt ", 1)[0]
        per_stage[stage] += count
    wrong = {stage: per_stage[stage] for stage in GRAPH
             if not low <= per_stage[stage] <= high}
    if wrong or set(per_stage) - set(GRAPH):
        problems.append(f"commit markers per stage {dict(per_stage)}, not {low}..{high} each")
    return problems


def jobs_of_the_fake(driver: int) -> list[int]:
    """The job processes the fake runs: this process's descendants, less the driver's,
    that have a job's environment (YT_JOB_ID, fake/op_runner.py)."""
    theirs = set(_descendants(driver)) | {driver}
    return [pid for pid in _descendants(os.getpid())
            if pid not in theirs and _is_job(pid)]


def _is_job(pid: int) -> bool:
    try:
        return b"\0YT_JOB_ID=" in b"\0" + Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False


def trial(base: Path, scenario: str, seed: int, reference: dict) -> bool:
    """One trial; whether its first interrupted run was stopped before its end."""
    rng = random.Random(f"prod-{scenario}-{seed}")
    steps = [f"{scenario} trial, seed {seed} (YTP_PROD_KILL_SEED={seed} -k {scenario})"]
    current = Trial(base)
    try:
        commits: int | tuple[int, int] = 1
        if scenario == "force":
            code, out = finish(start(command(current.root), env=current.env))
            assert code == 0, out[-3000:]
            how = rng.choice(["point", "kill", "int", "term"])
            steps.append("run --force: " + interrupt(
                current.root, current.env, rng, how, reference, "--force", jobs=jobs_of_the_fake))
            commits = (1, 2)
        else:
            steps.append("run: " + interrupt(current.root, current.env, rng, scenario, reference,
                                             jobs=jobs_of_the_fake))
        # a job killed makes its operation run it again: the run may end well
        stopped = not steps[1].endswith("exit 0")
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            how = rng.choice(RESUME_INTERRUPTS)
            steps.append("--resume: " + interrupt(
                current.root, current.env, rng, how, reference, "--resume", jobs=jobs_of_the_fake))
        if rng.random() < 0.3:  # the killed runs' stage transactions have ended
            time.sleep(LEASE_MS / 1000 + 0.5)
            current.fake.state.cypress.expire_transactions()
            steps.append("after the leases")
        code, out = finish(start(command(current.root, "--resume"), env=current.env))
        if code != 0 and LOCKED_BY_A_KILLED_STAGE in out:
            # a stage of a killed run still holds its locks while its transaction lives:
            # a stage of the resume that writes the same table is refused until the lease
            # ends (test_a_resume_within_the_lease_of_a_killed_stage_is_refused)
            steps.append("the last --resume refused by a killed stage's lock, run again "
                         "after the leases")
            # a killed run whose local lock the resume never saw (dead_attempts.py takes
            # over only runs the local lock hands on): said, to count in a campaign (-s)
            print("; ".join(steps))
            time.sleep(LEASE_MS / 1000 + 0.5)
            current.fake.state.cypress.expire_transactions()
            code, out = finish(start(command(current.root, "--resume"), env=current.env))
        label = "; ".join(steps)
        assert code == 0, f"{label}; the last --resume failed: {out[-3000:]}"
        killed = any(step.endswith(f"exit {-signal.SIGKILL}") for step in steps)
        problems = check(current, commits, killed)
        assert not problems, f"{label}: " + "; ".join(problems)
        return stopped
    finally:
        current.stop()


def seeds(count: int) -> list[int]:
    return [int(REPLAY)] if REPLAY else list(range(1, count + 1))


def test_the_reference_run_passes_a_commit_between_record_and_yt(reference):
    assert {"journal: after the commit record", "prod: committed"} <= set(reference["names"])


@pytest.mark.parametrize("scenario", ["point", "kill"])
def test_one_interrupted_prod_run_of_appending_stages_resumes_to_exact_rows(
        tmp_path, reference, scenario):
    """One trial of two scenarios (some 30 s on 2 cores)."""
    for seed in seeds(1):
        trial(tmp_path / str(seed), scenario, seed, reference)


@pytest.mark.slow
@pytest.mark.skipif(not (TRIALS or REPLAY),
                    reason="a campaign: set YTP_PROD_KILL_TRIALS (20, say)")
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_interrupted_prod_runs_of_appending_stages_resume_to_exact_rows(
        tmp_path, reference, scenario):
    """Many trials of each scenario; at least half of the first runs must have been
    interrupted, else the trials tested little."""
    stopped = 0
    for seed in seeds(TRIALS):
        base = tmp_path / str(seed)
        stopped += trial(base, scenario, 1000 + seed if not REPLAY else seed, reference)
        shutil.rmtree(base)
    if not REPLAY and scenario != "jobkill":
        assert stopped >= TRIALS // 2, f"only {stopped} of {TRIALS} runs were interrupted"


def test_a_resume_at_once_ends_the_transaction_of_a_stage_killed_before_its_record(
        tmp_path, reference):
    """Killed after `seed` wrote its tables, before its commit record: its transaction
    holds their exclusive locks until its lease ends (the master aborts a transaction
    nobody pings once its timeout passes: "Transaction lease expired" in
    yt/yt/server/master/transaction_server/transaction_manager.cpp). A resume at once takes
    the killed run's lock over and aborts that transaction, which has no record
    (dead_attempts.py), instead of being refused by its locks for the lease's 30 s; `seed`
    runs again, and every table holds the rows of one run."""
    point = reference["names"].index("journal: before the commit record") + 1
    current = Trial(tmp_path)
    try:
        config = current.root / "configs/config.yaml"
        long_lease = config.read_text().replace(f'"transaction_timeout": {LEASE_MS}',
                                                '"transaction_timeout": 30000')
        config.write_text(long_lease)
        code, _ = finish(start(command(current.root),
                               env={**current.env, "YTP_CRASH_AT": str(point)}))
        assert code == -signal.SIGKILL
        began = time.monotonic()
        code, out = finish(start(command(current.root, "--resume"), env=current.env))
        assert code == 0, out[-3000:]
        assert time.monotonic() - began < 25, out[-3000:]  # the lease was not waited out
        assert LOCKED_BY_A_KILLED_STAGE not in out, out[-3000:]
        assert " stage seed attempt 1) of a run that is gone" in out, out[-3000:]
        assert check(current, commits=1, killed=True) == []
    finally:
        current.stop()
