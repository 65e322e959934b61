"""A stage is all or nothing in prod too: one YT transaction per stage attempt, on the fake
proxy, whose transactions behave as a cluster's (copy-on-write branches, shared locks for
appends, a lease that ends an unpinged transaction: the Transactions page of the Cypress
docs; ytsaurus-client's `Transaction` pings every timeout/3 and sends `timeout`).

- a stage that appends and then fails leaves every table as it was; with `retry:` the
  rows land once;
- 2-8 parallel stages, and two runs at once, appending to one table keep every row;
- SIGKILL at seeded crash points and at random times, then `--resume`: exactly the rows of
  an uninterrupted run, every table checked row by row; a kill between the journal record
  and the YT commit is finished by the next run while the transaction lives, and re-runs
  the stage once it has expired.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_commit_kills import make as make_dev
from warm_bytecode import bytecode_env

from yt_pipeline.testing import write_pipeline
from yt_pipeline_prod.fake.yql_tables import yql_schema
from yt_pipeline_prod.testing import TEST_TOKEN, start_fake_proxy

TRIALS = int(os.environ.get("YTP_PROD_KILL_TRIALS", "12"))
#: the stage transactions' lease: a killed run's transactions end this soon
LEASE_MS = 1500
#: the run lock's lease: longer than a trial's wait for the stage leases, so that a resume
#: still finds the killed run's lock and takes it over. A run killed after starting its
#: lock's transaction but before locking leaves a transaction that holds nothing, which no
#: take-over finds: every later wait_for_lease waits for its lease (with the default 120 s,
#: a trial of the random kills took two minutes more)
RUN_LOCK_TIMEOUT_S = 8

#: the map stage of the dev test's pipeline, with a debug that prod can give (an
#: operation result in prod has no row counts)
MAP = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Mapped(BaseStage):
    def run(self, debug):
        result = run_map(self, self.config.client.operations.map)
        debug["mapped"] = result.operation_id is not None
        return debug
"""
FLAKY = """
from pathlib import Path

from yt_pipeline import BaseStage
from yt_pipeline.errors import BackendError


class Flaky(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.write_table("//k/all", [{"stage": "flaky", "id": i} for i in range(100)],
                       append=True)
        assert yt.row_count("//k/all") == 101, "the stage sees its own append"
        tries = Path(__file__).with_name("tries")
        tries.write_text(tries.read_text() + "x" if tries.exists() else "x")
        if len(tries.read_text()) <= int({fail_times}):
            raise BackendError("failing after the append")  # a retryable error
        return debug
"""


def prod_options(lease_ms: int = LEASE_MS) -> dict[str, Any]:
    return {"retries": False, "poll_interval_s": 0.05, "run_lock_timeout_s": RUN_LOCK_TIMEOUT_S,
            "yt_config": {"transaction_sleep_period": 5, "transaction_timeout": lease_ms}}


def make(root: Path, url: str) -> Path:
    """The dev kill tests' pipeline, in prod on the fake proxy."""
    make_dev(root)
    config = json.loads((root / "configs/config.yaml").read_text())
    config["pipeline"] = {"mode": "prod", "workers": 3, "build_folder": "//k/build",
                          "prod": prod_options()}
    (root / "configs/config.yaml").write_text(json.dumps(config))
    (root / "configs/secrets.env").write_text(f"YT_PROXY={url}\nYT_TOKEN={TEST_TOKEN}\n")
    (root / "stages/m/stage.py").write_text(MAP)
    return root


def run(root: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "yt_pipeline", "run", str(root), *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            env={**os.environ, **bytecode_env(), **(env or {})})


def finish(process: subprocess.Popen) -> tuple[int, str]:
    _, err = process.communicate(timeout=300)
    return process.returncode, err


def tables(fake: Any) -> dict[str, Counter]:
    found = {}
    for name in ("events", "all", "log", "summary"):
        try:
            rows = fake.rows(f"//k/{name}")
        except KeyError:
            continue
        found[name] = Counter(json.dumps(row, sort_keys=True) for row in rows)
    return found


def outcome(root: Path) -> tuple[dict, dict]:
    statuses = yaml.safe_load((root / "state.prod.yml").read_text())
    entries = json.loads((root / ".runs/stages.prod.json").read_text())
    return statuses, {name: entry["debug"] for name, entry in entries.items()}


