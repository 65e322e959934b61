"""map in dev: shards, order, interpreter, environment, code archive, failures, time limits."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from yt_pipeline.errors import (
    BackendError,
    ConfigError,
    OperationFailed,
    PackagingError,
    TableNotFound,
)
from yt_pipeline_dev import plugin
from yt_pipeline_dev.launcher import launch, sandbox_for

COPY_MAPPER = """
    import os, sys
    from ytjobs import read_rows, write_rows
    job = int(os.environ["YT_JOB_INDEX"])
    write_rows({**row, "job": job, "python": sys.executable} for row in read_rows())
"""
ENV_MAPPER = """
    import os, json
    from ytjobs import read_rows, write_rows, get_config_path
    import helpers  # from the pipeline folder, on PYTHONPATH
    names = ["PLAIN", "API_KEY", "YT_SECURE_VAULT_API_KEY", "MY_SECRET", "YT_TOKEN"]
    for row in read_rows():
        env = {name: os.environ.get(name) for name in names}
        write_rows([{"env": env, "config": str(get_config_path()), "helper": helpers.VALUE}])
"""


def _rows(client, path):
    return list(client.read_table(path))


def test_map_job_count_keeps_order_in_contiguous_shards(dev_client, stages):
    stages("m", {"src/mapper.py": COPY_MAPPER})
    source = [{"id": i, "big": 2**63 + i, "text": f"ü{i}"} for i in range(999)]
    dev_client.write_table("//in/t", source)
    spec = stages.spec("map", "m", job_count=3, input_tables=["//in/t"],
                       output_tables=["//out/t"], mapper="src/mapper.py")
    result = launch(dev_client, spec)
    rows = _rows(dev_client, "//out/t")
    assert [{k: r[k] for k in ("id", "big", "text")} for r in rows] == source
    jobs = [r["job"] for r in rows]
    assert jobs == sorted(jobs) and set(jobs) == {0, 1, 2}
    assert {r["python"] for r in rows} == {sys.executable}
    assert result.rows == {"//out/t": 999}
    assert not sandbox_for(dev_client, spec).exists()
    log = (dev_client.root / "operation.log").read_text()
    assert "map m/map //in/t->//out/t rows=999" in log and "jobs=3" in log


def test_sandbox_name_is_file_system_safe(dev_client, stages):
    spec = stages.spec("map", "m", input_tables=["//tmp/a b/in"], output_tables=["//x/y:z"])
    name = sandbox_for(dev_client, spec).name
    assert name == "sandbox_m.map_tmp.a_b.in_to_x.y_z"


def test_two_stages_with_the_same_tables_get_sandboxes_of_their_own(dev_client, stages):
    first = stages.spec("map", "m", input_tables=["//in/t"], output_tables=["//out/t"])
    second = stages.spec("map", "m", input_tables=["//in/t"], output_tables=["//out/t"])
    second.stage_name = "other"
    assert sandbox_for(dev_client, first) != sandbox_for(dev_client, second)


def test_map_append_and_empty_input(dev_client, stages):
    stages("m", {"src/mapper.py": COPY_MAPPER})
    dev_client.write_table("//in/t", [{"id": 1}])
    dev_client.write_table("//out/t", [{"id": 0}])
    spec = stages.spec("map", "m", job_count=2, input_tables=["//in/t"],
                       output_tables=["//out/t"], mapper="src/mapper.py", append=True)
    launch(dev_client, spec)
    assert [r["id"] for r in _rows(dev_client, "//out/t")] == [0, 1]
    dev_client.write_table("//in/empty", [])
    spec.input_tables, spec.append = ["//in/empty"], False
    launch(dev_client, spec)
    assert dev_client.row_count("//out/t") == 0


def test_job_environment_and_secrets(dev_client, stages, monkeypatch):
    stage_dir = stages("e", {"src/mapper.py": ENV_MAPPER})
    (stage_dir.parent.parent / "helpers.py").write_text("VALUE = 42\n")
    monkeypatch.setenv("MY_SECRET", "from-secrets-env")
    monkeypatch.setenv("YT_TOKEN", "token-value")
    dev_client.write_table("//in/t", [{"id": 1}])
    spec = stages.spec("map", "e", input_tables=["//in/t"], output_tables=["//out/t"],
                       mapper="src/mapper.py", env={"PLAIN": "p"},
                       secure_env={"API_KEY": "k3y-value"})
    launch(dev_client, spec)
    [row] = _rows(dev_client, "//out/t")
    assert row["env"] == {"PLAIN": "p", "API_KEY": "k3y-value",
                          "YT_SECURE_VAULT_API_KEY": "k3y-value", "MY_SECRET": None,
                          "YT_TOKEN": None}
    assert row["config"] == str(stage_dir.resolve() / "config.yaml")
    assert row["helper"] == 42


def test_a_secret_exported_under_another_name_is_not_inherited(dev_client, stages,
                                                                monkeypatch):
    """A job inherits the driver's environment, less the names of secrets.env: a secret's
    value exported under another name (a copy of the token, an URL holding it) reached
    the job's environment, where a cluster's job never sees the driver's shell."""
    stages("e", {"src/mapper.py": """
        import os
        from ytjobs import read_rows, write_rows
        list(read_rows())
        write_rows([{"names": sorted(k for k in os.environ if k.startswith("COPY_"))}])
    """})
    monkeypatch.setenv("COPY_OF_SECRET", "hunter2-secret")
    monkeypatch.setenv("COPY_IN_URL", "https://user:hunter2-secret@host/")
    monkeypatch.setenv("COPY_UNRELATED", "plain value")
    dev_client.write_table("//in/t", [{"id": 1}])
    spec = stages.spec("map", "e", input_tables=["//in/t"], output_tables=["//out/t"],
                       mapper="src/mapper.py")
    launch(dev_client, spec)
    assert _rows(dev_client, "//out/t") == [{"names": ["COPY_UNRELATED"]}]


