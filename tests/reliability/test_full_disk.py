"""A dev run on a really full disk: the pipeline folder (`.dev`, `.runs`, `.build`, the state
file) lives on a small tmpfs, filled by a filler file so the space runs out at seeded points
(the code archive, a table write, a sort, a reduce's input copy, a map's code extraction, a
YQL INSERT, a commit, the run records), or run out from inside a stage at a chosen moment.

Every failed run must exit non-zero with one `error:` line and no traceback, every error it
shows naming the file or folder that could not be written; the tables must be those of the
stages run so far, each whole (a linear graph: the folder's tables equal the rows after
some number of whole stages); a second run on the still-full disk must fail as cleanly and
corrupt nothing; once the filler is gone, `--resume` must end with the rows of one run.

Needs root (it mounts a tmpfs); skipped otherwise."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import uuid
from collections import Counter
from pathlib import Path

import pytest
from adversarial_helpers import command, differences, finish, row, start, tables

from yt_pipeline.testing import write_pipeline

N = 300
KEYS = 5
MB = 1024 * 1024
ORDER = ["load", "sorter", "mapper", "yql", "app"]

FILL = """
import os
from pathlib import Path


def fill_disk(where):
    # the test's filler: the disk is full from here on but for `pages` pages of 4 KiB
    # (YTP_TEST_FILL = "<file>:<moment>:<pages>")
    target, moment, pages = (os.environ.get("YTP_TEST_FILL", "") or "::0").rsplit(":", 2)
    if moment != where:
        return
    with open(target, "ab", buffering=0) as out:
        try:
            while True:
                out.write(b"\\0" * 4096)
        except OSError:
            pass
        out.truncate(max(0, out.tell() - int(pages) * 4096))
"""
LOAD = FILL + f"""
from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.write_table("//r/input", ({{"k": (i * 3) % {KEYS}, "v": i}} for i in range({N})))
        # Just: Optional, as the appended columns of a schemaless table are (a CAST
        # that never fails would be required, and YQL refuses those appends into it)
        yt.run_yql("INSERT INTO `//r/yql_acc` WITH TRUNCATE "
                   "SELECT Just(CAST(-1 AS Int64)) AS k, Just(CAST(-1 AS Int64)) AS v")
        yt.write_table("//r/log", [{{"stage": "load"}}], append=True)
        fill_disk("load_end")  # then the stage commits
        return debug
"""
SORTER = FILL + """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_reduce, run_sort


class Sorter(BaseStage):
    def run(self, debug):
        ops = self.config.client.operations
        run_sort(self, ops.sort)
        fill_disk("after_sort")  # the reduce then copies the staged sorted table
        run_reduce(self, ops.reduce)
        self.deps.yt_client.write_table("//r/log", [{"stage": "sorter"}], append=True)
        return debug
"""
REDUCER = """
from ytjobs import groups, read_rows, write_rows

write_rows({"k": k, "n": len(list(rows))} for k, rows in groups(read_rows(), "k"))
"""
MAPPER_STAGE = FILL + """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Mapper(BaseStage):
    def run(self, debug):
        fill_disk("before_map")  # the map then extracts its job code
        run_map(self, self.config.client.operations.map)
        self.deps.yt_client.write_table("//r/log", [{"stage": "mapper"}], append=True)
        return debug
"""
MAPPER = """
from ytjobs import read_rows, write_rows

write_rows({"v": row["v"], "twice": row["v"] * 2} for row in read_rows())
"""
YQL = FILL + """
from yt_pipeline import BaseStage


