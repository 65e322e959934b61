"""The cache sees the data files a stage's code opens by a path of its own making: a changed
or removed one runs the stage again; a scratch file it writes itself, the tables it reads
through the client and a secrets file are not recorded.

Each run is a fresh `python -m yt_pipeline run` process, as a user's runs are; checks read
the rows of the output table and the stage's status in the run's summary.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from yt_pipeline import opened_files
from yt_pipeline.testing import write_pipeline

CONFIG = {"pipeline": {"mode": "dev", "cache": True}, "stages": {"enabled_stages": ["load"]}}

# reads a CSV by a path it builds itself, and a scratch file it writes first
LOAD_STAGE = """
import csv
from pathlib import Path

from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        scratch = Path("scratch.txt")
        scratch.write_text("temporary")
        assert scratch.read_text() == "temporary"
        with open(Path("data") / "users.csv", newline="") as handle:
            rows = [{"name": r["name"], "age": int(r["age"])} for r in csv.DictReader(handle)]
        self.deps.yt_client.write_table("//out/users", rows)
        return debug
"""


def _run(root: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root)],
                          capture_output=True, text=True, timeout=120, cwd=root)
    assert done.returncode == 0, done.stderr
    return done


def _status(done: subprocess.CompletedProcess[str]) -> str:
    line = next(ln for ln in done.stderr.splitlines() if ln.strip().startswith("load "))
    return line.split()[1]


def _rows(root: Path) -> list[dict]:
    text = (root / ".dev/out/users.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


def _write_csv(root: Path, text: str) -> None:
    path = root / "data/users.csv"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    # the file digest memo trusts a file untouched for 2 s (filememo.RACY_S): age it, so
    # that a cached digest is what the next run compares with
    old = time.time() - 10
    os.utime(path, (old, old))


def test_a_changed_data_file_runs_the_stage_again(tmp_path):
    root = write_pipeline(tmp_path / "p", {"stages/load/stage.py": LOAD_STAGE}, CONFIG)
    _write_csv(root, "name,age\nann,31\nbob,42\n")
    assert _status(_run(root)) == "SUCCESS"
    assert _rows(root) == [{"name": "ann", "age": 31}, {"name": "bob", "age": 42}]

    second = _run(root)
    assert _status(second) == "CACHED"  # the scratch file it rewrote does not count

    _write_csv(root, "name,age\nann,32\nbob,42\ncid,19\n")
    third = _run(root)
    assert _status(third) == "SUCCESS"
    assert "cache miss: data file data/users.csv changed" in third.stderr
    assert _rows(root) == [{"name": "ann", "age": 32}, {"name": "bob", "age": 42},
                           {"name": "cid", "age": 19}]
    assert _status(_run(root)) == "CACHED"


def test_a_removed_data_file_runs_the_stage_again_and_it_says_so(tmp_path):
    root = write_pipeline(tmp_path / "p", {"stages/load/stage.py": LOAD_STAGE}, CONFIG)
    _write_csv(root, "name,age\nann,31\n")
    _run(root)
    (root / "data/users.csv").unlink()
    done = subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root)],
                          capture_output=True, text=True, timeout=120, cwd=root)
    assert done.returncode == 1
    assert "cache miss: data file data/users.csv it read in run" in done.stderr
    assert "is missing" in done.stderr
    assert _rows(root) == [{"name": "ann", "age": 31}]  # the failed run changed nothing


def test_what_is_kept_names_the_data_file_only(tmp_path):
    root = write_pipeline(tmp_path / "p", {"stages/load/stage.py": LOAD_STAGE}, CONFIG)
    _write_csv(root, "name,age\nann,31\n")
    _run(root)
    state = json.loads((root / ".runs/stages.dev.json").read_text())
    kept = json.dumps(state)
    assert "data/users.csv" in kept
    # its own scratch file, its table file and its code are not data files
    assert "scratch.txt" not in kept and "users.jsonl" not in kept and "stage.py\"" not in kept


def _recorded(folder: Path, reads: list[str], writes: list[str] = ()) -> list[str]:
    record = opened_files._Record()
    record.read.update(str(folder / name) for name in reads)
    record.written.update(str(folder / name) for name in writes)
    return [opened_files.shown_name(p, folder)
            for p in opened_files.data_files(record, folder)]


def test_only_the_stages_data_is_recorded(tmp_path):
    for name in ("data/a.csv", "secrets.env", ".dev/t/x.jsonl", ".runs/r.json",
                 "helpers/m.py", "out.txt", "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = _recorded(tmp_path, ["data/a.csv", "secrets.env", ".dev/t/x.jsonl",
                                 ".runs/r.json", "helpers/m.py", "out.txt", "missing.csv",
                                 "data"], writes=["out.txt"])
    assert found == ["data/a.csv"]


def test_opens_are_recorded_for_the_recording_thread_only(tmp_path):
    import threading

    data = tmp_path / "d.txt"
    data.write_text("1")
    elsewhere: list[str] = []
    with opened_files.recording() as record:
        data.read_text()
        thread = threading.Thread(target=lambda: elsewhere.append(data.read_text()))
        thread.start()
        thread.join()
        with open(tmp_path / "w.txt", "w") as out:
            out.write("x")
    assert str(data) in record.read and elsewhere == ["1"]
    assert record.written == {str(tmp_path / "w.txt")}
    assert len(record.read) == 1  # the other thread's read is not this stage's


# changes its working folder to read the CSV by a relative name, then changes back
CHDIR_STAGE = """
import os

