"""Secrets with `"`, `\\`, non-ASCII and URL-special characters, written by a stage in every
form a sink may give them (raw, JSON-escaped, repr, URL-quoted), appear in none of those
forms in any file a dev or a prod (fake proxy) run writes or uploads, in any command's
output or in any error. The code archive of `upload_paths: ['.']` holds no run state,
records, locks, dev tables, sandboxes, build output or secrets.env."""

from __future__ import annotations

import io
import json
import re
import tarfile
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from dotenv import dotenv_values

from yt_pipeline.testing import invoke_cli, write_pipeline

TOKEN = 'ytp"tok\\en&a=b%2F+c?d#e/0123'
API_KEY = 'clé"sécrète\\ü&x=y%20z/ключ-42'
SECRETS = (TOKEN, API_KEY)
INPUT, OUTPUT = "//home/enc/input", "//home/enc/output"

STAGE = f"""
import json
from urllib.parse import quote, quote_plus

from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Leaky(BaseStage):
    def run(self, debug):
        config = self.deps.pipeline_config
        token, api = config.secret("YT_TOKEN"), config.secret("API_KEY")
        for value in (token, api):
            self.logger.info("raw %s json %s repr %r url %s plus %s", value, json.dumps(value),
                             value, quote(value, safe=""), quote_plus(value))
            self.logger.info("record %s", json.dumps({{"v": value}}, ensure_ascii=False))
        self.deps.yt_client.write_table("{INPUT}", [{{"id": i}} for i in range(3)])
        run_map(self, self.config.client.operations.map)
        if self.config.client.fail:
            raise RuntimeError(f"refused {{token!r}} {{json.dumps(api)}} {{quote(api)}} {{api!r}}")
        # handed on as debug: stored in the state and the journal, so masked there
        debug["handed_on"] = {{"token": token, "api": (api, quote(api, safe=""))}}
        return debug
"""
# the job prints the secret it was given in every form, then fails when told to (dev only:
# a cluster keeps a job's stderr itself)
MAPPER = """
import json, os, sys
from urllib.parse import quote
from ytjobs import read_rows, write_rows

api = os.environ.get("YT_SECURE_VAULT_API_KEY") or os.environ.get("API_KEY") or ""
if os.environ.get("PRINT_SECRET"):
    sys.stderr.write("key %s %s %r %s\\n" % (api, json.dumps(api), api, quote(api)))
write_rows(dict(row, seen=bool(api)) for row in read_rows())
if os.environ.get("FAIL_JOB"):
    sys.stderr.write("failing on purpose\\n")
    sys.exit(3)
"""


def encodings(secret: str) -> set[str]:
    return {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
            repr(secret)[1:-1], quote(secret, safe=""), quote(secret), quote_plus(secret)}


def dotenv_quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\") + "'"


def make(root: Path, *, mode: str, proxy_url: str = "http://127.0.0.1:9", fail_stage=False,
         fail_job=False, print_secret=False) -> Path:
    env = "      env:\n        API_KEY: null\n"
    env += "        FAIL_JOB: '1'\n" if fail_job else ""
    env += "        PRINT_SECRET: '1'\n" if print_secret else ""
    stage_config = (f"client:\n  fail: {str(fail_stage).lower()}\n  operations:\n    map:\n"
                    f"      input_table: {INPUT}\n      output_table: {OUTPUT}\n"
                    f"      max_failed_job_count: 1\n{env}")
    from prod_pipeline import retry_options

    config = {"pipeline": {"mode": mode, "build_folder": "//home/enc/build",
                           "dev_dir": "local_tables", "upload_paths": ["."],
                           "prod": retry_options()},
              "stages": {"enabled_stages": ["leaky"]}}
    root = write_pipeline(root, {
        "configs/secrets.env": (f"YT_PROXY={proxy_url}\nYT_TOKEN={dotenv_quoted(TOKEN)}\n"
                                f"API_KEY={dotenv_quoted(API_KEY)}\n"),
        "stages/leaky/stage.py": STAGE,
        "stages/leaky/src/mapper.py": MAPPER,
        "stages/leaky/config.yaml": stage_config,
    }, config=config)
    assert dotenv_values(root / "configs/secrets.env")["YT_TOKEN"] == TOKEN
    assert dotenv_values(root / "configs/secrets.env")["API_KEY"] == API_KEY
    return root


def archive_members(name: str, data: bytes) -> dict[str, bytes]:
    if not name.endswith(".tar.gz"):
        return {}
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return {f"{name}:{m.name}": archive.extractfile(m).read()  # type: ignore[union-attr]
                for m in archive.getmembers() if m.isfile()}


def run_leaky_stage(root: Path, stage: str, secret: str, capfd) -> dict[str, bytes]:
    """Run, in dev, a pipeline of one stage `leaky` (its stage.py is `stage`) with `secret`
    as API_KEY in secrets.env; it must succeed. Every file the run left, and what it
    printed (as "printed")."""
    write_pipeline(root, {
        "configs/secrets.env": f"API_KEY={dotenv_quoted(secret)}\n",
        "stages/leaky/stage.py": stage,
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["leaky"]}})
    result = invoke_cli("run", root)
    assert result.exit_code == 0, result.output
    printed = (result.output + "".join(capfd.readouterr())).encode()
    return {**folder_blobs(root), "printed": printed}


def the_run_log(blobs: dict[str, bytes]) -> str:
    """The text of the one run log (`.runs/<run>.log`) among a run's files."""
    [log] = [data.decode() for name, data in blobs.items()
             if re.fullmatch(r"\.runs/[^/]+\.log", name)]
    return log


