"""state.<mode>.yml, --resume and its hint, run records, `status`, `runs`, the run lock."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
from dag_helpers import order_of, run_pipeline, started, state_of

from yt_pipeline.errors import PipelineLocked
from yt_pipeline.hostname import host_name
from yt_pipeline.lock import DeadRun, RunLock
from yt_pipeline.records import read_records

DIAMOND = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}


def test_state_after_a_failure_and_the_resume_hint(dag, run_cli):
    root = dag({"a": {}, "b": {"fail": True}, "c": {}, "d": {}}, graph=DIAMOND)
    result = run_cli("run", root, "--workers", "1")
    assert result.exit_code == 1
    assert "error: stage b failed: RuntimeError('boom in b')" in result.stderr
    assert f"to resume: yt-pipeline run {root} --resume" in result.stderr.splitlines()
    # c is independent of b and still ran; d needs b and did not
    assert state_of(root) == {"a": "SUCCESS", "b": "FAILED", "c": "SUCCESS", "d": None}
    text = (root / "state.dev.yml").read_text()
    assert text.splitlines()[1:] == ["a: SUCCESS", "b: FAILED", "c: SUCCESS", "d: null", "# end"]


def test_a_state_file_cut_short_stops_the_resume_instead_of_running_stages_again(dag,
                                                                                  run_cli):
    """Lines lost from the end of state.dev.yml would read as stages not run, and --resume
    would run them (and append) again: the file's last line tells it is whole."""
    root = dag({"a": {}, "b": {"fail": True}, "c": {}, "d": {}}, graph=DIAMOND)
    run_cli("run", root, "--workers", "1")
    path = root / "state.dev.yml"
    whole = path.read_text()
    path.write_text(whole[: whole.index("c: SUCCESS")])  # c's line and what follows lost
    before = order_of(root)
    result = run_cli("run", root, "--resume")
    assert result.exit_code == 2
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith("error: state.dev.yml: it is cut short"), error
    assert order_of(root) == before  # no stage ran
    path.write_text(whole)
    assert run_cli("run", root, "--resume").exit_code == 1  # b fails again, c is not rerun
    assert started(root).count("c") == 1
    # a file edited by hand without the header's promise is read as before
    path.write_text("a: SUCCESS\nb: null\n")
    assert state_of(root) == {"a": "SUCCESS", "b": None}


def test_resume_runs_only_what_did_not_succeed_and_its_dependents(dag, run_cli):
    root = dag({"a": {}, "b": {"fail": True}, "c": {}, "d": {}}, graph=DIAMOND)
    run_cli("run", root)
    (root / "stages" / "b" / "config.yaml").write_text("{}\n")
    (root / "order.log").unlink()
    result = run_cli("run", root, "--resume")
    assert result.exit_code == 0, result.output
    assert started(root) == ["b", "d"]
    assert state_of(root) == {"a": "SUCCESS", "b": "SUCCESS", "c": "SUCCESS", "d": "SUCCESS"}
    assert "succeeded in an earlier run (--resume)" in result.stderr


def test_resume_hint_keeps_config_and_set_options(dag, run_cli):
    root = dag({"a": {"fail": True}}, chain=["a"])
    other = root / "configs" / "other.yaml"
    other.write_text((root / "configs" / "config.yaml").read_text())
    result = run_cli("run", root, "--config", other, "--set", "pipeline.workers=2")
    hint = result.stderr.splitlines()[-1]
    assert hint == (f"to resume: yt-pipeline run {root} --config {other} "
                    "--set pipeline.workers=2 --resume")


def test_resumed_stage_gets_debug_of_stages_done_earlier(dag):
    root = dag({"a": {"set": {"x": 1}}, "b": {"fail": True}}, chain=["a", "b"])
    run_pipeline(root)
    (root / "stages" / "b" / "config.yaml").write_text("{}\n")
    result = run_pipeline(root, resume=True)
    assert result.success and started(root) == ["a", "b", "b"]
    assert result.debug["seen_b"] == {"x": 1, "seen_a": {}}


def test_a_new_full_run_resets_state_of_what_it_runs(dag):
    root = dag({"a": {}, "b": {"fail": True}}, chain=["a", "b"])
    (root / "state.dev.yml").write_text("a: SUCCESS\nb: SUCCESS\nold: SUCCESS\n")
    run_pipeline(root)
    # a stage the graph lacks (left out by this --config, or removed) keeps its line
    assert state_of(root) == {"a": "SUCCESS", "b": "FAILED", "old": "SUCCESS"}
    assert (root / "state.dev.yml").read_text().splitlines()[1:] == [
        "a: SUCCESS", "b: FAILED", "old: SUCCESS", "# end"]


