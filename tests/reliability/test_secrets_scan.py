"""Secrets of every awkward shape — quotes, spaces, `$`, `%`, a backslash-n, non-ASCII, a
line break, 4 characters, a YTP_ setting of secrets.env — used by a stage (logs, a
warning, debug, an exception of its own), by a job (its env, a failure that dumps its
environment), across a retry, `--resume` and every command that reads what a run left:
secret_scan finds none of them, in any encoding, in any file of the pipeline folder, in
what the commands printed, or in the command lines and environments of the jobs."""

from __future__ import annotations

from secret_scan import ProcessWatch, scan_bytes, scan_folder

from yt_pipeline.testing import invoke_cli, write_pipeline

SECRETS = {
    "YT_TOKEN": 'tôk "q" \'s\' $HOME 50%25 \\n end-7Hx',
    "API_KEY": "apikey-Zq8 w%20x",
    "SHORT": "Qz9k",
    "NLSEC": "line1-ab\nline2-cd",
    "YTP_STAGES__LOAD__API_URL": "https://bob:pw-Yt99@api.example.com/v1",
}
ENV_FILE = r'''YT_TOKEN="tôk \"q\" 's' $HOME 50%25 \\n end-7Hx"
API_KEY="apikey-Zq8 w%20x"
SHORT=Qz9k
NLSEC="line1-ab\nline2-cd"
YTP_STAGES__LOAD__API_URL=https://bob:pw-Yt99@api.example.com/v1
'''

LOAD = """
import logging
import warnings

from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        cfg = self.deps.pipeline_config
        token = cfg.secret("YT_TOKEN")
        self.logger.info("token %s / %r, short %s, url %s", token, token, cfg.secret("SHORT"),
                         cfg.get("stages.load.api_url"))
        warnings.warn("warn " + token)
        logging.getLogger("somelib").warning("lib says %r", cfg.secret("NLSEC"))
        self.deps.yt_client.write_table("//tmp/scan/in", [{"id": i} for i in range(3)])
        debug.update(token=token, raw=token.encode(), short=cfg.secret("SHORT"))
        return debug
"""
MAPJOB = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Mapjob(BaseStage):
    def run(self, debug):
        run_map(self, self.config.client.operations.map)
        return debug
"""
MAPPER = """
import os, sys
from ytjobs import read_rows
list(read_rows())
sys.stderr.write("ENV DUMP: %r\\n" % dict(os.environ))
for name, value in sorted(os.environ.items()):
    sys.stderr.write("%s=%s\\n" % (name, value))
raise RuntimeError("job fails with env %r" % dict(os.environ))
"""
BOOM = """
from yt_pipeline import BaseStage


class Boom(BaseStage):
    def run(self, debug):
        cfg = self.deps.pipeline_config
        kept = {"url": cfg.get("stages.load.api_url"), "short": cfg.secret("SHORT")}
        raise ValueError("boom %s %r %s %r" % (cfg.secret("YT_TOKEN"), cfg.secret("API_KEY"),
                                               cfg.secret("NLSEC"), kept))
"""
ROOT = "{root}"
COMMANDS = [
    ["run", ROOT], ["--debug", "run", ROOT, "--resume"], ["report", ROOT],
    ["logs", "mapjob", ROOT], ["runs", ROOT], ["status", ROOT], ["graph", ROOT],
    ["run", ROOT, "--dry-run"], ["config", ROOT, "--sources"], ["cache", "clear", ROOT],
    ["migrate", ROOT],
]


def test_no_secret_in_any_encoding_anywhere(tmp_path, capfd, monkeypatch):
    for name in SECRETS:
        monkeypatch.delenv(name, raising=False)
    root = write_pipeline(tmp_path / "p", {
        "configs/secrets.env": ENV_FILE,
        "stages/load/stage.py": LOAD,
        "stages/mapjob/stage.py": MAPJOB,
        "stages/mapjob/config.yaml": (
            "retry: {max_attempts: 2, backoff_s: 0.01}\nclient:\n  operations:\n    map:\n"
            "      input_table: //tmp/scan/in\n      output_table: //tmp/scan/out\n"
            "      max_failed_job_count: 1\n      env: [API_KEY, SHORT, NLSEC]\n"),
        "stages/mapjob/src/mapper.py": MAPPER,
        "stages/boom/stage.py": BOOM,
    }, config={"pipeline": {"mode": "dev"},
               "stages": {"graph": {"load": [], "mapjob": ["load"], "boom": ["load"]}}})
    printed, codes = [], {}
    with ProcessWatch() as watch:
        for command in COMMANDS:
            result = invoke_cli(*[str(root) if word == ROOT else word for word in command])
            codes[" ".join(command)] = result.exit_code
            printed.append(result.output)
    printed.append("".join(capfd.readouterr()))
    assert codes["run {root}"] == 1 and codes["report {root}"] == 0, codes
    assert codes["logs mapjob {root}"] == 0 and codes["migrate {root}"] == 0, codes
    output = "\n".join(printed)
    assert "token *** / '***'" in output and "ValueError('boom ***" in output
    assert "YT_SECURE_VAULT_API_KEY=***" in output  # the job's dump, as `logs` shows it

    secrets = list(SECRETS.values())
    leaks = [*scan_folder(root, secrets), *scan_bytes("printed", output.encode(), secrets)]
    # a job may hold the secrets its operation names, under their names; nothing else
    allowed = {f"{prefix}{name}" for name in ("API_KEY", "SHORT", "NLSEC")
               for prefix in ("", "YT_SECURE_VAULT_")}
    assert any(b"sandbox_mapjob" in command for command, _env in watch.seen.values()), \
        watch.seen
    leaks += watch.leaks(secrets, allowed)
    assert [str(leak) for leak in leaks] == []
