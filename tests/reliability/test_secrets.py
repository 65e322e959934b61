"""A recognisable token in secrets.env never appears in logs, tables, archives, wrapper
scripts, job environments or error messages — in successful and in failing dev runs."""

from __future__ import annotations

import hashlib
import os
import tarfile
from pathlib import Path

import pytest

from yt_pipeline.testing import invoke_cli, write_pipeline

TOKEN = "ytp-secret-TOKEN-0123456789abcdef"
API_KEY = "api-key-ZYXWVU-98765"

STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Leaky(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        token = self.deps.pipeline_config.secret("YT_TOKEN")
        self.logger.info("connecting with %s", token)
        yt.write_table("//tmp/secrets/input", [{"id": i} for i in range(4)])
        run_map(self, self.config.client.operations.map)
        if self.config.client.fail:
            raise RuntimeError("refused token " + token)
        return debug
"""
# The job compares hashes, so the secrets themselves are not in its source (nor the archive).
MAPPER = """
import hashlib, os, sys
from ytjobs import read_rows, write_rows

def digest(value):
    return hashlib.sha256(value.encode()).hexdigest()

env_has_token = any(digest(v) == "{token}" for v in os.environ.values())
sys.stderr.write("job env has token: %s\\n" % env_has_token)
api = os.environ.get("YT_SECURE_VAULT_API_KEY") or os.environ.get("API_KEY") or ""
write_rows({{**row, "token_in_env": env_has_token, "api_ok": digest(api) == "{api}"}} for row in read_rows())
if os.environ.get("FAIL_JOB"):
    sys.stderr.write("failing on purpose\\n")
    sys.exit(3)
"""


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def make(root: Path, fail_stage: bool = False, fail_job: bool = False) -> Path:
    env = {"FAIL_JOB": "1"} if fail_job else {}
    env_yaml = "\n".join(f"        {k}: '{v}'" for k, v in env.items())
    return write_pipeline(
        root,
        {
            "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [leaky]}\n",
            "configs/secrets.env": f"YT_TOKEN={TOKEN}\nAPI_KEY={API_KEY}\n",
            "stages/leaky/stage.py": STAGE,
            "stages/leaky/src/mapper.py": MAPPER.format(token=sha(TOKEN), api=sha(API_KEY)),
            "stages/leaky/config.yaml": (
                f"client:\n  fail: {str(fail_stage).lower()}\n  operations:\n    map:\n"
                "      input_table: //tmp/secrets/input\n      output_table: //tmp/secrets/output\n"
                "      env:\n        API_KEY: null\n" + (env_yaml + "\n" if env_yaml else "")
            ),
        },
    )


def files_containing(root: Path, needle: str) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.name == "secrets.env" or not path.is_file():
            continue
        data = path.read_bytes()
        if needle.encode() in data:
            found.append(str(path.relative_to(root)))
        if path.name.endswith(".tar.gz"):
            with tarfile.open(path) as archive:
                for member in archive.getmembers():
                    handle = archive.extractfile(member)
                    if handle is not None and needle.encode() in handle.read():
                        found.append(f"{path.relative_to(root)}:{member.name}")
    return found


@pytest.mark.parametrize(("fail_stage", "fail_job"), [(False, False), (True, False), (False, True)])
def test_token_appears_nowhere(tmp_path, fail_stage, fail_job):
    root = make(tmp_path / "p", fail_stage, fail_job)
    result = invoke_cli("run", root)
    assert result.exit_code == (0 if not (fail_stage or fail_job) else 1), result.output
    for secret in (TOKEN, API_KEY):
        assert secret not in result.output
        assert files_containing(root, secret) == []
    if fail_job:
        assert "failing on purpose" in result.stderr
    elif fail_stage:  # the stage failed after its map: its writes were never committed
        assert not (root / ".dev/tmp/secrets/output.jsonl").exists()
    else:
        rows = (root / ".dev/tmp/secrets/output.jsonl").read_text().splitlines()
        assert len(rows) == 4
        # the job never saw YT_TOKEN; it did get the secret it asked for, through the vault
        assert all('"token_in_env":false' in r and '"api_ok":true' in r for r in rows)
    assert TOKEN not in " ".join(os.environ.values())


# -- tracebacks: --debug prints one, debug logging logs one; both masked ---------------

TRACEBACK_SECRET = "sekret-TOKEN-42"
TRACEBACK_STAGE = (
    "from yt_pipeline import BaseStage\n\nclass F(BaseStage):\n"
    "    def run(self, debug):\n"
    "        raise RuntimeError('bad token ' + self.deps.pipeline_config.secret('YT_TOKEN'))\n"
)


@pytest.mark.parametrize("options", [["--debug", "run"], ["--log-level", "debug", "run"]],
                         ids=["--debug", "--log-level debug"])
def test_a_secret_in_a_stage_error_is_masked_in_tracebacks_too(make_pipeline, run_cli, options):
    root = make_pipeline({"stages/f/stage.py": TRACEBACK_STAGE,
                          "configs/secrets.env": f"YT_TOKEN={TRACEBACK_SECRET}\n"},
                         config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["f"]}})
    result = run_cli(*options, root)
    assert result.exit_code == 1
    assert "Traceback" in result.output  # the traceback is shown ...
    assert TRACEBACK_SECRET not in result.output  # ... but never the secret