def test_a_path_holding_a_secret_is_still_given_to_jobs(dev_client, stages, monkeypatch):
    """PATH is kept whatever it holds: without it the job's wrapper finds no python3."""
    stages("p", {"src/mapper.py": """
        import os
        from ytjobs import read_rows, write_rows
        list(read_rows())
        write_rows([{"path": os.environ.get("PATH", "")}])
    """})
    path = os.environ["PATH"] + os.pathsep + "/opt/hunter2-secret/bin"
    monkeypatch.setenv("PATH", path)
    dev_client.write_table("//in/t", [{"id": 1}])
    spec = stages.spec("map", "p", input_tables=["//in/t"], output_tables=["//out/t"],
                       mapper="src/mapper.py")
    launch(dev_client, spec)
    assert _rows(dev_client, "//out/t") == [{"path": path}]


def test_failure_raises_with_details_and_leaves_output(dev_client, stages):
    stages("bad", {"src/mapper.py": """
        import sys
        from ytjobs import read_rows, write_rows
        write_rows([{"partial": 1}])
        print("leaking hunter2-secret and k3y-value", file=sys.stderr)
        raise SystemExit("mapper gave up on purpose")
    """})
    dev_client.write_table("//in/t", [{"id": 1}, {"id": 2}])
    dev_client.write_table("//out/t", [{"old": True}])
    before = dev_client.table_path("//out/t").read_bytes()
    spec = stages.spec("map", "bad", job_count=2, input_tables=["//in/t"],
                       output_tables=["//out/t"], mapper="src/mapper.py",
                       secure_env={"API_KEY": "k3y-value"})
    with pytest.raises(OperationFailed) as caught:
        launch(dev_client, spec)
    error = caught.value
    text = str(error)
    assert error.stage == "bad" and error.operation == "map" and error.job_exit_code == 1
    assert "mapper gave up on purpose" in error.stderr_tail
    assert "hunter2-secret" not in text and "k3y-value" not in text and "***" in text
    assert error.sandbox and os.path.isdir(error.sandbox) and error.sandbox in text
    assert dev_client.table_path("//out/t").read_bytes() == before
    assert sorted(p.name for p in dev_client.table_path("//out/t").parent.iterdir()) == ["t.jsonl"]


def test_timeout_kills_the_job(dev_client, stages):
    stages("slow", {"src/mapper.py": "import time\ntime.sleep(30)\n"})
    dev_client.write_table("//in/t", [{"id": 1}])
    spec = stages.spec("map", "slow", timeout_s=0.5, input_tables=["//in/t"],
                       output_tables=["//out/t"], mapper="src/mapper.py",
                       max_failed_job_count=1)
    started = time.monotonic()
    with pytest.raises(OperationFailed, match="timeout_s=0.5s and was killed: "
                                              "Job time limit exceeded") as caught:
        launch(dev_client, spec)
    assert caught.value.stage == "slow"
    assert time.monotonic() - started < 10
    assert not dev_client.exists("//out/t")


@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "no-pidfd"])
def test_jobs_are_waited_for_with_and_without_a_pidfd(dev_client, stages, monkeypatch, pidfd):
    """The driver learns of a job's exit through a pidfd where the kernel has one, and by
    polling where it has not (os.pidfd_open missing or refused): rows and time limits
    alike either way."""
    if not pidfd:
        def refused(pid: int, flags: int = 0) -> int:
            raise OSError(38, "Function not implemented")
        monkeypatch.setattr(os, "pidfd_open", refused, raising=False)
    elif not hasattr(os, "pidfd_open"):
        pytest.skip("no pidfd on this platform")
    stages("m", {"src/mapper.py": COPY_MAPPER})
    stages("slow", {"src/mapper.py": "import time\ntime.sleep(30)\n"})
    dev_client.write_table("//in/t", [{"id": i} for i in range(10)])
    launch(dev_client, stages.spec("map", "m", job_count=2, input_tables=["//in/t"],
                                   output_tables=["//out/t"], mapper="src/mapper.py"))
    assert [row["id"] for row in _rows(dev_client, "//out/t")] == list(range(10))
    slow = stages.spec("map", "slow", timeout_s=0.5, input_tables=["//in/t"],
                       output_tables=["//out/slow"], mapper="src/mapper.py",
                       max_failed_job_count=1)
    with pytest.raises(OperationFailed, match="timeout_s=0.5"):
        launch(dev_client, slow)
    assert not dev_client.exists("//out/slow")


def test_at_most_one_job_per_core(dev_client, stages, monkeypatch):
    stages("t", {"src/mapper.py": """
        import time
        from ytjobs import read_rows, write_rows
        start = time.time(); rows = list(read_rows()); time.sleep(0.1)
        write_rows([{"start": start, "end": time.time()}])
    """})
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    dev_client.write_table("//in/t", [{"id": i} for i in range(4)])
    spec = stages.spec("map", "t", job_count=4, input_tables=["//in/t"],
                       output_tables=["//out/t"], mapper="src/mapper.py")
    launch(dev_client, spec)
    spans = sorted((r["start"], r["end"]) for r in _rows(dev_client, "//out/t"))
    assert len(spans) == 4
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:], strict=False))


