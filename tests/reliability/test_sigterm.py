"""SIGTERM (`kill <pid>`, a CI job's timeout, `docker stop`) ends a run as Ctrl-C does: the
run is recorded as interrupted and says how to resume, its lock is let go, its jobs stop,
nothing half-written is left, and `--resume` finishes with every row once. Exit code 143
(128 + SIGTERM), as a shell reports a process SIGTERM ended. Before, a dev run died on the
spot (exit -15: its record still said RUNNING and nothing said how to go on), and prod took
SIGTERM for Ctrl-C (exit 130) only while it held its cluster lock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from yt_pipeline.testing import write_pipeline

ROWS = [{"i": i, "name": f"n{i}"} for i in range(50)]

WRITE = """
from yt_pipeline import BaseStage


class Write(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//t/in", [{"i": i, "name": f"n{i}"} for i in range(50)])
        return debug
"""

COPY = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Copy(BaseStage):
    def run(self, debug):
        run_map(self, self.config.client.operations.map)
        return debug
"""

# The job notes its pid, then waits for a file the test removes before it resumes.
MAPPER = """
import os
import time
from pathlib import Path

from ytjobs import read_rows, write_rows

rows = list(read_rows())
Path(os.environ["PID_DIR"], str(os.getpid())).write_text("")
while Path(os.environ["HOLD"]).exists():
    time.sleep(0.05)
write_rows(dict(row, copied=True) for row in rows)
"""

MAP_CONFIG = """
client:
  operations:
    map:
      input_table: //t/in
      output_table: //t/out
      resources:
        job_count: 2
      env:
        PID_DIR: {pids}
        HOLD: {hold}
"""


def _pipeline(root: Path) -> Path:
    pids, hold = root.parent / "pids", root.parent / "hold"
    pids.mkdir(parents=True)
    hold.write_text("")
    return write_pipeline(root, {
        "stages/write/stage.py": WRITE,
        "stages/copy/stage.py": COPY,
        "stages/copy/config.yaml": MAP_CONFIG.format(pids=pids, hold=hold),
        "stages/copy/src/mapper.py": MAPPER,
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["write", "copy"]}})


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (ended, not yet reaped by its parent) has stopped too
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def _rows(root: Path, table: str) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "yt_pipeline", "table", "head", table,
                           "-n", "1000", "-C", str(root), "--format", "json"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def _going_within(run: subprocess.Popen, deadline: float) -> None:
    """Fail, with what the run printed, if it has ended or `deadline` has passed. It is
    killed first: still going, it waits on its held jobs, and reading its output until it
    ends hung the test instead of failing it (seen on a loaded machine)."""
    if run.poll() is None and time.monotonic() < deadline:
        return
    run.kill()
    pytest.fail(f"the run ended, or did not get there within 60 s: {run.communicate()}")


def _started(root: Path, waiting: Callable[[], bool], merged: bool = False,
             command: list[str] | None = None) -> subprocess.Popen:
    """`yt_pipeline run root` (or `command`), once `waiting()` says its jobs run and wait
    (within 60 s); stderr joined to stdout when `merged`."""
    run = subprocess.Popen(command or [sys.executable, "-m", "yt_pipeline", "run", str(root)],
                           stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT if merged else subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not waiting():
        _going_within(run, deadline)
        time.sleep(0.02)
    return run


def test_sigterm_during_a_dev_job_ends_the_run_as_ctrl_c_does(tmp_path):
    root = _pipeline(tmp_path / "p")
    pids = tmp_path / "pids"
    run = _started(root, lambda: len(list(pids.iterdir())) >= 2)  # both jobs run, and wait
    run.send_signal(signal.SIGTERM)
    _out, err = run.communicate(timeout=30)
    assert run.returncode == 143, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("interrupted by SIGTERM; to resume: yt-pipeline run "), err
    assert last.endswith("--resume"), err
    assert "Traceback" not in err, err
    # the jobs the exit kills are stopped, not failed: no attempt runs again
    assert "running it again" not in err, err

    [record] = [json.loads(p.read_text()) for p in (root / ".runs").glob("2*.json")]
    assert record["status"] == "INTERRUPTED"
    assert record["stages"]["write"]["outcome"] == "SUCCESS"
    assert not (root / ".runs" / "dev.lock").exists()
    # the jobs stop with the run that started them
    jobs = [int(p.name) for p in pids.iterdir()]
    deadline = time.monotonic() + 20
    while any(map(_alive, jobs)):
        assert time.monotonic() < deadline, f"jobs {jobs} outlived the run"
        time.sleep(0.05)

    (tmp_path / "hold").unlink()
    resumed = subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root), "--resume"],
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert "write" not in [line.split()[0] for line in resumed.stderr.splitlines()
                           if line.strip().endswith("s") and "SUCCESS" in line]
    assert sorted(_rows(root, "//t/out"), key=lambda r: r["i"]) == [
        dict(row, copied=True) for row in ROWS]
    assert sorted(_rows(root, "//t/in"), key=lambda r: r["i"]) == ROWS


