"""Two scripts making a function-step pipeline of one name in one folder: the second is
refused instead of resuming from the first one's state; the same script, edited, goes on."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

FIRST = '''
from yt_pipeline import Pipeline, step

@step(outputs=["n"])
def load():
    return 1

@step(inputs=["n"])
def total(n):
    FAIL
'''

SECOND = '''
from pathlib import Path
from yt_pipeline import Pipeline, step

@step(outputs=["n"])
def load():
    return 100

@step(inputs=["n"])
def report(n):
    Path("report.txt").write_text(f"n={n}")
'''

RUN = '''
r = Pipeline("etl", folder=".").add_step(load).add_step({last}).run(resume=True)
print("statuses", {{k: v.status for k, v in r.step_results.items()}})
'''


def script(folder: Path, name: str, body: str, last: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(body) + RUN.format(last=last))
    return path


def run(folder: Path, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(path)], cwd=folder, capture_output=True,
                          text=True, timeout=120)


def state(folder: Path) -> dict:
    return yaml.safe_load((folder / "state.etl.dev.yml").read_text())


def test_a_second_script_of_the_same_name_is_refused(tmp_path):
    first = script(tmp_path, "first.py", FIRST.replace("FAIL", "raise RuntimeError('x')"),
                   "total")
    run(tmp_path, first)
    assert state(tmp_path) == {"load": "SUCCESS", "total": "FAILED"}
    second = script(tmp_path, "second.py", SECOND, "report")
    refused = run(tmp_path, second)
    assert refused.returncode != 0
    assert refused.stderr.strip().splitlines()[-1] == (
        f"error: {tmp_path / 'state.etl.dev.yml'}: belongs to a pipeline of the same name "
        "made in first.py (steps load, total), not this one made in second.py (steps load, "
        "report): give one of them another name (or delete state.etl.dev.yml to start "
        "this one over)")
    assert first.name == "first.py" and second.name == "second.py"
    # nothing of the second ran: it did not take the first one's n as its own
    assert not (tmp_path / "report.txt").exists()
    assert state(tmp_path) == {"load": "SUCCESS", "total": "FAILED"}


EDITED = '''
from pathlib import Path
from yt_pipeline import Pipeline, step

@step(outputs=["n"])
def load():
    return 1

@step(inputs=["n"])
def total(n):
    Path("total.txt").write_text(str(n))

@step(after=["total"])
def report():
    Path("report.txt").write_text("done")
'''


def test_a_copy_of_the_folder_is_a_pipeline_of_its_own_script(tmp_path):
    (tmp_path / "a").mkdir()
    first = script(tmp_path / "a", "first.py", FIRST.replace("FAIL", "return n"), "total")
    assert run(tmp_path / "a", first).returncode == 0
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    copied = run(tmp_path / "b", tmp_path / "b" / "first.py")
    assert copied.returncode == 0, copied.stderr
    assert "'load': 'SKIPPED', 'total': 'SKIPPED'" in copied.stdout


def test_the_same_script_edited_resumes_and_a_renamed_one_takes_over(tmp_path):
    first = script(tmp_path, "first.py", FIRST.replace("FAIL", "raise RuntimeError('x')"),
                   "total")
    run(tmp_path, first)
    # the failed step fixed and another one added: the same pipeline, resumed
    script(tmp_path, "first.py", EDITED, "total).add_step(report")
    resumed = run(tmp_path, first)
    assert resumed.returncode == 0, resumed.stderr
    assert state(tmp_path) == {"load": "SUCCESS", "total": "SUCCESS", "report": "SUCCESS"}
    assert (tmp_path / "total.txt").read_text() == "1"  # load's value of the first run
    assert "'load': 'SKIPPED'" in resumed.stdout
    # a script moved away leaves no file behind: the moved one goes on with the state
    moved = first.rename(tmp_path / "moved.py")
    again = run(tmp_path, moved)
    assert again.returncode == 0, again.stderr
    assert '"moved.py"' in (tmp_path / ".runs" / "definition.etl.dev.json").read_text()