def test_missing_input(dev_client, stages):
    stages("m", {"src/mapper.py": COPY_MAPPER})
    spec = stages.spec("map", "m", input_tables=["//in/none"], output_tables=["//out/t"],
                       mapper="src/mapper.py")
    with pytest.raises(TableNotFound, match="//in/none"):
        launch(dev_client, spec)


def test_missing_requirements_reported_by_name(dev_client, stages):
    stage_dir = stages("r", {"src/mapper.py": COPY_MAPPER})
    (stage_dir / "requirements.txt").write_text(
        "# needed\npytest>=7\nno-such-dist-for-ytp==1.0  # pinned\n-r other.txt\norjson[x]\n")
    dev_client.write_table("//in/t", [{"id": 1}])
    spec = stages.spec("map", "r", input_tables=["//in/t"], output_tables=["//out/t"],
                       mapper="src/mapper.py")
    with pytest.raises(ConfigError) as caught:
        launch(dev_client, spec)
    message = str(caught.value)
    assert "requirements.txt" in message and "no-such-dist-for-ytp" in message
    assert "pytest" not in message.split("installed:")[1]
    assert not dev_client.exists("//out/t")


def test_the_dev_mode_brings_its_own_launcher():
    """Operations of a dev pipeline go to this launcher by the mode's name, whatever the
    class of the stage's client."""
    from yt_pipeline.modes import installed_modes
    from yt_pipeline.plugins import create_plugin_manager

    mode = installed_modes(create_plugin_manager())["dev"]
    assert mode.plugin == "dev"
    assert mode.spec.launch_operation is plugin.launch_operation


def test_code_archive_runs_through_its_wrapper(dev_client, stages, make_code_package):
    stages("arch", {"src/mapper.py": """
        import os, ytjobs
        from ytjobs import read_rows, write_rows, get_config_path
        write_rows({**row, "wrapped": os.environ.get("YTP_FROM_WRAPPER"),
                    "ytjobs": ytjobs.__file__, "config": str(get_config_path()),
                    "skip": os.environ.get("YTP_SKIP_REQUIREMENTS")} for row in read_rows())
    """})
    # the archive's copy differs from the working tree: proof the archive is what runs
    package = make_code_package(stages.pipeline_dir, "arch", {"map": "src/mapper.py"})
    dev_client.write_table("//in/t", [{"id": i} for i in range(10)])
    spec = stages.spec("map", "arch", job_count=2, input_tables=["//in/t"],
                       output_tables=["//out/t"], mapper="src/mapper.py", code_package=package)
    (stages.pipeline_dir / "stages/arch/src/mapper.py").write_text("raise SystemExit(3)\n")
    launch(dev_client, spec)
    rows = _rows(dev_client, "//out/t")
    sandbox = str(sandbox_for(dev_client, spec))
    assert [r["id"] for r in rows] == list(range(10))
    assert {r["wrapped"] for r in rows} == {"1"} and {r["skip"] for r in rows} == {"1"}
    assert all(r["ytjobs"].startswith(sandbox + "/_ytp_code/ytjobs/") for r in rows)
    assert {r["config"] for r in rows} == {sandbox + "/_ytp_code/stages/arch/config.yaml"}
    assert not os.path.exists(sandbox)


def test_unsafe_archive_member_is_refused(dev_client, stages, make_code_package, tmp_path):
    stages("arch", {"src/mapper.py": COPY_MAPPER})
    package = make_code_package(stages.pipeline_dir, "arch", {"map": "src/mapper.py"},
                                extra_members={"../../escaped.txt": b"x"})
    dev_client.write_table("//in/t", [{"id": 1}])
    spec = stages.spec("map", "arch", input_tables=["//in/t"], output_tables=["//out/t"],
                       mapper="src/mapper.py", code_package=package)
    with pytest.raises(PackagingError, match="cannot extract"):
        launch(dev_client, spec)
    assert not list(tmp_path.rglob("escaped.txt"))


def test_archive_without_the_wrapper(dev_client, stages, make_code_package):
    stages("arch", {"src/mapper.py": COPY_MAPPER, "src/other.py": COPY_MAPPER})
    package = make_code_package(stages.pipeline_dir, "arch", {"map": "src/mapper.py"})
    dev_client.write_table("//in/t", [{"id": 1}])
    spec = stages.spec("map", "arch", input_tables=["//in/t"], output_tables=["//out/t"],
                       mapper="src/other.py", code_package=package)
    with pytest.raises(PackagingError, match="operation_wrapper_arch_other.sh"):
        launch(dev_client, spec)


def test_output_without_final_newline_is_joined_cleanly(dev_client, stages):
    stages("nl", {"src/mapper.py": """
        import sys, os
        sys.stdin.read()
        sys.stdout.write('{"job":%s}' % os.environ["YT_JOB_INDEX"])
    """})
    dev_client.write_table("//in/t", [{"id": i} for i in range(4)])
    spec = stages.spec("map", "nl", job_count=2, input_tables=["//in/t"],
                       output_tables=["//out/t"], mapper="src/mapper.py")
    launch(dev_client, spec)
    text = dev_client.table_path("//out/t").read_text()
    assert [json.loads(line) for line in text.splitlines()] == [{"job": 0}, {"job": 1}]
    assert text.endswith("\n")


