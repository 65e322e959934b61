"""Answers lost after the cluster acted: the proxy does the work of a request, then the
connection closes before the answer reaches the client (the fake's `lose_answer_next`).

The client retries a mutating command with the mutation id of its first attempt and
`retry=true` (`_MakeRequestParams` in yt/wrapper/http_helpers.py), and a cluster answers
such a retry from its response keeper instead of doing the work twice; the fake does so too
(FakeState.once). A table write is different: ytsaurus-client sends each chunk of it in a
transaction of its own and, when anything in that fails, writes the chunk again in a new
one (`WriteRequestRetrier.action` in yt/wrapper/heavy_commands.py; every chunk after the
first, and the first one of an append, has `append=true`: `make_write_request`). When the
answer to the commit of a chunk's transaction is lost on every attempt of that commit, the
chunk has landed and is sent a second time: the write returned, and rows were doubled (now
the write counts the rows that landed: yt_pipeline_prod/write_count.py).

Whatever answer is lost, a run gives the rows of one run: at once when the retries hide it,
else after `--resume`; every table is compared with the expected rows as a multiset.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("yt_pipeline_prod")

from prod_pipeline import (  # noqa: E402 - after the skip
    AFTER,
    ATTEMPTS,
    retry_options,
    run_pipeline,
    seed_tables,
    table_or_none,
    write_prod_pipeline,
)

from yt_pipeline.testing import write_pipeline  # noqa: E402
from yt_pipeline_prod.testing import (  # noqa: E402
    TEST_PROD_OPTIONS,
    TEST_TOKEN,
    make_prod_client,
    start_fake_proxy,
)

TRIALS = int(os.environ.get("YTP_PROD_LOST_ANSWER_TRIALS", "16"))
#: generous: a lost answer is noticed at once (the connection closes), never by a timeout
REQUEST_TIMEOUT_S = 3.0

#: commands whose number of calls in a run depends on timing, not on what the run does: the
#: operation's polls and the transactions' pings. A lost answer is planned for the others,
#: at a call an undisturbed run of the same options made (`calls_of_a_run`).
TIMED_CALLS = ("get_operation", "ping_transaction")

LOG = "//home/lost/log"
PUT = "//home/lost/put"
APPEND_STAGE = f"""
from yt_pipeline import BaseStage