SIGNALS_ITSELF = WRITE.replace("        return debug",
                               "        import os, signal\n"
                               "        os.kill(os.getpid(), signal.SIGTERM)\n"
                               "        return debug")


def test_sigterm_to_the_run_and_its_jobs_at_once_resumes_to_every_row(tmp_path):
    """systemd (KillMode=control-group) and a container's stop send SIGTERM to every process
    at once, the dev jobs too: the run still ends as after Ctrl-C, no job is run again,
    and `--resume` gives every row once."""
    root = _pipeline(tmp_path / "p")
    pids = tmp_path / "pids"
    run = _started(root, lambda: len(list(pids.iterdir())) >= 2)
    for job in pids.iterdir():
        os.kill(int(job.name), signal.SIGTERM)
    run.send_signal(signal.SIGTERM)
    _out, err = run.communicate(timeout=30)
    assert run.returncode == 143, err
    assert err.strip().splitlines()[-1].startswith("interrupted by SIGTERM; to resume: "), err
    assert "running it again" not in err, err
    (tmp_path / "hold").unlink()
    resumed = subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root), "--resume"],
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert sorted(_rows(root, "//t/out"), key=lambda r: r["i"]) == [
        dict(row, copied=True) for row in ROWS]


@pytest.mark.parametrize("mode", ["dev", "prod"])
def test_a_program_s_own_sigterm_handler_is_kept(tmp_path, request, mode):
    """A program that embeds a run and handles SIGTERM itself keeps its handler: the run
    does not take the signal from it (here the handler notes it, and the run goes on).
    Prod's run lock took SIGTERM over while it was held, whatever handler was set."""
    files = {"stages/write/stage.py": SIGNALS_ITSELF}
    pipeline = {"mode": mode}
    if mode == "prod":
        pytest.importorskip("yt_pipeline_prod")
        from yt_pipeline_prod.testing import TEST_TOKEN

        fake = request.getfixturevalue("fake")
        files["configs/secrets.env"] = f"YT_PROXY={fake.url}\nYT_TOKEN={TEST_TOKEN}\n"
        pipeline |= {"build_folder": "//t/build", "prod": {"retries": False}}
    root = write_pipeline(tmp_path / "p", files, config={
        "pipeline": pipeline, "stages": {"enabled_stages": ["write"]}})
    script = (
        "import signal, sys\n"
        "from yt_pipeline.cli import invoke\n"
        "seen = []\n"
        "def mine(signum, frame):\n"
        "    seen.append(signum)\n"
        "signal.signal(signal.SIGTERM, mine)\n"
        "code = invoke(['run', sys.argv[1]])\n"
        "print(code, seen, signal.getsignal(signal.SIGTERM) is mine)\n")
    done = subprocess.run([sys.executable, "-c", script, str(root)], capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == f"0 [{int(signal.SIGTERM)}] True", (
        done.stdout + done.stderr)
    if mode == "dev":
        assert _rows(root, "//t/in") == ROWS
    else:
        assert request.getfixturevalue("fake").rows("//t/in") == ROWS


def test_sigterm_leaves_the_default_handler_after_a_run(tmp_path):
    """In-process, a run puts SIGTERM back as it found it, for the program that goes on."""
    from yt_pipeline.term_signal import sigterm_interrupts

    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    with sigterm_interrupts():
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_sigterm_during_a_prod_operation_aborts_it_and_exits_143(fake, tmp_path):
    """ytsaurus-client's operation wait ends the operation only when it is told to
    (Operation.wait aborts on KeyboardInterrupt: yt/wrapper/operation_commands.py); the run
    aborts what its stages started as it lets go of its client."""
    pytest.importorskip("yt_pipeline_prod")
    from yt_pipeline_prod.testing import TEST_TOKEN

    fake.put_table("//home/term/in", ROWS)
    hold = tmp_path / "hold"
    hold.write_text("")
    root = write_pipeline(tmp_path / "p", {
        "configs/secrets.env": f"YT_PROXY={fake.url}\nYT_TOKEN={TEST_TOKEN}\n",
        "stages/copy/stage.py": COPY,
        "stages/copy/config.yaml": (
            "client:\n  operations:\n    map:\n      input_table: //home/term/in\n"
            "      output_table: //home/term/out\n      env:\n"
            f"        PID_DIR: {tmp_path}\n        HOLD: {hold}\n"),
        "stages/copy/src/mapper.py": MAPPER,
    }, config={"pipeline": {"mode": "prod", "build_folder": "//home/term/build",
                            "prod": {"retries": False, "poll_interval_s": 0.05}},
               "stages": {"enabled_stages": ["copy"]}})
    # the job runs
    run = _started(root, lambda: any(p.name.isdigit() for p in tmp_path.iterdir()), merged=True)
    run.send_signal(signal.SIGTERM)
    output, _ = run.communicate(timeout=60)
    assert run.returncode == 143, output
    assert output.strip().splitlines()[-1].startswith("interrupted by SIGTERM; to resume: "), output
    assert fake.calls["abort_operation"] + fake.calls["abort_transaction"] >= 1, output
    # the stage's abort takes the operation's transaction, nested in it, with it: the
    # second abort finding it gone is no failure to report
    assert "could not abort" not in output, output
    try:
        assert fake.rows("//home/term/out") == []
    except KeyError:
        pass  # no table: nothing was committed either


def _prod_map_pipeline(root: Path, fake, folder: str, pids: Path, hold: Path) -> Path:
    from yt_pipeline_prod.testing import TEST_TOKEN

    fake.put_table(f"{folder}/in", ROWS)
    return write_pipeline(root, {
        "configs/secrets.env": f"YT_PROXY={fake.url}\nYT_TOKEN={TEST_TOKEN}\n",
        "stages/copy/stage.py": COPY,
        "stages/copy/config.yaml": (
            f"client:\n  operations:\n    map:\n      input_table: {folder}/in\n"
            f"      output_table: {folder}/out\n      env:\n"
            f"        PID_DIR: {pids}\n        HOLD: {hold}\n"),
        "stages/copy/src/mapper.py": MAPPER,
    }, config={"pipeline": {"mode": "prod", "build_folder": f"{folder}/build",
                            "prod": {"retries": False, "poll_interval_s": 0.05}},
               "stages": {"enabled_stages": ["copy"]}})


@pytest.mark.parametrize("again", [signal.SIGTERM, signal.SIGINT])
def test_a_second_signal_while_a_sigterm_stops_a_prod_run_does_not_cut_the_stop_short(
        fake, tmp_path, again):
    """A second SIGTERM (`kill` typed twice, a wrapper script and its service manager both
    signalling) or a Ctrl-C while the run stops after a SIGTERM: the stop goes on to its
    end. Cut short, it left the stage's and the operation's transactions alive (a second
    SIGTERM found Python's default handler once the run had returned, while the client
    aborted them: exit -15, no resume line) or the run lock's transaction (a Terminated
    raised inside its abort), and the next run was refused until its timeout. The
    operation's abort is held back here, so the second signal lands while the run waits
    for it."""
    pytest.importorskip("yt_pipeline_prod")
    pids, hold = tmp_path / "pids", tmp_path / "hold"
    pids.mkdir()
    hold.write_text("")
    root = _prod_map_pipeline(tmp_path / "p", fake, "//home/twice", pids, hold)
    fake.faults.delay_next("abort_operation", 1.5)
    run = _started(root, lambda: any(pids.iterdir()), merged=True)  # the job runs
    run.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 60
    while not fake.faults.fired["abort_operation"]:  # the run stops its operation
        _going_within(run, deadline)
        time.sleep(0.02)
    run.send_signal(again)
    output, _ = run.communicate(timeout=60)
    assert run.returncode == 143, output
    assert output.strip().splitlines()[-1].startswith("interrupted by SIGTERM; to resume: "), output
    assert "Traceback" not in output, output
    [record] = [json.loads(p.read_text()) for p in (root / ".runs").glob("2*.json")]
    assert record["status"] == "INTERRUPTED"
    assert not list((root / ".runs").glob("*.lock"))
    hold.unlink()  # the fake ends an aborted operation once its job ends
    fake.wait_idle()
    titles = [txn.attributes.get("title") for txn in fake.state.cypress.transactions.values()]
    assert titles == [], titles  # the run lock's, the stage's, the operation's: all aborted

    resumed = subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root), "--resume"],
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert sorted(fake.rows("//home/twice/out"), key=lambda r: r["i"]) == [
        dict(row, copied=True) for row in ROWS]