def test_file_paths_are_in_the_working_folder(dev_client, stages):
    stages("f", {"src/mapper.py": """
        from ytjobs import read_rows, write_rows
        words = open("words.txt").read().split()
        write_rows({**row, "word": words[row["id"]]} for row in read_rows())
    """})
    (stages.pipeline_dir / "data").mkdir()
    (stages.pipeline_dir / "data/words.txt").write_text("zero one two\n")
    dev_client.write_table("//in/t", [{"id": 2}, {"id": 0}])
    spec = stages.spec("map", "f", input_tables=["//in/t"], output_tables=["//out/t"],
                       mapper="src/mapper.py", file_paths=["data/words.txt"])
    launch(dev_client, spec)
    assert [r["word"] for r in _rows(dev_client, "//out/t")] == ["two", "zero"]
    spec.file_paths = ["data/missing.txt"]
    with pytest.raises(ConfigError, match="data/missing.txt not found"):
        launch(dev_client, spec)


def test_inputs_without_final_newline_keep_rows_whole(dev_client, stages):
    stages("m", {"src/mapper.py": COPY_MAPPER})
    for name, text in (("a", b'{"id":1}\n{"id":2}'), ("b", b'{"id":3}')):
        path = dev_client.table_path(f"//in/{name}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text)
    spec = stages.spec("map", "m", job_count=2, input_tables=["//in/a", "//in/b"],
                       output_tables=["//out/t"], mapper="src/mapper.py")
    launch(dev_client, spec)
    assert [r["id"] for r in _rows(dev_client, "//out/t")] == [1, 2, 3]


DRIVER = """
import sys, threading, time
from pathlib import Path
from yt_pipeline.operations import OperationSpec
from yt_pipeline_dev.client import DevClient
from yt_pipeline_dev.launcher import launch

pipe = Path(sys.argv[1])
spec = OperationSpec(kind="vanilla", stage_name="sleepy", name="vanilla",
                     stage_dir=pipe / "stages/sleepy", pipeline_dir=pipe, script="src/vanilla.py")
threading.Thread(target=launch, args=(DevClient(pipe / ".dev"), spec), daemon=True).start()
while not (pipe / "pid").exists():
    time.sleep(0.02)
"""


def test_jobs_do_not_outlive_the_driver(stages, tmp_path):
    stages("sleepy", {"src/vanilla.py": """
        import os, pathlib, time
        # whole or absent: the driver exits as soon as the name exists
        pathlib.Path(os.environ["PIPE"], "pid.tmp").write_text(str(os.getpid()))
        os.replace(pathlib.Path(os.environ["PIPE"], "pid.tmp"),
                   pathlib.Path(os.environ["PIPE"], "pid"))
        time.sleep(60)
    """})
    env = {**os.environ, "PIPE": str(stages.pipeline_dir)}
    subprocess.run([sys.executable, "-c", DRIVER, str(stages.pipeline_dir)], env=env,
                   check=True, timeout=30)
    pid = int((stages.pipeline_dir / "pid").read_text())
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its new parent to reap it is dead too
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("section, expected", [
    ("map:\n      input_table: //t/in\n      output_table: //t/out\n"
     "      resources: {job_cnt: 2}\n",
     "client.operations.map.resources.job_cnt: stage second: unknown resource: did you mean "
     "job_count?"),
    ("map:\n      input_table: //t/in\n      output_table: //t/out\n      mapper: src/nope.py\n",
     "client.operations.map.mapper: stage second: script src/nope.py not found"),
    ("map:\n      input_table: //t/in\n      output_tabel: //t/out\n",
     "client.operations.map.output_tabel: stage second: unknown operation key: did you "
     "mean output_table?"),
    ("reduce:\n      input_table: //t/in\n      output_table: //t/out\n"
     "      reduceby: [k]\n",
     "client.operations.reduce.reduceby: stage second: unknown operation key: did you mean "
     "reduce_by? (known: append, env, "),
    # YT groups what it sorted by sort_by: reduce_by must be its prefix (YTsaurus docs, Reduce)
    ("join:\n      input_table: //t/in\n      output_table: //t/out\n"
     "      reduce_by: [user]\n      sort_by: [ts, user]\n",
     "client.operations.join.reduce_by: stage second: operation join: reduce_by [user] must "
     "be a prefix of sort_by [ts, user]"),
    # a secret the jobs ask for that is nowhere: found before the run, not when the stage
    # launches its operation (the earlier stages' work done, and the run failed at exit 1)
    ("map:\n      input_table: //t/in\n      output_table: //t/out\n"
     "      env: [YTP_TEST_NO_SUCH_SECRET]\n",
     "client.operations.map.env.YTP_TEST_NO_SUCH_SECRET: stage second: "
     "YTP_TEST_NO_SUCH_SECRET is not in secrets.env nor in the environment"),
    ("map:\n      input_table: //t/in\n      output_table: //t/out\n"
     "      env: {MY-VAR: x}\n",
     "client.operations.map.env.MY-VAR: stage second: 'MY-VAR' cannot be a variable name"),
    # a quoted "false" is not false
    ("map:\n      input_table: //t/in\n      output_table: //t/out\n      append: 'false'\n",
     "client.operations.map.append: stage second: must be true or false, got 'false'"),
    # both backends replace a sort's output, and YT appends one only to a table sorted by
    # the same columns (sort_controller.cpp: "sort_by is different from output table key
    # columns"): append on a sort would be a silent overwrite
    ("map:\n      input_table: //t/in\n      output_table: //t/out\n"
     "    sort:\n      input_table: //t/in\n      output_table: //t/sorted\n"
     "      sort_by: [n]\n      append: true\n",
     "client.operations.sort.append: stage second: a sort replaces its output table and "
     "cannot append to it"),
])
@pytest.mark.parametrize("dry_run", [False, True])
def test_a_bad_operation_section_stops_the_run_before_any_stage(tmp_path, run_cli, section,
                                                               expected, dry_run):
    from yt_pipeline.testing import write_pipeline

    first = ("from yt_pipeline import BaseStage\n\nclass First(BaseStage):\n"
             "    def run(self, debug):\n"
             "        self.deps.yt_client.write_table('//t/in', [{'n': 1}])\n"
             "        return debug\n")
    second = ("from yt_pipeline import BaseStage\nfrom yt_pipeline.operations import run_map\n\n"
              "class Second(BaseStage):\n    def run(self, debug):\n"
              "        run_map(self, self.config.client.operations.map)\n        return debug\n")
    root = write_pipeline(tmp_path / "p", {
        "stages/first/stage.py": first,
        "stages/second/stage.py": second,
        "stages/second/config.yaml": "client:\n  operations:\n    " + section,
        "stages/second/src/mapper.py": "from ytjobs import read_rows, write_rows\n"
                                       "write_rows(read_rows())\n",
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["first", "second"]}})
    result = run_cli("run", root, *(["--dry-run"] if dry_run else []))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: stages/second/config.yaml: {expected}"), result.stderr
    assert not (root / ".dev").exists()  # the first stage did not run


