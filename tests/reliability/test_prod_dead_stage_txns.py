"""A prod run killed outright, then `--resume` at once: the stage transactions it left open are
ended by the resume, which took its lock over, instead of refusing it with their locks.

A stage attempt's transaction (stage_txn.py) holds the locks of the tables it wrote. Nobody
pings it once its run is killed, and the master aborts it only when its lease has run out
("Transaction lease expired" in yt/yt/server/master/transaction_server/
transaction_manager.cpp; the fake aborts one nobody pinged for its timeout at its next
request, fake/cypress.py). Another client may abort it by its id (ytsaurus-client's
`abort_transaction` sends only the id: yt/wrapper/transaction_commands.py; the master checks
the write permission on the transaction, which its owner has: `AbortTransaction` in
transaction_manager.cpp; the fake's `abort_transaction` takes any id, fake/cypress_commands.py).
The runs here keep the default lease, 30 s: each resume that succeeds did so well within it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("yt_pipeline_prod")

from test_prod_run_lock import (  # noqa: E402 - after the skip
    PIPELINE,
    counted,
    dead_pid,
    finish,
    lock_titles,
    plant_dead_local_lock,
    wait_for,
)

from yt_pipeline.hostname import host_name  # noqa: E402
from yt_pipeline.testing import write_pipeline  # noqa: E402
from yt_pipeline_prod.attempt_files import FOLDER  # noqa: E402
from yt_pipeline_prod.testing import TEST_TOKEN  # noqa: E402

HELD = "//home/dst/held"
APPENDED = "//home/dst/appended"
BUILD = "//home/dst/build"
ROWS = [{"i": i, "word": w} for i, w in enumerate(["a", "b", "c"])]
LOCKED = "is locked by concurrent transaction"

#: overwrites HELD (an exclusive lock, held by its transaction until it ends), then sleeps
HOLD_STAGE = f"""
import os
import time
from pathlib import Path

from yt_pipeline import BaseStage


