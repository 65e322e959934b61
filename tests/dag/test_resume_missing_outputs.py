"""--resume after a table a succeeded stage wrote was removed: that stage runs again, with
the stages after it, and the run says why; a table a later stage removed itself does not
count as gone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dag_helpers import dev_client, state_of

from yt_pipeline_prod.testing import TEST_PROD_OPTIONS, TEST_TOKEN, fake_yt, prod_client  # noqa: F401

STAGE = '''
import os
import signal
from pathlib import Path

from yt_pipeline import BaseStage


class Step(BaseStage):
    def run(self, debug):
        cfg, yt = self.config, self.deps.yt_client
        folder = Path(self.context.pipeline_dir)
        with (folder / "started.log").open("a") as out:
            out.write(self.name + "\\n")
        marker = folder / f"failed.{self.name}"
        fail = folder / f"fail.{self.name}"
        if fail.exists():
            fail.unlink()
            raise RuntimeError(f"{self.name} failed once")
        if cfg.get("fail_once") and not marker.exists():
            marker.touch()
            raise RuntimeError(f"{self.name} not ready")
        kill = folder / f"kill.{self.name}"
        if kill.exists():  # a machine crash, or the OOM killer, as the stage starts
            kill.unlink()
            os.kill(os.getpid(), signal.SIGKILL)
        if cfg.get("write"):
            source = folder / "source.txt"  # how many rows the source holds now
            count = int(source.read_text()) if source.exists() else 5
            yt.write_table(cfg.write, ({"n": n} for n in range(count)))
        if cfg.get("double"):
            source, target = cfg.double
            yt.write_table(target, ({"n": r["n"] * 2} for r in yt.read_table(source)))
        if cfg.get("append"):
            source, target = cfg.append
            yt.write_table(target, list(yt.read_table(source)), append=True)
        if cfg.get("remove"):
            yt.remove(cfg.remove)
        return debug
'''


def _pipeline(root: Path, stages: dict[str, dict], chain: list[str],
              proxy: str | None = None, cache: bool = False) -> Path:
    for name, cfg in stages.items():
        folder = root / "stages" / name
        folder.mkdir(parents=True)
        (folder / "stage.py").write_text(STAGE)
        (folder / "config.yaml").write_text(yaml.safe_dump(cfg))
    (root / "configs").mkdir(parents=True)
    pipeline: dict = {"mode": "dev", "cache": cache}
    if proxy is not None:
        pipeline = {"mode": "prod", "prod": TEST_PROD_OPTIONS}
        (root / "configs" / "secrets.env").write_text(
            f"YT_PROXY={proxy}\nYT_TOKEN={TEST_TOKEN}\n")
    (root / "configs" / "config.yaml").write_text(yaml.safe_dump(
        {"pipeline": pipeline, "stages": {"enabled_stages": chain}}))
    return root


def _started(root: Path) -> list[str]:
    return (root / "started.log").read_text().split()


def _rows(root: Path, path: str) -> list[dict]:
    return list(dev_client(root).read_table(path))


def _chain(root: Path, *, declared: bool, proxy: str | None = None) -> Path:
    load = {"write": "//r/raw"}
    if declared:
        load["outputs"] = ["//r/raw"]
    return _pipeline(root, {
        "load": load,
        "double": {"double": ["//r/raw", "//r/doubled"]},
        "last": {"fail_once": True, "double": ["//r/doubled", "//r/final"]},
    }, ["load", "double", "last"], proxy)


def test_a_removed_output_of_a_succeeded_stage_runs_it_again_with_its_downstream(tmp_path,
                                                                                 run_cli):
    for declared in (True, False):  # an `outputs:` entry, or a table its success wrote
        root = _chain(tmp_path / f"declared_{declared}", declared=declared)
        assert run_cli("run", root).exit_code == 1
        assert state_of(root) == {"load": "SUCCESS", "double": "SUCCESS", "last": "FAILED"}
        dev_client(root).remove("//r/raw")
        plan = run_cli("run", root, "--resume", "--dry-run")
        assert "3 of 3 stages to run" in plan.stdout, plan.stdout
        assert _started(root) == ["load", "double", "last"]
        result = run_cli("run", root, "--resume")
        assert result.exit_code == 0, result.stderr
        assert _started(root) == ["load", "double", "last", "load", "double", "last"]
        assert "[load] succeeded in run" in result.stderr
        assert "table //r/raw" in result.stderr and "it runs again" in result.stderr
        assert _rows(root, "//r/raw") == [{"n": n} for n in range(5)]
        assert _rows(root, "//r/final") == [{"n": n * 4} for n in range(5)]
        assert state_of(root) == {"load": "SUCCESS", "double": "SUCCESS", "last": "SUCCESS"}


def test_the_stages_after_one_run_again_stay_to_run_when_the_resume_is_killed(tmp_path,
                                                                              run_cli):
    """load runs again for its removed table (the source changed meanwhile) and commits,
    then the run is killed before double: the next resume still runs double, rather than
    taking its success of before, made of the rows load wrote then."""
    root = _chain(tmp_path, declared=False)
    assert run_cli("run", root).exit_code == 1
    dev_client(root).remove("//r/raw")
    (root / "source.txt").write_text("3")
    (root / "kill.double").touch()
    killed = subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root), "--resume"],
                            capture_output=True, text=True, check=False)
    assert killed.returncode == -9, killed.stderr
    assert _started(root) == ["load", "double", "last", "load", "double"]
    result = run_cli("run", root, "--resume")
    assert result.exit_code == 0, result.stderr
    assert _started(root)[5:] == ["double", "last"]
    assert _rows(root, "//r/raw") == [{"n": n} for n in range(3)]
    assert _rows(root, "//r/final") == [{"n": n * 4} for n in range(3)]


def test_a_resume_with_every_output_in_place_runs_only_what_failed(tmp_path, run_cli):
    root = _chain(tmp_path, declared=True)
    run_cli("run", root)
    result = run_cli("run", root, "--resume")
    assert result.exit_code == 0, result.stderr
    assert _started(root) == ["load", "double", "last", "last"]
    assert "it runs again" not in result.stderr
    assert _rows(root, "//r/final") == [{"n": n * 4} for n in range(5)]


def test_a_declared_output_its_success_never_made_does_not_run_it_again(tmp_path, run_cli):
    """Running it again would not make the table either (it writes it when it has rows),
    and each resume would run, and append, what follows it once more."""
    root = _pipeline(tmp_path, {
        "load": {"write": "//r/raw", "outputs": ["//r/raw", "//r/rejected"]},
        "keep": {"append": ["//r/raw", "//r/history"]},
        "last": {"fail_once": True},
    }, ["load", "keep", "last"])
    assert run_cli("run", root).exit_code == 1
    result = run_cli("run", root, "--resume")
    assert result.exit_code == 0, result.stderr
    assert _started(root) == ["load", "keep", "last", "last"]
    assert _rows(root, "//r/history") == [{"n": n} for n in range(5)]


def test_a_table_a_later_stage_removed_is_not_taken_for_gone(tmp_path, run_cli):
    """load writes a scratch table, keep appends it to a history, tidy removes it: that
    is the pipeline's own doing, and running load and keep again would append twice."""
    root = _pipeline(tmp_path, {
        "load": {"write": "//r/scratch"},
        "keep": {"append": ["//r/scratch", "//r/history"]},
        "tidy": {"remove": "//r/scratch"},
        "last": {"fail_once": True},
    }, ["load", "keep", "tidy", "last"])
    assert run_cli("run", root).exit_code == 1
    result = run_cli("run", root, "--resume")
    assert result.exit_code == 0, result.stderr
    assert _started(root) == ["load", "keep", "tidy", "last", "last"]
    assert _rows(root, "//r/history") == [{"n": n} for n in range(5)]


