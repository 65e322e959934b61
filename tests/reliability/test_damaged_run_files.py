"""A run's own files damaged between two runs (cut short by a copy, a full disk or a machine
crash before dev's unforced writes reached the disk): the next run refuses with one line
naming the file, or recovers; it never hands a stage less than a fresh run would, never runs
a stage that succeeded again (which would append again), never loses what a stage wrote."""

from __future__ import annotations

import errno
import os
import random
import shutil
import sys
from pathlib import Path

import pytest
from adversarial_helpers import finish, start, tables

from yt_pipeline.testing import write_pipeline

STEPS = """
import os, sys
from yt_pipeline import Pipeline, step


@step(outputs=["count"])
def extract(yt):
    yt.write_table("//d/log", [{"step": "extract"}], append=True)
    return yt.write_table("//d/raw", ({"id": i} for i in range(10)))


@step(inputs=["count"], outputs=["total"])
def summary(count, yt):
    if os.path.exists("fail"):
        raise RuntimeError("boom")
    yt.write_table("//d/summary", [{"count": count}])
    return count


pipeline = Pipeline("d", folder=".")
pipeline.add_step(extract)
pipeline.add_step(summary)
result = pipeline.run(resume=True)
print("RESULT", result.success, result.outputs.get("total"), result.error)
"""


def run(root: Path) -> tuple[int, str]:
    return finish(start([sys.executable, "steps.py"], cwd=root), timeout=60)


def test_a_damaged_entries_file_stops_the_resume_instead_of_skipping_what_follows(tmp_path):
    """.runs/stages.<state>.json keeps what a stage that succeeded handed on. Read as empty
    when it did not parse, the resumed `summary` lost its input `count`, was SKIPPED and
    the run reported success without ever writing //d/summary."""
    template = write_pipeline(tmp_path / "template", {"steps.py": STEPS, "fail": ""})
    code, out = run(template)
    assert "RESULT False None" in out, out
    (template / "fail").unlink()
    entries = template / ".runs/stages.d.dev.json"
    whole = entries.read_text()
    rng = random.Random(20261203)
    cuts = [0, len(whole) - 2, *rng.sample(range(1, len(whole) - 2), 3)]  # -1: its newline
    for cut in cuts:
        root = tmp_path / f"cut{cut}"
        shutil.copytree(template, root)
        target = root / ".runs/stages.d.dev.json"
        target.write_text(whole[:cut])
        before = tables(root / ".dev")
        code, out = run(root)
        errors = [line for line in out.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and errors[0].startswith(
            "error: .runs/stages.d.dev.json: it is not whole JSON ("), (cut, out[-2000:])
        assert "put back the file" in errors[0]
        assert tables(root / ".dev") == before, cut  # nothing ran, nothing appended
        assert target.read_text() == whole[:cut], cut  # the damage is not made for good
        target.write_text(whole)  # put back: the resume runs summary alone, with its input
        code, out = run(root)
        assert "RESULT True 10 None" in out, (cut, out[-2000:])
        got = tables(root / ".dev")
        assert sum(got["//d/log"].values()) == 1 and sum(got["//d/raw"].values()) == 10
        assert list(got["//d/summary"]) == ['{"count": 10}'], cut
        shutil.rmtree(root)


def test_an_entry_that_is_not_an_object_is_refused_naming_the_stage(tmp_path, run_cli):
    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [a]}\n",
        "stages/a/stage.py": "from yt_pipeline import BaseStage\n\n\nclass A(BaseStage):\n"
                             "    def run(self, debug):\n        return debug\n",
    })
    assert run_cli("run", root).exit_code == 0
    (root / ".runs/stages.dev.json").write_text('{"a": 3}\n')
    result = run_cli("run", root, "--resume")
    assert result.exit_code == 2
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith("error: .runs/stages.dev.json: the entry of stage 'a' is not an object: ")


