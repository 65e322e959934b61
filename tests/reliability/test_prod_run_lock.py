"""One prod run of a pipeline at a time, across machines: the cluster's run lock.

Two checkouts of one pipeline (each its own folder, so its own local lock and state: as on
two machines) share only the cluster. A run takes an exclusive Cypress lock on
`<build_folder>/.run_locks/<folder name>.<state>` in a transaction it pings; the master refuses a second exclusive
lock from a concurrent transaction with error 402, "Cannot take "exclusive" lock for node
... since "exclusive" lock is taken by concurrent transaction ...", and names the holder in
the error's `winner_transaction` attribute (`CheckLock` in yt/yt/server/master/
cypress_server/cypress_manager.cpp); the fake proxy does the same (fake/locks.py). A
transaction nobody pings is aborted when its timeout runs out, and its locks go with it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("yt_pipeline_prod")

from yt_pipeline.hostname import host_name  # noqa: E402
from yt_pipeline.lock import lock_path  # noqa: E402
from yt_pipeline.testing import write_pipeline  # noqa: E402
from yt_pipeline_prod.run_lock import run_lock_title  # noqa: E402
from yt_pipeline_prod.testing import TEST_TOKEN  # noqa: E402

OUT = "//home/rl/out"
BUILD = "//home/rl/build"
#: checkouts of one pipeline share the folder's name (on two machines, a clone each): the
#: lock is the pipeline's, named after it and its state (yt_pipeline.client.run_lock_name)
PIPELINE = "etl"
LOCK_NODE = f"{BUILD}/.run_locks/{PIPELINE}.prod"
ROWS = [{"i": i, "word": w} for i, w in enumerate(["a", "b", "c", "d"])]

APPEND_STAGE = f"""
import os
import time
from pathlib import Path

from yt_pipeline import BaseStage


class Append(BaseStage):
    def run(self, debug):
        Path(os.environ["RL_STARTED"]).touch()
        time.sleep(float(os.environ.get("RL_SLEEP", "0")))
        self.deps.yt_client.write_table("{OUT}", {ROWS!r}, append=True)
        return debug
"""

CHECK_STAGE = """
import os
from pathlib import Path

from yt_pipeline import BaseStage


class Check(BaseStage):
    def run(self, debug):
        if Path(os.environ["RL_FAIL"]).exists():
            raise RuntimeError("check refused")
        return debug