MIXED_MAPPER = """
    import sys
    from ytjobs import read_rows, write_rows
    write_rows({**row, "seen": True} for row in read_rows())
    RAW = "RAW_LINE"
    if RAW:
        sys.stdout.buffer.write(RAW.encode() + b"\\n")
"""


@pytest.mark.parametrize("raw", ["", '{"x": 1e400}'], ids=["ytjobs-only", "with-a-raw-line"])
def test_output_ytjobs_wrote_whole_is_not_parsed_again(dev_client, stages, monkeypatch, raw):
    """ytjobs held every row to YT's rules as it wrote it, and told how much it wrote: its
    output is only weighed; a line written past it makes the whole output parsed."""
    from yt_pipeline_dev import job_output

    parsed = []
    looks_whole = job_output._looks_whole
    monkeypatch.setattr(job_output, "_looks_whole",
                        lambda *args: parsed.append(1) or looks_whole(*args))
    stages("m", {"src/mapper.py": MIXED_MAPPER.replace('"RAW_LINE"', repr(raw))})
    dev_client.write_table("//in/t", [{"id": i} for i in range(3000)])
    spec = stages.spec("map", "m", job_count=2, input_tables=["//in/t"],
                       output_tables=["//out/t"], mapper="src/mapper.py")
    if not raw:
        launch(dev_client, spec)
        assert dev_client.row_count("//out/t") == 3000 and not parsed
        return
    with pytest.raises(OperationFailed, match="holds a number beyond a double's range"):
        launch(dev_client, spec)
    assert parsed



_BODY_RAN = "stages/second/body_ran"


@pytest.mark.parametrize("section, expected", [
    ("map:\n      output_table: //t/out\n",
     "client.operations.map.input_table: stage second: an input table is required"),
    ("map:\n      input_table: //t/in\n",
     "client.operations.map.output_table: stage second: an output table is required"),
    ("reduce:\n      input_table: //t/in\n      output_table: //t/out\n",
     "client.operations.reduce.reduce_by: stage second: reduce_by is required"),
    ("map_reduce:\n      input_table: //t/in\n      output_table: //t/out\n",
     "client.operations.map_reduce.reduce_by: stage second: reduce_by is required"),
    ("sort:\n      input_table: //t/in\n",
     "client.operations.sort.sort_by: stage second: sort_by is required"),
])
@pytest.mark.parametrize("dry_run", [False, True])
def test_a_missing_required_operation_key_stops_the_run_before_any_stage(
        tmp_path, run_cli, section, expected, dry_run):
    """operations.md: a missing required key is found before the first stage runs (and by
    --dry-run), exit code 2, one line naming the file and the key; neither stage's code
    ran, no table was written."""
    from yt_pipeline.testing import write_pipeline

    first = ("from yt_pipeline import BaseStage\n\nclass First(BaseStage):\n"
             "    def run(self, debug):\n"
             "        self.deps.yt_client.write_table('//t/in', [{'n': 1}])\n"
             "        return debug\n")
    kind = section.split(":")[0]
    second = ("from pathlib import Path\nfrom yt_pipeline import BaseStage\n"
              "from yt_pipeline import operations\n\n"
              "class Second(BaseStage):\n    def run(self, debug):\n"
              f"        Path(self.stage_dir, 'body_ran').write_text('yes')\n"
              f"        operations.run_{kind}(self, self.config.client.operations.{kind})\n"
              "        return debug\n")
    root = write_pipeline(tmp_path / "p", {
        "stages/first/stage.py": first,
        "stages/second/stage.py": second,
        "stages/second/config.yaml": "client:\n  operations:\n    " + section,
        "stages/second/src/mapper.py": "from ytjobs import read_rows, write_rows\n"
                                       "write_rows(read_rows())\n",
        "stages/second/src/reducer.py": "from ytjobs import read_rows, write_rows\n"
                                        "write_rows(read_rows())\n",
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["first", "second"]}})
    result = run_cli("run", root, *(["--dry-run"] if dry_run else []))
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: stages/second/config.yaml: {expected}\n"
    assert "to resume" not in result.output
    assert not (root / ".dev").exists()  # the first stage wrote no table
    assert not (root / _BODY_RAN).exists()


