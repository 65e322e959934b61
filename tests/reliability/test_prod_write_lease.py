"""A run killed in the middle of a write outside a stage's transaction holds the table's
lock no longer than the client's `transaction_timeout`.

write_table (and an operation) runs in a transaction of our own; outside a stage it is not
nested in anything, so only its lease ends it once the process is gone: a master aborts a
transaction nobody pings when its timeout runs out and releases its locks (the "Transaction
timeout" and "Locks" sections of the Transactions page of the Cypress docs;
`TTransactionManager::OnTransactionExpired` in yt/yt/server/master/transaction_server/
transaction_manager.cpp). Given no `timeout`, ytsaurus-client's `Transaction.__init__`
(yt/wrapper/transaction.py) takes the largest of the proxy retries' total_timeout (2 min),
request_timeout and transaction_timeout: the killed run's lock stayed two minutes whatever
transaction_timeout said. The fake proxy aborts a transaction whose lease ran out at its
next command, with its nested ones (fake/cypress.py `expire_transactions`).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

pytest.importorskip("yt_pipeline_prod")

from yt_pipeline_prod.client import ProdClient  # noqa: E402
from yt_pipeline_prod.settings import ProdSettings  # noqa: E402
from yt_pipeline_prod.testing import TEST_TOKEN, start_fake_proxy  # noqa: E402

TABLE = "//home/lease/t"
OLD = [{"i": i, "who": "old"} for i in range(3)]
NEW = [{"i": i, "who": "new"} for i in range(4)]
#: the client's transaction_timeout in these tests, milliseconds
LEASE_MS = 1500
#: how long after the kill the lock may still be held: the lease, the last ping before the
#: kill being up to a third of it late (it counts from then), and some scheduling
SLACK_S = 2.5


def settings(url: str) -> ProdSettings:
    return ProdSettings(proxy=url, token=TEST_TOKEN, retries=False, poll_interval_s=0.05,
                        yt_config={"transaction_sleep_period": 5,
                                   "transaction_timeout": LEASE_MS})


#: a run writing KILLED to TABLE, SIGKILLed once its rows are in its transaction (checked
#: by check_rows_landed, just before the commit)
KILLED_WRITER = textwrap.dedent("""
    import os, signal, sys
    import yt_pipeline_prod.client as client_module
    from yt_pipeline_prod.client import ProdClient
    from yt_pipeline_prod.settings import ProdSettings

    def killed(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    client_module.check_rows_landed = killed
    url, token, lease, table, append = sys.argv[1:6]
    client = ProdClient(ProdSettings(
        proxy=url, token=token, retries=False, poll_interval_s=0.05,
        yt_config={"transaction_sleep_period": 5, "transaction_timeout": int(lease)}))
    rows = [{"i": i, "who": "killed"} for i in range(50)]
    client.write_table(table, rows, append=append == "append")
    sys.exit("the write was not killed")
""")


def kill_mid_write(url: str, append: bool) -> float:
    """Run the killed writer; the time it died."""
    process = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, url, TEST_TOKEN, str(LEASE_MS), TABLE,
         "append" if append else "overwrite"],
        capture_output=True, text=True, timeout=120)
    died = time.monotonic()
    assert process.returncode == -9, process.stderr
    return died


@pytest.mark.parametrize("killed_append,then_append", [(False, True), (True, False)],
                         ids=["killed-overwrite-then-append", "killed-append-then-overwrite"])
def test_a_write_killed_outside_a_stage_holds_its_lock_only_for_the_lease(
        killed_append, then_append):
    fake = start_fake_proxy()
    client = ProdClient(settings(fake.url))
    try:
        fake.put_table(TABLE, OLD)
        died = kill_mid_write(fake.url, killed_append)
        # the killed write's transaction is alive (the fake ends it at its next command
        # once its lease is over), locking the table, its rows in it, the table as it was
        cypress = fake.state.cypress
        with cypress.lock:
            locks = cypress.locks.held(cypress.lookup(TABLE, None).id)
            titles = {cypress.transactions[lock.tx].attributes.get("title") for lock in locks
                      if lock.mode != "snapshot"}
        assert titles == {f"yt-pipeline write {TABLE}"}, titles
        assert fake.rows(TABLE) == OLD

        # Another writer: refused while the killed run's lock lasts (an exclusive lock
        # against a shared one, either way round), let in once its lease has run out.
        while True:
            try:
                client.write_table(TABLE, NEW, append=then_append)
                break
            except Exception as error:  # noqa: BLE001 - the refusal is checked just below
                assert "lock" in str(error).lower(), error
                assert time.monotonic() - died < LEASE_MS / 1000 + SLACK_S, (
                    f"the killed write's lock outlived transaction_timeout={LEASE_MS} ms: "
                    f"{error}")
                time.sleep(0.1)

        # whole rows: the killed write's never land, the new ones land once
        expected = OLD + NEW if then_append else NEW
        assert fake.rows(TABLE) == expected
        assert fake.transaction_count() == 0  # the killed run's nested ones ended too
    finally:
        client.close()
        fake.stop()


#: a run uploading a local file for its jobs, SIGKILLed in the middle of the file's bytes
#: (ytsaurus-client's write_file has started its own transaction by then)
KILLED_UPLOAD = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import yt.wrapper
    from yt_pipeline_prod.client import ProdClient
    from yt_pipeline_prod.settings import ProdSettings
    from yt_pipeline_prod.upload import ensure_file_uploaded

    original = yt.wrapper.YtClient.write_file

    def killed(self, path, stream, **kwargs):
        def chunks():
            yield stream.read(100)
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self, path, chunks(), **kwargs)

    yt.wrapper.YtClient.write_file = killed
    url, token, lease, local = sys.argv[1:5]
    client = ProdClient(ProdSettings(
        proxy=url, token=token, retries=False, poll_interval_s=0.05,
        build_folder="//home/lease/build",
        yt_config={"transaction_sleep_period": 5, "transaction_timeout": int(lease)}))
    ensure_file_uploaded(client, Path(local))
    sys.exit("the upload was not killed")
""")