class Hold(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("{HELD}", {ROWS!r})
        Path(os.environ["DST_WROTE"]).touch()
        time.sleep(float(os.environ.get("DST_SLEEP", "0")))
        return debug
"""

#: appends to APPENDED once `hold` has written: it commits while `hold` sleeps
APPEND_STAGE = f"""
import os
import time
from pathlib import Path

from yt_pipeline import BaseStage


class Append(BaseStage):
    def run(self, debug):
        deadline = time.monotonic() + 60
        while not Path(os.environ["DST_WROTE"]).exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.deps.yt_client.write_table("{APPENDED}", {ROWS!r}, append=True)
        return debug
"""


def checkout(root: Path, fake, stages: list[str]) -> Path:
    prod = {"retries": False, "poll_interval_s": 0.05,
            "yt_config": {"transaction_sleep_period": 5}}
    return write_pipeline(root, {
        "configs/secrets.env": f"YT_PROXY={fake.url}\nYT_TOKEN={TEST_TOKEN}\n",
        "stages/hold/stage.py": HOLD_STAGE,
        "stages/append/stage.py": APPEND_STAGE,
    }, config={"pipeline": {"mode": "prod", "build_folder": BUILD, "workers": 2,
                            "prod": prod},
               "stages": {"graph": {name: [] for name in stages}}})


def start(root: Path, *args: str, sleep: float = 0.0,
          env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "DST_WROTE": str(root / "wrote"), "DST_SLEEP": str(sleep),
           **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "yt_pipeline", "run", str(root), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, start_new_session=True)


def killed_run_titles(fake, run_id: str) -> list[str]:
    return [title for title in lock_titles(fake) if f"yt-pipeline {run_id} " in title]


def notes(root: Path) -> list[str]:
    folder = root / ".runs" / FOLDER
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def run_id_of(root: Path) -> str:
    return str(json.loads((root / ".runs/prod.lock").read_text())["run_id"])


def test_a_run_killed_while_a_stage_writes_is_resumed_at_once(fake, tmp_path):
    root = checkout(tmp_path / PIPELINE, fake, ["hold", "append"])
    run = start(root, sleep=120)
    wait_for(root / "wrote")
    wait_for_rows(fake, APPENDED)  # `append` committed while `hold` sleeps
    killed = run_id_of(root)
    # `hold`'s open transaction, noted; `append` removes its note just after its commit
    # makes its rows seen, so its note may be there a moment longer
    deadline = time.monotonic() + 10
    while len(notes(root)) > 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    [note] = notes(root)
    assert note.startswith(f"{killed}--")
    os.killpg(run.pid, signal.SIGKILL)
    finish(run)
    [held_by] = killed_run_titles(fake, killed + " stage")
    assert held_by.endswith(" stage hold attempt 1")  # still alive, with its lock on HELD
    began = time.monotonic()
    code, output = finish(start(root, "--resume"))
    assert code == 0, output
    assert time.monotonic() - began < 25, output  # within the 30 s lease it used to wait
    assert LOCKED not in output, output
    assert f"aborting the transaction {note.split('--')[1][:-5]} ({held_by})" in output, output
    assert killed_run_titles(fake, killed) == []  # aborted, not left to its lease
    assert counted(fake.rows(HELD)) == counted(ROWS)
    assert counted(fake.rows(APPENDED)) == counted(ROWS)  # not run again: once
    assert notes(root) == []  # each attempt of the resume removed its note


def wait_for_rows(fake, path: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if fake.rows(path):
                return
        except KeyError:
            pass
        assert time.monotonic() < deadline, f"{path} never got its rows"
        time.sleep(0.05)


def crash_point_of(tmp_path: Path, name: str) -> int:
    """The number of the first crash point `name` in a run of the pipeline (`append` commits
    while `hold` sleeps), counted by a run on a fake of its own (core/crashpoints.py)."""
    from yt_pipeline_prod.testing import start_fake_proxy

    counting = start_fake_proxy()
    try:
        root = checkout(tmp_path / "count" / PIPELINE, counting, ["hold", "append"])
        points = tmp_path / "points"
        code, output = finish(start(root, sleep=2, env={"YTP_CRASH_COUNT": str(points)}))
        assert code == 0, output
    finally:
        counting.stop()
    found = [line.split(" ", 1) for line in points.read_text().splitlines()]
    return next(int(number) for number, point in found if point == name)


def test_a_commit_recorded_by_the_killed_run_is_finished_not_aborted(fake, tmp_path):
    """Killed between `append`'s commit record and its commit, `hold`'s transaction open:
    the resume aborts `hold`'s and commits `append`'s (the marker its record names, made in
    its transaction, is there: the very transaction committed, the stage did not run
    again)."""
    point = crash_point_of(tmp_path, "journal: after the commit record")
    root = checkout(tmp_path / PIPELINE, fake, ["hold", "append"])
    code, output = finish(start(root, sleep=120, env={"YTP_CRASH_AT": str(point)}))
    assert code == -signal.SIGKILL, output
    [record] = [json.loads(path.read_text())
                for path in (root / ".runs/journal.prod").glob("*.json")]
    assert record["stage"] == "append"
    transaction, marker = record["token"]["transaction_id"], record["token"]["marker"]
    assert sorted(notes(root)) == sorted(  # both stages' transactions were open
        f"{run_id_of(root)}--{tx}.json" for tx in [transaction, held_transaction(fake)])
    code, output = finish(start(root, "--resume"))
    assert code == 0, output
    assert "finishing 1 commit(s) of an interrupted run: append" in output, output
    assert "did not commit before the run was interrupted" not in output, output
    assert f"aborting the transaction {transaction}" not in output, output
    assert fake.state.cypress.lookup(marker, None) is not None  # committed, not aborted
    assert counted(fake.rows(APPENDED)) == counted(ROWS)
    assert counted(fake.rows(HELD)) == counted(ROWS)
    assert notes(root) == []


def held_transaction(fake) -> str:
    cypress = fake.state.cypress
    with cypress.lock:
        [found] = [tx.id for tx in cypress.transactions.values()
                   if str(tx.attributes.get("title", "")).endswith(" stage hold attempt 1")]
    return found


# -- a holder that is not this checkout's dead run: refused, left to its lease ---------------

DEAD_RUN = "20261207-000000-dead"


def hold_the_table(fake, title: str) -> str:
    """A transaction titled as a stage's, holding HELD's exclusive lock, as a killed run's
    stage leaves it (a long lease, nobody pinging it for the test's length)."""
    import yt.wrapper as ytw

    yt = ytw.YtClient(proxy=fake.url, token=TEST_TOKEN)
    yt.create("map_node", ytw.ypath_dirname(HELD), recursive=True, ignore_existing=True)
    tx = yt.start_transaction(timeout=120_000, attributes={"title": title})
    with ytw.Transaction(transaction_id=tx, client=yt):
        yt.write_table(HELD, [{"i": -1}], format=ytw.JsonFormat())
    return str(tx)


def plant_note(root: Path, run_id: str, pid: int, host: str, tx: str, title: str) -> None:
    path = root / ".runs" / FOLDER / f"{run_id}--{tx}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"run_id": run_id, "pid": pid, "host": host,
                                "transaction_id": tx, "title": title}))