def test_required_keys_are_checked_before_the_run_only_in_sections_named_after_a_kind(
        tmp_path, run_cli):
    """A section of another name may serve any kind (a vanilla needs no table), and a
    vanilla section needs no key: neither stops the plan."""
    from yt_pipeline.testing import write_pipeline

    stage = ("from yt_pipeline import BaseStage\n\nclass Only(BaseStage):\n"
             "    def run(self, debug):\n        return debug\n")
    root = write_pipeline(tmp_path / "p", {
        "stages/only/stage.py": stage,
        "stages/only/config.yaml": "client:\n  operations:\n    vanilla: {}\n"
                                   "    warm_up:\n      resources: {job_count: 2}\n",
        "stages/only/src/vanilla.py": "print('hi')\n",
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["only"]}})
    result = run_cli("run", root, "--dry-run")
    assert result.exit_code == 0, result.output


ID_MAPPER = """
    from ytjobs import read_rows, write_rows
    write_rows({"id": row["id"], **({"name": row["name"]} if "name" in row else {})}
               for row in read_rows())
"""


def test_a_table_yql_wrote_refuses_a_column_its_schema_lacks(dev_client, stages):
    # as a cluster does: the table keeps YQL's strict schema through every write, and its
    # table writer refuses a row with another column (the prod fake does the same)
    dev_client.run_yql("INSERT INTO `//out/t` WITH TRUNCATE SELECT 7 AS id")
    with pytest.raises(BackendError, match='row 1: Unknown column "name" in strict schema: '
                                           r"the table's strict schema \(id\) stays"):
        dev_client.write_table("//out/t", [{"id": 1, "name": "x"}])
    with pytest.raises(BackendError, match='row 2: Unknown column "name"'):
        dev_client.write_table("//out/t", [{"id": 1}, {"id": 2, "name": "x"}], append=True)
    assert _rows(dev_client, "//out/t") == [{"id": 7}]
    dev_client.write_table("//out/t", [{"id": 1}, {"id": 2}])  # rows that fit
    assert dev_client.run_yql("SELECT * FROM `//out/t`") == [{"id": 1}, {"id": 2}]

    stages("m", {"src/mapper.py": ID_MAPPER})
    dev_client.write_table("//in/t", [{"id": 3, "name": "y"}])
    spec = stages.spec("map", "m", input_tables=["//in/t"], output_tables=["//out/t"],
                       mapper="src/mapper.py", max_failed_job_count=1)
    # the row fails its job, as a cluster's table writer fails it (output_schema.py)
    with pytest.raises(OperationFailed, match=r"Failed jobs limit exceeded \(1 failed job, "
                       r'max_failed_job_count 1\): map job 1 of 1 failed: Unknown column '
                       r'"name" in strict schema'):
        launch(dev_client, spec)
    assert _rows(dev_client, "//out/t") == [{"id": 1}, {"id": 2}]
    dev_client.write_table("//in/t", [{"id": 4}])
    launch(dev_client, spec)
    assert _rows(dev_client, "//out/t") == [{"id": 4}]
    # a YQL INSERT ... WITH TRUNCATE gives the table other columns
    dev_client.run_yql("INSERT INTO `//out/t` WITH TRUNCATE SELECT 1 AS id, 'z' AS name")
    dev_client.write_table("//out/t", [{"id": 5, "name": "w"}])
    assert _rows(dev_client, "//out/t") == [{"id": 5, "name": "w"}]