def wait_for_lease(fake: Any, *, but_the_run_lock: bool = False) -> None:
    """Let the killed run's transactions expire (the fake ends them at its next command).
    Every transaction we start has the short lease of prod_options (stage_txn.lease_ms),
    and the client's own write transactions (a write_table's, an upload's) nest in ours;
    the run's lock has RUN_LOCK_TIMEOUT_S; the wait is as long as the longest lease there
    is.
    `but_the_run_lock`: the killed run's lock on the build folder (its transaction titled
    `yt-pipeline run ...`) is left to the resumed run, which takes it over at once
    (run_lock.py)."""
    def waited() -> list[Any]:
        return [tx for tx in cypress.transactions.values()
                if not (but_the_run_lock and is_run_lock(tx))]

    # requests the killed client sent are answered first (a transaction one starts is
    # waited for too); then the transactions are looked at until they have ended, where a
    # fixed sleep of the stage lease came first
    settled = time.monotonic() + LEASE_MS / 1000 + 0.3
    while fake.state.in_flight and time.monotonic() < settled:
        time.sleep(0.01)
    cypress = fake.state.cypress
    with cypress.lock:
        longest = max((tx.timeout_s for tx in waited()), default=0.0)
    deadline = time.monotonic() + longest + 2
    while time.monotonic() < deadline:
        cypress.expire_transactions()
        with cypress.lock:
            if not waited():
                return
        time.sleep(0.1)
    raise AssertionError(f"{len(waited())} transaction(s) outlived their lease")


def is_run_lock(tx: Any) -> bool:
    return str(tx.attributes.get("title", "")).startswith("yt-pipeline run ")


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    fake = start_fake_proxy()
    try:
        root = make(tmp_path_factory.mktemp("reference") / "p", fake.url)
        points = root.parent / "points"
        code, err = finish(run(root, env={"YTP_CRASH_COUNT": str(points)}))
        assert code == 0, err
        names = [line.split(" ", 1)[1] for line in points.read_text().splitlines()]
        result = tables(fake)
        assert sum(result["all"].values()) == 900
        assert json.loads(next(iter(result["summary"]))) == {"total": 900}
        assert sum(result["log"].values()) == 4  # load, a, b, summary
        assert fake.transaction_count() == 0
        return {"tables": result, "outcome": outcome(root), "points": names}
    finally:
        fake.stop()


def check_resumed(root: Path, fake: Any, reference: dict, trial: str) -> None:
    code, err = finish(run(root, "--resume"))
    # the killed run's own lock on the build folder is taken over, never waited for
    assert "holds the cluster lock" not in err, f"{trial}: {err}"
    if code != 0 and "lock" in err.lower():
        # the killed run's transaction still held its lock: it ends with its lease
        wait_for_lease(fake)
        code, err = finish(run(root, "--resume"))
    assert code == 0, f"{trial}: --resume failed: {err}"
    got = tables(fake)
    for name, rows in reference["tables"].items():
        assert got.get(name) == rows, (
            f"{trial}: table {name} differs: missing {rows - got.get(name, Counter())}, "
            f"extra {got.get(name, Counter()) - rows}")
    assert outcome(root) == reference["outcome"], f"{trial}: state or debug differ"
    assert list((root / ".runs/journal.prod").glob("*.json")) == [], f"{trial}: journal left"
    wait_for_lease(fake)  # nothing outlives its lease: no transaction was left pinged


def test_the_prod_commit_passes_the_journal_points(reference):
    assert {"journal: before the commit record", "journal: after the commit record",
            "prod: committed", "state: before the statuses"} <= set(reference["points"])


@pytest.mark.slow
def test_kills_at_crash_points_then_resume_give_the_rows_of_one_run(tmp_path, reference):
    rng = random.Random(20261204)
    count = len(reference["points"])
    picks = list(range(1, count + 1))
    rng.shuffle(picks)
    picks = (picks + [rng.randint(1, count) for _ in range(TRIALS)])[:TRIALS]
    killed = 0
    for trial, point in enumerate(picks):
        fake = start_fake_proxy()
        try:
            root = make(tmp_path / f"t{trial}", fake.url)
            label = f"trial {trial} (crash point {point} of {count})"
            code, err = finish(run(root, env={"YTP_CRASH_AT": str(point)}))
            assert code in (-signal.SIGKILL, 0), f"{label}: {err}"
            killed += code == -signal.SIGKILL
            if trial % 2:  # half resume at once, half once the killed run's leases ended
                wait_for_lease(fake, but_the_run_lock=True)
                label += " (resumed after the lease)"
            check_resumed(root, fake, reference, label)
        finally:
            fake.stop()
        shutil.rmtree(root)
    assert killed >= 0.8 * len(picks), f"only {killed} of {len(picks)} runs were killed"