class Add(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("{LOG}", [{{"n": n}} for n in range(3)], append=True)
        return debug
"""
OVERWRITE_STAGE = f"""
from yt_pipeline import BaseStage


class Put(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("{PUT}", [{{"k": k}} for k in range(5)])
        return debug
"""
WRITES_BEFORE = {LOG: [{"n": -1}], PUT: [{"k": -1}]}
WRITES_AFTER = {LOG: [{"n": -1}] + [{"n": n} for n in range(3)],
                PUT: [{"k": k} for k in range(5)]}
#: commit_transaction calls of an undisturbed run of the two writing stages, with every
#: row its own chunk
WRITE_COMMITS = 17


def as_multiset(rows: list[dict[str, Any]] | None) -> Counter[str] | None:
    return None if rows is None else Counter(repr(sorted(row.items())) for row in rows)


def run_then_resume(root: Path, fake: Any) -> tuple[Any, Any]:
    """Run with the planned faults; when the run fails, resume it with none left."""
    first = run_pipeline(root)
    fake.faults.clear()
    fake.wait_idle()  # answers the client gave up on land first
    if first.result.exit_code == 0:
        return first.result, None
    return first.result, run_pipeline(root, "--resume").result


def wrong_tables(fake: Any, expected: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {path: table_or_none(fake, path) for path, rows in expected.items()
            if as_multiset(table_or_none(fake, path)) != as_multiset(rows)}


def with_new_code(root: Path, mark: str) -> Path:
    """`root` with a job file no other run had: its code archive is uploaded (write_file,
    move), where one already on the cluster is not sent again."""
    (root / "stages/upper/src/mark.py").write_text(f"MARK = {mark!r}\n")
    return root


def calls_of_a_run(fake: Any, root: Path) -> Counter[str]:
    """The calls of each command an undisturbed run of `root` sends (the run lock's
    included: a lost answer to `lock` or to its `abort_transaction` is one to plan too)."""
    before = Counter(fake.state.calls)
    done = run_pipeline(root).result
    assert done.exit_code == 0, done.output
    seed_tables(fake)
    return Counter(fake.state.calls) - before


@pytest.mark.slow
def test_a_lost_answer_anywhere_gives_the_rows_of_one_run(fake, tmp_path):
    seed_tables(fake)
    # half the trials with the client's retries on (mutations carry their ids), half with
    # them off (a lost answer fails the run, and --resume finishes it); each sends calls of
    # its own (a write with retries commits each chunk in a transaction of its own)
    modes = [retry_options(attempts=ATTEMPTS + 1, timeout_s=REQUEST_TIMEOUT_S),
             TEST_PROD_OPTIONS]
    calls = [calls_of_a_run(fake, with_new_code(write_prod_pipeline(
        tmp_path / f"undisturbed{index}", fake.url, {"YT_TOKEN": TEST_TOKEN}, options),
        f"undisturbed {index}")) for index, options in enumerate(modes)]
    assert all(each["lock"] >= 1 and each["abort_transaction"] >= 1 and each["write_file"] == 1
               for each in calls), calls
    rng = random.Random(20261206)
    bad, missed = [], []
    for trial in range(TRIALS):
        options, counts = modes[trial % 2], calls[trial % 2]
        command = rng.choice(sorted(c for c in counts if c not in TIMED_CALLS))
        skip, count = rng.randrange(counts[command]), rng.choice((1, 1, 2))
        root = with_new_code(write_prod_pipeline(tmp_path / f"p{trial}", fake.url,
                                                 {"YT_TOKEN": TEST_TOKEN}, options),
                             f"trial {trial}")
        fired = fake.faults.fired[command]
        fake.faults.lose_answer_next(command, count, skip=skip)
        first, resumed = run_then_resume(root, fake)
        assert resumed is None or resumed.exit_code == 0, resumed.output
        if fake.faults.fired[command] == fired:  # the planned call never came
            missed.append((command, skip))
        wrong = wrong_tables(fake, AFTER)
        if wrong:
            bad.append((command, skip, count, wrong))
        seed_tables(fake)  # the next trial starts from the same tables
    assert not bad, f"{len(bad)} of {TRIALS} trials lost or doubled rows: {bad}"
    assert not missed, f"trials whose lost answer never happened: {missed}"


def test_a_lost_answer_is_a_failure_for_a_change_that_happened(fake):
    """What the fault does: the table is made, the client hears nothing (its retries are
    off here), and the next call is answered again."""
    fake_yt, prod_client = fake, make_prod_client(fake)
    fake_yt.faults.lose_answer_next("create", skip=1)
    prod_client.create_path("//home/lost/first", "table")  # the skipped call: answered
    with pytest.raises(Exception) as failure:
        prod_client.create_path("//home/lost/second", "table")
    assert "Connection aborted" in str(failure.value) or "closed" in str(failure.value)
    assert fake_yt.faults.fired["create"] == 1
    assert fake_yt.rows("//home/lost/second") == []
    prod_client.create_path("//home/lost/third", "table")
    assert fake_yt.rows("//home/lost/third") == []


def write_writing_pipeline(root: Path, fake: Any) -> Path:
    options = retry_options(attempts=ATTEMPTS, timeout_s=REQUEST_TIMEOUT_S)
    # every row its own chunk (the client's `write_retries/chunk_size`, in bytes), so that
    # a write is many chunks, as a large one is with the default 128 MB
    options["yt_config"]["write_retries"] = dict(options["yt_config"]["write_retries"],
                                                 chunk_size=1)
    config = {"pipeline": {"mode": "prod", "build_folder": "//home/lost/build",
                           "prod": options},
              "stages": {"enabled_stages": ["add", "put"]}}
    files = {"configs/secrets.env": f"YT_PROXY={fake.url}\nYT_TOKEN={TEST_TOKEN}\n",
             "stages/add/stage.py": APPEND_STAGE, "stages/put/stage.py": OVERWRITE_STAGE}
    return write_pipeline(root, files, config=config)


@pytest.mark.slow
def test_a_chunk_commit_whose_answers_are_all_lost_is_not_written_twice(fake, tmp_path):
    """Every attempt of one commit_transaction loses its answer (ATTEMPTS of them: the
    client's light retries all fail), for each commit of the run in turn. Before the
    writes checked the rows they added, 7 of 14 such trials doubled a chunk of a write:
    a row of the append, or a row after the first of the overwrite."""
    bad = []
    trials = 0
    for skip in range(WRITE_COMMITS - 3):  # the last commits are the archive's and marks'
        for path, rows in WRITES_BEFORE.items():
            fake.put_table(path, rows)
        root = write_writing_pipeline(tmp_path / f"p{skip}", fake)
        fake.faults.lose_answer_next("commit_transaction", ATTEMPTS, skip=skip)
        first, resumed = run_then_resume(root, fake)
        assert resumed is None or resumed.exit_code == 0, resumed.output
        trials += 1
        if skip == 0:  # the first chunk of the append is sent twice: the write says so
            assert first.exit_code == 1, first.output
            assert ("write_table //home/lost/log: 4 rows landed for the 3 sent"
                    in first.output), first.output
        wrong = wrong_tables(fake, WRITES_AFTER)
        if wrong:
            bad.append((skip, first.exit_code, wrong))
    assert not bad, f"{len(bad)} of {trials} trials doubled rows: {bad}"


@pytest.mark.slow
def test_an_archive_chunk_sent_twice_is_never_unpacked_by_jobs(tmp_path, monkeypatch):
    """The code archive goes up in chunks as a table does (here of 1 KB: an archive of the
    default 128 MB chunks would be too slow to build). A chunk whose commit answers were
    all lost landed twice, the broken archive was moved under its final name, and every
    job of the run failed unpacking it ("Failed jobs limit exceeded"): the upload now
    compares the bytes that landed with the bytes sent and fails, naming itself."""
    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    options = retry_options(attempts=ATTEMPTS, timeout_s=REQUEST_TIMEOUT_S)
    options["yt_config"]["write_retries"] = dict(options["yt_config"]["write_retries"],
                                                 chunk_size=1024)
    # one chunk after another, as a write of less than two chunks' size (size_hint) goes
    # (`write_file` in yt/wrapper/file_commands.py)
    options["yt_config"]["write_parallel"] = {"enable": False}
    named = 0
    for skip in range(4, 9):  # the commits of the archive's chunks, in an undisturbed run
        proxy = start_fake_proxy()  # each trial uploads the archive: a proxy of its own
        try:
            seed_tables(proxy)
            root = write_prod_pipeline(tmp_path / f"p{skip}", proxy.url,
                                       {"YT_TOKEN": TEST_TOKEN}, options)
            proxy.faults.lose_answer_next("commit_transaction", ATTEMPTS, skip=skip)
            first, resumed = run_then_resume(root, proxy)
            assert "Failed jobs limit" not in first.output, first.output
            if "bytes landed for the" in first.output:
                named += 1
                assert "error: stage upper failed: upload code archive //home/faults/" \
                    "build/" in first.output, first.output
            assert resumed is None or resumed.exit_code == 0, resumed.output
            assert not wrong_tables(proxy, AFTER), skip
        finally:
            proxy.stop()
    assert named >= 3, named

