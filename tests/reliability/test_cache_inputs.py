"""The cache covers every file a stage's code can read and every table its operations
write, and a misspelt runner key in a stage's config.yaml stops the run before it starts.

Each run is a fresh `python -m yt_pipeline run` process, as a user's runs are: a stage.py
and the modules it imports are imported anew, and jobs run from a newly built archive.
Checks read the rows of the output tables, not only exit codes and statuses.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from yt_pipeline.testing import write_pipeline

CONFIG = """\
pipeline:
  mode: dev
  cache: true
  upload_paths: [helpers]
stages:
  graph:
    scale: []
    label: []
"""

# A stage whose map job imports a module of upload_paths and reads a file_paths asset.
SCALE_STAGE = """\
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Scale(BaseStage):
    def run(self, debug):
        run_map(self, self.config.client.operations.map)
        return debug
"""
SCALE_CONFIG = """\
inputs: [//in/numbers]
outputs: [//out/scaled]
client:
  operations:
    map:
      input_table: //in/numbers
      output_table: //out/scaled
      file_paths: [assets/offset.txt]
"""
MAPPER = """\
from helpers.factor import FACTOR
from ytjobs import read_rows, write_rows

with open("offset.txt") as handle:
    OFFSET = int(handle.read())
write_rows({"x": row["x"], "y": row["x"] * FACTOR + OFFSET} for row in read_rows())
"""

# A stage (no jobs) whose stage.py imports a module from a folder beside stages/, which
# imports another one in turn.
LABEL_STAGE = """\
from common.labels import label
from yt_pipeline import BaseStage


class Label(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        threshold = self.config.get("threshold", 0)
        rows = [{"x": row["x"], "label": label(row["x"])}
                for row in yt.read_table("//in/numbers") if row["x"] > threshold]
        yt.write_table("//out/labels", rows)
        return debug
"""
LABEL_CONFIG = """\
inputs: [//in/numbers]
outputs: [//out/labels]
"""
FILES = {
    "configs/config.yaml": CONFIG,
    "stages/scale/stage.py": SCALE_STAGE,
    "stages/scale/config.yaml": SCALE_CONFIG,
    "stages/scale/src/mapper.py": MAPPER,
    "helpers/__init__.py": "",
    "helpers/factor.py": "FACTOR = 10\n",
    "assets/offset.txt": "1\n",
    "stages/label/stage.py": LABEL_STAGE,
    "stages/label/config.yaml": LABEL_CONFIG,
    "common/__init__.py": "",
    "common/labels.py": "from common.words import PREFIX\n\n\ndef label(x):\n    return f'{PREFIX}{x}'\n",
    "common/words.py": "PREFIX = 'n'\n",
}


def run(root: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root), *extra],
                          capture_output=True, text=True, timeout=120, env=env)


def rows(root: Path, path: str) -> list[dict]:
    from yt_pipeline_dev.client import DevClient

    return list(DevClient(root / ".dev").read_table(path))


def last_record(root: Path) -> dict:
    records = sorted((root / ".runs").glob("2*.json"))
    return json.loads(records[-1].read_text())


def statuses(root: Path) -> dict[str, str]:
    return {name: stage["outcome"] for name, stage in last_record(root)["stages"].items()}


def outcome(root: Path, stage: str) -> tuple[str, str]:
    record = last_record(root)["stages"][stage]
    return record["outcome"], record["cache"]


def cache_reason(root: Path, stage: str) -> str:
    return last_record(root)["stages"][stage]["cache"]


def edit(path: Path, text: str) -> None:
    """Write new content that a size-and-time check alone could miss: the same size, and
    the file's old modification time put back."""
    before = path.stat()
    assert len(text.encode()) == before.st_size
    path.write_text(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


@pytest.fixture
def pipeline(tmp_path):
    """A pipeline that ran once, and again with every stage from the cache."""
    from yt_pipeline_dev.client import DevClient

    root = write_pipeline(tmp_path / "cached", FILES)
    DevClient(root / ".dev").write_table("//in/numbers", [{"x": 1}, {"x": 2}])
    first = run(root)
    assert first.returncode == 0, first.stderr
    assert statuses(root) == {"scale": "SUCCESS", "label": "SUCCESS"}
    assert rows(root, "//out/scaled") == [{"x": 1, "y": 11}, {"x": 2, "y": 21}]
    assert rows(root, "//out/labels") == [{"x": 1, "label": "n1"}, {"x": 2, "label": "n2"}]
    return root


def test_nothing_changed_every_stage_is_a_hit(pipeline):
    time.sleep(0.01)
    second = run(pipeline)
    assert second.returncode == 0, second.stderr
    assert statuses(pipeline) == {"scale": "CACHED", "label": "CACHED"}
    assert cache_reason(pipeline, "scale").startswith("hit: fingerprint ")
    assert rows(pipeline, "//out/scaled") == [{"x": 1, "y": 11}, {"x": 2, "y": 21}]


def test_a_changed_upload_paths_module_reruns_the_stage(pipeline):
    edit(pipeline / "helpers" / "factor.py", "FACTOR = 20\n")
    second = run(pipeline)
    assert second.returncode == 0, second.stderr
    assert statuses(pipeline) == {"scale": "SUCCESS", "label": "CACHED"}
    # the job imports it: both the entry of the archive and the module are named
    reason = "imports helpers/factor.py changed, uploads pipeline.upload_paths[0] helpers changed"
    assert cache_reason(pipeline, "scale") == f"miss: {reason}"
    assert f"[scale] cache miss: {reason}" in second.stderr
    assert rows(pipeline, "//out/scaled") == [{"x": 1, "y": 21}, {"x": 2, "y": 41}]


def test_a_changed_module_imported_from_a_sibling_folder_reruns_the_stage(pipeline):
    edit(pipeline / "common" / "words.py", "PREFIX = 'm'\n")  # imported by common/labels.py
    planned = run(pipeline, "--dry-run")
    assert planned.returncode == 0, planned.stderr
    assert "cache miss: imports common/words.py changed" in planned.stdout
    second = run(pipeline)
    assert second.returncode == 0, second.stderr
    assert statuses(pipeline) == {"scale": "CACHED", "label": "SUCCESS"}
    assert cache_reason(pipeline, "label") == "miss: imports common/words.py changed"
    assert rows(pipeline, "//out/labels") == [{"x": 1, "label": "m1"}, {"x": 2, "label": "m2"}]


def test_a_changed_file_paths_asset_reruns_the_stage(pipeline):
    edit(pipeline / "assets" / "offset.txt", "5\n")
    second = run(pipeline)
    assert second.returncode == 0, second.stderr
    assert statuses(pipeline) == {"scale": "SUCCESS", "label": "CACHED"}
    assert cache_reason(pipeline, "scale") == "miss: files assets/offset.txt changed"
    assert rows(pipeline, "//out/scaled") == [{"x": 1, "y": 15}, {"x": 2, "y": 25}]


def test_a_changed_job_requirements_file_reruns_the_stage(pipeline):
    (pipeline / "stages" / "scale" / "requirements.txt").write_text("# nothing needed\n")
    second = run(pipeline)
    assert second.returncode == 0, second.stderr
    assert statuses(pipeline) == {"scale": "SUCCESS", "label": "CACHED"}
    assert cache_reason(pipeline, "scale") == "miss: code changed"


def _one_error_line(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(("config", "expected"), [
    ("input: [//in/numbers]\noutputs: [//out/labels]\n",
     "error: stages/label/config.yaml: input: unknown key: did you mean inputs?"),
    ("inputs: [//in/numbers]\noutput: [//out/labels]\n",
     "error: stages/label/config.yaml: output: unknown key: did you mean outputs?"),
    ("inputs: [//in/numbers]\noutputs: [//out/labels]\ncahce: false\n",
     "error: stages/label/config.yaml: cahce: unknown key: did you mean cache?"),
    ("inputs: [//in/numbers]\noutputs: [//out/labels]\nclient:\n  operation: {}\n",
     "error: stages/label/config.yaml: client.operation: unknown key: "
     "did you mean client.operations?"),
])
def test_a_misspelt_runner_key_stops_the_run_before_it_starts(tmp_path, config, expected):
    from yt_pipeline_dev.client import DevClient

    root = write_pipeline(tmp_path / "typo", {**FILES, "stages/label/config.yaml": config})
    DevClient(root / ".dev").write_table("//in/numbers", [{"x": 1}, {"x": 2}])
    result = run(root)
    assert result.returncode == 2, result.stderr
    assert _one_error_line(result) == expected
    client = DevClient(root / ".dev")
    assert not client.exists("//out/scaled") and not client.exists("//out/labels")
    assert not list(root.glob(".runs/2*.json"))  # no run began


def test_the_users_own_keys_are_still_accepted(tmp_path):
    from yt_pipeline_dev.client import DevClient

    config = textwrap.dedent("""\
        inputs: [//in/numbers]
        outputs: [//out/labels]
        threshold: 1
        raw_inputs: kept for the reader
        job:
          greeting: hello
        client:
          input_table: //in/numbers
    """)
    root = write_pipeline(tmp_path / "own", {**FILES, "stages/label/config.yaml": config})
    DevClient(root / ".dev").write_table("//in/numbers", [{"x": 1}, {"x": 2}])
    result = run(root)
    assert result.returncode == 0, result.stderr
    assert rows(root, "//out/labels") == [{"x": 2, "label": "n2"}]


def test_an_unchanged_file_is_not_read_again(tmp_path, monkeypatch):
    """File digests are kept by the file's identity: the next run does not read an unchanged
    file, and sees a rewrite that keeps its size and modification time."""
    from yt_pipeline import filememo

    monkeypatch.setattr(filememo, "RACY_S", 0.0)
    asset = tmp_path / "assets" / "big.bin"
    asset.parent.mkdir()
    asset.write_bytes(b"a" * 100_000)
    first = filememo.FileMemo(tmp_path)
    digest = first.digest(asset)
    first.save()
    assert (tmp_path / ".runs" / filememo.MEMO_FILE).is_file()

    reads = []
    real_hash = filememo._hash_file
    monkeypatch.setattr(filememo, "_hash_file", lambda path: reads.append(path) or real_hash(path))
    assert filememo.FileMemo(tmp_path).digest(asset) == digest
    assert reads == []

    before = asset.stat()
    asset.write_bytes(b"b" * 100_000)
    os.utime(asset, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert filememo.FileMemo(tmp_path).digest(asset) != digest
    assert reads == [asset]


PROD_OFFSET_MAPPER = """\
from ytjobs import read_rows, write_rows

with open("offset.txt") as handle:
    OFFSET = int(handle.read())
write_rows({"x": row["x"], "y": row["x"] + OFFSET} for row in read_rows())
"""


class FakeCluster(NamedTuple):
    fake_yt: Any
    client: Any
    #: the secrets.env of a pipeline that runs against it
    secrets: str
    options: dict


@pytest.fixture
def fake_cluster(monkeypatch):
    """The fake proxy, a prod client on it, and what a pipeline needs to run against it
    (credentials only from its secrets.env, not from this process's environment)."""
    pytest.importorskip("yt_pipeline_prod")
    from yt_pipeline_prod.testing import (
        TEST_PROD_OPTIONS,
        TEST_TOKEN,
        make_prod_client,
        start_fake_proxy,
    )

    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    with start_fake_proxy() as fake_yt:
        client = make_prod_client(fake_yt)
        try:
            yield FakeCluster(fake_yt, client,
                              f"YT_PROXY={fake_yt.url}\nYT_TOKEN={TEST_TOKEN}\n",
                              TEST_PROD_OPTIONS)
        finally:
            client.close()


def _prod_cache_config(prod_options: dict) -> dict:
    """A prod pipeline of the scale stage alone, cache on, against the fake proxy."""
    return {"pipeline": {"mode": "prod", "build_folder": "//home/c/build", "cache": True,
                         "prod": prod_options},
            "stages": {"enabled_stages": ["scale"]}}


def test_prod_a_changed_cypress_file_paths_entry_reruns_the_stage(make_pipeline, run_cli,
                                                                  fake_cluster):
    fake_yt, client = fake_cluster.fake_yt, fake_cluster.client
    stage_config = (SCALE_CONFIG.replace("//in/numbers", "//home/c/numbers")
                    .replace("//out/scaled", "//home/c/scaled")
                    .replace("assets/offset.txt", "//home/c/offset.txt"))
    root = make_pipeline({
        "configs/secrets.env": fake_cluster.secrets,
        "stages/scale/stage.py": SCALE_STAGE,
        "stages/scale/config.yaml": stage_config,
        "stages/scale/src/mapper.py": PROD_OFFSET_MAPPER,
    }, config=_prod_cache_config(fake_cluster.options))
    yt = client.yt()
    yt.create("map_node", "//home/c", recursive=True)
    yt.write_file("//home/c/offset.txt", b"1\n")
    client.write_table("//home/c/numbers", [{"x": 1}, {"x": 2}])

    first = run_cli("run", root)
    assert first.exit_code == 0, first.output
    assert fake_yt.rows("//home/c/scaled") == [{"x": 1, "y": 2}, {"x": 2, "y": 3}]
    assert run_cli("run", root).exit_code == 0
    assert outcome(root, "scale")[0] == "CACHED"
    yt.write_file("//home/c/offset.txt", b"5\n")
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    assert outcome(root, "scale") == ("SUCCESS", "miss: files //home/c/offset.txt changed")
    assert fake_yt.rows("//home/c/scaled") == [{"x": 1, "y": 6}, {"x": 2, "y": 7}]


def test_a_dry_run_with_force_or_refresh_says_the_cache_is_not_used(pipeline):
    forced = run(pipeline, "--dry-run", "--force")
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.count("cache: not used (--force)") == 2  # downstream stage too
    assert "decided after its upstream stages" not in forced.stdout
    refreshed = run(pipeline, "--dry-run", "--refresh", "label")
    assert refreshed.returncode == 0, refreshed.stderr
    assert "cache: not used (--refresh label)" in refreshed.stdout


def test_deleting_dev_runs_again_a_stage_whose_map_wrote_its_table(tmp_path):
    """`yt-pipeline init`'s pipeline names its table only in its map section (no `outputs:`):
    after `.dev/` is deleted to start from nothing, the stage must not come from the cache."""
    from yt_pipeline.scaffold import create_pipeline

    root = create_pipeline(tmp_path / "fresh")
    doubled = [{"id": i, "value": i * 20} for i in range(5)]
    for expected in ("SUCCESS", "CACHED"):
        result = run(root, "--set", "pipeline.cache=true")
        assert result.returncode == 0, result.stderr
        assert statuses(root) == {"process": expected}
    shutil.rmtree(root / ".dev")
    result = run(root, "--set", "pipeline.cache=true")
    assert result.returncode == 0, result.stderr
    assert statuses(root) == {"process": "SUCCESS"}
    reason = "table //tmp/fresh/output its operations write is missing"
    assert cache_reason(root, "process") == f"miss: {reason}"
    assert f"[process] cache miss: {reason}" in result.stderr
    assert rows(root, "//tmp/fresh/output") == doubled


UNDECLARED_STAGE = """\
from yt_pipeline import BaseStage


class Fill(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.write_table("//out/main", [{"n": 1}, {"n": 2}])
        yt.write_table("//out/side", [{"n": 3}])
        yt.write_table("//tmp/scratch", [{"n": 0}])
        yt.remove("//tmp/scratch")  # made and dropped by the stage: not a table it keeps
        return debug
"""


def test_a_table_written_by_write_table_and_not_declared_is_checked_for_a_hit(tmp_path):
    """The cache knows the tables a stage's last success wrote from its transaction: one
    that is gone makes the stage run again, though the config declares no `outputs:`."""
    root = write_pipeline(tmp_path / "undeclared", {
        "configs/config.yaml": "pipeline:\n  mode: dev\n  cache: true\n"
                               "stages:\n  enabled_stages: [fill]\n",
        "stages/fill/stage.py": UNDECLARED_STAGE,
    })
    for expected in ("SUCCESS", "CACHED"):
        result = run(root)
        assert result.returncode == 0, result.stderr
        assert statuses(root) == {"fill": expected}
    from yt_pipeline_dev.client import DevClient

    DevClient(root / ".dev").remove("//out/side")
    result = run(root)
    assert result.returncode == 0, result.stderr
    assert statuses(root) == {"fill": "SUCCESS"}
    assert cache_reason(root, "fill").startswith("miss: table //out/side it wrote in run ")
    assert rows(root, "//out/side") == [{"n": 3}]
    assert rows(root, "//out/main") == [{"n": 1}, {"n": 2}]
    # the stage's own scratch table was not one it keeps: the next run is a hit again
    result = run(root)
    assert result.returncode == 0, result.stderr
    assert statuses(root) == {"fill": "CACHED"}


def test_prod_a_removed_operation_output_reruns_the_stage(make_pipeline, run_cli, fake_cluster):
    """The same check on a cluster (the fake proxy): the prod client is asked whether the
    table the map section names exists."""
    fake_yt, client = fake_cluster.fake_yt, fake_cluster.client
    # no `outputs:`: only the map section names the table
    stage_config = (SCALE_CONFIG.replace("outputs: [//out/scaled]\n", "")
                    .replace("//in/numbers", "//home/c/numbers")
                    .replace("//out/scaled", "//home/c/scaled"))
    root = make_pipeline({
        "configs/secrets.env": fake_cluster.secrets,
        "stages/scale/stage.py": SCALE_STAGE,
        "stages/scale/config.yaml": stage_config,
        "stages/scale/src/mapper.py": PROD_OFFSET_MAPPER,
        "assets/offset.txt": "1\n",
    }, config=_prod_cache_config(fake_cluster.options))
    client.write_table("//home/c/numbers", [{"x": 1}, {"x": 2}])
    assert run_cli("run", root).exit_code == 0
    assert run_cli("run", root).exit_code == 0
    assert outcome(root, "scale")[0] == "CACHED"
    client.remove("//home/c/scaled")
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    assert outcome(root, "scale") == (
        "SUCCESS", "miss: table //home/c/scaled its operations write is missing")
    assert fake_yt.rows("//home/c/scaled") == [{"x": 1, "y": 2}, {"x": 2, "y": 3}]


def test_prod_a_table_written_by_write_table_and_not_declared_is_checked(make_pipeline,
                                                                          run_cli, fake_cluster):
    """The same on the fake proxy: the prod stage transaction notes the tables its
    write_table calls wrote, less the one the stage removed."""
    fake_yt, client = fake_cluster.fake_yt, fake_cluster.client
    config = {"pipeline": {"mode": "prod", "build_folder": "//home/c/build", "cache": True,
                           "prod": fake_cluster.options},
              "stages": {"enabled_stages": ["fill"]}}
    stage = (UNDECLARED_STAGE.replace("//out/", "//home/c/")
             .replace("//tmp/scratch", "//home/c/scratch"))
    root = make_pipeline({"configs/secrets.env": fake_cluster.secrets,
                          "stages/fill/stage.py": stage}, config=config)
    assert run_cli("run", root).exit_code == 0
    assert run_cli("run", root).exit_code == 0
    assert outcome(root, "fill")[0] == "CACHED"
    client.remove("//home/c/side")
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    status, reason = outcome(root, "fill")
    assert status == "SUCCESS"
    assert reason.startswith("miss: table //home/c/side it wrote in run "), reason
    assert fake_yt.rows("//home/c/side") == [{"n": 3}]
    assert fake_yt.rows("//home/c/main") == [{"n": 1}, {"n": 2}]
    assert run_cli("run", root).exit_code == 0
    assert outcome(root, "fill")[0] == "CACHED"  # the removed scratch table is not asked for


# reads its own setting under `stages.<name>` of the pipeline's configuration
FACTOR_STAGE = """\
from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        factor = self.deps.pipeline_config.get("stages.load.factor")
        self.deps.yt_client.write_table("//out/scaled", [{"n": n * factor} for n in (1, 2)])
        return debug
"""


def test_a_changed_setting_of_a_stage_under_stages_reruns_it(tmp_path):
    """`stages.load.factor`, from the file, `--set`, a `YTP_` variable or secrets.env, is
    a setting like any other: left out with the stage list, a new value was served the rows
    of the old one."""
    config = {"pipeline": {"mode": "dev", "cache": True},
              "stages": {"enabled_stages": ["load"], "load": {"factor": 2}}}
    root = write_pipeline(tmp_path / "p", {"stages/load/stage.py": FACTOR_STAGE}, config)
    assert run(root).returncode == 0
    assert rows(root, "//out/scaled") == [{"n": 2}, {"n": 4}]
    assert run(root).returncode == 0 and statuses(root) == {"load": "CACHED"}

    assert run(root, "--set", "stages.load.factor=3").returncode == 0
    assert outcome(root, "load") == ("SUCCESS", "miss: settings changed")
    assert rows(root, "//out/scaled") == [{"n": 3}, {"n": 6}]

    secrets = root / "configs/secrets.env"
    secrets.write_text("YTP_STAGES__LOAD__FACTOR=5\n")
    secrets.chmod(0o600)
    assert run(root).returncode == 0
    assert outcome(root, "load") == ("SUCCESS", "miss: settings changed")
    assert rows(root, "//out/scaled") == [{"n": 5}, {"n": 10}]
    assert run(root).returncode == 0 and statuses(root) == {"load": "CACHED"}


def test_the_digest_kept_of_a_setting_secrets_env_gives_confirms_no_guess(tmp_path):
    """A setting a `YTP_` line of secrets.env gives (a PIN the stage reads) is in the
    settings digest, which the state keeps and every cache line prints the start of: the
    same in every folder, so with the configuration at hand (it is in the repository)
    trying each value found it. Two folders of the same secret keep two digests, and a new
    value still reruns the stage."""
    config = {"pipeline": {"mode": "dev", "cache": True},
              "stages": {"enabled_stages": ["load"], "load": {"factor": 2}}}
    kept = []
    for name in ("mine", "guessing"):
        root = write_pipeline(tmp_path / name, {"stages/load/stage.py": FACTOR_STAGE,
                                                "configs/secrets.env":
                                                    "YTP_STAGES__LOAD__FACTOR=4821\n"}, config)
        assert run(root).returncode == 0
        assert rows(root, "//out/scaled") == [{"n": 4821}, {"n": 9642}]
        state = json.loads((root / ".runs/stages.dev.json").read_text())
        kept.append(state["load"]["components"]["settings"])
    assert kept[0] != kept[1]
    assert run(root).returncode == 0 and statuses(root) == {"load": "CACHED"}
    (root / "configs/secrets.env").write_text("YTP_STAGES__LOAD__FACTOR=4822\n")
    assert run(root).returncode == 0
    assert outcome(root, "load") == ("SUCCESS", "miss: settings changed")


# `login` hands on a secret of secrets.env in its debug; `fetch` takes it
LOGIN_STAGE = """\
from yt_pipeline import BaseStage


class Login(BaseStage):
    def run(self, debug):
        return {"pin": self.deps.pipeline_config.secret("PIN")}
"""
FETCH_STAGE = """\
from yt_pipeline import BaseStage


class Fetch(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//out/fetched", [{"pin_length": len(debug["pin"])}])
        return {}
"""


def test_the_digest_kept_of_a_debug_holding_a_secret_confirms_no_guess(tmp_path):
    """A debug handed on holding a secret is kept masked, but its digest, the `debug`
    component the state keeps and each cache line prints the start of, was of its values
    alone: from the stage's code, trying each value found a short one. Two folders of the
    same secret keep two digests, and a new value still reruns the stage."""
    config = {"pipeline": {"mode": "dev", "cache": True},
              "stages": {"enabled_stages": ["login", "fetch"]}}
    kept = []
    for name in ("mine", "guessing"):
        root = write_pipeline(tmp_path / name, {"stages/login/stage.py": LOGIN_STAGE,
                                                "stages/fetch/stage.py": FETCH_STAGE,
                                                "configs/secrets.env": "PIN=4821\n"}, config)
        assert run(root).returncode == 0
        assert rows(root, "//out/fetched") == [{"pin_length": 4}]
        state = json.loads((root / ".runs/stages.dev.json").read_text())
        assert state["login"]["debug"] == {"pin": "***"}
        kept.append(state["fetch"]["components"]["debug"])
    assert kept[0] != kept[1]
    (root / "configs/secrets.env").write_text("PIN=4822\n")
    assert run(root).returncode == 0
    assert outcome(root, "fetch") == ("SUCCESS", "miss: debug changed, upstream login changed")


def test_a_stage_whose_debug_held_a_secret_is_not_served_from_the_cache(tmp_path):
    """Its debug is kept masked, so served from the cache it handed `***` on where the
    secret was: the stage after it ran on that, and wrote other rows (a length of 3, not
    4). It runs again each time instead, as a stage whose path holds a secret does."""
    config = {"pipeline": {"mode": "dev", "cache": True},
              "stages": {"enabled_stages": ["login", "fetch"]}}
    root = write_pipeline(tmp_path / "p", {"stages/login/stage.py": LOGIN_STAGE,
                                           "stages/fetch/stage.py": FETCH_STAGE,
                                           "configs/secrets.env": "PIN=4821\n"}, config)
    for _ in range(2):
        done = run(root)
        assert done.returncode == 0, done.stderr
        assert rows(root, "//out/fetched") == [{"pin_length": 4}]
    assert outcome(root, "login")[1].startswith(
        "miss: its last debug held a secret, which is not kept")
    assert outcome(root, "fetch") == ("SUCCESS", "miss: upstream login changed")
    assert "4821" not in (root / ".runs/stages.dev.json").read_text()


# a map whose job reads a secret its operation's `env` names
REGION_MAPPER = """\
import os

from ytjobs import read_rows, write_rows

write_rows({"x": row["x"], "region": os.environ["API_KEY"][:4]} for row in read_rows())
"""
REGION_CONFIG = """\
inputs: [//in/numbers]
outputs: [//out/regions]
client:
  operations:
    map:
      input_table: //in/numbers
      output_table: //out/regions
      env: [API_KEY]
"""


def test_a_changed_secret_a_job_gets_reruns_the_stage_and_is_not_kept(tmp_path):
    """The job's rows depend on the secret its `env` names: a new value in secrets.env was
    served the rows of the old one. Neither value may be kept in `.runs/`."""
    config = {"pipeline": {"mode": "dev", "cache": True},
              "stages": {"enabled_stages": ["scale"]}}
    root = write_pipeline(tmp_path / "p", {
        "stages/scale/stage.py": SCALE_STAGE, "stages/scale/config.yaml": REGION_CONFIG,
        "stages/scale/src/mapper.py": REGION_MAPPER}, config)
    secrets = root / "configs/secrets.env"
    secrets.write_text("API_KEY=euro-4f1c93ab77\n")
    secrets.chmod(0o600)
    from yt_pipeline_dev.client import DevClient

    DevClient(root / ".dev").write_table("//in/numbers", [{"x": 1}])
    assert run(root).returncode == 0
    assert rows(root, "//out/regions") == [{"x": 1, "region": "euro"}]
    assert run(root).returncode == 0 and statuses(root) == {"scale": "CACHED"}

    secrets.write_text("API_KEY=asia-8d20e6c511\n")
    assert run(root).returncode == 0
    assert outcome(root, "scale") == ("SUCCESS", "miss: secrets its jobs get changed")
    assert rows(root, "//out/regions") == [{"x": 1, "region": "asia"}]
    assert run(root).returncode == 0 and statuses(root) == {"scale": "CACHED"}
    for kept in (root / ".runs").rglob("*"):
        if kept.is_file():
            text = kept.read_bytes()
            assert b"4f1c93ab77" not in text and b"8d20e6c511" not in text, kept


def test_the_digest_kept_of_a_secret_a_job_gets_confirms_no_guess(tmp_path):
    """A short secret (a PIN) passed to a job: the digest `.runs/` keeps of it was the same
    in every folder, so anyone with a copy of the state could try each value in a folder of
    their own (ten thousand tries for four digits) and find it. Two folders of the same
    secret keep two different digests, and each still tells its own change."""
    from yt_pipeline_dev.client import DevClient

    config = {"pipeline": {"mode": "dev", "cache": True},
              "stages": {"enabled_stages": ["scale"]}}
    kept = []
    for name in ("mine", "guessing"):
        root = write_pipeline(tmp_path / name, {
            "stages/scale/stage.py": SCALE_STAGE, "stages/scale/config.yaml": REGION_CONFIG,
            "stages/scale/src/mapper.py": REGION_MAPPER,
            "configs/secrets.env": "API_KEY=4821\n"}, config)
        DevClient(root / ".dev").write_table("//in/numbers", [{"x": 1}])
        assert run(root).returncode == 0
        assert rows(root, "//out/regions") == [{"x": 1, "region": "4821"}]
        state = json.loads((root / ".runs/stages.dev.json").read_text())
        kept.append(state["scale"]["components"]["secrets"])
    assert kept[0] != kept[1]
    assert run(root).returncode == 0 and statuses(root) == {"scale": "CACHED"}
    (root / "configs/secrets.env").write_text("API_KEY=4822\n")
    assert run(root).returncode == 0
    assert outcome(root, "scale") == ("SUCCESS", "miss: secrets its jobs get changed")


# `load` declares one table and writes a second one it hands on by name; `total` declares
# only the first, which links the two stages
LOAD_TWO_TABLES = """\
from yt_pipeline import BaseStage

WEIGHT = {weight}


class Load(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//mid/numbers", [{{"n": n}} for n in range(3)])
        self.deps.yt_client.write_table("//mid/weights", [{{"w": WEIGHT}}])
        return {{"weights": "//mid/weights"}}
"""
TOTAL_OF_TWO_TABLES = """\
from yt_pipeline import BaseStage


class Total(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        weight = next(iter(yt.read_table(debug["weights"])))["w"]
        numbers = yt.read_table("//mid/numbers")
        yt.write_table("//out/total", [{"t": weight * sum(r["n"] for r in numbers)}])
        return debug
"""


def test_a_stage_linked_by_one_table_sees_the_other_tables_of_its_dependency(tmp_path):
    """A dependency linked by a declared table counts by that table's content alone: when
    it also wrote a table the stage does not declare (handed on by name), new rows there
    were served the total of the old ones."""
    config = {"pipeline": {"mode": "dev", "cache": True},
              "stages": {"enabled_stages": ["load", "total"]}}
    root = write_pipeline(tmp_path / "p", {
        "stages/load/stage.py": LOAD_TWO_TABLES.format(weight=1),
        "stages/load/config.yaml": "outputs: [//mid/numbers]\n",
        "stages/total/stage.py": TOTAL_OF_TWO_TABLES,
        "stages/total/config.yaml": "inputs: [//mid/numbers]\n"}, config)
    assert run(root).returncode == 0
    assert rows(root, "//out/total") == [{"t": 3}]

    (root / "stages/load/stage.py").write_text(LOAD_TWO_TABLES.format(weight=5))
    assert run(root).returncode == 0
    assert statuses(root) == {"load": "SUCCESS", "total": "SUCCESS"}
    assert cache_reason(root, "total") == "miss: upstream load changed"
    assert rows(root, "//out/total") == [{"t": 15}]
    assert run(root).returncode == 0
    assert statuses(root) == {"load": "CACHED", "total": "CACHED"}


# reads a table by a name it builds as it runs, declared nowhere
DAILY_STAGE = """\
from yt_pipeline import BaseStage


class Daily(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        day = "2026-01-0" + "1"
        rows = yt.read_table("//raw/day_" + day + "[#0:#10]")
        yt.write_table("//out/daily", [{"sum": sum(r["n"] for r in rows)}])
        return debug
"""


def test_a_table_read_by_a_name_made_at_run_time_is_checked_for_a_hit(tmp_path):
    """Such a table cannot be in the fingerprint before the stage runs: it is recorded as
    the stage reads it, as a data file is. Rewritten since, with as many rows, it was
    served the sum of the old rows."""
    from yt_pipeline_dev.client import DevClient

    config = {"pipeline": {"mode": "dev", "cache": True},
              "stages": {"enabled_stages": ["daily"]}}
    root = write_pipeline(tmp_path / "p", {"stages/daily/stage.py": DAILY_STAGE}, config)
    raw = DevClient(root / ".dev")
    raw.write_table("//raw/day_2026-01-01", [{"n": 1}, {"n": 2}])
    assert run(root).returncode == 0
    assert rows(root, "//out/daily") == [{"sum": 3}]
    assert run(root).returncode == 0 and statuses(root) == {"daily": "CACHED"}

    raw.write_table("//raw/day_2026-01-01", [{"n": 3}, {"n": 4}])
    assert run(root).returncode == 0
    assert statuses(root) == {"daily": "SUCCESS"}
    assert cache_reason(root, "daily").startswith(
        "miss: table //raw/day_2026-01-01 it read in run ")
    assert rows(root, "//out/daily") == [{"sum": 7}]
    assert run(root).returncode == 0 and statuses(root) == {"daily": "CACHED"}


def test_prod_a_table_read_by_a_name_made_at_run_time_is_checked(make_pipeline, run_cli,
                                                                  fake_cluster):
    """The same on the fake proxy: the table's revision is kept as the stage reads it."""
    fake_yt, client = fake_cluster.fake_yt, fake_cluster.client
    config = {"pipeline": {"mode": "prod", "build_folder": "//home/c/build", "cache": True,
                           "prod": fake_cluster.options},
              "stages": {"enabled_stages": ["daily"]}}
    stage = DAILY_STAGE.replace("//raw/", "//home/c/").replace("//out/", "//home/c/")
    root = make_pipeline({"configs/secrets.env": fake_cluster.secrets,
                          "stages/daily/stage.py": stage}, config=config)
    client.write_table("//home/c/day_2026-01-01", [{"n": 1}, {"n": 2}])
    assert run_cli("run", root).exit_code == 0
    assert run_cli("run", root).exit_code == 0
    assert outcome(root, "daily")[0] == "CACHED"
    client.write_table("//home/c/day_2026-01-01", [{"n": 3}, {"n": 4}])
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    status, reason = outcome(root, "daily")
    assert status == "SUCCESS"
    assert reason.startswith("miss: table //home/c/day_2026-01-01 it read in run "), reason
    assert fake_yt.rows("//home/c/daily") == [{"sum": 7}]
    assert run_cli("run", root).exit_code == 0
    assert outcome(root, "daily")[0] == "CACHED"


# reads back a scratch table it made, then removes it
SCRATCH_STAGE = """\
from yt_pipeline import BaseStage


class Scratch(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.write_table("//tmp/scratch", [{"n": 1}, {"n": 2}])
        total = sum(r["n"] for r in yt.read_table("//tmp/scratch"))
        yt.remove("//tmp/scratch")
        yt.write_table("//out/total", [{"total": total}])
        return debug
"""


def test_a_scratch_table_the_stage_read_back_is_not_asked_for(tmp_path):
    config = {"pipeline": {"mode": "dev", "cache": True},
              "stages": {"enabled_stages": ["scratch"]}}
    root = write_pipeline(tmp_path / "p", {"stages/scratch/stage.py": SCRATCH_STAGE}, config)
    assert run(root).returncode == 0
    assert rows(root, "//out/total") == [{"total": 3}]
    assert run(root).returncode == 0 and statuses(root) == {"scratch": "CACHED"}
    assert "read" not in json.loads((root / ".runs/stages.dev.json").read_text())["scratch"]


# maps a table its code picks in place of the one its map section names
PICKED_INPUT_STAGE = """\
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Picked(BaseStage):
    def run(self, debug):
        section = self.config.client.operations.map.to_dict()
        section["input_table"] = "//raw/picked"
        run_map(self, section, sync={sync})
        return debug
"""
PICKED_INPUT_CONFIG = """\
client:
  operations:
    map:
      input_table: //raw/named
      output_table: //out/copied
"""
COPY_MAPPER = """\
from ytjobs import read_rows, write_rows

write_rows({"n": row["n"]} for row in read_rows())
"""


@pytest.mark.parametrize("sync", [True, False])
def test_a_table_an_operation_reads_by_a_name_set_in_code_is_checked_for_a_hit(tmp_path,
                                                                              sync):
    """The section's `input_table` is in the fingerprint, but the map read another one,
    set by the code: new rows there were served from the cache, the output kept the old
    ones. The table an operation reads is recorded as it starts, as one read_table reads;
    so it is for one started without waiting (sync=False), in a thread of its own."""
    from yt_pipeline_dev.client import DevClient

    config = {"pipeline": {"mode": "dev", "cache": True},
              "stages": {"enabled_stages": ["picked"]}}
    root = write_pipeline(tmp_path / "p", {
        "stages/picked/stage.py": PICKED_INPUT_STAGE.format(sync=sync),
        "stages/picked/config.yaml": PICKED_INPUT_CONFIG,
        "stages/picked/src/mapper.py": COPY_MAPPER}, config)
    raw = DevClient(root / ".dev")
    raw.write_table("//raw/named", [{"n": 0}])
    raw.write_table("//raw/picked", [{"n": 1}, {"n": 2}])
    result = run(root)
    assert result.returncode == 0, result.stderr
    assert rows(root, "//out/copied") == [{"n": 1}, {"n": 2}]
    assert run(root).returncode == 0 and statuses(root) == {"picked": "CACHED"}

    raw.write_table("//raw/picked", [{"n": 3}, {"n": 4}])
    result = run(root)
    assert result.returncode == 0, result.stderr
    assert statuses(root) == {"picked": "SUCCESS"}
    assert cache_reason(root, "picked").startswith("miss: table //raw/picked it read in run ")
    assert rows(root, "//out/copied") == [{"n": 3}, {"n": 4}]
    assert run(root).returncode == 0 and statuses(root) == {"picked": "CACHED"}


def test_prod_a_table_an_operation_reads_by_a_name_set_in_code_is_checked(make_pipeline,
                                                                          run_cli, fake_cluster):
    """The same on the fake proxy: the prod launcher takes the same path, the table's
    revision is kept as the operation starts."""
    fake_yt, client = fake_cluster.fake_yt, fake_cluster.client
    config = {"pipeline": {"mode": "prod", "build_folder": "//home/c/build", "cache": True,
                           "prod": fake_cluster.options},
              "stages": {"enabled_stages": ["picked"]}}
    root = make_pipeline({
        "configs/secrets.env": fake_cluster.secrets,
        "stages/picked/stage.py": (PICKED_INPUT_STAGE.format(sync=True)
                                   .replace("//raw/", "//home/c/")),
        "stages/picked/config.yaml": (PICKED_INPUT_CONFIG.replace("//raw/", "//home/c/")
                                      .replace("//out/", "//home/c/")),
        "stages/picked/src/mapper.py": COPY_MAPPER}, config=config)
    client.write_table("//home/c/named", [{"n": 0}])
    client.write_table("//home/c/picked", [{"n": 1}, {"n": 2}])
    first = run_cli("run", root)
    assert first.exit_code == 0, first.output
    assert fake_yt.rows("//home/c/copied") == [{"n": 1}, {"n": 2}]
    assert run_cli("run", root).exit_code == 0
    assert outcome(root, "picked")[0] == "CACHED"
    client.write_table("//home/c/picked", [{"n": 3}, {"n": 4}])
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    status, reason = outcome(root, "picked")
    assert status == "SUCCESS"
    assert reason.startswith("miss: table //home/c/picked it read in run "), reason
    assert fake_yt.rows("//home/c/copied") == [{"n": 3}, {"n": 4}]
    assert run_cli("run", root).exit_code == 0
    assert outcome(root, "picked")[0] == "CACHED"


def test_a_stage_whose_code_sets_its_maps_output_table_is_served_from_the_cache(tmp_path):
    """The section's `output_table`, replaced in code, is never made: asked for at each
    cache check, it ran the stage each time (`table //out/copied its operations write is
    missing`). The table the map wrote is the one checked."""
    from yt_pipeline_dev.client import DevClient

    stage = PICKED_INPUT_STAGE.format(sync=True).replace(
        '        run_map(', '        section["output_table"] = "//out/elsewhere"\n        run_map(')
    config = {"pipeline": {"mode": "dev", "cache": True},
              "stages": {"enabled_stages": ["picked"]}}
    root = write_pipeline(tmp_path / "p", {
        "stages/picked/stage.py": stage,
        "stages/picked/config.yaml": PICKED_INPUT_CONFIG,
        "stages/picked/src/mapper.py": COPY_MAPPER}, config)
    raw = DevClient(root / ".dev")
    raw.write_table("//raw/named", [{"n": 0}])
    raw.write_table("//raw/picked", [{"n": 1}, {"n": 2}])
    for expected in ("SUCCESS", "CACHED"):
        result = run(root)
        assert result.returncode == 0, result.stderr
        assert statuses(root) == {"picked": expected}, cache_reason(root, "picked")
    assert rows(root, "//out/elsewhere") == [{"n": 1}, {"n": 2}]
    assert not raw.exists("//out/copied")

    raw.remove("//out/elsewhere")
    result = run(root)
    assert result.returncode == 0, result.stderr
    assert statuses(root) == {"picked": "SUCCESS"}
    assert cache_reason(root, "picked").startswith(
        "miss: table //out/elsewhere it wrote in run ")
    assert rows(root, "//out/elsewhere") == [{"n": 1}, {"n": 2}]