@pytest.mark.parametrize("holder", ["the dead run", "another run id", "another host",
                                    "another checkout", "not noted"])
def test_only_the_dead_runs_own_stage_transactions_are_aborted(fake, tmp_path, holder):
    """The local lock names a dead run of this checkout; a stage transaction holds HELD.
    Only one that run noted here, with its run id, pid and host, is aborted; any other
    holder (a run the local lock cannot see, alive or not) refuses the stage as before,
    and is left to its lease."""
    root = checkout(tmp_path / "a" / PIPELINE, fake, ["hold"])
    pid = dead_pid()
    plant_dead_local_lock(root, DEAD_RUN, pid)
    run_id = DEAD_RUN if holder != "another run id" else "20261207-000000-else"
    title = f"yt-pipeline {run_id} stage hold attempt 1"
    tx = hold_the_table(fake, title)
    if holder != "not noted":
        folder = tmp_path / "b" / PIPELINE if holder == "another checkout" else root
        plant_note(folder, run_id, pid, "elsewhere" if holder == "another host" else host_name(),
                   tx, title)
    code, output = finish(start(root, "--resume"))
    if holder == "the dead run":
        assert code == 0, output
        assert f"aborting the transaction {tx} ({title})" in output, output
        assert title not in lock_titles(fake)
        assert counted(fake.rows(HELD)) == counted(ROWS)
        assert notes(root) == []
        return
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert code == 1 and len(errors) == 1, output
    assert LOCKED in errors[0] and tx in errors[0], output
    assert "aborting the transaction" not in output, output
    assert title in lock_titles(fake)  # left alone: its lease ends it
    with pytest.raises(KeyError):  # neither the holder's row nor the stage's are committed
        fake.rows(HELD)


def test_a_damaged_commit_record_leaves_the_dead_runs_transactions_to_their_lease(
        fake, tmp_path):
    """Which transaction a damaged record commits cannot be read, and a recorded commit must
    never be aborted: none is, and each ends with its lease (the run then stops at the
    damaged record of its own state: journal.DamagedRecord)."""
    from yt_pipeline.lock import DeadRun
    from yt_pipeline_prod.dead_attempts import end_dead_attempts
    from yt_pipeline_prod.testing import make_prod_client

    root = tmp_path / PIPELINE
    title = f"yt-pipeline {DEAD_RUN} stage hold attempt 1"
    tx = hold_the_table(fake, title)
    plant_note(root, DEAD_RUN, 4_000_000, host_name(), tx, title)
    damaged = root / ".runs/journal.prod.other/00000000000000000001-1-1.json"
    damaged.parent.mkdir(parents=True)
    damaged.write_text("{not json")
    client = make_prod_client(fake)
    try:
        dead = DeadRun(DEAD_RUN, 4_000_000, host_name())
        assert end_dead_attempts(client, root, dead) == 0
        assert title in lock_titles(fake)
        assert notes(root) == [f"{DEAD_RUN}--{tx}.json"]  # for a run that can tell
        damaged.unlink()
        assert end_dead_attempts(client, root, dead) == 1
        assert title not in lock_titles(fake)
        assert notes(root) == []
    finally:
        client.close()


# -- a copy of the checkout: its lock file names a run of the folder it was copied from -------

def test_a_copy_of_a_killed_runs_checkout_does_not_take_that_run_over(fake, tmp_path):
    """The folder of a killed run is copied (its `.runs` with it) and resumed in the copy:
    the run its lock names ran in the other folder, so the copy's resume does not end that
    run's locks and stage transactions (that folder's own journal may hold a commit record
    of one of them, which the copy cannot see) and is refused by the cluster's lock, left to
    its lease. The resume of the folder the run was killed in takes it over as before."""
    import shutil

    root = checkout(tmp_path / "a" / PIPELINE, fake, ["hold"])
    run = start(root, sleep=120)
    wait_for(root / "wrote")
    killed = run_id_of(root)
    os.killpg(run.pid, signal.SIGKILL)
    finish(run)
    copy = tmp_path / "b" / PIPELINE  # the same name: the same lock on the cluster
    shutil.copytree(root, copy)
    code, output = finish(start(copy, "--resume", env={"DST_WROTE": str(copy / "wrote")}))
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert code == 1 and len(errors) == 1, output
    assert f"yt-pipeline run {killed}" in errors[0] and "did not start" in errors[0], output
    assert "aborting the transaction" not in output, output
    # `hold`'s transaction is left to its lease
    assert killed_run_titles(fake, killed + " stage") == [
        f"yt-pipeline {killed} stage hold attempt 1"]
    assert notes(copy) == notes(root) != []  # the copy's notes are no run's of its own
    code, output = finish(start(root, "--resume"))
    assert code == 0, output
    assert "aborting the transaction" in output, output
    assert killed_run_titles(fake, killed) == []
    assert counted(fake.rows(HELD)) == counted(ROWS)
    assert notes(root) == []