# The run, its stage thread slower than its end: the stage thread's abort of its stage's
# transaction, once begun, waits for the run's end (ProdClient.end_run) for up to 3 s, and
# never goes on if that end came first (the process then exits in the middle of it, as it
# did under a loaded machine); the run's end goes on only once the stage thread has begun
# that abort, after the run stopped the operation. `again`: a second signal the stage
# thread sends as it begins.
SLOW_STAGE_ABORT = """
import os, signal, sys, threading
import yt.wrapper.transaction as transactions
from yt_pipeline.cli import invoke
from yt_pipeline_prod import launcher
from yt_pipeline_prod.client import ProdClient
from yt_pipeline_prod.stage_txn import ProdStageTransaction

again = int(sys.argv[2])
stage_aborting, run_ended = threading.Event(), threading.Event()
inside = threading.local()
stage_abort, abort, stop, end_run = (ProdStageTransaction.abort, transactions.Transaction.abort,
                                     launcher._stop, ProdClient.end_run)

def slow_stage_abort(self):
    inside.stage = True
    try:
        stage_abort(self)
    finally:
        inside.stage = False

def slow_abort(self):
    if getattr(inside, "stage", False) and threading.current_thread() is not threading.main_thread():
        stage_aborting.set()
        if again:
            os.kill(os.getpid(), again)
        if run_ended.wait(3):
            threading.Event().wait()
    return abort(self)

def stop_then_wait(*args):
    stop(*args)
    stage_aborting.wait(30)

def end_run_noted(self):
    end_run(self)
    run_ended.set()

ProdStageTransaction.abort = slow_stage_abort
transactions.Transaction.abort = slow_abort
launcher._stop = stop_then_wait
ProdClient.end_run = end_run_noted
sys.exit(invoke(["run", sys.argv[1]]))
"""


