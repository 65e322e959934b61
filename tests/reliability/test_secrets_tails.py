"""A failed job's stderr is shown (in the error, on the console, in the run record) by its
last lines only. No part of a secret the job printed survives that cut, in dev and in prod
(fake proxy): not the end of a secret that straddles the start of the bytes read, not the
last lines of a multi-line secret (a PEM key), not a secret holding "\\r\\n"."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from yt_pipeline.testing import invoke_cli, write_pipeline

#: what the error of a failed dev job reads of its stderr (yt_pipeline_dev.launcher)
DEV_TAIL_BYTES = 16 * 1024
TOKEN = "ytp-prod-TOKEN-tails-0123456789"
KEY = "sk-live-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
PEM = ("-----BEGIN PRIVATE KEY-----\n"
       + "\n".join(f"MIIEv{i:02d}QIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ" for i in range(40))
       + "\n-----END PRIVATE KEY-----")
CRLF = "crlf-secret-part-ONE\r\npart-TWO-of-crlf"
SECRETS = {"API_KEY": KEY, "SIGNING_KEY": PEM, "CRLF_KEY": CRLF}
LAST_WORDS = "job gave up after printing its key"
INPUT, OUTPUT = "//home/tails/input", "//home/tails/output"

STAGE = f"""
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Leaky(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("{INPUT}", [{{"id": 1}}])
        run_map(self, self.config.client.operations.map)
        return debug
"""
# PRINT names the secret the job prints; CUT_INTO, when set, makes the output after it so
# long that the last WINDOW bytes (DEV_TAIL_BYTES unless set) start that many bytes into it
MAPPER = f"""
import os, sys

secret = os.environ.get("YT_SECURE_VAULT_" + os.environ["PRINT"]) or os.environ[os.environ["PRINT"]]
sys.stderr.write("using key " + secret + "\\n")
if os.environ.get("CUT_INTO"):
    window = int(os.environ.get("WINDOW") or {DEV_TAIL_BYTES})
    after = window - (len(secret.encode()) - int(os.environ["CUT_INTO"]))
    sys.stderr.write("y" * (after - len("{LAST_WORDS}") - 3) + "\\n")
sys.stderr.write("{LAST_WORDS}\\n")
sys.exit(1)
"""


def dotenv_quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r") + '"'


def make(root: Path, mode: str, printed: str, cut_into: int | None = None,
         proxy_url: str | None = None, window: int | None = None) -> Path:
    env = {"PRINT": printed, **({"CUT_INTO": str(cut_into)} if cut_into is not None else {}),
           **({"WINDOW": str(window)} if window else {})}
    env_yaml = "".join(f"        {name}: null\n" for name in SECRETS)
    env_yaml += "".join(f"        {name}: '{value}'\n" for name, value in env.items())
    secrets_env = "".join(f"{name}={dotenv_quoted(value)}\n" for name, value in SECRETS.items())
    pipeline: dict = {"mode": mode}
    if proxy_url:
        from prod_pipeline import retry_options

        secrets_env = f"YT_PROXY={proxy_url}\nYT_TOKEN={TOKEN}\n" + secrets_env
        pipeline.update({"build_folder": "//home/tails/build", "prod": retry_options()})
    return write_pipeline(root, {
        "configs/secrets.env": secrets_env,
        "stages/leaky/stage.py": STAGE,
        "stages/leaky/src/mapper.py": MAPPER,
        "stages/leaky/config.yaml": (
            f"client:\n  operations:\n    map:\n      input_table: {INPUT}\n"
            f"      output_table: {OUTPUT}\n      max_failed_job_count: 1\n      env:\n{env_yaml}"),
    }, config={"pipeline": pipeline, "stages": {"enabled_stages": ["leaky"]}})


def pieces(secret: str, size: int = 8) -> set[str]:
    """Every run of `size` characters of the secret that does not cross a line break."""
    return {line[i:i + size] for line in secret.splitlines()
            for i in range(len(line) - size + 1)}


def strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in strings_in(k) + strings_in(v)]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


def run_records(root: Path) -> list[str]:
    """The text of each run record, as stored and as the strings it holds, and of the job
    logs kept with it (.runs/logs/)."""
    texts = []
    for path in sorted((root / ".runs").glob("*.json")):
        text = path.read_text(encoding="utf-8")
        texts += [text, *strings_in(json.loads(text))]
    logs = sorted((root / ".runs" / "logs").rglob("*.log"))
    return texts + [path.read_text(encoding="utf-8", errors="replace") for path in logs]


def leaked(secret: str, texts: list[str]) -> list[str]:
    return sorted(piece for piece in pieces(secret) if any(piece in text for text in texts))


def error_tail(output: str) -> str:
    """The stderr lines the error shows."""
    assert "--- stderr (last lines) ---" in output, output
    return output.split("--- stderr (last lines) ---", 1)[1]


def check(root: Path, output: str, secret: str, masked_shown: bool | None) -> None:
    """No piece of `secret` in the output or the run record; the tail shows the job's last
    line, and `using key ***` when `masked_shown` (None: a key cut off by the tail may be
    masked or left out, either is right)."""
    texts = [output, *run_records(root)]
    assert len(texts) > 1, "the failed run left no run record"
    assert leaked(secret, texts) == []
    # what the user sees stays useful: the job's last line, and the mask where the key was
    tail = error_tail(output)
    assert LAST_WORDS in tail
    if masked_shown is not None:
        assert ("using key ***" in tail) == masked_shown, tail[:2000]
    assert any(LAST_WORDS in text for text in run_records(root))


# -- dev ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cut_into", [1, 3, len(KEY) // 2, len(KEY) - 1])
def test_dev_a_secret_straddling_the_tail_start_is_not_shown_in_part(tmp_path, cut_into):
    root = make(tmp_path / "p", "dev", "API_KEY", cut_into)
    result = invoke_cli("run", root)
    assert result.exit_code == 1, result.output
    check(root, result.output, KEY, masked_shown=None)
    # not even its last characters: no line shown is the end of the line the key was on
    shown = [line for line in error_tail(result.output).splitlines() if line.strip()]
    assert not [line for line in shown if f"using key {KEY}".endswith(line)], shown[:3]


@pytest.mark.parametrize("printed", ["SIGNING_KEY", "CRLF_KEY"])
def test_dev_a_multi_line_secret_is_masked_whole_in_the_tail(tmp_path, printed):
    root = make(tmp_path / "p", "dev", printed)
    result = invoke_cli("run", root)
    assert result.exit_code == 1, result.output
    check(root, result.output, SECRETS[printed], masked_shown=True)


# -- prod (fake proxy) -------------------------------------------------------------------


@pytest.fixture
def fake_proxy(monkeypatch):
    pytest.importorskip("yt_pipeline_prod")
    from yt_pipeline_prod.testing import start_fake_proxy

    for name in ("YT_PROXY", "YT_TOKEN", *SECRETS):
        monkeypatch.delenv(name, raising=False)
    fake = start_fake_proxy(token=TOKEN)
    yield fake
    fake.stop()


def run_prod(root: Path, fake, capfd) -> str:
    from prod_pipeline import run_pipeline

    run = run_pipeline(root)
    fake.wait_idle()
    captured = capfd.readouterr()
    assert run.result.exit_code == 1, run.result.output
    return run.result.output + captured.out + captured.err


@pytest.mark.parametrize("printed", ["SIGNING_KEY", "CRLF_KEY"])
def test_prod_a_multi_line_secret_is_masked_whole_in_the_tail(tmp_path, fake_proxy, capfd,
                                                               printed):
    root = make(tmp_path / "p", "prod", printed, proxy_url=fake_proxy.url)
    output = run_prod(root, fake_proxy, capfd)
    check(root, output, SECRETS[printed], masked_shown=True)
    # the job did print it: the cluster's copy of its stderr has it (that is not ours to mask)
    assert any(SECRETS[printed].encode() in job.stderr for job in fake_proxy.jobs)


@pytest.mark.parametrize("cut_into", [3, len(KEY) - 1])
def test_prod_a_secret_straddling_the_tail_start_is_not_shown_in_part(tmp_path, fake_proxy,
                                                                       capfd, cut_into):
    root = make(tmp_path / "p", "prod", "API_KEY", cut_into, proxy_url=fake_proxy.url)
    output = run_prod(root, fake_proxy, capfd)
    texts = [output, *run_records(root)]
    assert leaked(KEY, texts) == []
    assert LAST_WORDS in error_tail(output)


def test_prod_a_multi_line_secret_straddling_the_kept_job_log_is_not_kept_in_part(
        tmp_path, fake_proxy, capfd):
    # the run's job log keeps the last PER_JOB bytes of each job's stderr
    from yt_pipeline.job_logs import PER_JOB

    root = make(tmp_path / "p", "prod", "SIGNING_KEY", len(PEM) // 2, fake_proxy.url, PER_JOB)
    output = run_prod(root, fake_proxy, capfd)
    logs = [path.read_text() for path in (root / ".runs" / "logs").rglob("*.log")]
    assert any(LAST_WORDS in text for text in logs)
    assert leaked(PEM, logs) == []
    assert leaked(PEM, [output, *run_records(root)]) == []


def test_the_secrets_are_read_back_as_written(tmp_path):
    # the quoting above must give the job the very values masked
    from dotenv import dotenv_values

    root = make(tmp_path / "p", "dev", "API_KEY")
    assert dotenv_values(root / "configs/secrets.env") == SECRETS
    assert KEY not in " ".join(os.environ.values())
