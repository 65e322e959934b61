"""A flaky YT proxy: 503 answers, dropped connections and answers slower than the client's
request timeout, on table writes and reads, code upload, operation start and polling.

A few faults in a row are retried and the run gives exactly the rows of an undisturbed
run. Faults that never stop fail the run within a bounded time, with one error line naming
what was being done, and every table is either complete or exactly as it was before.
"""

from __future__ import annotations

import pytest

pytest.importorskip("yt_pipeline_prod")

from prod_pipeline import (  # noqa: E402 - after the skip
    AFTER,
    ATTEMPTS,
    BEFORE,
    REQUEST_TIMEOUT_S,
    STAGE_OUTPUTS,
    retry_options,
    run_pipeline,
    seed_tables,
    table_or_none,
    write_prod_pipeline,
)

from yt_pipeline_prod.testing import TEST_PROD_OPTIONS, TEST_TOKEN  # noqa: E402

#: command -> (stage that issues it, what the error line must name)
COMMANDS = {
    "write_table": ("load", "write_table //home/faults/words"),
    "write_file": ("upper", "upload code archive //home/faults/build/"),
    "start_operation": ("upper", "start map operation"),
    "get_operation": ("upper", "map operation"),
    "read_table": ("report", "read_table //home/faults/upper"),
}
KINDS = ("fail", "drop", "slow")
TRANSIENT = ATTEMPTS - 1
PERSISTENT = 10_000
#: a slow answer comes this much later than the client is willing to wait
SLOW_S = REQUEST_TIMEOUT_S * 2.5
#: a run that meets a persistent fault ends within this many seconds
FAIL_WITHIN_S = 10.0

CASES = [pytest.param(command, kind, id=f"{command}-{kind}")
         for command in COMMANDS for kind in KINDS]


@pytest.fixture
def fake(fake):
    seed_tables(fake)
    return fake


@pytest.fixture
def pipeline(tmp_path, fake):
    return write_prod_pipeline(tmp_path / "p", fake.url, {"YT_TOKEN": TEST_TOKEN})


def inject(fake, command: str, kind: str, count: int) -> None:
    if kind == "fail":
        fake.faults.fail_next(command, count, status=503)
    elif kind == "drop":
        fake.faults.drop_next(command, count)
    else:
        fake.faults.delay_next(command, SLOW_S, count)


def operations_run(fake) -> int:
    return len(fake.state.operations)


@pytest.mark.parametrize(("command", "kind"), CASES)
def test_transient_faults_are_retried_and_the_run_gives_the_right_rows(fake, tmp_path,
                                                                       command, kind):
    # attempts to spare beyond the injected faults: on a busy machine an ordinary answer
    # may now and then take longer than the short request timeout too
    pipeline = write_prod_pipeline(tmp_path / "p", fake.url, {"YT_TOKEN": TEST_TOKEN},
                                   retry_options(attempts=TRANSIENT + 3))
    inject(fake, command, kind, TRANSIENT)
    run = run_pipeline(pipeline)
    assert run.result.exit_code == 0, run.result.output
    assert fake.faults.fired[command] == TRANSIENT
    for path, rows in AFTER.items():
        assert fake.rows(path) == rows, path
    # a start that was retried after a slow or lost answer still runs one operation
    assert operations_run(fake) == 1
    assert TEST_TOKEN not in run.result.output


@pytest.mark.parametrize(("command", "kind"), CASES)
def test_persistent_faults_fail_in_bounded_time_and_leave_tables_whole(fake, pipeline,
                                                                       command, kind):
    failing_stage, names = COMMANDS[command]
    inject(fake, command, kind, PERSISTENT)
    run = run_pipeline(pipeline)
    assert run.result.exit_code == 1, run.result.output
    assert run.seconds < FAIL_WITHIN_S, run.result.output
    assert fake.faults.fired[command] >= 2  # retried before giving up

    [error] = run.error_lines
    assert f"stage {failing_stage} failed" in error and names in error, error
    # the client's retries are reported in short lines, not as dumps of each request
    assert "Traceback" not in run.result.output
    assert "request_headers" not in run.result.output
    assert max(len(line) for line in run.result.output.splitlines()) < 400
    assert TEST_TOKEN not in run.result.output

    # stages before the failing one finished; its own tables and later ones are untouched
    stages = list(STAGE_OUTPUTS)
    done = stages[: stages.index(failing_stage)]
    # requests the client gave up on may still be answered late: let them land first
    fake.faults.clear()
    fake.wait_idle()
    for stage, paths in STAGE_OUTPUTS.items():
        for path in paths:
            expected = AFTER[path] if stage in done else BEFORE[path]
            assert table_or_none(fake, path) == expected, (stage, path)
    assert fake.transaction_count() == 0, "a transaction was left open"


@pytest.mark.parametrize("command", list(COMMANDS))
def test_with_retries_off_one_failed_attempt_fails_the_run_at_once(tmp_path, fake, command):
    assert TEST_PROD_OPTIONS["retries"] is False
    root = write_prod_pipeline(tmp_path / "p", fake.url, {"YT_TOKEN": TEST_TOKEN},
                               prod_options=TEST_PROD_OPTIONS)
    failing_stage, names = COMMANDS[command]
    inject(fake, command, "fail", PERSISTENT)
    run = run_pipeline(root)
    assert run.result.exit_code == 1, run.result.output
    # one attempt, and no back-off sleep before giving up (a generous bound: the machine
    # may be busy; the run takes about 2 s)
    assert fake.faults.fired[command] == 1
    assert run.seconds < 15, run.result.output
    [error] = run.error_lines
    assert f"stage {failing_stage} failed" in error and names in error, error