@pytest.mark.slow
def test_kills_at_random_times_then_resume_give_the_rows_of_one_run(tmp_path, reference):
    rng = random.Random(20261205)
    for trial in range(max(4, TRIALS // 3)):
        fake = start_fake_proxy()
        try:
            root = make(tmp_path / f"t{trial}", fake.url)
            process = run(root)
            time.sleep(rng.uniform(0.3, 4.0))
            os.killpg(process.pid, signal.SIGKILL)
            finish(process)
            check_resumed(root, fake, reference, f"timed trial {trial}")
        finally:
            fake.stop()
        shutil.rmtree(root)


@pytest.mark.parametrize("wait", [False, True], ids=["resume-at-once", "after-the-lease"])
def test_a_kill_between_the_record_and_the_commit(tmp_path, reference, wait):
    """The journal record exists, the YT commit was not sent: the next run commits the
    transaction while it lives; once its lease has ended it was aborted, and the stages
    run again. Either way the rows are those of one run."""
    point = reference["points"].index("journal: after the commit record") + 1
    fake = start_fake_proxy()
    try:
        root = make(tmp_path / "p", fake.url)
        code, _ = finish(run(root, env={"YTP_CRASH_AT": str(point)}))
        assert code == -signal.SIGKILL
        assert list((root / ".runs/journal.prod").glob("*.json")), "no record was written"
        if wait:
            wait_for_lease(fake, but_the_run_lock=True)
        else:
            assert fake.transaction_count() >= 1  # the stage's, waiting for its commit
        check_resumed(root, fake, reference, f"wait={wait}")
    finally:
        fake.stop()


@pytest.mark.parametrize("fail_times,retries,kept", [(1, 0, 1), (1, 2, 101), (2, 2, 101), (3, 2, 1)])
def test_a_failed_attempt_leaves_no_row(tmp_path, fake_yt, run_cli, fail_times, retries,
                                        kept):
    """The stage appends 100 rows, sees them, then fails: a failed attempt's rows never
    land; with retries the successful attempt's land once."""
    fake_yt.put_table("//k/all", [{"stage": "before", "id": -1}])
    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": json.dumps({
            "pipeline": {"mode": "prod", "build_folder": "//k/build", "prod": prod_options()},
            "stages": {"enabled_stages": ["flaky"]}}),
        "configs/secrets.env": f"YT_PROXY={fake_yt.url}\nYT_TOKEN={TEST_TOKEN}\n",
        "stages/flaky/stage.py": FLAKY.replace("{fail_times}", str(fail_times)),
        "stages/flaky/config.yaml": json.dumps({"retry": {"max_attempts": retries + 1,
                                                          "backoff_s": 0.01}}),
    })
    result = run_cli("run", str(root))
    rows = fake_yt.rows("//k/all")
    assert len(rows) == kept
    assert rows[0] == {"stage": "before", "id": -1}
    assert (result.exit_code == 0) == (kept == 101)
    assert fake_yt.transaction_count() == 0


APPENDER = """
from yt_pipeline import BaseStage


class Appender(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        for batch in range(5):
            yt.write_table("//k/shared", [{"w": "{tag}" + self.name, "i": batch * 10 + n}
                                          for n in range(10)], append=True)
        return debug
"""


def appenders(root: Path, url: str, count: int, tag: str = "",
              build_folder: str = "//k/build") -> Path:
    names = [f"w{i}" for i in range(count)]
    files = {f"stages/{n}/stage.py": APPENDER.replace("{tag}", tag) for n in names}
    return write_pipeline(root, {
        "configs/config.yaml": json.dumps({
            "pipeline": {"mode": "prod", "workers": count, "build_folder": build_folder,
                         "prod": prod_options(5000)},
            "stages": {"graph": {n: [] for n in names}}}),
        "configs/secrets.env": f"YT_PROXY={url}\nYT_TOKEN={TEST_TOKEN}\n",
        **files,
    })


def _exactly_once(rows: list[dict], writers: list[str]) -> None:
    counts = Counter((row["w"], row["i"]) for row in rows)
    assert set(counts) == {(w, i) for w in writers for i in range(50)}
    assert set(counts.values()) == {1}


@pytest.mark.parametrize("count,exists", [(2, True), (8, False)])
def test_parallel_stages_appending_to_one_table_keep_every_row(tmp_path, fake_yt, run_cli,
                                                               count, exists):
    """With the table missing, each stage creates it outside its transaction: created
    inside, its name would stay locked until that stage ends and the others would fail."""
    if exists:
        fake_yt.put_table("//k/shared", [])
    result = run_cli("run", str(appenders(tmp_path / "p", fake_yt.url, count)))
    assert result.exit_code == 0, result.output
    _exactly_once(fake_yt.rows("//k/shared"), [f"w{i}" for i in range(count)])
    assert fake_yt.transaction_count() == 0