# -- a resume killed in the middle of its own take-over, then resumed ----------------------

def hold_the_run_lock(fake, title: str) -> str:
    """A transaction titled `title` holding the cluster's run lock of the pipeline, as a run
    killed while it ran leaves it."""
    import yt.wrapper as ytw

    node = f"{BUILD}/.run_locks/{PIPELINE}.prod"
    yt = ytw.YtClient(proxy=fake.url, token=TEST_TOKEN)
    yt.create("map_node", node, recursive=True, ignore_existing=True)
    tx = yt.start_transaction(timeout=120_000, attributes={"title": title})
    with ytw.Transaction(transaction_id=tx, client=yt):
        yt.lock(node, mode="exclusive")
    return str(tx)


def test_a_resume_killed_while_it_aborts_the_dead_runs_transactions(fake, tmp_path):
    """Run 1 killed with two stage transactions open; its resume (run 2) took both locks
    over, aborted the first transaction and was killed before it removed that note or
    aborted the second. The next resume learns run 1 from run 2's lock (`took_over`), takes
    run 2's cluster lock over, finds the first transaction gone (no error) and aborts the
    second, whose lock on HELD would refuse `hold` until its lease ran out."""
    import yt.wrapper as ytw

    from yt_pipeline.lock import lock_path
    from yt_pipeline_prod.run_lock import run_lock_title

    root = checkout(tmp_path / PIPELINE, fake, ["hold"])
    first, second = "20261207-000000-first", "20261207-000001-second"
    first_pid, second_pid = dead_pid(), dead_pid()
    here = host_name()
    lock_path(root, "prod").parent.mkdir(parents=True, exist_ok=True)
    lock_path(root, "prod").write_text(json.dumps({
        "pid": second_pid, "host": here, "run_id": second, "started_at": time.time() - 5,
        "took_over": [{"run_id": first, "pid": first_pid, "host": here}]}))
    run_lock = hold_the_run_lock(fake, run_lock_title(second, second_pid, here))
    yt = ytw.YtClient(proxy=fake.url, token=TEST_TOKEN)
    gone_title = f"yt-pipeline {first} stage append attempt 1"
    gone = str(yt.start_transaction(timeout=120_000, attributes={"title": gone_title}))
    yt.abort_transaction(gone)  # aborted by run 2, its note still there
    plant_note(root, first, first_pid, here, gone, gone_title)
    held_title = f"yt-pipeline {first} stage hold attempt 1"
    held = hold_the_table(fake, held_title)
    plant_note(root, first, first_pid, here, held, held_title)
    code, output = finish(start(root, "--resume"))
    assert code == 0, output
    assert f"aborting its transaction {run_lock}" in output, output
    assert f"aborting the transaction {held} ({held_title})" in output, output
    assert LOCKED not in output, output
    assert [title for title in lock_titles(fake) if first in title or second in title] == []
    assert counted(fake.rows(HELD)) == counted(ROWS)  # the holder's row is not kept
    assert notes(root) == []


# -- two resumes started at once after one killed run -----------------------------------------

def test_two_resumes_at_once_take_the_killed_run_over_once(fake, tmp_path):
    """Of two resumes started together after a run killed with a stage transaction open, the
    one that takes the local lock takes the run over and aborts that transaction; the other
    is refused by the local lock, naming the first, and aborts nothing (the transactions it
    would find are the live first resume's)."""
    root = checkout(tmp_path / PIPELINE, fake, ["hold", "append"])
    run = start(root, sleep=120)
    wait_for(root / "wrote")
    wait_for_rows(fake, APPENDED)
    killed = run_id_of(root)
    os.killpg(run.pid, signal.SIGKILL)
    finish(run)
    (root / "wrote").unlink()
    resumes = [start(root, "--resume", sleep=4) for _ in range(2)]
    outcomes = sorted(finish(resume) for resume in resumes)
    (refused_code, refused), (code, output) = outcomes[1], outcomes[0]
    assert code == 0, output
    assert refused_code == 1 and "is already being run" in refused, refused
    assert "aborting" not in refused, refused
    assert output.count("aborting the transaction ") == 1, output
    assert killed_run_titles(fake, killed) == []
    assert counted(fake.rows(HELD)) == counted(ROWS)
    assert counted(fake.rows(APPENDED)) == counted(ROWS)  # committed once, by the killed run
    assert notes(root) == []