class Yql(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        fill_disk("before_yql")  # DuckDB then writes the appended table
        yt.run_yql("INSERT INTO `//r/yql_acc` SELECT k, v FROM `//r/input` WHERE v % 2 = 0")
        yt.write_table("//r/log", [{"stage": "yql"}], append=True)
        return debug
"""
APPENDER = """
from yt_pipeline import BaseStage


class Appender(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        for batch in range(3):
            yt.write_table("//r/acc", ({"b": batch, "i": i} for i in range(150)), append=True)
        yt.write_table("//r/log", [{"stage": "app"}], append=True)
        return debug
"""


def make(root: Path) -> Path:
    def ops(**sections):
        return json.dumps({"client": {"operations": sections}})

    return write_pipeline(root, {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev"}, "stages": {
            "graph": {name: ORDER[i - 1:i] for i, name in enumerate(ORDER)}}}),
        "stages/load/stage.py": LOAD,
        "stages/sorter/stage.py": SORTER,
        "stages/sorter/src/reducer.py": REDUCER,
        "stages/sorter/config.yaml": ops(
            sort={"input_table": "//r/input", "output_table": "//r/sorted", "sort_by": ["k", "v"]},
            reduce={"input_table": "//r/sorted", "output_table": "//r/counts",
                    "reduce_by": ["k"], "resources": {"job_count": 2}}),
        "stages/mapper/stage.py": MAPPER_STAGE,
        "stages/mapper/src/mapper.py": MAPPER,
        "stages/mapper/config.yaml": ops(map={
            "input_table": "//r/input", "output_table": "//r/mapped", "mapper": "src/mapper.py",
            "resources": {"job_count": 2}}),
        "stages/yql/stage.py": YQL,
        "stages/app/stage.py": APPENDER,
    })


def after(done: int) -> dict[str, Counter]:
    """The tables after the first `done` stages of ORDER, each whole, computed from the
    stages' code."""
    inputs = [{"k": (i * 3) % KEYS, "v": i} for i in range(N)]
    counts = Counter(r["k"] for r in inputs)
    each = {
        "load": {"//r/input": Counter(row(**r) for r in inputs),
                 "//r/yql_acc": Counter([row(k=-1, v=-1)])},
        "sorter": {"//r/sorted": Counter(row(**r) for r in inputs),
                   "//r/counts": Counter(row(k=k, n=n) for k, n in counts.items())},
        "mapper": {"//r/mapped": Counter(row(v=r["v"], twice=2 * r["v"]) for r in inputs)},
        "yql": {"//r/yql_acc": Counter([row(k=-1, v=-1)]
                                       + [row(**r) for r in inputs if r["v"] % 2 == 0])},
        "app": {"//r/acc": Counter(row(b=b, i=i) for b in range(3) for i in range(150))},
    }
    state: dict[str, Counter] = {}
    for name in ORDER[:done]:
        state.update(each[name])
    if done:
        state["//r/log"] = Counter(row(stage=name) for name in ORDER[:done])
    return state


STATES = [after(done) for done in range(len(ORDER) + 1)]


def stages_done(root: Path) -> int | None:
    """How many whole stages the tables under `root` show; None when they are no such
    state (a half-written table, a row lost or doubled)."""
    got = tables(root / ".dev")
    got = {name: rows for name, rows in got.items() if rows}  # an empty table: not written
    for done, state in enumerate(STATES):
        if got == state:
            return done
    return None


@pytest.fixture
def disk(tmp_path):
    """A 16 MiB tmpfs of its own, unmounted at the end."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    point = Path(f"/tmp/diskfull-{uuid.uuid4().hex[:8]}")
    point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        point.rmdir()
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)
        point.rmdir()


def free_bytes(point: Path) -> int:
    stat = os.statvfs(point)
    return stat.f_bavail * stat.f_frsize


def fill(point: Path, leave: int) -> Path:
    """A filler file taking all the free space of `point` but `leave` bytes."""
    filler = point / "filler"
    want = max(0, free_bytes(point) - leave)
    with filler.open("wb") as out:
        while want > 0:
            step = min(want, MB)
            try:
                out.write(b"\0" * step)
                out.flush()
            except OSError:
                break
            want -= step
    return filler


#: an OSError shown without the file it names (`OSError(28, 'No space left on device')`),
#: or a failed extraction that names only the archive, which is whole, not where it went
NAMELESS = re.compile(r"OSError\(\d+, |cannot extract the code archive \S+: \[Errno")


def check_failed_cleanly(code: int, out: str, label: str) -> None:
    assert code != 0, f"{label}: a run on a full disk succeeded?\n{out[-3000:]}"
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, f"{label}: {len(errors)} error lines\n{out[-3000:]}"
    assert "Traceback" not in out, f"{label}: a traceback without --debug\n{out[-3000:]}"
    assert "No space left on device" in out, f"{label}: {errors[0]}"
    nameless = [line for line in out.splitlines() if NAMELESS.search(line)]
    assert not nameless, f"{label}: an error names no file: {nameless}"


def trial(root: Path, point: Path, label: str, *, leave: int | None = None,
          moment: str | None = None, pages: int = 0) -> str | None:
    filler = point / "filler"
    env = {}
    if leave is not None:
        fill(point, leave)
    if moment is not None:
        env["YTP_TEST_FILL"] = f"{filler}:{moment}:{pages}"
    code, out = finish(start(command(root), env=env))
    first = stages_done(root)
    assert first is not None, f"{label}: tables are no whole state: {tables(root / '.dev')}"
    if code == 0:  # room enough: a whole run
        assert first == len(ORDER), f"{label}: succeeded with {first} stages' rows"
        return None
    check_failed_cleanly(code, out, label)
    # the stage's error: its FAILED line and the error line (a run's own file it could not
    # save after the failure is named above them)
    shown = "\n".join(line for line in out.splitlines()
                      if " FAILED " in line or line.startswith("error:"))
    # again on the disk still full (the filler of a stage is there now too)
    code, out = finish(start(command(root, "--resume")))
    second = stages_done(root)
    assert second is not None and second >= first, (
        f"{label}: second run on a full disk left {tables(root / '.dev')}")
    if code != 0:
        check_failed_cleanly(code, out, label + ", run again while full")
    filler.unlink(missing_ok=True)
    code, out = finish(start(command(root, "--resume")))
    assert code == 0, f"{label}: --resume after freeing space failed\n{out[-3000:]}"
    problems = differences(tables(root / ".dev"), STATES[-1])
    assert not problems, f"{label}: " + "; ".join(problems)
    return shown


def test_full_disk_at_seeded_levels_fails_cleanly_and_resumes_to_exact_rows(disk, tmp_path):
    rng = random.Random(20261206_1)
    template = make(tmp_path / "template")
    # the levels below the folder's peak (about 300 KiB on a tmpfs) fail somewhere in it
    levels = [rng.randint(0, 320_000) for _ in range(int(os.environ.get("YTP_DF_TRIALS", "6")))]
    for number, leave in enumerate(levels):
        root = disk / "p"
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(template, root)
        trial(root, disk, f"trial {number} ({leave} bytes free)", leave=leave)


#: the run's own files: the state it saves of the stages done, while the next one runs
#: (run_book, at most SAVE_EVERY_S after a stage ends), may be the write that finds the disk
#: full first; the error names it then (a race: seen once in a full suite's run)
RUN_FILES = (".runs/stages.dev.json", "state.dev.yml")


@pytest.mark.parametrize(("moment", "pages", "named"), [
    ("after_sort", 0, (".dev/.sandboxes/sandbox_sorter.reduce", *RUN_FILES)),
    ("before_map", 0, (".dev/.sandboxes/sandbox_mapper.map", *RUN_FILES)),
    ("before_yql", 0, ("'//r/yql_acc'", *RUN_FILES)),
    ("before_yql", 1, None)])  # DuckDB's COPY, or what follows it, runs out
def test_disk_filled_inside_a_stage_names_what_could_not_be_written(disk, tmp_path, moment,
                                                                     pages, named):
    """The space runs out between a sort and the reduce that copies its (staged) output into
    the sandbox, or before a map extracts its job code: the stage's error named neither
    (`OSError(28, 'No space left on device')`; `cannot extract the code archive
    .build/source.tar.gz`, whole and readable). Before a YQL INSERT appends: the copy of
    the table it appends to fails (named by a file of dev's transaction, not the table, as
    write_table names it), or DuckDB's COPY does (it names the file). The run's own state,
    saved while the YQL stage runs, may meet the full disk first: its file is named then."""
    root = make(disk / "p")
    shown = trial(root, disk, f"disk filled {moment}, {pages} pages free", moment=moment,
                  pages=pages)
    assert named is None or any(name in shown for name in named), f"{moment}: {shown}"


def test_disk_full_at_each_write_of_a_commit_fails_cleanly_and_resumes(disk, tmp_path):
    """The first stage fills the disk but for 0, 1, ... pages of 4 KiB, then commits: the
    space runs out at each of the commit's writes in turn (the YQL column cache, the
    transaction's manifest, the folder markers, the tables' pending markers, the listing
    counters, the journal), then at the next stage's. A listing counter, appended to with
    os.write, failed with `OSError(28, 'No space left on device')`, naming no file."""
    template = make(tmp_path / "template")
    for pages in range(9):
        root = disk / "p"
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(template, root)
        trial(root, disk, f"disk full at the load stage's commit, {pages} pages free",
              moment="load_end", pages=pages)


WIDE_MAPPER = """
from ytjobs import read_rows, write_rows

write_rows({"v": row["v"], "pad": "x" * 4000} for row in read_rows())
"""


def test_map_jobs_that_meet_a_full_disk_say_so(disk, tmp_path):
    """The map's jobs fill the disk with their output and fail; what the launcher then
    writes in the sandbox (the failed job's logs) fails too, and said
    `OSError(28, 'No space left on device')`, naming no file. The failed map leaves no
    output; once space is freed, --resume writes it whole."""
    root = write_pipeline(disk / "p", {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev"},
                                           "stages": {"graph": {"load": [], "wide": ["load"]}}}),
        "stages/load/stage.py": LOAD,
        "stages/wide/stage.py": MAPPER_STAGE,
        "stages/wide/src/mapper.py": WIDE_MAPPER,
        "stages/wide/config.yaml": json.dumps({"client": {"operations": {"map": {
            "input_table": "//r/input", "output_table": "//r/mapped",
            "mapper": "src/mapper.py", "resources": {"job_count": 2},
            "max_failed_job_count": 1}}}}),
    })
    # room for the sandbox and the code extracted into it, not for ~1.2 MB of output
    env = {"YTP_TEST_FILL": f"{disk / 'filler'}:before_map:100"}
    code, out = finish(start(command(root), env=env))
    check_failed_cleanly(code, out, "map output on a full disk")
    assert not tables(root / ".dev").get("//r/mapped"), "a failed map wrote its output"
    (disk / "filler").unlink()
    code, out = finish(start(command(root, "--resume")))
    assert code == 0, out[-3000:]
    got = tables(root / ".dev")
    assert got["//r/mapped"] == Counter(row(v=i, pad="x" * 4000) for i in range(N))
    assert got["//r/log"] == Counter([row(stage="load"), row(stage="mapper")])


FAILING_FILLER = FILL + """
from yt_pipeline import BaseStage


class Filler(BaseStage):
    def run(self, debug):
        fill_disk("failing")
        raise RuntimeError("the stage's own failure")
"""


def test_a_failed_run_that_cannot_save_its_state_keeps_the_stage_error(disk, tmp_path):
    """A stage fills the disk to the last page and fails: the run cannot then save its
    state or its record. The last line used to be that write's OSError, naming the state
    file, with neither the stage's error nor the command that resumes. Now the stage's
    failure is the error, the files that could not be saved are named above it, and once
    space is freed --resume runs the stage again, the first stage's append done once."""
    root = write_pipeline(disk / "p", {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev"},
                                           "stages": {"graph": {"load": [], "fill": ["load"]}}}),
        "stages/load/stage.py": LOAD,
        "stages/fill/stage.py": FAILING_FILLER,
    })
    filler = disk / "filler"
    code, out = finish(start(command(root), env={"YTP_TEST_FILL": f"{filler}:failing:0"}))
    assert code == 1, out[-3000:]
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and re.fullmatch(
        r"error: stage fill failed: RuntimeError\(\"the stage's own failure\"\) at "
        r"\S*stages/fill/stage\.py:\d+", errors[0]), out[-3000:]
    assert f"to resume: yt-pipeline run {root} --resume" in out, out[-3000:]
    unsaved = [line for line in out.splitlines() if "could not save" in line]
    assert unsaved and all("No space left on device" in line for line in unsaved), out
    assert any(str(root / name) in line for line in unsaved for name in RUN_FILES), unsaved
    assert "Traceback" not in out

    filler.unlink()
    (root / "stages/fill/stage.py").write_text(
        "from yt_pipeline import BaseStage\n\n\nclass Filler(BaseStage):\n"
        "    def run(self, debug):\n"
        "        self.deps.yt_client.write_table('//r/log', [{'stage': 'fill'}], append=True)\n"
        "        return debug\n")
    code, out = finish(start(command(root, "--resume")))
    assert code == 0, out[-3000:]
    got = tables(root / ".dev")
    assert got["//r/log"] == Counter([row(stage="load"), row(stage="fill")]), got["//r/log"]
    assert got["//r/input"] == Counter(row(k=(i * 3) % KEYS, v=i) for i in range(N))
