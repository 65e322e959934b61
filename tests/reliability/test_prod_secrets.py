"""Prod runs on the fake proxy with a recognisable YT_TOKEN and API key in secrets.env,
passing and failing: neither value appears in the command's output, in any file of the
pipeline folder (logs, run records, .build/ and its archive), in anything stored on the
proxy (tables, the uploaded archive and its wrapper scripts), in the operation specs
outside the secure vault, in the jobs' command lines, or in their environments except the
vault variable the operation asked for. The token does reach the proxy, in the
Authorization header of each request: that is how it is used, and the proxy must not print it.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest

pytest.importorskip("yt_pipeline_prod")

from prod_pipeline import retry_options, run_pipeline  # noqa: E402 - after the skip

# the dev test's job: it reports whether it saw the token and got the API key, comparing
# digests, so neither secret is in its source (nor in the archive)
from test_secrets import MAPPER, sha  # noqa: E402

from yt_pipeline.testing import write_pipeline  # noqa: E402
from yt_pipeline_prod.testing import start_fake_proxy  # noqa: E402

TOKEN = "ytp-prod-TOKEN-fedcba9876543210"
API_KEY = "api-key-QWERTY-24680"
SECRETS = (TOKEN, API_KEY)
INPUT, OUTPUT = "//home/secrets/input", "//home/secrets/output"

STAGE = f"""
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Leaky(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        token = self.deps.pipeline_config.secret("YT_TOKEN")
        self.logger.info("connecting with %s", token)
        yt.write_table("{INPUT}", [{{"id": i}} for i in range(3)])
        run_map(self, self.config.client.operations.map)
        if self.config.client.fail:
            raise RuntimeError("refused token " + token)
        return debug
"""
def make(root: Path, proxy_url: str, fail_stage: bool, fail_job: bool) -> Path:
    env = "      env:\n        API_KEY: null\n" + ("        FAIL_JOB: '1'\n" if fail_job else "")
    stage_config = (f"client:\n  fail: {str(fail_stage).lower()}\n  operations:\n    map:\n"
                    f"      input_table: {INPUT}\n      output_table: {OUTPUT}\n"
                    f"      max_failed_job_count: 1\n{env}")
    config = {"pipeline": {"mode": "prod", "build_folder": "//home/secrets/build",
                           "prod": retry_options()},
              "stages": {"enabled_stages": ["leaky"]}}
    return write_pipeline(root, {
        "configs/secrets.env": f"YT_PROXY={proxy_url}\nYT_TOKEN={TOKEN}\nAPI_KEY={API_KEY}\n",
        "stages/leaky/stage.py": STAGE,
        "stages/leaky/src/mapper.py": MAPPER.format(token=sha(TOKEN), api=sha(API_KEY)),
        "stages/leaky/config.yaml": stage_config,
    }, config=config)


def archive_members(name: str, data: bytes) -> dict[str, bytes]:
    """The files inside a .tar.gz (empty for anything else)."""
    if not name.endswith(".tar.gz"):
        return {}
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return {f"{name}:{m.name}": archive.extractfile(m).read()  # type: ignore[union-attr]
                for m in archive.getmembers() if m.isfile()}


def blobs_of_folder(root: Path) -> dict[str, bytes]:
    blobs: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != "secrets.env":
            name = str(path.relative_to(root))
            blobs[name] = path.read_bytes()
            blobs.update(archive_members(name, blobs[name]))
    return blobs


def blobs_of_proxy(fake) -> dict[str, bytes]:
    """Every committed node: file contents (archives opened), table rows, attributes."""
    cypress = fake.state.cypress
    blobs: dict[str, bytes] = {}
    for path in cypress.paths(None):
        node = cypress.lookup(path, None)
        blobs[f"{path} (attributes)"] = json.dumps(node.attributes, default=str).encode()
        blobs[f"{path} (rows)"] = json.dumps(node.rows, default=str).encode()
        blobs[f"{path} (value)"] = json.dumps(node.value, default=str).encode()
        blobs[path] = node.data
        blobs.update(archive_members(path, node.data))
    return blobs


def blobs_of_operations(fake) -> dict[str, bytes]:
    """Specs as sent (the secure vault aside), and each job's command line and stderr."""
    blobs: dict[str, bytes] = {}
    for index, spec in enumerate(fake.specs):
        rest = {k: v for k, v in spec.items() if k != "secure_vault"}
        blobs[f"spec {index}"] = json.dumps(rest, default=str).encode()
    for job in fake.jobs:
        blobs[f"job {job.id} command"] = job.command.encode()
        blobs[f"job {job.id} stderr"] = job.stderr
    return blobs


def leaks(blobs: dict[str, bytes]) -> list[str]:
    return [f"{name} has {'the token' if secret == TOKEN else 'the API key'}"
            for name, data in blobs.items() for secret in SECRETS if secret.encode() in data]


SCENARIOS = {
    "passing": {},
    "failing stage": {"fail_stage": True},
    "failing job": {"fail_job": True},
    "retried start": {"fault": ("start_operation", 1)},
    "proxy down": {"fault": ("write_table", 10_000)},
    "wrong token": {"proxy_token": "another-token-0000"},
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_secrets_appear_nowhere(tmp_path, monkeypatch, capfd, scenario):
    options = SCENARIOS[scenario]
    for name in ("YT_PROXY", "YT_TOKEN", "API_KEY"):
        monkeypatch.delenv(name, raising=False)
    fake = start_fake_proxy(token=options.get("proxy_token", TOKEN))
    try:
        root = make(tmp_path / "p", fake.url, options.get("fail_stage", False),
                    options.get("fail_job", False))
        if "fault" in options:
            command, count = options["fault"]
            fake.faults.fail_next(command, count, status=503)
        run = run_pipeline(root)
        fake.faults.clear()
        fake.wait_idle()
    finally:
        fake.stop()
    captured = capfd.readouterr()
    output = run.result.output + captured.out + captured.err

    passing = scenario in ("passing", "retried start")
    # a cluster refusing the token before any stage ran has its own code
    expected_code = 0 if passing else 3 if scenario == "wrong token" else 1
    assert run.result.exit_code == expected_code, output
    assert [line for line in output.splitlines() if TOKEN in line or API_KEY in line] == []
    assert leaks(blobs_of_folder(root)) == []
    assert leaks(blobs_of_proxy(fake)) == []
    assert leaks(blobs_of_operations(fake)) == []

    # the vault carries the one secret the operation named, and nothing else does
    for spec in fake.specs:
        assert spec.get("secure_vault") == {"API_KEY": API_KEY}
    for job in fake.jobs:
        for name, value in job.environment.items():
            assert TOKEN not in value, name
            # a cluster gives a job the whole vault too, as YSON text in YT_SECURE_VAULT
            # (TestSecureVault.check_content, yt/yt/tests/integration/scheduler/
            # test_scheduler_common.py in ytsaurus/ytsaurus)
            assert API_KEY not in value or name in ("YT_SECURE_VAULT_API_KEY",
                                                    "YT_SECURE_VAULT"), name

    if passing:
        assert fake.faults.fired["start_operation"] == options.get("fault", ("", 0))[1]
        rows = fake.rows(OUTPUT)
        assert [r["id"] for r in rows] == [0, 1, 2]
        # the job never saw YT_TOKEN, and got the API key it asked for through the vault
        assert all(r["token_in_env"] is False and r["api_ok"] is True for r in rows)
    if scenario == "failing job":
        assert "failing on purpose" in output
    if scenario == "proxy down":
        assert "cannot reach the YT proxy" in output
    if scenario == "wrong token":
        assert "rejected the token" in output and fake.specs == []
    if scenario == "failing stage":
        assert "refused token ***" in output
    assert TOKEN not in " ".join(os.environ.values())


# ytsaurus-client's warning for a failed attempt quotes the proxy twice (the URL, then the
# host in the connection error); long, the second one reached past the 240 characters the
# line is cut to, and was cut before it was masked. The proxy alone is no secret: here a
# secret of secrets.env has the same value, which masks it.
LONG_HOST = "yt-proxy.analytics-cluster-prod-eu-west-1.internal.corp.example-company-name.invalid"


def test_client_warning_cut_shows_no_start_of_the_proxy(tmp_path, monkeypatch):
    for name in ("YT_PROXY", "YT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    root = write_pipeline(tmp_path / "p", {
        "configs/secrets.env": f"YT_PROXY=http://{LONG_HOST}:80\nYT_TOKEN={TOKEN}\n"
                               f"PRIVATE_URL=http://{LONG_HOST}:80\n",
        "stages/leaky/stage.py": "from yt_pipeline import BaseStage\n\n"
                                 "class Leaky(BaseStage):\n    def run(self, debug):\n"
                                 "        return debug\n",
    }, config={"pipeline": {"mode": "prod", "prod": retry_options(attempts=2)},
               "stages": {"enabled_stages": ["leaky"]}})
    run = run_pipeline(root)
    output = run.result.output
    assert run.result.exit_code == 3, output
    warnings = [line for line in output.splitlines() if "ytsaurus-client: HTTP" in line]
    assert warnings, output
    for line in warnings:
        assert "HTTPConnectionPool(host='***', port=80)" in line, line
    # no piece of the host as long as its first label shows anywhere
    pieces = {LONG_HOST[at:at + 12] for at in range(len(LONG_HOST) - 11)}
    assert [piece for piece in pieces if piece in output] == []


def test_transactions_carry_no_secret_of_the_command_line(tmp_path, monkeypatch):
    """ytsaurus-client's start_transaction puts `get_started_by()` into the transaction's
    attributes (yt/wrapper/transaction_commands.py: `update(get_started_by(), attributes)`),
    with `command`: the whole sys.argv. A secret given with --set went to the cluster, in
    the attributes of every stage's and every write's transaction."""
    import subprocess
    import sys

    from yt_pipeline_prod.fake import cypress_commands, dispatch

    for name in ("YT_PROXY", "YT_TOKEN", "API_KEY"):
        monkeypatch.delenv(name, raising=False)
    started: list[dict] = []
    start = dispatch.HANDLERS["start_transaction"]

    def recording(state, request):
        started.append(cypress_commands.plain(request.param("attributes")))
        return start(state, request)

    monkeypatch.setitem(dispatch.HANDLERS, "start_transaction", recording)
    fake = start_fake_proxy(token=TOKEN)
    try:
        root = make(tmp_path / "p", fake.url, fail_stage=False, fail_job=False)
        done = subprocess.run(
            [sys.executable, "-m", "yt_pipeline", "run", str(root),
             "--set", f"stages.leaky.key_copy={API_KEY}"],
            capture_output=True, text=True, timeout=300)
        fake.wait_idle()
    finally:
        fake.stop()
    assert done.returncode == 0, done.stderr
    commands = [attributes["command"] for attributes in started]
    assert commands and all(command[-2:] == ["--set", "stages.leaky.key_copy=***"]
                            for command in commands), commands
    assert [a for a in started if API_KEY in json.dumps(a) or TOKEN in json.dumps(a)] == []