def test_an_upload_killed_midway_leaves_no_transaction_past_the_lease(tmp_path):
    """ytsaurus-client writes a file in a transaction of its own whose lease is the larger
    of `heavy_request_timeout` (60 s) and `transaction_timeout` (`make_write_request` in
    yt/wrapper/heavy_commands.py): an upload (outside any stage's transaction) killed
    midway left it for a minute. In a transaction of ours it ends with ours."""
    local = tmp_path / "model.bin"
    local.write_bytes(bytes(range(256)) * 40)
    fake = start_fake_proxy()
    client = ProdClient(ProdSettings(
        proxy=fake.url, token=TEST_TOKEN, retries=False, poll_interval_s=0.05,
        build_folder="//home/lease/build",
        yt_config={"transaction_sleep_period": 5, "transaction_timeout": LEASE_MS}))
    try:
        process = subprocess.run(
            [sys.executable, "-c", KILLED_UPLOAD, fake.url, TEST_TOKEN, str(LEASE_MS),
             str(local)], capture_output=True, text=True, timeout=120)
        died = time.monotonic()
        assert process.returncode == -9, process.stderr
        assert fake.transaction_count() >= 1  # the killed upload's, still alive
        cypress = fake.state.cypress
        while True:
            cypress.expire_transactions()
            with cypress.lock:
                left = [(tx.timeout_s, tx.attributes.get("title"))
                        for tx in cypress.transactions.values()]
            if not left:
                break
            assert time.monotonic() - died < LEASE_MS / 1000 + SLACK_S, (
                f"the killed upload's transactions outlived transaction_timeout={LEASE_MS} "
                f"ms: {left}")
            time.sleep(0.1)

        # the next run uploads the file whole, once
        from yt_pipeline_prod.upload import ensure_file_uploaded

        target = ensure_file_uploaded(client, local)
        assert fake.file_bytes(target) == local.read_bytes()
        assert fake.transaction_count() == 0
    finally:
        client.close()
        fake.stop()