@pytest.mark.parametrize("again", [0, signal.SIGTERM, signal.SIGINT])
def test_a_prod_run_stopped_while_a_stage_thread_aborts_its_transaction_waits_for_it(
        fake, tmp_path, again):
    """After a SIGTERM the run stops its operation, and the stage thread that waited on it
    fails and aborts its stage's transaction while the run's end aborts the ones it still
    finds open. The stage thread took its transaction out of the run's books before its
    abort was sent: the run's end, finding none, let go of its lock and the process exited
    in the middle of that abort, and the stage's transaction (with the operation's nested
    in it) held its table locks until its lease ran out. Seen once on a loaded machine,
    with a second signal sent as the run stopped; a second signal is not needed (0 here).
    The run's end now waits for an abort under way."""
    pytest.importorskip("yt_pipeline_prod")
    pids, hold = tmp_path / "pids", tmp_path / "hold"
    pids.mkdir()
    hold.write_text("")
    root = _prod_map_pipeline(tmp_path / "p", fake, "//home/slow", pids, hold)
    run = _started(root, lambda: any(pids.iterdir()), merged=True,  # the job runs
                   command=[sys.executable, "-c", SLOW_STAGE_ABORT, str(root), str(int(again))])
    run.send_signal(signal.SIGTERM)
    output, _ = run.communicate(timeout=60)
    assert run.returncode == 143, output
    assert output.strip().splitlines()[-1].startswith("interrupted by SIGTERM; to resume: "), output
    hold.unlink()
    fake.wait_idle()
    titles = [txn.attributes.get("title") for txn in fake.state.cypress.transactions.values()]
    assert titles == [], output  # the stage's (and the operation's in it), the run lock's

    resumed = subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root), "--resume"],
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert sorted(fake.rows("//home/slow/out"), key=lambda r: r["i"]) == [
        dict(row, copied=True) for row in ROWS]


