"""ytjobs on the Python a cluster job has: 3.8 (the oldest found here), standard library only."""

from __future__ import annotations

import json
import pkgutil

from bare_python import REPO, bare_python, run_bare

import ytjobs

MODULES = sorted(m.name for m in pkgutil.walk_packages(ytjobs.__path__, "ytjobs."))


def test_the_job_python_is_bare_and_the_oldest_supported():
    done = run_bare(["-c", (
        "import sys, importlib.util as u\n"
        "print(sys.version_info[0], sys.version_info[1])\n"
        "print([m for m in ('yaml', 'msgspec', 'orjson') if u.find_spec(m)])\n")], "")
    assert done.returncode == 0, done.stderr
    major, minor = map(int, done.stdout.splitlines()[0].split())
    assert (major, minor) >= (3, 8)
    assert done.stdout.splitlines()[1] == "[]", f"{bare_python()} has packages installed"


def test_every_ytjobs_module_imports_there():
    assert "ytjobs.logging.logger" in MODULES and "ytjobs.mapper" in MODULES
    source = f"import importlib\nfor name in {MODULES!r}:\n    importlib.import_module(name)\n"
    done = run_bare(["-c", source], "")
    assert done.returncode == 0, done.stderr


def test_rows_logs_and_mappers_work_there():
    source = (
        "from ytjobs import StreamMapper, get_logger\n"
        "from ytjobs.rows import groups, read_rows\n"
        "get_logger('job').info('started')\n"
        "StreamMapper().map(lambda row: [dict(row, n=row['n'] * 2)])\n"
    )
    rows = "".join(json.dumps({"n": n, "word": "ü"}) + "\n" for n in (1, 2**62))
    done = run_bare(["-c", source], rows)
    assert done.returncode == 0, done.stderr
    assert [json.loads(line) for line in done.stdout.splitlines()] == [
        {"n": 2, "word": "ü"}, {"n": 2**63, "word": "ü"}]
    assert "started" in done.stderr


def test_load_config_reads_the_json_twin_without_pyyaml(tmp_path):
    (tmp_path / "config.yaml").write_text("greeting: this YAML is not read\n")
    (tmp_path / "config.json").write_text(json.dumps({"greeting": "hi", "n": [1, 2]}))
    done = run_bare(["-c", "import ytjobs; print(ytjobs.load_config())"], "",
                    env={"JOB_CONFIG_PATH": str(tmp_path / "config.yaml")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "{'greeting': 'hi', 'n': [1, 2]}"


def test_load_config_without_a_twin_or_pyyaml_says_what_is_missing(tmp_path):
    (tmp_path / "config.yaml").write_text("greeting: hi\n")
    done = run_bare(["-c", "import ytjobs; ytjobs.load_config()"], "",
                    env={"JOB_CONFIG_PATH": str(tmp_path / "config.yaml")})
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "config.yaml has no JSON twin (config.json)" in last and "PyYAML" in last
    assert str(REPO) not in last


def test_without_venv_the_job_python_still_has_no_site_packages(monkeypatch):
    # This test's own interpreter has PyYAML; the bare form of it must not see it.
    import subprocess
    import sys

    from yt_pipeline_prod.fake import interpreter

    real_run = subprocess.run

    def no_venv(command, *args, **kwargs):
        if "venv" in command:
            raise subprocess.CalledProcessError(1, command)
        return real_run(command, *args, **kwargs)

    monkeypatch.setattr(interpreter.subprocess, "run", no_venv)
    folder = interpreter.bare_python_bin.__wrapped__(sys.executable)
    done = real_run([f"{folder}/python3", "-c", "import importlib.util as u, json; "
                     "print(u.find_spec('yaml') is None, json.dumps(1))"],
                    capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["True", "1"], done.stderr
