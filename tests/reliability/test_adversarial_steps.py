"""A function-step pipeline (core/steps.py) killed at seeded crash points and at random
times, then run again with `run(resume=True)` (itself killed in some trials), with and
without the cache: every table holds exactly the rows of one run, and the outputs the steps
hand on are those of one run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from adversarial_helpers import crash_points, differences, finish, row, seeded, start, tables

from yt_pipeline.testing import write_pipeline

TRIALS = int(os.environ.get("YTP_ADV_STEP_TRIALS", "8"))

STEPS = """
import sys
from yt_pipeline import Pipeline, step


@step(outputs=["count", "//f/raw"])
def extract(yt):
    n = yt.write_table("//f/raw", ({"id": i, "g": i % 4} for i in range(300)))
    yt.write_table("//f/log", [{"step": "extract"}], append=True)
    return n


def appender(name):
    @step(name=name, inputs=["count", "//f/raw"], outputs=[f"n_{name}"])
    def append(count, yt):
        for part in range(3):
            yt.write_table("//f/acc", ({"by": name, "part": part, "id": r["id"]}
                                       for r in yt.read_table("//f/raw")), append=True)
        yt.write_table("//f/log", [{"step": name}], append=True)
        return {"rows": 3 * count, "tags": {name, "x"}}
    return append


@step(inputs=["count", "//f/raw"], outputs=["groups"])
def yql(count, yt):
    yt.run_yql("INSERT INTO `//f/y` SELECT g, COUNT(*) AS n FROM `//f/raw` GROUP BY g")
    yt.run_yql("INSERT INTO `//f/yt` WITH TRUNCATE SELECT g, SUM(id) AS s FROM `//f/raw` GROUP BY g")
    yt.write_table("//f/log", [{"step": "yql"}], append=True)
    return sorted((r["g"], r["n"]) for r in yt.read_table("//f/y"))


@step(inputs=["n_a", "n_b", "groups"], outputs=["total"])
def summary(n_a, n_b, groups, yt):
    total = yt.row_count("//f/acc")
    yt.write_table("//f/summary", [{"total": total, "a": n_a["rows"], "b": n_b["rows"],
                                    "groups": len(groups)}])
    yt.write_table("//f/log", [{"step": "summary"}], append=True)
    return total


pipeline = Pipeline("adv", folder=".", workers=2, cache=sys.argv[1] == "cache")
for each in (extract, appender("a"), appender("b"), yql, summary):
    pipeline.add_step(each)
result = pipeline.run(resume=sys.argv[2] == "resume")
print("RESULT", result.success, result.outputs.get("total"), result.error)
sys.exit(0 if result.success else 1)
"""


def expected() -> dict[str, Counter]:
    raw = [{"id": i, "g": i % 4} for i in range(300)]
    return {
        "//f/raw": Counter(row(**r) for r in raw),
        "//f/acc": Counter(row(by=b, part=p, id=r["id"]) for b in "ab" for p in range(3)
                           for r in raw),
        "//f/y": Counter(row(g=g, n=75) for g in range(4)),
        "//f/yt": Counter(row(g=g, s=sum(r["id"] for r in raw if r["g"] == g)) for g in range(4)),
        "//f/summary": Counter([row(total=1800, a=900, b=900, groups=4)]),
        "//f/log": Counter(row(step=s) for s in ("extract", "a", "b", "yql", "summary")),
    }


def launch(root: Path, cache: bool, resume: bool, env: dict[str, str] | None = None):
    return start([sys.executable, "steps.py", "cache" if cache else "nocache",
                  "resume" if resume else "fresh"], env=env, cwd=root)


def check(root: Path, cache: bool, label: str, env: dict[str, str] | None = None) -> None:
    code, out = finish(launch(root, cache, True, env))
    assert code == 0, f"{label}: resume failed: {out[-3000:]}"
    assert "RESULT True 1800 None" in out, f"{label}: {out[-2000:]}"
    problems = differences(tables(root / ".dev"), expected())
    assert not problems, f"{label}: " + "; ".join(problems)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    root = write_pipeline(tmp_path_factory.mktemp("steps") / "p", {"steps.py": STEPS})
    points = root.parent / "points"
    started = time.perf_counter()
    code, out = finish(launch(root, False, False, {"YTP_CRASH_COUNT": str(points)}))
    assert code == 0, out
    problems = differences(tables(root / ".dev"), expected())
    assert not problems, problems
    return {"points": crash_points(points), "elapsed": time.perf_counter() - started}


@pytest.mark.slow
@pytest.mark.parametrize("cache", [False, True])
def test_function_steps_killed_at_crash_points_resume_to_exact_rows(tmp_path, reference, cache):
    rng = seeded(20261203_3 + cache)
    count = len(reference["points"])
    template = write_pipeline(tmp_path / "template", {"steps.py": STEPS})
    picks = list(range(1, count + 1))
    rng.shuffle(picks)
    for trial, point in enumerate(picks[:TRIALS]):
        root = tmp_path / f"t{trial}"
        shutil.copytree(template, root)
        label = f"trial {trial} cache={cache} (crash point {point}/{count}: " \
                f"{reference['points'][point - 1]})"
        code, out = finish(launch(root, cache, False, {"YTP_CRASH_AT": str(point)}))
        assert code in (-signal.SIGKILL, 0), f"{label}: {out[-2000:]}"
        if trial % 3 == 2:
            finish(launch(root, cache, True, {"YTP_CRASH_AT": str(rng.randint(1, 10))}))
            label += " + killed resume"
        check(root, cache, label)
        if cache:  # once more: everything from the cache, nothing appended again
            check(root, cache, label + " + cached rerun")
        shutil.rmtree(root)


@pytest.mark.slow
def test_function_steps_killed_at_random_times_resume_to_exact_rows(tmp_path, reference):
    rng = seeded(20261203_4)
    template = write_pipeline(tmp_path / "template", {"steps.py": STEPS})
    for trial in range(max(4, TRIALS // 3)):
        root = tmp_path / f"t{trial}"
        shutil.copytree(template, root)
        process = launch(root, False, False)
        time.sleep(rng.uniform(0.05, reference["elapsed"]))
        os.killpg(process.pid, signal.SIGKILL)
        finish(process)
        check(root, False, f"timed trial {trial}")
        shutil.rmtree(root)


def test_outputs_handed_on_after_resume_are_those_of_one_run(tmp_path, reference):
    root = write_pipeline(tmp_path / "p", {"steps.py": STEPS})
    # a kill late in the run: the appenders are done, their outputs come from the state
    point = len(reference["points"]) - 3
    finish(launch(root, False, False, {"YTP_CRASH_AT": str(point)}))
    check(root, False, "late kill")
    state = json.loads((root / ".runs/stages.adv.dev.json").read_text())
    assert set(state) == {"extract", "a", "b", "yql", "summary"}