APPEND_STAGE = """
from yt_pipeline import BaseStage


class Stage(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        rows = [{"by": self.name, "n": n} for n in range(3)]
        yt.write_table("//k/log", rows, append=True)
        yt.write_table("//k/" + self.name, rows)
        return debug
"""


@pytest.mark.parametrize("point", ["journal: before the commit record",
                                   "dev: before a staged table becomes live"])
def test_a_damaged_commit_marker_is_rebuilt_and_its_commit_finished(tmp_path, point):
    """A kill before a stage's commit record, or after it and before its staged tables
    became live, leaves a marker per table (.dev/.locks/<table>.pending) saying where its
    rows are. Read as no marker when damaged, a recorded commit was dropped: the resume
    reported success and the stage's rows were gone from //k/log and //k/b for good. Now
    it is rebuilt from the transaction that holds the change; with none, it goes; when the
    transaction's manifest is damaged too, the run stops naming the marker."""
    from adversarial_helpers import command, crash_points, row

    template = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [a, b]}\n",
        "stages/a/stage.py": APPEND_STAGE, "stages/b/stage.py": APPEND_STAGE})
    probe = shutil.copytree(template, tmp_path / "probe")
    finish(start(command(probe), env={"YTP_CRASH_COUNT": str(tmp_path / "points")}))
    points = crash_points(tmp_path / "points")
    at = max(i for i, name in enumerate(points, 1) if name == point)  # in b's commit
    want = [row(by=s, n=n) for s in "ab" for n in range(3)]
    for manifest_too in (False, True):
        root = shutil.copytree(template, tmp_path / f"t{manifest_too}")
        code, _ = finish(start(command(root), env={"YTP_CRASH_AT": str(at)}))
        assert code == -9
        markers = sorted((root / ".dev/.locks").glob("*.pending"))
        assert markers
        for marker in markers:
            marker.write_bytes(marker.read_bytes()[:20])
        if manifest_too:
            for manifest in (root / ".dev/.txn").glob("*/manifest.json"):
                manifest.write_text('{"tables": ')
        before = tables(root / ".dev")
        code, out = finish(start(command(root, "--resume")))
        if manifest_too and point != "journal: before the commit record":
            errors = [line for line in out.splitlines() if line.startswith("error:")]
            assert code == 1 and len(errors) == 1, out[-2000:]
            assert errors[0].startswith("error: commit marker "), errors[0]
            assert ".pending of table //k/" in errors[0] and "manifest.json" in errors[0]
            assert tables(root / ".dev") == before  # nothing guessed
            continue
        assert code == 0, out[-2000:]
        got = tables(root / ".dev")
        assert sorted(got["//k/log"].elements()) == sorted(want), (manifest_too, got)
        assert sorted(got["//k/b"].elements()) == sorted(want[3:])
        assert not list((root / ".dev/.locks").glob("*.pending"))


def disk_full_for(monkeypatch, module, name_prefix: str) -> None:
    """Writes of `module`'s atomic files named `name_prefix...` go to /dev/full, whose
    writes fail with ENOSPC as a full disk's do (the file written, then flushed)."""
    import os
    import tempfile
    import types

    if not os.path.exists("/dev/full"):
        import pytest
        pytest.skip("no /dev/full here")

    def mkstemp(*args, prefix="", **kwargs):
        fd, name = tempfile.mkstemp(*args, prefix=prefix, **kwargs)
        if prefix.startswith(name_prefix):
            os.close(fd)
            fd = os.open("/dev/full", os.O_WRONLY)
        return fd, name

    monkeypatch.setattr(module, "tempfile", types.SimpleNamespace(mkstemp=mkstemp))