# -- a stage retried within the killed run -----------------------------------------------------

#: appends, then fails at its first attempt ever; a later attempt sleeps after its append
FLAKY_STAGE = f"""
import os
import time
from pathlib import Path

from yt_pipeline import BaseStage
from yt_pipeline.errors import BackendError


class Flaky(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("{APPENDED}", {ROWS!r}, append=True)
        failed = Path(os.environ["DST_WROTE"] + ".failed")
        if not failed.exists():
            failed.touch()
            raise BackendError("the first attempt fails after its append")  # retried
        Path(os.environ["DST_WROTE"]).touch()
        time.sleep(float(os.environ.get("DST_SLEEP", "0")))
        return debug
"""


def test_a_run_killed_in_a_retry_leaves_only_that_attempts_transaction(fake, tmp_path):
    """Each attempt of a stage has its own transaction and note: the failed first attempt's
    was aborted by its run and its note removed; the second's, open when the run is killed,
    is the one the resume aborts. Neither attempt's append is kept: the resume's own
    attempt appends once."""
    root = write_pipeline(tmp_path / PIPELINE, {
        "configs/secrets.env": f"YT_PROXY={fake.url}\nYT_TOKEN={TEST_TOKEN}\n",
        "stages/flaky/stage.py": FLAKY_STAGE,
        "stages/flaky/config.yaml": json.dumps({"retry": {"max_attempts": 3, "backoff_s": 0}}),
    }, config={"pipeline": {"mode": "prod", "build_folder": BUILD, "prod": {
        "retries": False, "poll_interval_s": 0.05,
        "yt_config": {"transaction_sleep_period": 5}}},
        "stages": {"graph": {"flaky": []}}})
    run = start(root, sleep=120)
    wait_for(root / "wrote")
    killed = run_id_of(root)
    [note] = notes(root)
    [open_title] = killed_run_titles(fake, killed + " stage")
    assert open_title == f"yt-pipeline {killed} stage flaky attempt 2"
    os.killpg(run.pid, signal.SIGKILL)
    finish(run)
    code, output = finish(start(root, "--resume"))
    assert code == 0, output
    assert f"aborting the transaction {note.split('--')[1][:-5]} ({open_title})" in output
    assert output.count("aborting the transaction ") == 1, output
    assert LOCKED not in output, output
    assert killed_run_titles(fake, killed) == []
    assert counted(fake.rows(APPENDED)) == counted(ROWS)
    assert notes(root) == []


def test_a_note_of_a_transaction_committed_or_expired_is_dropped(fake, tmp_path):
    """Notes a dead run left of transactions that have ended: one committed (its run killed
    between the commit and the note's removal, its record already folded), one aborted when
    its lease ran out. Aborting either is answered "no such transaction" (error 11000, told
    by ytsaurus-client's `YtResponseError.is_no_such_transaction` in yt/common.py; the fake
    answers the same for an ended transaction, fake/cypress.py); the resume goes
    on, the committed rows stay and the notes are removed."""
    import yt.wrapper as ytw

    root = checkout(tmp_path / PIPELINE, fake, ["hold"])
    pid = dead_pid()
    plant_dead_local_lock(root, DEAD_RUN, pid)
    yt = ytw.YtClient(proxy=fake.url, token=TEST_TOKEN)
    yt.create("map_node", ytw.ypath_dirname(APPENDED), recursive=True, ignore_existing=True)
    committed = str(yt.start_transaction(timeout=120_000))
    with ytw.Transaction(transaction_id=committed, client=yt):
        yt.write_table(APPENDED, ROWS, format=ytw.JsonFormat())
    yt.commit_transaction(committed)
    expired = str(yt.start_transaction(timeout=120_000))
    yt.abort_transaction(expired)
    for tx, stage in [(committed, "append"), (expired, "hold")]:
        plant_note(root, DEAD_RUN, pid, host_name(), tx,
                   f"yt-pipeline {DEAD_RUN} stage {stage} attempt 1")
    code, output = finish(start(root, "--resume"))
    assert code == 0, output
    assert "error" not in output.lower(), output
    assert counted(fake.rows(APPENDED)) == counted(ROWS)  # the commit is not undone
    assert counted(fake.rows(HELD)) == counted(ROWS)
    assert notes(root) == []
