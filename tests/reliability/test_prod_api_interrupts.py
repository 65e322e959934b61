"""A prod run started from Python (`pipeline.run()`, a notebook's cell), not by the command
line, and interrupted by Ctrl-C or SIGTERM while an operation runs: before it lets go of
its cluster run lock, the run aborts its operations and its stages' transactions, so that
the next call resuming it, in the same process at once, is the only writer.

Before, only the client's close() (which the command line calls after the run, a Python
caller maybe never) ended them: the lock was free while the old operation still ran in a
stage transaction still pinged by this process, holding its table locks.

What a cluster does, as the fake does it here: `Transaction.abort` (ytsaurus-client,
yt/wrapper/transaction.py) sends abort_transaction; an aborted transaction's nested ones
are stopped with it, and its locks go with it ("Completing a transaction" and "Lock
operations" in the YTsaurus docs' Transactions page, yt/docs/en/_includes/user-guide/
storage/transactions.md); `abort_operation` (yt/wrapper/operation_commands.py) ends an
operation not yet in a final state as `aborted`.
"""

from __future__ import annotations

import _thread
import signal
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("yt_pipeline_prod")

from yt_pipeline import DefaultPipeline  # noqa: E402
from yt_pipeline.runner import RunOptions  # noqa: E402
from yt_pipeline.testing import write_pipeline  # noqa: E402
from yt_pipeline_prod.fake.cypress import normalize  # noqa: E402
from yt_pipeline_prod.testing import TEST_PROD_OPTIONS, TEST_TOKEN  # noqa: E402

pytestmark = pytest.mark.usefixtures("sigint_reaches_the_runs")

ROWS = [{"i": i} for i in range(20)]

COPY = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Copy(BaseStage):
    def run(self, debug):
        run_map(self, self.config.client.operations.map)
        return debug
"""

NOTE = """
from yt_pipeline import BaseStage


class Note(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//home/api/noted", [{"noted": 1}], append=True)
        return debug
"""

# The job says it started (HOLD.started), then holds until the file HOLD names is gone
# (the test removes it before resuming), or at most 30 s.
MAPPER = """
import os
import time

from ytjobs import read_rows, write_rows

rows = list(read_rows())
open(os.environ["HOLD"] + ".started", "w").close()
deadline = time.monotonic() + 30
while os.path.exists(os.environ["HOLD"]) and time.monotonic() < deadline:
    time.sleep(0.05)
write_rows(dict(row, copied=True) for row in rows)
"""

# retried at once: the attempt whose operation the run's end aborted fails, and must not
# start another attempt, with an operation of its own, beside the next run
MAP_CONFIG = """
retry:
  max_attempts: 3
  backoff_s: 0
client:
  operations:
    map:
      input_table: //home/api/in
      output_table: //home/api/out
      append: true
      env:
        HOLD: {hold}
"""


@pytest.fixture
def fake(fake):
    fake.put_table("//home/api/in", ROWS)
    return fake


def api_pipeline(root: Path, fake, hold: Path) -> Path:
    return write_pipeline(root, {
        "configs/secrets.env": f"YT_PROXY={fake.url}\nYT_TOKEN={TEST_TOKEN}\n",
        "stages/copy/stage.py": COPY,
        "stages/copy/config.yaml": MAP_CONFIG.format(hold=hold),
        "stages/copy/src/mapper.py": MAPPER,
        "stages/note/stage.py": NOTE,
    }, config={"pipeline": {"mode": "prod", "build_folder": "//home/api/build",
                            "prod": TEST_PROD_OPTIONS},
               "stages": {"enabled_stages": ["note", "copy"]}})


def committed(fake, path: str) -> bool:
    try:
        return bool(fake.rows(path))
    except KeyError:
        return False


def interrupt_once_running(fake, how: str, hold: Path) -> threading.Thread:
    """Ctrl-C (SIGINT, as `_thread.interrupt_main` sends it) or SIGTERM to the main thread,
    once the map's job runs, the stage before it (a chain: enabled_stages' order) committed."""
    started = Path(f"{hold}.started")

    def watch() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if started.exists() and committed(fake, "//home/api/noted"):
                break
            time.sleep(0.02)
        time.sleep(0.2)
        if how == "sigterm":
            signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)
        else:
            _thread.interrupt_main(signal.SIGINT)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def final_states(fake, timeout_s: float = 5.0) -> list[str]:
    """The states of the fake's operations once none is running any more, or as they are
    when `timeout_s` is up."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        states = [op.state for op in list(fake.state.operations.values())]
        if all(state in ("completed", "failed", "aborted") for state in states):
            return states
        time.sleep(0.05)
    return [op.state for op in list(fake.state.operations.values())]