def test_sigterm_while_a_prod_stage_uploads_the_code_archive_aborts_the_upload(fake, tmp_path):
    """A SIGTERM while a stage thread uploads the code archive: the upload's transaction was
    left to its lease (30 s), since the run's end knew nothing of it; it is aborted now, and
    the write that reaches the proxy after it is refused, as a cluster refuses a write in
    an aborted transaction (NoSuchTransaction), so nothing of it is kept."""
    pytest.importorskip("yt_pipeline_prod")
    pids, hold = tmp_path / "pids", tmp_path / "hold"
    pids.mkdir()
    root = _prod_map_pipeline(tmp_path / "p", fake, "//home/upload", pids, hold)
    fake.faults.delay_next("write_file", 3.0)
    # the archive is on its way
    run = _started(root, lambda: fake.faults.fired["write_file"], merged=True)
    run.send_signal(signal.SIGTERM)
    output, _ = run.communicate(timeout=60)
    assert run.returncode == 143, output
    assert output.strip().splitlines()[-1].startswith("interrupted by SIGTERM; to resume: "), output
    assert "Traceback" not in output, output
    time.sleep(3.5)  # the delayed write reaches the fake
    fake.wait_idle()
    titles = [txn.attributes.get("title") for txn in fake.state.cypress.transactions.values()]
    assert titles == [], output

    resumed = subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root), "--resume"],
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert sorted(fake.rows("//home/upload/out"), key=lambda r: r["i"]) == [
        dict(row, copied=True) for row in ROWS]


