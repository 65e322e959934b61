"""A secret's bytes in more encodings: base64 of its UTF-16LE (PowerShell's
`-EncodedCommand` is that: `Get-Help about_PowerShell_exe`), and base32 of its UTF-8
(RFC 4648, as `base64.b32encode` and coreutils' `base32` write it). Each is masked
wherever the secret's bytes fall in the encoded data, in log lines, run records and the
code archive's scan."""

from __future__ import annotations

import base64
import re

import pytest
from test_secrets_encoded import run_leaky_stage, the_run_log

from yt_pipeline.secret_forms import all_forms, mask_text
from yt_pipeline.testing import invoke_cli, write_pipeline

SECRETS = ["plain-Secret-0123456789", "wïde/kéy-0123456789abcdef"]


def encodings(secret: str, before: bytes = b"", after: bytes = b"") -> dict[str, str]:
    """The secret's bytes, with `before` and `after` around them, in each new encoding."""
    framed = before + secret.encode("utf-16-le") + after
    found = {"base64": base64.b64encode(framed).decode(),
             "urlsafe base64": base64.urlsafe_b64encode(framed).decode()}
    found["base32"] = base64.b32encode(before + secret.encode() + after).decode()
    return found


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("offset", range(5))
def test_each_encoding_is_masked_wherever_the_secret_falls(secret, offset):
    forms = all_forms([secret])
    for name, text in encodings(secret, b"<" * offset, b">" * 4).items():
        masked = mask_text(f"cmd {text} end", forms)
        assert "***" in masked, (name, text)
        # what is left holds no run of the encoded secret's own characters
        assert not re.search(r"[A-Za-z0-9+/_=-]{16,}", masked.replace("***", " ")), masked


STAGE = """
import base64

from yt_pipeline import BaseStage


class Leaky(BaseStage):
    def run(self, debug):
        secret = self.deps.pipeline_config.secret("API_KEY")
        script = ("Invoke-RestMethod -Headers @{Authorization='" + secret + "'}").encode(
            "utf-16-le")
        self.logger.info("powershell -EncodedCommand %s", base64.b64encode(script).decode())
        self.logger.info("urlsafe %s", base64.urlsafe_b64encode(b"." + script).decode())
        self.logger.info("base32 %s", base64.b32encode(b"k=" + secret.encode()).decode())
        return debug
"""


def test_the_encodings_are_masked_in_logs_and_records(tmp_path, capfd):
    secret = SECRETS[1]
    blobs = run_leaky_stage(tmp_path / "p", STAGE, secret, capfd)
    script = ("Invoke-RestMethod -Headers @{Authorization='" + secret + "'}").encode("utf-16-le")
    written = {"powershell": base64.b64encode(script).decode(),
               "urlsafe": base64.urlsafe_b64encode(b"." + script).decode(),
               "base32": base64.b32encode(b"k=" + secret.encode()).decode()}
    # the run's log has the three lines, each with the encoded secret cut out
    log = the_run_log(blobs)
    assert all(f"{word} " in log for word in ("EncodedCommand", "urlsafe", "base32")) and \
        log.count("***") >= 3
    for where, data in blobs.items():
        for name, text in written.items():
            # no 16 characters of the secret's part of the encoding are left anywhere
            core = [form for form in all_forms([secret]) if form in text]
            assert core, name
            assert not any(form.encode() in data for form in core), (where, name)


def test_the_archive_scan_refuses_a_file_holding_an_encoding(tmp_path):
    secret = SECRETS[0]
    encoded = base64.b64encode(("$t='" + secret + "'").encode("utf-16-le")).decode()
    root = write_pipeline(tmp_path / "p", {
        "configs/secrets.env": f"API_KEY={secret}\n",
        "stages/s/stage.py": "from yt_pipeline import BaseStage\n\n\nclass S(BaseStage):\n"
                             "    def run(self, debug):\n        return debug\n",
        "stages/s/src/mapper.py": "print()\n",
        "stages/s/src/launch.ps1.txt": f"powershell -EncodedCommand {encoded}\n",
        "stages/s/config.yaml": "client:\n  operations:\n    map:\n"
                                "      input_table: //t\n      output_table: //u\n"
                                "      mapper: src/mapper.py\n",
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["s"]}})
    result = invoke_cli("run", root)
    assert result.exit_code != 0
    assert "launch.ps1.txt" in result.stderr and "API_KEY" in result.stderr, result.stderr
    assert secret not in result.output and encoded not in result.output
    assert not (root / ".build/source.tar.gz").exists()