from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        here = os.getcwd()
        os.chdir("data")
        try:
            with open("users.csv") as handle:
                names = handle.read().split()
        finally:
            os.chdir(here)
        self.deps.yt_client.write_table("//out/users", [{"name": n} for n in names])
        return debug
"""


def test_a_file_read_from_another_working_folder_is_recorded(tmp_path):
    # a relative path names a file in the working folder of the moment it is opened, not
    # of the moment the stage returns
    root = write_pipeline(tmp_path / "p", {"stages/load/stage.py": CHDIR_STAGE}, CONFIG)
    _write_csv(root, "ann\nbob\n")
    assert _status(_run(root)) == "SUCCESS"
    assert _status(_run(root)) == "CACHED"
    _write_csv(root, "ann\nbob\ncid\n")
    third = _run(root)
    assert "cache miss: data file data/users.csv changed" in third.stderr
    assert _status(third) == "SUCCESS"
    assert _rows(root) == [{"name": "ann"}, {"name": "bob"}, {"name": "cid"}]


# reads the secrets file, whatever it is called, and the data beside it
SECRET_READING_STAGE = """
from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        for name in ("configs/secrets.env", "private/token-copy", "data/users.csv"):
            with open(name) as handle:
                handle.read()
        self.deps.yt_client.write_table("//out/users", [{"name": "ann", "age": 31}])
        return debug
"""


def test_the_secrets_file_under_another_name_is_not_kept(tmp_path):
    # configs/secrets.env a link to the real file (kept apart from the pipeline's own), and
    # a hard link to it under a third name: each opens the secrets, none may be hashed
    root = write_pipeline(tmp_path / "p", {"stages/load/stage.py": SECRET_READING_STAGE},
                          CONFIG)
    _write_csv(root, "name,age\nann,31\n")
    real = root / "private" / "prod.creds"
    real.parent.mkdir()
    real.write_text("YT_TOKEN=tok-very-secret-0123456789\n")
    (root / "configs" / "secrets.env").symlink_to(Path("..") / "private" / "prod.creds")
    os.link(real, root / "private" / "token-copy")
    assert _status(_run(root)) == "SUCCESS"
    state = json.loads((root / ".runs/stages.dev.json").read_text())
    assert state["load"]["opened"] == {"data/users.csv": state["load"]["opened"]["data/users.csv"]}
    kept = (root / ".runs/stages.dev.json").read_text()
    assert "prod.creds" not in kept and "token-copy" not in kept and "secrets.env" not in kept
    assert _status(_run(root)) == "CACHED"


# reads the machine's files as libraries do (ytsaurus-client names the OS release in its
# user agent through `distro`, which reads /etc/os-release), and its own data
MACHINE_READING_STAGE = """
import platform

from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        with open("/proc/self/stat") as handle:
            handle.read()
        try:
            platform.freedesktop_os_release()
        except OSError:  # a machine without /etc/os-release
            pass
        with open("data/users.csv") as handle:
            handle.read()
        self.deps.yt_client.write_table("//out/users", [{"name": "ann", "age": 31}])
        return debug
"""


def test_the_machines_own_files_are_not_data_files(tmp_path):
    root = write_pipeline(tmp_path / "p", {"stages/load/stage.py": MACHINE_READING_STAGE},
                          CONFIG)
    _write_csv(root, "name,age\nann,31\n")
    assert _status(_run(root)) == "SUCCESS"
    state = json.loads((root / ".runs/stages.dev.json").read_text())
    assert list(state["load"]["opened"]) == ["data/users.csv"]
    assert _status(_run(root)) == "CACHED"


# reads the user's credentials as libraries do (requests looks up ~/.netrc on every request
# that carries no auth of its own, ytsaurus-client's among them), and its own data
HOME_READING_STAGE = """
import netrc
from pathlib import Path