def test_a_table_yql_wrote_refuses_a_value_of_another_type(dev_client, stages):
    # a cluster's table writer checks each value against its column's type and converts
    # only between int64 and uint64 (ValidateValueType, unversioned_row.cpp; the "Formats"
    # page of the YTsaurus docs: enable_integral_type_conversion is the one conversion on
    # by default); the prod fake checks the same (tests/yt_prod/test_prod_operations.py)
    # Just: an Optional id and name, which take the nulls below (a bare literal's column
    # is required: tests/yt_prod/test_prod_yql_required_columns.py, and so is a CAST of one
    # that never fails: test_prod_yql_cast_subquery_required.py)
    dev_client.run_yql("INSERT INTO `//out/t` WITH TRUNCATE "
                       "SELECT Just(CAST(7 AS Int64)) AS id, Just('a') AS name, 0.5 AS score, "
                       "true AS ok")
    refused = [({"id": "7"}, 'column "id": expected type "int64" or "null" but got "string"'),
               ({"id": 1.0}, 'column "id": expected type "int64" or "null" but got "double"'),
               ({"id": True}, 'expected type "int64" or "null" but got "boolean"'),
               ({"id": 2 ** 63}, 'Unable to convert uint64 to int64 in column "id"'),
               ({"score": 1}, 'column "score": expected type "double" or "null" but got '
                              '"int64"'),
               ({"name": 5}, 'column "name": expected type "string" or "null" but got "int64"'),
               ({"ok": 1}, 'column "ok": expected type "boolean" or "null" but got "int64"'),
               ({"name": ["x"]}, 'expected type "string" or "null" but got "any"')]
    # score and ok, of literals, are required: a row without them is refused as their null
    # (core/column_types.refused_row), so each row gives them
    given = {"score": 1.5, "ok": True}
    for row, words in refused:
        with pytest.raises(BackendError, match="row 2: .*" + re.escape(words)):
            dev_client.write_table("//out/t", [{"id": 1, **given}, {**given, **row}],
                                   append=True)
    assert _rows(dev_client, "//out/t") == [{"id": 7, "name": "a", "score": 0.5, "ok": True}]
    fitting = [{"id": -(2 ** 63), "name": None, "score": 2.0, "ok": False},
               {"id": 2 ** 63 - 1, **given}]
    dev_client.write_table("//out/t", fitting, append=True)
    assert _rows(dev_client, "//out/t")[1:] == fitting
    # a mapper's row is checked the same way, and its operation fails with no row written
    stages("m", {"src/mapper.py": ID_MAPPER})
    dev_client.write_table("//in/t", [{"id": 3, "name": 4}])
    spec = stages.spec("map", "m", input_tables=["//in/t"], output_tables=["//out/t"],
                       mapper="src/mapper.py", max_failed_job_count=1)
    with pytest.raises(OperationFailed, match='map job 1 of 1 failed: Invalid type of column '
                                              '"name": expected type "string"'):
        launch(dev_client, spec)
    assert len(_rows(dev_client, "//out/t")) == 3


def test_a_narrow_unsigned_column_yql_wrote_is_unsigned_and_refuses_other_types(dev_client):
    # CAST(x AS Uint8/Uint16/Uint32) writes a uint8/uint16/uint32 column on a cluster
    # (RowSpecYqlTypeToYtType in yt/yql/providers/yt/lib/schema/schema.cpp, ydb), whose
    # writer refuses a string or a number out of the type's range; such a column was `any`
    # here, which took every value
    dev_client.run_yql("INSERT INTO `//out/u` WITH TRUNCATE SELECT CAST(7 AS Uint8) AS a, "
                       "CAST(7 AS Uint16) AS b, CAST(7 AS Uint32) AS c")
    assert {column["name"]: column["type"] for column in dev_client.declared_schema("//out/u")["columns"]} == {
        "a": "uint8", "b": "uint16", "c": "uint32"}
    for column, kind in zip("abc", ("uint8", "uint16", "uint32"), strict=True):
        with pytest.raises(BackendError, match=f'column "{column}": expected type "{kind}" '
                                               'or "null" but got "string"'):
            dev_client.write_table("//out/u", [{column: "x"}], append=True)
        with pytest.raises(BackendError, match=f'Value -1 is out of the range of type "{kind}"'):
            dev_client.write_table("//out/u", [{column: -1}], append=True)
    assert _rows(dev_client, "//out/u") == [{"a": 7, "b": 7, "c": 7}]


GREEDY_MAPPER = """
    import time
    from ytjobs import read_rows, write_rows
    rows = list(read_rows())
    held = b"x" * ({mib} * 1024 * 1024)  # written, so resident
    time.sleep(0.5)  # a cluster's watchdog, and dev's, look every so often
    write_rows(rows)
"""


@pytest.mark.parametrize("memory_limit_gb, mib, killed", [
    (None, 600, True),   # the cluster's default limit: 512 MiB
    (0.1, 200, True),
    (1, 600, False),
])
def test_a_job_over_its_memory_limit_fails_as_on_a_cluster(dev_client, stages,
                                                            memory_limit_gb, mib, killed):
    """A cluster's job proxy kills a user job that passes its memory_limit (512 MiB when the
    spec gives none: TUserJobSpec in yt/yt/ytlib/scheduler/config.cpp) and fails it with
    "Memory limit exceeded" (job proxy error 1200): dev does too, instead of a job that
    works here and fails every attempt on the cluster."""
    from yt_pipeline.operation_config import Resources

    stages("greedy", {"src/mapper.py": GREEDY_MAPPER.format(mib=mib)})
    dev_client.write_table("//in/t", [{"id": 1}])
    # one attempt: a rerun would be killed the same way (test_job_reruns covers reruns)
    spec = stages.spec("map", "greedy", input_tables=["//in/t"], output_tables=["//out/t"],
                       mapper="src/mapper.py", max_failed_job_count=1)
    spec.resources = Resources(memory_limit_gb=memory_limit_gb)
    if not killed:
        launch(dev_client, spec)
        assert _rows(dev_client, "//out/t") == [{"id": 1}]
        return
    with pytest.raises(OperationFailed) as failed:
        launch(dev_client, spec)
    message = str(failed.value)
    limit = 512 if memory_limit_gb is None else int(memory_limit_gb * 1024)
    assert f"more than its memory limit of {limit} MiB" in message, message
    assert "Memory limit exceeded" in message
    used = int(re.search(r"used ([\d,]+) MiB", message).group(1).replace(",", ""))
    assert limit < used < mib + 200
    assert not dev_client.exists("//out/t")