"""


def checkout(root: Path, fake, lock_timeout_s: float | None = None) -> Path:
    prod: dict = {"retries": False, "poll_interval_s": 0.05,
                  "yt_config": {"transaction_sleep_period": 5}}
    if lock_timeout_s is not None:
        prod["run_lock_timeout_s"] = lock_timeout_s
    return write_pipeline(root, {
        "configs/secrets.env": f"YT_PROXY={fake.url}\nYT_TOKEN={TEST_TOKEN}\n",
        "stages/append/stage.py": APPEND_STAGE,
        "stages/check/stage.py": CHECK_STAGE,
    }, config={"pipeline": {"mode": "prod", "build_folder": BUILD, "prod": prod},
               "stages": {"enabled_stages": ["append", "check"]}})


def two_checkouts(tmp_path: Path, fake) -> tuple[Path, Path]:
    return checkout(tmp_path / "a" / PIPELINE, fake), checkout(tmp_path / "b" / PIPELINE, fake)


def start(root: Path, *args: str, sleep: float = 0.0) -> subprocess.Popen[str]:
    env = {**os.environ, "RL_STARTED": str(root / "started"), "RL_SLEEP": str(sleep),
           "RL_FAIL": str(root / "fail")}
    return subprocess.Popen([sys.executable, "-m", "yt_pipeline", "run", str(root), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env)


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    output, _ = proc.communicate(timeout=90)
    return proc.returncode, output


def wait_for(path: Path, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def counted(rows) -> Counter:
    return Counter(tuple(sorted(row.items())) for row in rows)


def assert_refused(code: int, output: str) -> None:
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert code == 1, output
    assert len(errors) == 1, output
    [line] = errors
    assert LOCK_NODE in line and "yt-pipeline run " in line, line
    assert "did not start" in line, line


def test_two_checkouts_started_at_once_run_once(fake, tmp_path):
    first, second = two_checkouts(tmp_path, fake)
    runs = [start(first, sleep=1.5), start(second, sleep=1.5)]
    done = [finish(proc) for proc in runs]
    print(*(output for _, output in done))
    codes = sorted(code for code, _ in done)
    assert codes == [0, 1], done
    code, output = next(item for item in done if item[0] == 1)
    assert_refused(code, output)
    loser = (first, second)[[c for c, _ in done].index(1)]
    assert not (loser / "started").exists()  # no stage of the refused run began
    assert counted(fake.rows(OUT)) == counted(ROWS)
    # the lock went with the winner: a new run (of either checkout) goes ahead
    code, output = finish(start(loser))
    assert code == 0, output
    assert counted(fake.rows(OUT)) == counted(ROWS + ROWS)


def both_run_at_once(fake, first: Path, second: Path) -> list[str]:
    """Run two pipelines at once, both must run whole and neither meet the other's lock;
    the names of the locks in the build folder."""
    import yt.wrapper as ytw

    runs = [start(first, sleep=1.5), start(second, sleep=1.5)]
    done = [finish(proc) for proc in runs]
    assert [code for code, _ in done] == [0, 0], done
    assert all("cluster lock" not in output for _, output in done), done
    assert counted(fake.rows(OUT)) == counted(ROWS + ROWS)
    return list(ytw.YtClient(proxy=fake.url, token=TEST_TOKEN).list(f"{BUILD}/.run_locks"))


def test_two_pipelines_sharing_a_build_folder_run_at_once(fake, tmp_path):
    """Pipelines that keep the default build folder share it: each has a lock of its own
    there, named after its folder, so neither stops the other."""
    locks = both_run_at_once(fake, checkout(tmp_path / "a" / PIPELINE, fake),
                             checkout(tmp_path / "b" / "report", fake))
    assert sorted(locks) == [f"{PIPELINE}.prod", "report.prod"]


def test_pipelines_named_in_another_alphabet_do_not_share_a_lock(fake, tmp_path):
    """A lock's name keeps only the characters a Cypress name may hold plainly; two folder
    names with none of them (or differing only in the others) are told apart by a digest
    of the whole name, so neither pipeline refuses to run while the other does."""
    locks = both_run_at_once(fake, checkout(tmp_path / "a" / "данные", fake),
                             checkout(tmp_path / "b" / "отчёт", fake))
    assert len(locks) == 2


def test_the_refusal_names_the_run_holding_the_lock(fake, tmp_path):
    first, second = two_checkouts(tmp_path, fake)
    holder = start(first, sleep=3)
    wait_for(first / "started")
    code, output = finish(start(second))
    assert_refused(code, output)
    assert f"pid {holder.pid} on host " in output, output
    assert finish(holder)[0] == 0
    assert counted(fake.rows(OUT)) == counted(ROWS)


def test_sigterm_releases_the_lock_at_once(fake, tmp_path):
    first, second = two_checkouts(tmp_path, fake)
    holder = start(first, sleep=30)
    wait_for(first / "started")
    holder.send_signal(signal.SIGTERM)
    code, output = finish(holder)
    assert code != 0 and "interrupted" in output, output
    # no timeout to wait for (the default is 120 s): the transaction was aborted
    code, output = finish(start(second))
    assert code == 0, output
    assert counted(fake.rows(OUT)) == counted(ROWS)


def test_a_killed_runs_lock_ends_with_its_transaction_timeout(fake, tmp_path):
    timeout_s = 2.0
    first = checkout(tmp_path / "a" / PIPELINE, fake, lock_timeout_s=timeout_s)
    second = checkout(tmp_path / "b" / PIPELINE, fake, lock_timeout_s=timeout_s)
    holder = start(first, sleep=60)
    wait_for(first / "started")
    killed_at = time.monotonic()
    holder.send_signal(signal.SIGKILL)
    finish(holder)
    code, output = finish(start(second))
    if code == 0:
        # on a loaded machine the run reached its lock only after the lease had run out:
        # it took the lock, and ended after the lease at least
        assert time.monotonic() - killed_at >= timeout_s, output
    else:  # refused while the lease lasts, and takes the lock once it has run out
        assert_refused(code, output)
        time.sleep(max(0.0, killed_at + timeout_s + 0.5 - time.monotonic()))
        code, output = finish(start(second))
        assert code == 0, output
    assert counted(fake.rows(OUT)) == counted(ROWS)  # the killed run wrote nothing


def test_resume_after_a_failure_takes_the_released_lock(fake, tmp_path):
    first, second = two_checkouts(tmp_path, fake)
    (first / "fail").touch()
    code, output = finish(start(first))
    assert code == 1 and "check refused" in output, output
    (first / "fail").unlink()
    (first / "started").unlink()
    holder = start(second, sleep=3)
    wait_for(second / "started")
    code, output = finish(start(first, "--resume"))  # refused while the other runs
    assert_refused(code, output)
    assert finish(holder)[0] == 0
    code, output = finish(start(first, "--resume"))
    assert code == 0, output
    assert not (first / "started").exists()  # append had succeeded: --resume skipped it
    assert counted(fake.rows(OUT)) == counted(ROWS + ROWS)


# -- a run killed outright and resumed at once takes its own dead run's lock over -----------
# The local lock (core/lock.py) tells that the killed run is gone; when the cluster's holder
# is that very run (the title of the conflict's `winner_transaction`: run id, pid, host), its
# transaction is aborted at once instead of waiting out run_lock_timeout_s.

def lock_titles(fake) -> list[str]:
    cypress = fake.state.cypress
    with cypress.lock:
        return [str(tx.attributes.get("title")) for tx in cypress.transactions.values()]


def test_a_killed_run_resumed_at_once_takes_its_lock_over(fake, tmp_path):
    # the lock's timeout is the default two minutes
    root = checkout(tmp_path / "a" / PIPELINE, fake)
    holder = start(root, sleep=60)
    wait_for(root / "started")
    holder.send_signal(signal.SIGKILL)
    finish(holder)
    dead = f"pid {holder.pid} on host {host_name()}"
    assert any(dead in title for title in lock_titles(fake))  # its lock is still held
    (root / "started").unlink()
    began = time.monotonic()
    code, output = finish(start(root, "--resume"))
    assert code == 0, output
    assert time.monotonic() - began < 60, output  # well within the lock's 120 s
    assert "taking over the cluster lock" in output and dead in output, output
    assert (root / "started").exists()  # append, killed before it wrote, ran again
    assert counted(fake.rows(OUT)) == counted(ROWS)
    assert not any(dead in title for title in lock_titles(fake))  # aborted, not left to lapse


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def plant_dead_local_lock(root: Path, run_id: str, pid: int) -> None:
    """The local lock a run killed in this folder leaves behind."""
    path = lock_path(root, "prod")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": pid, "host": host_name(), "run_id": run_id,
                                "started_at": time.time() - 60}))


def hold_cluster_lock(fake, title: str) -> str:
    """A transaction titled `title` holding the run lock, as a killed run leaves it (long
    timeout, nobody pinging it for the test's length)."""
    import yt.wrapper as ytw

    yt = ytw.YtClient(proxy=fake.url, token=TEST_TOKEN)
    yt.create("map_node", LOCK_NODE, recursive=True, ignore_existing=True)
    tx = yt.start_transaction(timeout=120_000, attributes={"title": title})
    with ytw.Transaction(transaction_id=tx, client=yt):
        yt.lock(LOCK_NODE, mode="exclusive")
    return tx


def killed_run_holding_both_locks(fake, tmp_path: Path) -> tuple[Path, str]:
    """A checkout whose run (A, run id 20261206-000000-dead) was killed holding its local
    lock and the cluster's: the checkout, and the title of A's cluster lock."""
    root = checkout(tmp_path / "a" / PIPELINE, fake)
    pid = dead_pid()
    plant_dead_local_lock(root, "20261206-000000-dead", pid)
    title = run_lock_title("20261206-000000-dead", pid, host_name())
    hold_cluster_lock(fake, title)
    return root, title


def resumes_at_once(root: Path, fake, title: str) -> None:
    """A `--resume` of `root` takes over the cluster lock titled `title` at once (not after
    its timeout) and ends with the rows of one run, no lock of a dead run left."""
    began = time.monotonic()
    code, output = finish(start(root, "--resume"))
    assert code == 0, output
    assert time.monotonic() - began < 60, output
    assert f"taking over the cluster lock {LOCK_NODE} from a run that is gone ({title})" \
        in output, output
    assert counted(fake.rows(OUT)) == counted(ROWS)
    assert not any("-dead" in held for held in lock_titles(fake))


def test_the_dead_run_named_by_both_locks_is_taken_over(fake, tmp_path):
    root, _ = killed_run_holding_both_locks(fake, tmp_path)
    code, output = finish(start(root))
    assert code == 0, output
    assert counted(fake.rows(OUT)) == counted(ROWS)
    assert not any("20261206-000000-dead" in title for title in lock_titles(fake))


def test_a_resume_killed_before_the_cluster_lock_hands_the_dead_run_on(fake, tmp_path):
    """A run killed holding the cluster's lock (A); its `--resume` (B) takes A's local lock
    over and is killed too, before it takes the cluster's (it packages the code first);
    another `--resume` (C) finds B's local lock and the cluster's lock still A's: A, handed
    on in B's lock file, is taken over at once, not waited for (run_lock_timeout_s, two
    minutes by default). Found by a kill trial of test_prod_kill_trials.py (`-k point`,
    YTP_PROD_KILL_SEED=18: a crash point, then a resume killed in its first second)."""
    root, title = killed_run_holding_both_locks(fake, tmp_path)
    # B: takes the local lock over, then dies without a word (as by SIGKILL)
    resumed = subprocess.run(
        [sys.executable, "-c", "import os, sys\n"
         "from yt_pipeline.lock import RunLock\n"
         "lock = RunLock(sys.argv[1], 'prod', '20261206-000001-dead').acquire()\n"
         "assert lock.taken_over is not None\n"
         "os._exit(0)", str(root)], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(lock_path(root, "prod").read_text())["run_id"] == "20261206-000001-dead"
    resumes_at_once(root, fake, title)


def test_a_resume_stopped_before_the_cluster_lock_hands_the_dead_run_on(fake, tmp_path):
    """A run killed holding the cluster's lock (A); its `--resume` (B) takes A's local lock
    over and is stopped cleanly (Ctrl-C or SIGTERM while it packages the code) before it
    takes the cluster's; the next `--resume` (C) must still know A. B used to release its
    local lock, and C, knowing nothing of A, was refused by A's lock until its timeout
    (two minutes by default). Found by the kill campaign of test_prod_kill_trials.py
    (YTP_PROD_KILL_SEED=1029 -k term: a crash point, then a resume stopped by SIGTERM)."""
    root, title = killed_run_holding_both_locks(fake, tmp_path)
    # B: the CLI's own run, interrupted while it packages the code
    stopped = subprocess.run(
        [sys.executable, "-c", "import sys\n"
         "from yt_pipeline.pipeline import BasePipeline\n"
         "def package_code(self):\n"
         "    raise KeyboardInterrupt('stopped while packaging')\n"
         "BasePipeline.package_code = package_code\n"
         "from yt_pipeline.command import main\n"
         "sys.argv = ['yt-pipeline', 'run', sys.argv[1], '--resume']\n"
         "main()", str(root)], capture_output=True, text=True, timeout=90)
    assert stopped.returncode == 130, stopped.stdout + stopped.stderr
    assert title in lock_titles(fake)  # B did not reach the cluster
    left = json.loads(lock_path(root, "prod").read_text())  # B's, naming A
    assert [run["run_id"] for run in left["took_over"]] == ["20261206-000000-dead"]
    resumes_at_once(root, fake, title)
    assert not lock_path(root, "prod").exists()  # C released its own


@pytest.mark.parametrize("holder", ["another run id", "another host", "another pid"])
def test_a_lock_held_by_any_other_run_is_refused(fake, tmp_path, holder):
    """The local lock names a dead run of this folder, but the cluster's holder is not that
    run: nothing tells that holder is gone (another machine's run, or a run of another
    checkout), so it is refused as any holder is, and its transaction is left alone."""
    root = checkout(tmp_path / "a" / PIPELINE, fake)
    pid = dead_pid()
    plant_dead_local_lock(root, "20261206-000000-dead", pid)
    title = {"another run id": run_lock_title("20261206-000000-else", pid, host_name()),
             "another host": run_lock_title("20261206-000000-dead", pid, "elsewhere"),
             "another pid": run_lock_title("20261206-000000-dead", os.getpid(), host_name()),
             }[holder]
    hold_cluster_lock(fake, title)
    code, output = finish(start(root))
    assert_refused(code, output)
    assert title in output, output
    assert not (root / "started").exists()
    assert title in lock_titles(fake)


# -- a lock that could not be pinged: no further commit ---------------------------------------
# ytsaurus-client's pinger gives up once a ping has failed for a third of the timeout
# (`PingTransaction` in yt/wrapper/transaction.py) and, with interrupt_on_failed=False, only
# marks itself failed; the master meanwhile ends the unpinged transaction, and another run may
# hold the lock. The fake leaves the lock's pings unanswered while the stage's are answered.

def test_a_run_whose_lock_could_not_be_pinged_commits_no_further_stage(fake, tmp_path):
    root = checkout(tmp_path / "a" / PIPELINE, fake, lock_timeout_s=1.0)
    fake.faults.ignore_pings("yt-pipeline run ")
    code, output = finish(start(root, sleep=3))  # the pinger has given up by the commit
    assert fake.faults.fired["ping_transaction"] >= 1
    assert code == 1, output
    assert (f"the run's lock {LOCK_NODE} could not be pinged and may have ended; nothing the "
            "stage wrote was kept") in output, output
    assert "its transaction could not be pinged" not in output  # the stage's was pinged
    with pytest.raises(KeyError):  # the stage's write went with its transaction
        fake.rows(OUT)


# -- a lock whose answer is lost ---------------------------------------------------------------
# The fake does the lock, then closes the connection (Faults.lose_answer_next): the client,
# its retries off, sees a ConnectionError for a lock it holds.

def test_a_lost_answer_to_the_lock_is_said_and_leaves_the_lock_free(fake, tmp_path):
    root = checkout(tmp_path / "a" / PIPELINE, fake)
    fake.faults.lose_answer_next("lock")
    code, output = finish(start(root))
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert code == 1 and len(errors) == 1, output
    assert errors[0].startswith(f"error: take the run lock {LOCK_NODE}: cannot reach the YT "
                                f"proxy {fake.url}"), output
    assert not (root / "started").exists()
    # the lock it took went with its transaction, aborted: the next run goes ahead at once
    assert lock_titles(fake) == []
    code, output = finish(start(root))
    assert code == 0, output
    assert counted(fake.rows(OUT)) == counted(ROWS)


# -- a release the cluster did not hear ---------------------------------------------------------
# The fake closes the connection of the abort without doing it (Faults.drop_next): the run
# has ended, and its lock's transaction, no longer pinged, lasts until its timeout.

def test_a_lock_whose_release_failed_is_taken_over_by_the_next_run_of_the_checkout(
        fake, tmp_path):
    first, second = two_checkouts(tmp_path, fake)
    fake.faults.drop_next("abort_transaction")
    code, output = finish(start(first))
    assert code == 0, output
    assert "could not release the run lock" in output, output
    [left] = lock_titles(fake)  # still held: the default timeout is two minutes
    code, output = finish(start(second))  # another checkout cannot tell the run ended
    assert_refused(code, output)
    assert left in output, output
    began = time.monotonic()
    code, output = finish(start(first, "--force"))
    assert code == 0, output
    assert time.monotonic() - began < 60, output
    assert "taking over the cluster lock" in output and left.split(", ", 1)[1] in output, output
    assert counted(fake.rows(OUT)) == counted(ROWS + ROWS)
    assert lock_titles(fake) == []
    assert not lock_path(first, "prod").exists()  # that run released both locks


def test_a_local_lock_left_for_take_over_names_its_run_to_the_next(tmp_path):
    """In one process too (a pipeline run twice from Python): the run that left its lock is
    no longer held here, so the next run takes it over and hands it on as the dead run."""
    from yt_pipeline.lock import DeadRun, RunLock

    first = RunLock(tmp_path, "prod", "20261206-000000-left").acquire()
    first.leave_for_take_over()
    assert lock_path(tmp_path, "prod").exists()
    with RunLock(tmp_path, "prod", "20261206-000001-next") as second:
        assert second.taken_over == DeadRun("20261206-000000-left", os.getpid(), host_name())
    assert not lock_path(tmp_path, "prod").exists()


# -- SIGTERM while the lock is being taken ------------------------------------------------------
# The fake answers the lock only after a delay (Faults.delay_next), as a slow proxy; the
# SIGTERM comes meanwhile.

def test_sigterm_while_the_lock_is_taken_leaves_it_free(fake, tmp_path):
    first, second = two_checkouts(tmp_path, fake)
    fake.faults.delay_next("lock", 3.0)
    run = start(first)
    deadline = time.monotonic() + 30
    while fake.faults.fired["lock"] == 0:  # the lock is asked for, its answer delayed
        assert time.monotonic() < deadline and run.poll() is None
        time.sleep(0.02)
    time.sleep(0.3)
    run.send_signal(signal.SIGTERM)
    code, output = finish(run)
    assert code != 0 and "interrupted" in output, output
    assert not (first / "started").exists()
    assert lock_titles(fake) == []  # its transaction, with the lock, was aborted
    code, output = finish(start(second))  # another checkout: no timeout to wait for
    assert code == 0, output
    assert counted(fake.rows(OUT)) == counted(ROWS)