@pytest.mark.parametrize("full", ["state", "table"])
def test_a_full_disk_names_the_file_and_resume_gives_the_rows_of_one_run(
        tmp_path, run_cli, monkeypatch, full):
    """A full disk failed a run with `error: OSError: [Errno 28] No space left on device`
    (or `stage b failed: OSError(28, ...)`): no word of which file. Now the line names it;
    and --resume, with room again, gives every row once."""
    from adversarial_helpers import row

    from yt_pipeline import yamlio
    from yt_pipeline_dev import client as dev_client

    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [a, b]}\n",
        "stages/a/stage.py": APPEND_STAGE, "stages/b/stage.py": APPEND_STAGE})
    with monkeypatch.context() as patched:
        if full == "state":
            disk_full_for(patched, yamlio, ".state.dev.yml.")
        else:  # the write calls of table //k/b's rows fail as on a full disk
            real = dev_client.weighed_writer

            def weighed_writer(out, path):
                if path != "//k/b":
                    return real(out, path)
                return lambda data: (_ for _ in ()).throw(
                    OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))

            patched.setattr(dev_client, "weighed_writer", weighed_writer)
        result = run_cli("run", root)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.exit_code == 1 and len(errors) == 1, result.stderr
    if full == "state":
        assert errors[0] == ("error: OSError: [Errno 28] No space left on device: "
                             f"'{root / 'state.dev.yml'}'")
    else:
        assert errors[0].startswith("error: stage b failed: OSError: [Errno 28] No space "
                                    "left on device: '//k/b'"), errors[0]
    assert "Traceback" not in result.stderr
    result = run_cli("run", root, "--resume")
    assert result.exit_code == 0, result.stderr
    want = [row(by=s, n=n) for s in "ab" for n in range(3)]
    got = tables(root / ".dev")
    assert sorted(got["//k/log"].elements()) == sorted(want)
    assert sorted(got["//k/b"].elements()) == sorted(want[3:])


def test_a_run_log_that_cannot_be_written_warns_once_and_the_run_goes_on(
        tmp_path, run_cli, monkeypatch):
    """The run's log `.runs/<run id>.log` on a full disk: logging printed a traceback for
    every line, and the error of closing the file replaced the run's own outcome (`error:
    OSError: [Errno 28] No space left on device`, exit 1, after a run that succeeded)."""
    import logging

    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    real = logging.FileHandler._open

    def opening(handler):
        name = handler.baseFilename
        if name.endswith(".log") and f"{os.sep}.runs{os.sep}" in name:
            return open("/dev/full", "a", encoding="utf-8")
        return real(handler)

    monkeypatch.setattr(logging.FileHandler, "_open", opening)
    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [a, b]}\n",
        "stages/a/stage.py": APPEND_STAGE, "stages/b/stage.py": APPEND_STAGE})
    result = run_cli("run", root)
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "run log" in line]
    assert len(warnings) == 1 and warnings[0].startswith(
        f"warning: cannot write the run log {root / '.runs'}{os.sep}"), result.stderr
    assert warnings[0].endswith(": No space left on device; the run goes on without it")
    assert "Traceback" not in result.stderr and "Logging error" not in result.stderr
    assert sum(tables(root / ".dev")["//k/log"].values()) == 6


def test_a_state_file_cut_inside_its_first_line_stops_the_resume(tmp_path, run_cli):
    """state.dev.yml empty (what a machine crash most often leaves of a file renamed into
    place) or cut inside its header: the header's promise of an end line was lost with the
    rest, the file read as "no stage ran", and --resume ran every stage again, appending
    every row twice."""
    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [a, b]}\n",
        "stages/a/stage.py": APPEND_STAGE, "stages/b/stage.py": APPEND_STAGE})
    assert run_cli("run", root).exit_code == 0
    state = root / "state.dev.yml"
    whole = state.read_text()
    before = tables(root / ".dev")
    header = whole.splitlines()[0]
    for cut in (0, 1, len(header) // 2, len(header)):
        state.write_text(whole[:cut])
        result = run_cli("run", root, "--resume")
        assert result.exit_code == 2, (cut, result.stderr)
        [error] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert error.startswith("error: state.dev.yml: it is cut short"), (cut, error)
        assert tables(root / ".dev") == before, cut
    state.write_text(whole)
    assert run_cli("run", root, "--resume").exit_code == 0
    assert tables(root / ".dev") == before