@pytest.mark.parametrize("line", ["pyyaml=6.0", "pyyaml 6.0", "==6.0"])
def test_a_requirement_pip_cannot_read_is_named_before_the_jobs(dev_client, stages, line):
    """pip refuses these lines (packaging's Requirement: `Expected string_end`), but on a
    cluster only when the job's wrapper installs them; dev used to skip them and succeed."""
    stage_dir = stages("r", {"src/mapper.py": COPY_MAPPER})
    (stage_dir / "requirements.txt").write_text(f"# pinned\norjson\n{line}\n")
    dev_client.write_table("//in/t", [{"id": 1}])
    spec = stages.spec("map", "r", input_tables=["//in/t"], output_tables=["//out/t"],
                       mapper="src/mapper.py")
    with pytest.raises(ConfigError) as caught:
        launch(dev_client, spec)
    assert str(caught.value) == (
        f"{stage_dir / 'requirements.txt'}: line 3: {line!r} is not a requirement pip can "
        f"read (write name, name==1.2 or name>=1.2)")
    assert not dev_client.exists("//out/t")


def test_requirement_lines_left_to_pip_are_not_refused(dev_client, stages):
    stage_dir = stages("r", {"src/mapper.py": COPY_MAPPER})
    (stage_dir / "requirements.txt").write_text(
        "orjson >= 3, < 99\norjson[x]; python_version >= '3.8'\norjson==3.* --hash=sha256:ab\n"
        "./vendor/pkg\ndist/pkg-1.0-py3-none-any.whl\ngit+https://example.com/p.git\n"
        "${PKG_URL}\norjson (>=3)\n")
    dev_client.write_table("//in/t", [{"id": 1}])
    spec = stages.spec("map", "r", input_tables=["//in/t"], output_tables=["//out/t"],
                       mapper="src/mapper.py")
    launch(dev_client, spec)
    assert [row["id"] for row in dev_client.read_table("//out/t")] == [1]


SEES_MARKER = """
    import os
    from ytjobs import read_rows, write_rows
    marker = os.path.exists("left_by_a_killed_run.txt")
    write_rows({**row, "marker": marker} for row in read_rows())
"""


def test_a_sandbox_a_killed_runs_job_still_writes_in_is_moved_aside(dev_client, stages,
                                                                     monkeypatch):
    """A driver killed by SIGKILL leaves its jobs running (each has a session of its own),
    and one may write into the sandbox while the next run clears it, so that clearing
    leaves files behind; seen as `FileExistsError` on the sandbox when a run was resumed
    right after a kill. Here the clearing fails outright: the next launch must still run
    in an empty sandbox, with the old one moved aside and removed by a later launch."""
    import yt_pipeline_dev.launcher as launcher
    from yt_pipeline_dev import later_removal

    stages("m", {"src/mapper.py": SEES_MARKER})
    dev_client.write_table("//in/t", [{"id": 1}, {"id": 2}])
    spec = stages.spec("map", "m", input_tables=["//in/t"], output_tables=["//out/t"],
                       mapper="src/mapper.py")
    sandbox = sandbox_for(dev_client, spec)
    sandbox.mkdir(parents=True)
    (sandbox / "left_by_a_killed_run.txt").write_text("still writing")
    real_rmtree = launcher.shutil.rmtree
    monkeypatch.setattr(launcher.shutil, "rmtree", lambda path, **kw: None
                        if Path(path) == sandbox else real_rmtree(path, **kw))
    launch(dev_client, spec)
    later_removal.wait()  # as the run does when it ends: this sandbox's own removal
    assert _rows(dev_client, "//out/t") == [{"id": 1, "marker": False},
                                            {"id": 2, "marker": False}]
    stale = list(later_removal.stale_asides(sandbox))
    assert len(stale) == 1
    assert (stale[0] / "left_by_a_killed_run.txt").read_text() == "still writing"
    monkeypatch.setattr(launcher.shutil, "rmtree", real_rmtree)
    launch(dev_client, spec)  # the next launch removes what was moved aside
    later_removal.wait()
    assert not list(later_removal.stale_asides(sandbox))
    assert _rows(dev_client, "//out/t") == [{"id": 1, "marker": False},
                                            {"id": 2, "marker": False}]


ENGINE_MAPPER = """
    from ytjobs import codec, read_rows, write_rows
    write_rows({**row, "reader": codec.READER.engine} for row in read_rows())
"""


def test_jobs_without_an_archive_use_the_fast_json_engine_of_a_wheel_install(
        dev_client, stages, monkeypatch):
    """Installed from wheels, ytjobs lives in site-packages; put on a job's PYTHONPATH,
    that folder came before the standard library and its typing_extensions.py was taken for
    a file shadowing one, so the jobs read rows with the json module (eight times slower).
    Its folder is on the job's path already: it is left out of PYTHONPATH."""
    pytest.importorskip("msgspec")
    import site

    from yt_pipeline_dev import job_code

    packages = next(folder for folder in site.getsitepackages()
                    if (Path(folder) / "msgspec").is_dir())
    monkeypatch.setattr(job_code, "YTJOBS_HOME", packages)  # as a wheel install has it
    stages("m", {"src/mapper.py": ENGINE_MAPPER})
    dev_client.write_table("//in/t", [{"id": 1}, {"id": 2}])
    launch(dev_client, stages.spec("map", "m", input_tables=["//in/t"],
                                   output_tables=["//out/t"], mapper="src/mapper.py"))
    assert _rows(dev_client, "//out/t") == [{"id": 1, "reader": "msgspec"},
                                            {"id": 2, "reader": "msgspec"}]