def test_run_record_contents(dag, run_cli):
    root = dag({"a": {"sleep": 0.05}, "b": {"fail": True}}, chain=["a", "b"])
    failure = run_pipeline(root)
    record = json.loads(open(failure.result.record).read())
    assert record["run_id"] == failure.result.run_id
    assert record["status"] == "FAILED" and record["mode"] == "dev"
    assert record["pid"] == os.getpid() and record["finished_at"] >= record["started_at"]
    a, b = record["stages"]["a"], record["stages"]["b"]
    assert a["outcome"] == "SUCCESS" and a["cache"] == "off" and a["error"] is None
    assert 0.05 <= a["duration_s"] < 1 and a["end"] >= a["start"]
    assert b["outcome"] == "FAILED"
    assert b["error"].startswith("stage b failed: RuntimeError('boom in b') at ")
    listed = run_cli("runs", root)
    assert listed.exit_code == 0
    line = listed.stdout.splitlines()[0]
    assert line.startswith(failure.result.run_id) and "FAILED" in line
    assert "failed=1 success=1" in line and "error: b: stage b failed" in line
    # a limit under 1 would list nothing and say there are no runs
    for bad in ("0", "-1"):
        refused = run_cli("runs", root, "-n", bad)
        assert refused.exit_code == 2 and "No runs" not in refused.output
        assert f"Invalid value for '-n' / '--limit': {bad} is not in the range x>=1" \
            in refused.stderr


def test_status_command(dag, run_cli):
    root = dag({"a": {}, "b": {"fail": True}, "c": {}}, chain=["a", "b", "c"])
    before = run_cli("status", root)
    assert before.stdout.splitlines()[0] == "no runs yet in mode dev (state.dev.yml does not exist)"
    run_cli("run", root)
    rows = [line.split()[:2] for line in run_cli("status", root).stdout.splitlines()]
    assert rows == [["a", "SUCCESS"], ["b", "FAILED"], ["c", "-"]]


def test_second_run_refuses_while_the_first_holds_the_lock(dag, run_cli):
    root = dag({"a": {}}, chain=["a"])
    with RunLock(root, "dev", "20250101-000000-abcdef"):
        result = run_cli("run", root)
        assert result.exit_code == 1
        message = result.stderr.strip()
        assert message.startswith(f"error: pipeline {root} (dev) is already being run: run "
                                  f"20250101-000000-abcdef, pid {os.getpid()} on host "
                                  f"{socket.gethostname()}, started ")
        assert order_of(root) == []
    assert run_cli("run", root).exit_code == 0  # released
    assert not (root / ".runs" / "dev.lock").exists()


def test_a_stale_lock_is_taken_over(dag):
    root = dag({"a": {}}, chain=["a"])
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    lock = root / ".runs" / "dev.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"pid": gone.pid, "host": socket.gethostname(),
                                "run_id": "old", "started_at": 0}))
    assert run_pipeline(root).success
    assert not lock.exists()