def test_two_runs_appending_at_once_keep_every_row(tmp_path, fake_yt):
    fake_yt.put_table("//k/shared", [])
    # two pipelines, so two build folders: runs of one build folder take turns (the run
    # lock, run_lock.py), runs of two pipelines share only the table
    first = appenders(tmp_path / "one", fake_yt.url, 3, tag="one-", build_folder="//k/b1")
    second = appenders(tmp_path / "two", fake_yt.url, 3, tag="two-", build_folder="//k/b2")
    runs = [run(first), run(second)]
    for process in runs:
        code, err = finish(process)
        assert code == 0, err
    _exactly_once(fake_yt.rows("//k/shared"),
                  [f"{tag}w{i}" for tag in ("one-", "two-") for i in range(3)])


YQL_STAGE = """
from pathlib import Path

from yt_pipeline import BaseStage
from yt_pipeline.errors import BackendError


class Yql(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.run_yql("INSERT INTO `//k/yql_all` SELECT id, 'yql' AS source FROM `//k/src`; "
                   "INSERT INTO `//k/yql_last` WITH TRUNCATE SELECT COUNT(*) AS n FROM `//k/src`;")
        seen = yt.row_count("//k/yql_all")
        assert seen == 4, f"the stage sees its own INSERT: {seen}"
        tries = Path(__file__).with_name("tries")
        tries.write_text(tries.read_text() + "x" if tries.exists() else "x")
        if len(tries.read_text()) <= int({fail_times}):
            raise BackendError("failing after the INSERT")  # a retryable error
        return debug
"""


def _yql_pipeline(root: Path, url: str, fail_times: int, attempts: int) -> Path:
    return write_pipeline(root, {
        "configs/config.yaml": json.dumps({
            "pipeline": {"mode": "prod", "build_folder": "//k/build", "prod": prod_options()},
            "stages": {"enabled_stages": ["yql"]}}),
        "configs/secrets.env": f"YT_PROXY={url}\nYT_TOKEN={TEST_TOKEN}\n",
        "stages/yql/stage.py": YQL_STAGE.replace("{fail_times}", str(fail_times)),
        "stages/yql/config.yaml": json.dumps({"retry": {"max_attempts": attempts,
                                                        "backoff_s": 0.01}}),
    })


@pytest.mark.parametrize("fail_times,attempts", [(1, 1), (1, 3)])
def test_yql_inserts_are_part_of_the_stage(tmp_path, fake_yt, run_cli, fail_times, attempts):
    """The query tracker runs a query outside transactions; its INSERTs go to staging
    tables that the stage's transaction then copies (WITH TRUNCATE) or appends: a failed
    attempt's INSERTs never land, a retried one lands once."""
    fake_yt.put_table("//k/src", [{"id": 1}, {"id": 2}])
    seeded = [{"id": 0, "source": "before"}, {"id": 9, "source": "before"}]
    # an append target YQL accepts has a schema, as a YQL INSERT gives it
    fake_yt.put_table("//k/yql_all", seeded)
    with fake_yt.state.cypress.lock:
        node = fake_yt.state.cypress.get_node("//k/yql_all", None)
        node.attributes["schema"] = yql_schema([("id", "BIGINT"), ("source", "VARCHAR")])
    fake_yt.put_table("//k/yql_last", [{"n": -1}])
    result = run_cli("run", str(_yql_pipeline(tmp_path / "p", fake_yt.url, fail_times,
                                              attempts)))
    rows = sorted(fake_yt.rows("//k/yql_all"), key=lambda r: (r["source"], r["id"]))
    if attempts == 1:
        assert result.exit_code != 0
        assert rows == seeded
        assert fake_yt.rows("//k/yql_last") == [{"n": -1}]
    else:
        assert result.exit_code == 0, result.output
        assert rows == seeded + [{"id": 1, "source": "yql"}, {"id": 2, "source": "yql"}]
        assert fake_yt.rows("//k/yql_last") == [{"n": 2}]
    staging = fake_yt.state.cypress.lookup("//tmp/yt_pipeline/yql_results", None)
    leftovers = fake_yt.state.cypress.subtree("//tmp/yt_pipeline/yql_results", None) \
        if staging else []
    assert [p for p in leftovers if p != "//tmp/yt_pipeline/yql_results"] == []
    assert fake_yt.transaction_count() == 0
