"""A prod run suspended (SIGSTOP: a laptop's lid closed, a debugger, a host paused) for
longer than its stage transactions' lease, then continued (SIGCONT).

While it sleeps nothing pings its transactions, and the cluster aborts them when their
lease runs out (the Transactions page of the Cypress docs: a transaction nobody pings for
its `timeout` is aborted; ytsaurus-client's `Transaction` pings every timeout/3). Once
continued, a stage whose transaction ended must fail (its writes are gone with it) rather
than commit what is left, and `--resume` must then give exactly the rows of one run: every
table compared row by row, as a multiset, with a run nobody suspended.
"""

from __future__ import annotations

import os
import random
import signal
import time

import pytest

pytest.importorskip("yt_pipeline_prod")

from test_prod_stage_txn import (  # noqa: E402 - after the skip
    LEASE_MS,
    check_resumed,
    finish,
    make,
    reference,  # noqa: F401 - a fixture
    run,
    tables,
)

from yt_pipeline_prod.testing import start_fake_proxy  # noqa: E402

TRIALS = int(os.environ.get("YTP_PROD_SUSPEND_TRIALS", "5"))


def _until_a_stage_runs(fake, process, timeout_s: float = 120.0) -> None:
    """Wait until the run holds a transaction beside its run lock's (a stage's), or ends."""
    deadline = time.monotonic() + timeout_s
    while fake.transaction_count() < 2 and process.poll() is None:
        assert time.monotonic() < deadline, "no stage of the run started"
        time.sleep(0.01)


@pytest.mark.slow
def test_a_run_suspended_past_its_lease_then_resumed_gives_the_rows_of_one_run(
        tmp_path, reference):  # noqa: F811
    rng = random.Random(20261206)
    suspended = failed = 0
    for trial in range(TRIALS):
        fake = start_fake_proxy()
        try:
            root = make(tmp_path / f"t{trial}", fake.url)
            process = run(root)
            # stopped somewhere inside its stages: timed from the moment a stage's
            # transaction is there (the run lock's is the first), not from the start, which
            # a loaded machine stretches past any fixed wait
            _until_a_stage_runs(fake, process)
            time.sleep(rng.uniform(0.0, 1.0))
            label = f"trial {trial}"
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGSTOP)
                time.sleep(LEASE_MS / 1000 + rng.uniform(0.5, 1.5))
                os.killpg(process.pid, signal.SIGCONT)
                suspended += 1
                label += " (suspended past the lease)"
            code, err = finish(process)
            assert code in (0, 1), f"{label}: {err}"
            if code == 0:
                assert tables(fake) == reference["tables"], f"{label}: rows differ"
            else:  # the stage says its transaction ended, not some other failure
                failed += 1
                errors = [line for line in err.splitlines() if line.startswith("error:")]
                assert errors and all("transaction" in line.lower() for line in errors), \
                    f"{label}: {err}"
            check_resumed(root, fake, reference, label)
        finally:
            fake.stop()
    # the trials must have suspended runs, and some of them must have ended a stage's
    # transaction before it committed (else nothing was tried)
    assert suspended >= TRIALS // 2 and failed >= 1, (suspended, failed)