@pytest.mark.parametrize("declared", [True, False])
def test_in_prod_a_removed_output_runs_its_stage_again_too(
        tmp_path, run_cli, fake_yt, prod_client, monkeypatch, declared):  # noqa: F811
    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    root = _chain(tmp_path, declared=declared, proxy=fake_yt.url)
    assert run_cli("run", root).exit_code == 1
    assert state_of(root, "prod") == {"load": "SUCCESS", "double": "SUCCESS",
                                      "last": "FAILED"}
    prod_client.remove("//r/raw")
    result = run_cli("run", root, "--resume")
    assert result.exit_code == 0, result.stderr
    assert _started(root) == ["load", "double", "last", "load", "double", "last"]
    assert "table //r/raw it writes is missing: it runs again" in result.stderr
    assert fake_yt.rows("//r/raw") == [{"n": n} for n in range(5)]
    assert fake_yt.rows("//r/final") == [{"n": n * 4} for n in range(5)]


def test_a_stage_done_before_its_upstream_ran_again_runs_again(tmp_path, run_cli):
    """load is run alone (`--only`) on a changed source after the failed run: double, done
    before that from load's earlier rows, runs again on the resume with what follows."""
    root = _chain(tmp_path, declared=True)
    assert run_cli("run", root).exit_code == 1
    (root / "source.txt").write_text("3")
    assert run_cli("run", root, "--only", "load").exit_code == 0
    result = run_cli("run", root, "--resume")
    assert result.exit_code == 0, result.stderr
    assert _started(root) == ["load", "double", "last", "load", "double", "last"]
    assert "[double] succeeded in run" in result.stderr
    assert "before load succeeded in run" in result.stderr
    assert _rows(root, "//r/final") == [{"n": n * 4} for n in range(3)]
    again = run_cli("run", root, "--resume")  # nothing left
    assert again.exit_code == 0 and _started(root)[6:] == []