def test_sigterm_twice_in_a_row_stops_a_dev_run_once(tmp_path):
    """Two SIGTERMs a few milliseconds apart (to the run, or to the run and its jobs, as a
    service manager signals a control group) at seeded moments of the run's stop: each
    trial ends with exit 143 and the resume line, the run recorded INTERRUPTED and its lock
    let go, and `--resume` gives every row once. The second SIGTERM cut the stop short
    before: the lock file left behind, or the process ended by the signal itself (exit
    -15) once the run had put the default handler back."""
    from adversarial_helpers import seeded

    rng = seeded("sigterm-twice")
    for trial in range(5):
        base = tmp_path / str(trial)
        root = _pipeline(base / "p")
        pids = base / "pids"
        run = _started(root, lambda pids=pids: len(list(pids.iterdir())) >= 2)
        everyone = rng.random() < 0.5
        gap = rng.uniform(0, 0.012)
        for _ in range(2):
            for pid in [run.pid, *(int(job.name) for job in pids.iterdir() if everyone)]:
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            time.sleep(gap)
        _out, err = run.communicate(timeout=30)
        told = f"trial {trial} (jobs too: {everyone}, {gap * 1000:.1f} ms apart): {err}"
        assert run.returncode == 143, told
        assert err.strip().splitlines()[-1].startswith("interrupted by SIGTERM; to resume: "), told
        assert "Traceback" not in err and "running it again" not in err, told
        [record] = [json.loads(p.read_text()) for p in (root / ".runs").glob("2*.json")]
        assert record["status"] == "INTERRUPTED", told
        assert not (root / ".runs" / "dev.lock").exists(), told

        (base / "hold").unlink()
        resumed = subprocess.run(
            [sys.executable, "-m", "yt_pipeline", "run", str(root), "--resume"],
            capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
        assert sorted(_rows(root, "//t/out"), key=lambda r: r["i"]) == [
            dict(row, copied=True) for row in ROWS], told
        assert sorted(_rows(root, "//t/in"), key=lambda r: r["i"]) == ROWS, told


AFTER_END = "a SIGTERM came as the run ended: the run had finished, nothing was stopped"

EMBEDDED = """
import sys
from yt_pipeline import DefaultPipeline
from yt_pipeline.term_signal import Terminated

pipeline = DefaultPipeline(pipeline_dir=sys.argv[1])
try:
    pipeline.run()
    print("returned")
except Terminated:
    print("terminated")
"""


def test_sigterm_while_the_run_writes_its_end_leaves_a_finished_record(tmp_path):
    """A SIGTERM landing while the run writes its end (its state after the last stage, its
    record) or lets go of its lock: raised there, it skipped the record, which said RUNNING
    for good, and left the lock file. It is held until the end is written and the lock let
    go; the run had then finished by itself, so the command says so and exits with the
    run's code (it said "interrupted by SIGTERM", exit code 143, and how to resume a run
    recorded SUCCESS), and a program running the pipeline from Python gets the SIGTERM as
    an interrupt once run() is done. The signal lands at each crash point of the run's last
    state writes (YTP_CRASH_SIGNAL=TERM: the run sends it to itself there)."""
    from adversarial_helpers import crash_points

    counted = _pipeline(tmp_path / "count" / "p")
    (tmp_path / "count" / "hold").unlink()
    points_file = tmp_path / "count" / "points"
    done = subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(counted)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "YTP_CRASH_COUNT": str(points_file)})
    assert done.returncode == 0, done.stderr
    points = crash_points(points_file)
    last_commit = max(i for i, name in enumerate(points, 1) if "commit marker" in name)
    assert len(points) - last_commit >= 3, points  # the run's last state writes
    held = []
    for at in range(last_commit + 1, len(points) + 1):
        base = tmp_path / str(at)
        root = _pipeline(base / "p")
        (base / "hold").unlink()
        run = subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root)],
                             capture_output=True, text=True, timeout=120,
                             env={**os.environ, "YTP_CRASH_AT": str(at),
                                  "YTP_CRASH_SIGNAL": "TERM"})
        told = f"SIGTERM at point {at} ({points[at - 1]}): {run.stderr}"
        [record] = [json.loads(p.read_text()) for p in (root / ".runs").glob("2*.json")]
        last_line = run.stderr.strip().splitlines()[-1]
        if run.returncode == 0:  # held as the finished run wrote its end
            held.append(at)
            assert last_line == AFTER_END, told
            assert "resume" not in run.stderr, told
            assert record["status"] == "SUCCESS", told
        else:  # a state write of the run before its end (one saved as stages end)
            assert run.returncode == 143, told
            assert last_line.startswith("interrupted by SIGTERM; to resume: "), told
            assert record["status"] in ("SUCCESS", "INTERRUPTED"), told
        assert record["stages"]["copy"]["outcome"] == "SUCCESS", told
        assert not (root / ".runs" / "dev.lock").exists(), told
        resumed = subprocess.run(
            [sys.executable, "-m", "yt_pipeline", "run", str(root), "--resume"],
            capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
        assert sorted(_rows(root, "//t/out"), key=lambda r: r["i"]) == [
            dict(row, copied=True) for row in ROWS], told
    assert len(points) in held, held  # its very last write is the run's end's

    root = _pipeline(tmp_path / "embedded" / "p")
    (tmp_path / "embedded" / "hold").unlink()
    run = subprocess.run([sys.executable, "-c", EMBEDDED, str(root)], capture_output=True,
                         text=True, timeout=120,
                         env={**os.environ, "YTP_CRASH_AT": str(len(points)),
                              "YTP_CRASH_SIGNAL": "TERM"})
    assert run.stdout.strip() == "terminated", run.stderr
    [record] = [json.loads(p.read_text()) for p in (root / ".runs").glob("2*.json")]
    assert record["status"] == "SUCCESS"
    assert not (root / ".runs" / "dev.lock").exists()


def test_sigterm_to_a_stopped_run_then_sigcont_stops_it(tmp_path):
    """A stopped run (Ctrl-Z, `docker pause`, SIGSTOP) sent SIGTERM then SIGCONT, as
    `timeout` and a shell's `kill %1` of a stopped job do: the kernel hands the signal to
    whichever thread of the run wakes first, often not the main one, which Python alone lets
    run the handler. The main thread waited for its stages' next event with no time limit,
    so the run went on until a stage ended (here never: its jobs wait). It now looks at
    least twice a second."""
    root = _pipeline(tmp_path / "p")
    pids = tmp_path / "pids"
    run = _started(root, lambda: len(list(pids.iterdir())) >= 2)
    time.sleep(0.3)  # the main thread waits for the stage's end
    run.send_signal(signal.SIGSTOP)
    time.sleep(0.2)
    run.send_signal(signal.SIGTERM)
    run.send_signal(signal.SIGCONT)
    try:
        _out, err = run.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        (tmp_path / "hold").unlink()  # its jobs end, and the run with them
        run.communicate(timeout=60)
        pytest.fail("the run went on for 10 s after SIGTERM and SIGCONT")
    assert run.returncode == 143, err
    assert err.strip().splitlines()[-1].startswith("interrupted by SIGTERM; to resume: "), err
    assert "running it again" not in err, err
    [record] = [json.loads(p.read_text()) for p in (root / ".runs").glob("2*.json")]
    assert record["status"] == "INTERRUPTED"
    assert not (root / ".runs" / "dev.lock").exists()

    (tmp_path / "hold").unlink()
    resumed = subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root), "--resume"],
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert sorted(_rows(root, "//t/out"), key=lambda r: r["i"]) == [
        dict(row, copied=True) for row in ROWS]


def test_a_sigterm_after_an_interrupt_swallowed_in_the_run_stops_it_at_its_end(
        sigint_reaches_the_runs):
    """A Ctrl-C that code of the run caught (a plugin's hook) left the run going: a SIGTERM
    then is held back as a stop's is, and raised as the run returns, not dropped. A
    SIGTERM after that one is dropped (the run is stopping)."""
    from yt_pipeline.term_signal import Terminated, run_end_held, sigterm_interrupts

    raised = []
    with sigterm_interrupts():
        try:
            with run_end_held():
                try:
                    os.kill(os.getpid(), signal.SIGINT)
                    time.sleep(1)
                except KeyboardInterrupt:
                    raised.append("ctrl-c caught")
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.2)  # held back: nothing is raised here
                raised.append("went on")
        except Terminated:
            raised.append("terminated at the end")
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)
    assert raised == ["ctrl-c caught", "went on", "terminated at the end"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
