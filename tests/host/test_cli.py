"""The yt-pipeline command: exit codes, one-line errors, and each subcommand's output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from yt_pipeline import __version__

REPO = Path(__file__).resolve().parents[2]


def test_version(run_cli):
    result = run_cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"yt-pipeline, version {__version__}"


def test_help_lists_commands(run_cli):
    result = run_cli("--help")
    assert result.exit_code == 0
    for command in ("run", "list", "plugins", "config", "init"):
        assert f"  {command} " in result.stdout


def test_run_success_and_rows(hello_pipeline, run_cli):
    root = hello_pipeline()
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    assert (root / ".dev/tmp/host/hello.jsonl").read_text() == '{"msg":"hi","n":1}\n'
    assert "hello" in result.stderr and "SUCCESS" in result.stderr


def test_run_defaults_to_the_current_folder(hello_pipeline, run_cli, monkeypatch):
    root = hello_pipeline()
    monkeypatch.chdir(root)
    assert run_cli("run").exit_code == 0
    assert (root / ".dev/tmp/host/hello.jsonl").exists()


def test_missing_stage_is_one_line_exit_2(hello_pipeline, run_cli):
    root = hello_pipeline(config={"stages": {"enabled_stages": ["hello", "nope"]}})
    result = run_cli("run", root)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: configs/config.yaml: stages.enabled_stages: unknown stage nope: "
        "no stages/nope/stage.py and no installed stage of that name"
    ]
    assert not (root / ".dev").exists()  # nothing ran


def test_unknown_mode_exit_2_no_traceback(hello_pipeline, run_cli):
    root = hello_pipeline()
    result = run_cli("run", root, "--set", "pipeline.mode=cloud")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: --set pipeline.mode: pipeline.mode: must be one of: dev, prod, got 'cloud'"
    )


def test_debug_shows_the_traceback(hello_pipeline, run_cli):
    root = hello_pipeline(config={"stages": {"enabled_stages": ["nope"]}})
    result = run_cli("--debug", "run", root)
    assert result.exit_code == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.strip().endswith("no stages/nope/stage.py and no installed stage of that name")


def test_stage_failure_exit_1_and_secret_masked(hello_pipeline, run_cli):
    failing = (
        "import os\nfrom yt_pipeline import BaseStage\n\nclass F(BaseStage):\n"
        "    def run(self, debug):\n"
        "        self.logger.info('token is %s', self.deps.pipeline_config.secret('YT_TOKEN'))\n"
        "        raise RuntimeError('bad token ' + self.deps.pipeline_config.secret('YT_TOKEN'))\n"
    )
    root = hello_pipeline({"stages/hello/stage.py": failing, "configs/secrets.env": "YT_TOKEN=sekret-TOKEN-42\n"})
    result = run_cli("run", root)
    assert result.exit_code == 1
    assert "sekret-TOKEN-42" not in result.output
    assert "token is ***" in result.stderr
    assert "error: stage hello failed: RuntimeError('bad token ***')" in result.stderr


def test_bad_usage_exit_2(run_cli):
    result = run_cli("run", "--workers", "0")
    assert result.exit_code == 2
    assert "Invalid value for '--workers'" in result.stderr


@pytest.mark.parametrize("args, line", [
    (["run", "--nope"], "error: yt-pipeline run: No such option '--nope'. (Did you mean one of: "
                        "'--force', '--to'?) (yt-pipeline run --help lists the options)"),
    (["rnu"], "error: yt-pipeline: No such command 'rnu'. Did you mean 'run'? "
              "(yt-pipeline --help lists the commands)"),
    (["table", "head"], "error: yt-pipeline table head: Missing argument 'PATH'. "
                        "(yt-pipeline table head --help lists the options)"),
])
def test_a_usage_mistake_is_one_error_line_as_every_other_error(run_cli, args, line):
    """Not click's usage line, `Try ...` line and `Error: ...` (troubleshooting.md: every
    error is one line starting with `error:`)."""
    result = run_cli(*args)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [line]


def test_an_option_of_the_command_itself_given_after_a_subcommand_gets_a_hint(
        hello_pipeline, run_cli):
    result = run_cli("status", str(hello_pipeline), "--debug")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "hint: --debug is an option of yt-pipeline itself; give it before the command: "
        "yt-pipeline --debug ...")
    other = run_cli("status", str(hello_pipeline), "--bogus")  # not one of them: no hint
    assert other.exit_code == 2 and "hint:" not in other.stderr


def test_list_in_run_order(make_pipeline, run_cli):
    stage = "from yt_pipeline import BaseStage\n\nclass S(BaseStage):\n    def run(self, debug):\n        return debug\n"
    root = make_pipeline(
        {f"stages/{n}/stage.py": stage for n in ("b_load", "a_report", "unused")},
        config={"stages": {"enabled_stages": ["b_load", "a_report"]}},
    )
    result = run_cli("list", root)
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.stdout.splitlines()]
    assert lines[0] == ["1.", "b_load", "stages/b_load/stage.py"]
    assert lines[1] == ["2.", "a_report", "stages/a_report/stage.py"]
    assert lines[2] == ["-", "unused", "stages/unused/stage.py", "(not", "enabled)"]


def test_config_shows_resolved_values_and_hides_secrets(hello_pipeline, run_cli, monkeypatch):
    root = hello_pipeline({"configs/secrets.env": "YT_TOKEN=sekret-TOKEN-42\nYT_PROXY=cluster.example\n"})
    monkeypatch.setenv("YTP_PIPELINE__WORKERS", "7")
    result = run_cli("config", root, "--set", "pipeline.cache=true", "--sources")
    assert result.exit_code == 0, result.output
    assert "sekret-TOKEN-42" not in result.output
    assert "  workers: 7\n" in result.stdout
    assert "  cache: true\n" in result.stdout
    assert "  YT_TOKEN: '***'\n" in result.stdout
    assert "  YT_PROXY: cluster.example\n" in result.stdout  # an address, not a secret
    assert "# pipeline.workers: environment YTP_PIPELINE__WORKERS" in result.stdout
    assert "# pipeline.cache: --set pipeline.cache" in result.stdout


def test_init_scaffold_runs_in_dev(tmp_path, run_cli):
    target = tmp_path / "my_pipe"
    created = run_cli("init", target)
    assert created.exit_code == 0, created.output
    for relative in ("pipeline.py", "configs/config.yaml", "stages/process/stage.py",
                     "stages/process/config.yaml", "stages/process/src/mapper.py"):
        assert (target / relative).is_file(), relative
    again = run_cli("init", target)
    assert again.exit_code == 2 and "already exists" in again.stderr
    result = run_cli("run", target)
    assert result.exit_code == 0, result.output
    rows = (target / ".dev/tmp/my_pipe/output.jsonl").read_text().splitlines()
    assert rows == [f'{{"id":{i},"value":{i * 20}}}' for i in range(5)]


def test_init_prints_a_command_that_works_when_pasted(tmp_path, run_cli):
    target = tmp_path / "my pipe"
    created = run_cli("init", target)
    assert created.stdout.strip().endswith(f"run it with: yt-pipeline run '{target}'")
    assert (target / ".gitignore").is_file()
    assert "//tmp/my_pipe/" in (target / "stages/process/config.yaml").read_text()



def test_init_over_a_file_is_one_line_exit_2(tmp_path, run_cli):
    taken = tmp_path / "notes.txt"
    taken.write_text("mine\n")
    over = run_cli("init", taken)
    assert over.exit_code == 2
    assert over.stderr.strip() == f"error: {taken} already exists and is not a folder"
    under = run_cli("init", taken / "pipe")
    assert under.exit_code == 2
    assert under.stderr.strip() == f"error: cannot create {taken / 'pipe'}: Not a directory"
    assert taken.read_text() == "mine\n"


def test_config_given_twice_is_refused_not_the_first_dropped(hello_pipeline, run_cli):
    root = hello_pipeline({"configs/other.yaml": "pipeline: {mode: dev, workers: 3}\n"
                                                 "stages: {enabled_stages: [hello]}\n"})
    for command in (["config", root], ["run", root], ["list", root]):
        result = run_cli(*command, "--config", root / "configs/other.yaml",
                         "--config", root / "configs/config.yaml")
        assert result.exit_code == 2, result.output
        assert "--config" in result.stderr and "given 2 times" in result.stderr
    assert not (root / ".dev").exists()
    once = run_cli("config", root, "--config", root / "configs/other.yaml")
    assert once.exit_code == 0 and "  workers: 3\n" in once.stdout


def test_python_pipeline_py_behaves_like_run(tmp_path):
    import shutil

    root = tmp_path / "hello"
    shutil.copytree(REPO / "examples/01_hello_world", root)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "pipeline.py"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["0 Hello, world!", "1 Hello, YTsaurus!", "2 Hello, data engineers!"]
    bad = subprocess.run([sys.executable, "pipeline.py", "--set", "stages.enabled_stages=[ghost]"],
                         cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("error: --set stages.enabled_stages: stages.enabled_stages: unknown stage ghost")


def test_debug_after_run_shows_the_traceback(make_pipeline, run_cli):
    failing = ("from yt_pipeline import BaseStage\n\nclass F(BaseStage):\n"
               "    def run(self, debug):\n        raise ValueError('broken on purpose')\n")
    root = make_pipeline({"stages/f/stage.py": failing},
                         config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["f"]}})
    result = run_cli("run", root, "--debug")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr and "ValueError: broken on purpose" in result.stderr


def test_a_stage_error_says_which_line_of_the_stage_raised(make_pipeline, run_cli):
    failing = ("from yt_pipeline import BaseStage\n\n\nclass F(BaseStage):\n"
               "    def run(self, debug):\n        rows = iter([])\n        return len(rows)\n")
    root = make_pipeline({"stages/f/stage.py": failing},
                         config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["f"]}})
    result = run_cli("run", root)
    assert result.exit_code == 1
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith("error: stage f failed: TypeError(")
    assert error.endswith(f"at {root / 'stages/f/stage.py'}:7") or error.endswith(
        "at " + os.path.relpath(root / "stages/f/stage.py") + ":7"), error


def test_run_outside_a_pipeline_folder_says_so(tmp_path, run_cli):
    result = run_cli("run", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: no configs/config.yaml in {tmp_path}: is this a pipeline folder? Run from one, "
        "or name it (`yt-pipeline run my_pipeline`); `yt-pipeline init NAME` creates one")


def test_ctrl_c_says_how_to_resume(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from yt_pipeline.testing import write_pipeline

    marker = tmp_path / "inside"
    slow = ("import pathlib, time\nfrom yt_pipeline import BaseStage\n\nclass Slow(BaseStage):\n"
            "    def run(self, debug):\n"
            f"        pathlib.Path({str(marker)!r}).touch()\n"
            "        time.sleep(60)\n        return debug\n")
    root = write_pipeline(tmp_path / "p", {"stages/slow/stage.py": slow},
                          config={"pipeline": {"mode": "dev"},
                                  "stages": {"enabled_stages": ["slow"]}})
    process = subprocess.Popen([sys.executable, "-m", "yt_pipeline", "run", str(root)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    assert stderr.splitlines()[-1] == f"interrupted; to resume: yt-pipeline run {root} --resume"