def test_a_stage_the_cache_served_after_its_upstream_ran_is_not_run_again(tmp_path, run_cli):
    """load runs each time (cache off) with the same rows, double is served by the cache
    (its input unchanged), keep appends; side fails. The resume runs side alone: double is
    current though its entry is of an earlier run, and keep does not append again."""
    root = _pipeline(tmp_path, {
        "load": {"write": "//r/raw", "outputs": ["//r/raw"], "cache": False},
        "double": {"double": ["//r/raw", "//r/doubled"], "inputs": ["//r/raw"],
                   "outputs": ["//r/doubled"]},
        "keep": {"append": ["//r/doubled", "//r/history"], "cache": False},
        "side": {},
    }, ["load", "double", "keep", "side"], cache=True)
    assert run_cli("run", root).exit_code == 0
    (root / "fail.side").touch()
    second = run_cli("run", root)
    assert second.exit_code == 1
    assert "[double] from the cache" in second.stderr, second.stderr
    result = run_cli("run", root, "--resume")
    assert result.exit_code == 0, result.stderr
    assert _started(root)[-1:] == ["side"] and _started(root).count("keep") == 2
    assert _rows(root, "//r/history") == [{"n": n * 2} for n in range(5)] * 2


def test_in_prod_a_table_a_later_stage_removed_is_not_taken_for_gone(
        tmp_path, run_cli, fake_yt, monkeypatch):  # noqa: F811
    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    root = _pipeline(tmp_path, {
        "load": {"write": "//r/scratch"},
        "keep": {"append": ["//r/scratch", "//r/history"]},
        "tidy": {"remove": "//r/scratch"},
        "last": {"fail_once": True},
    }, ["load", "keep", "tidy", "last"], fake_yt.url)
    assert run_cli("run", root).exit_code == 1
    result = run_cli("run", root, "--resume")
    assert result.exit_code == 0, result.stderr
    assert _started(root) == ["load", "keep", "tidy", "last", "last"]
    assert fake_yt.rows("//r/history") == [{"n": n} for n in range(5)]


def test_a_clock_set_back_during_a_run_does_not_run_its_stages_again(tmp_path, run_cli):
    """load ended, then the clock was set back an hour before double ended: of one run,
    double still came after load, and the resume runs only what failed."""
    root = _chain(tmp_path, declared=True)
    assert run_cli("run", root).exit_code == 1
    kept = root / ".runs" / "stages.dev.json"
    entries = json.loads(kept.read_text())
    entries["load"]["finished_at"] = entries["double"]["finished_at"] + 3600
    kept.write_text(json.dumps(entries))
    result = run_cli("run", root, "--resume")
    assert result.exit_code == 0, result.stderr
    assert _started(root) == ["load", "double", "last", "last"]