def test_a_taken_over_lock_names_the_dead_run_and_a_free_one_none(tmp_path):
    """What the cluster's lock is told (yt_pipeline.client.cluster_run_lock): the run whose
    stale lock was taken over, by run id, pid and host; nothing when the lock was free."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    lock = tmp_path / ".runs" / "prod.lock"
    lock.parent.mkdir()
    lock.write_text(json.dumps({"pid": gone.pid, "host": host_name(), "run_id": "old",
                                "started_at": 0}))
    taken = RunLock(tmp_path, "prod", "new").acquire()
    assert taken.taken_over == DeadRun(run_id="old", pid=gone.pid, host=host_name())
    taken.release()
    fresh = RunLock(tmp_path, "prod", "newer").acquire()
    assert fresh.taken_over is None
    fresh.release()


def test_a_lock_of_another_host_is_respected(tmp_path):
    lock = tmp_path / ".runs" / "prod.lock"
    lock.parent.mkdir()
    lock.write_text(json.dumps({"pid": 1, "host": "elsewhere", "run_id": "r1", "started_at": 0}))
    with pytest.raises(PipelineLocked, match="run r1, pid 1 on host elsewhere"):
        RunLock(tmp_path, "prod", "r2").acquire()


def test_modes_keep_separate_state(dag, run_cli):
    root = dag({"a": {}}, chain=["a"])
    run_cli("run", root)
    assert (root / "state.dev.yml").is_file() and not (root / "state.prod.yml").exists()
    assert json.loads((root / ".runs" / "stages.dev.json").read_text())["a"]["status"] == "SUCCESS"


def test_ctrl_c_stops_at_once_and_leaves_a_consistent_state(dag):
    import signal
    import time

    import yaml

    root = dag({"a": {}, "b": {"sleep": 30}}, chain=["a", "b"])
    process = subprocess.Popen([sys.executable, "-m", "yt_pipeline", "run", str(root)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while "start b" not in order_of(root):
        assert time.monotonic() < deadline, "stage b never started"
        time.sleep(0.05)
    stopped = time.monotonic()
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=10)
    assert time.monotonic() - stopped < 5  # did not wait the 30 s of stage b
    assert process.returncode == 130, err
    assert yaml.safe_load((root / "state.dev.yml").read_text()) == {"a": "SUCCESS", "b": None}
    record = json.loads(next((root / ".runs").glob("2*.json")).read_text())
    assert record["status"] == "INTERRUPTED" and record["stages"]["a"]["outcome"] == "SUCCESS"
    assert not (root / ".runs" / "dev.lock").exists()


def test_status_of_a_failed_stage_does_not_show_its_last_success(dag, run_cli):
    root = dag({"a": {}, "b": {}}, chain=["a", "b"])
    assert run_cli("run", root).exit_code == 0
    first = {line.split()[0]: line for line in run_cli("status", root).stdout.splitlines()}
    success_run = first["b"].split()[-1]
    (root / "stages" / "b" / "config.yaml").write_text("fail: true\n")
    run_cli("run", root)
    lines = {line.split()[0]: line for line in run_cli("status", root).stdout.splitlines()}
    # the time and run of the failure, from the run's record, not those of the success
    [failed_run] = [r["run_id"] for r in read_records(root) if r["stages"]["b"]["outcome"]
                    == "FAILED"]
    fields = lines["b"].split()
    assert fields[:2] == ["b", "FAILED"] and fields[-1] == failed_run != success_run
    assert len(fields) == 5 and fields[3][:2].isdigit()  # b FAILED <date> <time> <run>
    assert lines["a"].split()[1] == "SUCCESS"


def test_runs_tells_a_killed_run_and_orders_runs_of_one_second(dag, run_cli):
    from yt_pipeline.records import new_run_id

    root = dag({"a": {}}, chain=["a"])
    ids = [new_run_id() for _ in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    runs = root / ".runs"
    runs.mkdir(exist_ok=True)
    for run_id, pid in ((ids[0], int(dead)), (ids[1], os.getpid())):
        (runs / f"{run_id}.json").write_text(json.dumps({
            "run_id": run_id, "status": "RUNNING", "pid": pid, "host": socket.gethostname(),
            "started_at": 0, "stages": {}}))
    listed = run_cli("runs", root).stdout.splitlines()
    assert [line.split()[0] for line in listed] == [ids[1], ids[0]]  # newest first
    assert listed[1].split()[2] == "KILLED" and listed[0].split()[2] == "RUNNING"


@pytest.mark.parametrize("hard_links", [True, False])
def test_the_lock_file_never_exists_without_its_owner(tmp_path, monkeypatch, hard_links):
    """A run killed while taking the lock must not leave an empty lock file, which the next
    run (a --resume right after the kill) would take for one being written and refuse.
    With hard links the lock appears with its content; without, the old way is kept."""
    seen: list[str] = []
    real_link = os.link

    def link(source, target, *args, **kwargs):
        seen.append(open(source, encoding="utf-8").read())  # what appears under the name
        if not hard_links:
            raise PermissionError(1, "Operation not permitted")
        return real_link(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "link", link)
    lock = RunLock(tmp_path, "dev", "run-1").acquire()
    owner = json.loads((tmp_path / ".runs" / "dev.lock").read_text())
    assert owner["run_id"] == "run-1" and owner["pid"] == os.getpid()
    assert [json.loads(text)["run_id"] for text in seen] == ["run-1"]
    assert sorted(p.name for p in (tmp_path / ".runs").iterdir()) == ["dev.lock"]
    with pytest.raises(PipelineLocked):
        RunLock(tmp_path, "dev", "run-2").acquire()
    lock.release()
    assert not (tmp_path / ".runs" / "dev.lock").exists()


_APPEND_ONE = '''
from yt_pipeline import BaseStage


class AppendOne(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//tmp/appended", [{"n": 1}], append=True)
        debug["appended"] = True
        return debug
'''


def test_a_run_with_a_partial_config_keeps_the_state_of_the_stages_it_leaves_out(dag,
                                                                                 run_cli):
    """A run whose --config leaves a stage out says nothing of it: its SUCCESS (and the
    debug it handed on) must survive, or the next --resume with the full config runs it,
    and appends, again."""
    from dag_helpers import dev_client

    root = dag({"load": {}, "report": {}}, graph={"load": [], "report": ["load"]})
    (root / "stages" / "load" / "stage.py").write_text(_APPEND_ONE)
    partial = root / "configs" / "report_only.yaml"
    partial.write_text("pipeline:\n  mode: dev\nstages:\n  graph:\n    report: []\n")
    assert run_cli("run", root).exit_code == 0
    assert run_cli("run", root, "--config", partial).exit_code == 0
    assert state_of(root) == {"report": "SUCCESS", "load": "SUCCESS"}
    result = run_cli("run", root, "--resume")
    assert result.exit_code == 0, result.output
    assert list(dev_client(root).read_table("//tmp/appended")) == [{"n": 1}]
    # load logs nothing and appended once; report ran in the first two runs only
    assert started(root) == ["report", "report"]
    assert "[load] skipped: succeeded in an earlier run (--resume)" in result.output
    assert state_of(root) == {"load": "SUCCESS", "report": "SUCCESS"}
    # the debug load handed on is still there for a resumed dependent
    memory = json.loads((root / ".runs" / "stages.dev.json").read_text())
    assert memory["load"]["debug"] == {"appended": True}