def folder_blobs(root: Path) -> dict[str, bytes]:
    blobs: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != "secrets.env":
            name = str(path.relative_to(root))
            blobs[name] = path.read_bytes()
            blobs.update(archive_members(name, blobs[name]))
    return blobs


def leaks(blobs: dict[str, bytes]) -> list[str]:
    found = []
    for name, data in blobs.items():
        for secret in SECRETS:
            for form in encodings(secret):
                if form.encode() in data:
                    found.append(f"{name} holds {form!r}")
    return found


def private_members(names: list[str]) -> list[str]:
    """Members (named `archive:member`) that hold run state or secrets."""
    private = (".runs/", "state.", "local_tables/", ".build/", "secrets.env", ".dev/", ".lock")
    members = [name.split(".tar.gz:", 1)[1] for name in names]
    return [m for m in members if any(part in m for part in private)]


def outputs_of_commands(root: Path, mode: str) -> str:
    texts = []
    for args in (["runs", str(root)], ["status", str(root), "--set", f"pipeline.mode={mode}"],
                 ["config", str(root)], ["--debug", "config", str(root), "--set", "a..b=1"]):
        result = invoke_cli(*args)
        texts.append(result.output)
    return "\n".join(texts)


DEV = {"passing": {}, "failing stage": {"fail_stage": True},
       "failing job": {"fail_job": True, "print_secret": True},
       "failing stage, --debug": {"fail_stage": True, "debug": True}}


@pytest.mark.parametrize("scenario", list(DEV))
def test_dev_runs_keep_every_form_of_a_secret(tmp_path, monkeypatch, capfd, scenario):
    for name in ("YT_PROXY", "YT_TOKEN", "API_KEY"):
        monkeypatch.delenv(name, raising=False)
    options = dict(DEV[scenario])
    debug = options.pop("debug", False)
    root = make(tmp_path / "p", mode="dev", **options)
    result = invoke_cli(*(["--debug"] if debug else []), "run", str(root))
    assert result.exit_code == (0 if scenario == "passing" else 1), result.output
    if scenario == "failing job":
        assert "failing on purpose" in result.output
        kept = list((root / "local_tables").glob(".sandboxes/sandbox_*/*.stderr"))
        assert kept and any(b"key ***" in path.read_bytes() for path in kept)
    captured = capfd.readouterr()
    output = result.output + captured.out + captured.err + outputs_of_commands(root, "dev")
    assert leaks({"output": output.encode()}) == []
    assert leaks(folder_blobs(root)) == []


PROD = {"passing": {}, "failing stage": {"fail_stage": True}}


@pytest.mark.parametrize("scenario", list(PROD))
def test_prod_runs_keep_every_form_of_a_secret(tmp_path, monkeypatch, capfd, scenario):
    pytest.importorskip("yt_pipeline_prod")
    from test_prod_secrets import blobs_of_operations, blobs_of_proxy

    from yt_pipeline_prod.testing import start_fake_proxy

    for name in ("YT_PROXY", "YT_TOKEN", "API_KEY"):
        monkeypatch.delenv(name, raising=False)
    fake = start_fake_proxy(token=TOKEN)
    try:
        root = make(tmp_path / "p", mode="prod", proxy_url=fake.url, **PROD[scenario])
        # a dev run first, failing a job, leaves run state, records, a kept sandbox and the
        # dev tables in the folder that `upload_paths: ['.']` uploads
        dev = invoke_cli("run", str(root), "--set", "pipeline.mode=dev", "--set",
                         "stages.enabled_stages=[leaky]")
        assert dev.exit_code in (0, 1), dev.output
        (root / "local_tables" / "kept.stderr").write_text("whatever a job wrote\n")
        result = invoke_cli("run", str(root))
        fake.wait_idle()
    finally:
        fake.stop()
    assert result.exit_code == (0 if scenario == "passing" else 1), result.output
    captured = capfd.readouterr()
    output = (dev.output + result.output + captured.out + captured.err
              + outputs_of_commands(root, "prod"))
    assert leaks({"output": output.encode()}) == []
    assert leaks(folder_blobs(root)) == []
    assert leaks(blobs_of_proxy(fake)) == []
    assert leaks(blobs_of_operations(fake)) == []
    uploaded = [name for path, data in blobs_of_proxy(fake).items() if path.endswith(".tar.gz")
                for name in archive_members(path, data)]
    assert uploaded, "the archive was not uploaded"
    assert private_members(uploaded) == []
    built = list(archive_members(".build/source.tar.gz",
                                 (root / ".build" / "source.tar.gz").read_bytes()))
    assert any(name.endswith("stages/leaky/stage.py") for name in built), built
    assert private_members(built) == []


def test_stored_debug_masking_covers_every_form():
    """The function that masks a stage's returned debug before it is stored."""
    from yt_pipeline.logs import mask_secrets, masked_data

    mask_secrets(SECRETS)
    debug = {"raw": TOKEN, "nested": [{"json": json.dumps({"k": API_KEY})}],
             TOKEN: "as a key", "url": "https://x/?t=" + quote(TOKEN, safe=""),
             "repr": repr(API_KEY), "count": 3, "flag": True, "none": None}
    stored = json.dumps(masked_data(debug), ensure_ascii=False)
    assert leaks({"debug": stored.encode()}) == []
    assert leaks({"debug": json.dumps(masked_data(debug)).encode()}) == []
    assert masked_data(debug)["count"] == 3 and masked_data(debug)["flag"] is True