from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        netrc.netrc()
        (Path.home() / ".config" / "tool" / "credentials").read_text()
        with open("data/users.csv") as handle:
            handle.read()
        self.deps.yt_client.write_table("//out/users", [{"name": "ann", "age": 31}])
        return debug
"""


def test_the_users_hidden_files_are_not_data_files(tmp_path):
    root = write_pipeline(tmp_path / "p", {"stages/load/stage.py": HOME_READING_STAGE},
                          CONFIG)
    _write_csv(root, "name,age\nann,31\n")
    home = tmp_path / "home"
    (home / ".config" / "tool").mkdir(parents=True)
    (home / ".netrc").write_text("machine example.com login ann password pw-0123456789\n")
    (home / ".netrc").chmod(0o600)
    (home / ".config" / "tool" / "credentials").write_text("token=tok-0123456789\n")
    # a temporary folder elsewhere, or the home under tmp_path would be left out as in it
    (tmp_path / "tmp").mkdir()
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(tmp_path / "tmp")}
    for expected in ("SUCCESS", "CACHED"):
        done = subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root)],
                              capture_output=True, text=True, timeout=120, cwd=root, env=env)
        assert done.returncode == 0, done.stderr
        assert _status(done) == expected
    state = json.loads((root / ".runs/stages.dev.json").read_text())
    assert list(state["load"]["opened"]) == ["data/users.csv"]
    for kept in (root / ".runs").rglob("*"):  # the file digest memo among them
        if kept.is_file():
            assert str(home) not in kept.read_text(errors="replace"), kept


# reads the CSV, then (as another process writing the file meanwhile would) has a child
# process append a row: the rows it wrote are those of the file as it read it
READ_THEN_CHANGED_STAGE = LOAD_STAGE.replace(
    '''        self.deps.yt_client.write_table("//out/users", rows)''',
    '''        import subprocess, sys
        if Path("change-once").exists():
            Path("change-once").unlink()
            subprocess.run([sys.executable, "-c",
                            "open('data/users.csv', 'a').write('late,77\\\\n')"], check=True)
        self.deps.yt_client.write_table("//out/users", rows)''')


def test_a_data_file_changed_while_the_stage_read_it_is_not_served_from_the_cache(tmp_path):
    root = write_pipeline(tmp_path / "p", {"stages/load/stage.py": READ_THEN_CHANGED_STAGE},
                          CONFIG)
    _write_csv(root, "name,age\nann,31\n")
    (root / "change-once").write_text("")
    first = _run(root)
    assert _status(first) == "SUCCESS"
    # the table holds the file as it was read; the file now holds one more row
    assert _rows(root) == [{"name": "ann", "age": 31}]
    assert (root / "data/users.csv").read_text() == "name,age\nann,31\nlate,77\n"

    second = _run(root)
    assert _status(second) == "SUCCESS", second.stderr
    assert "data file data/users.csv changed while run" in second.stderr
    assert _rows(root) == [{"name": "ann", "age": 31}, {"name": "late", "age": 77}]
    assert _status(_run(root)) == "CACHED"  # read whole and unchanged: kept as usual


# `total` reads the table `load` hands on by name: no declared table links them, so its
# cache key holds `load` as an upstream
TOTAL_STAGE = """
from yt_pipeline import BaseStage


class Total(BaseStage):
    def run(self, debug):
        rows = self.deps.yt_client.read_table("//out/users")
        self.deps.yt_client.write_table("//out/total", [{"age": sum(r["age"] for r in rows)}])
        return debug
"""


def test_a_stage_after_one_a_changed_data_file_ran_again_runs_again(tmp_path):
    """`load` runs again for its data file, a change its fingerprint does not hold: the
    stage after it must not keep the total of the rows `load` no longer writes."""
    config = {"pipeline": {"mode": "dev", "cache": True},
              "stages": {"enabled_stages": ["load", "total"]}}
    root = write_pipeline(tmp_path / "p", {"stages/load/stage.py": LOAD_STAGE,
                                           "stages/total/stage.py": TOTAL_STAGE}, config)
    _write_csv(root, "name,age\nann,31\nbob,42\n")
    _run(root)
    assert json.loads((root / ".dev/out/total.jsonl").read_text()) == {"age": 73}

    _write_csv(root, "name,age\nann,31\nbob,42\ncid,19\n")
    done = _run(root)
    assert _status(done) == "SUCCESS"
    assert "cache miss: upstream load changed" in done.stderr
    assert json.loads((root / ".dev/out/total.jsonl").read_text()) == {"age": 92}
    again = _run(root).stderr.splitlines()
    assert next(ln for ln in again if ln.strip().startswith("total ")).split()[1] == "CACHED"