def run_lock_holders(fake) -> list[str]:
    """The transactions holding a lock on a run lock node."""
    cypress = fake.state.cypress
    folder = normalize("//home/api/build/.run_locks")
    with cypress.lock:
        nodes = cypress.children(folder, None)
        assert nodes, "no run lock node"
        return [lock.tx for node in nodes
                for lock in cypress.locks.held(cypress.lookup(node, None).id)]


@pytest.mark.parametrize("how", ["sigint", "sigterm"])
def test_an_interrupted_run_from_python_ends_its_work_before_its_lock(fake, tmp_path, how):
    if how == "sigterm" and signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        pytest.skip("SIGTERM has a handler of the test runner's: the run sets none")
    hold = tmp_path / "hold"
    hold.write_text("")
    root = api_pipeline(tmp_path / "p", fake, hold)
    pipeline = DefaultPipeline(pipeline_dir=root)
    try:
        interrupt_once_running(fake, how, hold)
        with pytest.raises(KeyboardInterrupt):
            pipeline.run()
        # right after run() returned, before any close(): the operation was aborted, no
        # transaction of the run is left (its stages', its operation's, its lock's), the
        # lock node is free, the stage before it committed once
        assert [op.aborted for op in list(fake.state.operations.values())] == [True]
        assert [tx.attributes.get("title") for tx in
                list(fake.state.cypress.transactions.values())] == []
        assert run_lock_holders(fake) == []
        assert fake.rows("//home/api/noted") == [{"noted": 1}]
        # the fake ends an aborted operation once its running job has ended (a cluster
        # aborts the jobs at once): it is aborted, not completed
        hold.unlink()
        assert final_states(fake) == ["aborted"]

        # the next call resumes the run in the same process, on the same pipeline object
        pipeline.run(RunOptions(resume=True))
    finally:
        hold.unlink(missing_ok=True)
        pipeline.close()
    assert sorted(fake.rows("//home/api/out"), key=lambda row: row["i"]) == [
        dict(row, copied=True) for row in ROWS]
    assert fake.rows("//home/api/noted") == [{"noted": 1}]
    assert final_states(fake) == ["aborted", "completed"]
    assert list(fake.state.cypress.transactions.values()) == []


def test_a_stage_going_on_after_its_run_ended_starts_no_transaction(fake):
    # a stage thread that begins its attempt as the run ends (it took its task just before
    # the interrupt) is refused its transaction, which would otherwise live beside the
    # next run's, holding table locks; the next run's own attempts start as usual
    from yt_pipeline.errors import BackendError
    from yt_pipeline_prod.testing import make_prod_client

    client = make_prod_client(fake)
    try:
        late = client.begin_transaction("yt-pipeline r1 stage late attempt 1")
        client.end_run()
        with pytest.raises(BackendError) as refused:
            late.transaction_id  # noqa: B018 - starts the transaction on first use
        assert str(refused.value) == ("the run has ended: the transaction of yt-pipeline r1 "
                                      "stage late attempt 1 was not started")
        assert list(fake.state.cypress.transactions.values()) == []

        next_run = client.begin_transaction("yt-pipeline r2 stage late attempt 1")
        started = next_run.transaction_id
        assert [tx.attributes.get("title") for tx in
                list(fake.state.cypress.transactions.values())] == [
            "yt-pipeline r2 stage late attempt 1"]
        client.end_run()  # aborts it, the next run's books being closed in turn
        assert started not in fake.state.cypress.transactions
    finally:
        client.close()
