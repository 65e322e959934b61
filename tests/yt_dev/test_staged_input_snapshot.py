"""An operation whose input is a table its own stage staged reads that table as it was when
the operation started: the staged file is hard-linked into the sandbox (not copied) and read
to the length it had, whatever the stage's other threads do to the table meanwhile."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from yt_pipeline.errors import OperationFailed
from yt_pipeline_dev.launcher import launch

TABLE = "//h/staged"
OUT = "//h/out"
WIDE = "w" * 60  # rows past a pipe's buffer: the jobs' input is read after they wait
STAGED = [{"k": i, "who": WIDE} for i in range(6000)]
LATER = [{"k": 100_000 + i, "who": "later"} for i in range(50)]

# each job says it started, waits for the test's go, then copies its input (or fails)
MAPPER = """
    import os, sys, time
    from pathlib import Path
    from ytjobs import read_rows, write_rows
    gate = Path(os.environ["GATE_DIR"])
    (gate / ("started" + os.environ["YT_JOB_INDEX"])).touch()
    while not (gate / "go").exists():
        time.sleep(0.01)
    if os.environ.get("FAIL_JOBS"):
        sys.exit(3)
    write_rows(read_rows())
"""


@pytest.fixture
def stage(dev_client, stages, tmp_path, monkeypatch):
    stages("m", {"src/mapper.py": MAPPER})
    gate = tmp_path / "gate"
    gate.mkdir()
    monkeypatch.setenv("GATE_DIR", str(gate))
    txn = dev_client.begin_transaction("t")
    inside = txn.client
    inside.write_table(TABLE, STAGED[:10])
    inside.write_table(TABLE, STAGED[10:], append=True)  # staged: later appends go in place
    spec = stages.spec("map", "m", job_count=2, input_tables=[TABLE], output_tables=[OUT],
                       mapper="src/mapper.py")
    yield inside, spec, gate
    txn.abort()


def _run_meanwhile(inside, spec, gate: Path, meanwhile) -> BaseException | None:
    """Launch the map in a thread; once both jobs wait, call `meanwhile`, then let them
    read. Returns what the operation raised."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            launch(inside, spec)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            raised.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 60
    while not all((gate / f"started{i}").exists() for i in range(2)):
        assert time.monotonic() < deadline and thread.is_alive(), raised
        time.sleep(0.01)
    try:
        meanwhile()
    finally:  # the jobs go on even when `meanwhile` fails the test
        (gate / "go").touch()
        thread.join(60)
    return raised[0] if raised else None


def _snapshot(root: Path) -> Path:
    [held] = root.parent.rglob(".ytp_inputs/0.jsonl")
    return held


def test_the_input_is_the_staged_file_linked_and_read_as_it_was_while_appended_to(stage):
    inside, spec, gate = stage
    staged = inside.visible_file(TABLE)

    def append_in_place() -> None:
        # no copy of the staged file: the sandbox holds the file itself
        assert os.path.samefile(_snapshot(inside.root), staged)
        inside.write_table(TABLE, LATER, append=True)
        assert inside.visible_file(TABLE) == staged  # written in place, past the old end

    assert _run_meanwhile(inside, spec, gate, append_in_place) is None
    assert sorted(inside.read_table(OUT), key=lambda row: row["k"]) == STAGED
    assert list(inside.read_table(TABLE)) == STAGED + LATER


def test_an_append_in_place_that_fails_during_the_operation(stage):
    inside, spec, gate = stage

    def failing_append() -> None:
        def rows():
            yield from LATER
            raise RuntimeError("the generator broke")
        with pytest.raises(RuntimeError, match="generator broke"):
            inside.write_table(TABLE, rows(), append=True)

    assert _run_meanwhile(inside, spec, gate, failing_append) is None
    assert sorted(inside.read_table(OUT), key=lambda row: row["k"]) == STAGED
    assert list(inside.read_table(TABLE)) == STAGED


@pytest.mark.parametrize("change", ["overwrite", "remove"])
def test_an_overwrite_or_removal_during_the_operation(stage, change):
    inside, spec, gate = stage

    def meanwhile() -> None:
        if change == "overwrite":
            inside.write_table(TABLE, LATER)
        else:
            inside.remove(TABLE)

    assert _run_meanwhile(inside, spec, gate, meanwhile) is None
    assert sorted(inside.read_table(OUT), key=lambda row: row["k"]) == STAGED
    assert inside.exists(TABLE) == (change == "overwrite")
    if change == "overwrite":
        assert list(inside.read_table(TABLE)) == LATER


def test_a_kept_sandbox_shows_the_input_as_read_and_the_table_keeps_its_appends(
        stage, monkeypatch):
    inside, spec, gate = stage
    monkeypatch.setenv("FAIL_JOBS", "1")

    def append_in_place() -> None:
        inside.write_table(TABLE, LATER, append=True)

    raised = _run_meanwhile(inside, spec, gate, append_in_place)
    assert isinstance(raised, OperationFailed), raised
    held = _snapshot(inside.root)
    assert held.is_relative_to(raised.sandbox)
    # the rows the jobs were given, not the append made since; the staged file untouched
    assert held.read_bytes() == b"".join(
        inside.visible_file(TABLE).read_bytes().splitlines(keepends=True)[:len(STAGED)])
    assert not os.path.samefile(held, inside.visible_file(TABLE))
    assert list(inside.read_table(TABLE)) == STAGED + LATER


def test_a_sort_of_a_staged_table_reads_a_copy_of_it(stage, stages):
    inside, _, _ = stage
    inside.write_table(TABLE, LATER, append=True)
    spec = stages.spec("sort", "m", input_tables=[TABLE], output_tables=[OUT],
                       sort_by=["k"])
    launch(inside, spec)
    assert list(inside.read_table(OUT)) == sorted(STAGED + LATER, key=lambda row: row["k"])


@pytest.mark.parametrize("hard_links", [True, False])
def test_an_operation_started_during_an_append_in_place_reads_the_table_before_it(
        stage, monkeypatch, hard_links):
    inside, spec, gate = stage
    if not hard_links:  # a file system without them: the staged file is copied, as read

        def refused(*args, **kwargs):
            raise PermissionError(1, "Operation not permitted")
        monkeypatch.setattr(os, "link", refused)
    (gate / "go").touch()
    staged = inside.visible_file(TABLE)
    length = staged.stat().st_size
    halfway, resume = threading.Event(), threading.Event()

    def rows():
        yield from [{"k": 200_000 + i, "who": WIDE * 20} for i in range(2000)]  # flushed
        halfway.set()
        resume.wait(60)
        yield from LATER

    appending = threading.Thread(
        target=lambda: inside.write_table(TABLE, rows(), append=True))
    appending.start()
    try:
        assert halfway.wait(60)
        assert staged.stat().st_size > length  # part of the append is in the file
        launch(inside, spec)
    finally:
        resume.set()
        appending.join(60)
    assert sorted(inside.read_table(OUT), key=lambda row: row["k"]) == STAGED
    assert list(inside.read_table(TABLE))[len(STAGED):][-len(LATER):] == LATER
