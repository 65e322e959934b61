"""A job that writes a secret cut into lines — base64 at 76 columns as MIME and PEM write
it, text wrapped by textwrap (a line break in place of a space), a long token wrapped
mid-word — and fails: the stage's error, the console, the run record, the kept job log,
the report and the kept sandbox show none of it, in dev and in prod. Each of those forms
has line breaks at places no list of forms can name, and passed masking.

The search is secret_scan's, which makes every encoding from its definition and takes
line breaks (and the indentation after them) out of what it searches.
"""

from __future__ import annotations

import pytest
from prod_pipeline import retry_options, run_pipeline
from secret_scan import encodings, scan_bytes, scan_folder

from yt_pipeline.secret_forms import MIN_ENCODED_LENGTH, mask_text
from yt_pipeline.testing import invoke_cli, write_pipeline

KEY = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ5dC1waXBlbGluZS10ZXN0LXVzZXIiLCJleHAiOjk5OTl9.c2lnbmF0dXJl"
PHRASE = "the quick brown fox jumps over the lazy dog holding secret-key-778899 far away"
SECRETS = (KEY, PHRASE)

STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Jobs(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("{table}", [{{"id": 1}}])
        run_map(self, self.config.client.operations.map)
        return debug
"""
MAPPER = r"""
import base64, os, sys, textwrap
from ytjobs import read_rows

key, phrase = os.environ["API_KEY"], os.environ["PHRASE"]
sys.stderr.write("mime:\n" + base64.encodebytes(key.encode()).decode())
sys.stderr.write("wrapped:\n" + textwrap.fill(phrase, 30, subsequent_indent="  ") + "\n")
sys.stderr.write("token:\n" + "\n".join(textwrap.wrap(key, 40)) + "\n")
list(read_rows())
sys.exit(2)
"""


def make(root, config, table):
    return write_pipeline(root, {
        "configs/secrets.env": "".join(f"{k}={v}\n" for k, v in config.pop("secrets").items()),
        "stages/jobs/stage.py": STAGE.format(table=table),
        "stages/jobs/config.yaml": (
            "client:\n  operations:\n    map:\n"
            f"      input_table: {table}\n      output_table: {table}_out\n"
            "      max_failed_job_count: 1\n      env: [API_KEY, PHRASE]\n"),
        "stages/jobs/src/mapper.py": MAPPER,
    }, config=config)


def leaks_after(root, output: str) -> list[str]:
    found = scan_folder(root, SECRETS) + scan_bytes("output", output.encode(), SECRETS)
    return [str(leak) for leak in found]


def test_dev_job_output_cut_into_lines_is_masked(tmp_path):
    root = make(tmp_path / "p", {
        "secrets": {"API_KEY": KEY, "PHRASE": f'"{PHRASE}"'},
        "pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["jobs"]}}, "//tmp/w/in")
    run = run_pipeline(root)
    shown = invoke_cli("report", root)
    logs = invoke_cli("logs", "jobs", root)
    assert run.result.exit_code == 1, run.result.output
    output = run.result.output + shown.output + logs.output
    assert "mime:\n***\nwrapped:\n***\ntoken:\n***" in logs.output, logs.output
    assert "mime:\n***\nwrapped:\n***\ntoken:\n***" in run.result.output, run.result.output
    assert leaks_after(root, output) == []


def test_prod_job_output_cut_into_lines_is_masked(tmp_path, monkeypatch):
    pytest.importorskip("yt_pipeline_prod")
    from yt_pipeline_prod.testing import start_fake_proxy

    for name in ("YT_PROXY", "YT_TOKEN", "API_KEY", "PHRASE"):
        monkeypatch.delenv(name, raising=False)
    fake = start_fake_proxy(token="ytok-wrapped-0001")
    try:
        root = make(tmp_path / "p", {
            "secrets": {"YT_PROXY": fake.url, "YT_TOKEN": "ytok-wrapped-0001",
                        "API_KEY": KEY, "PHRASE": f'"{PHRASE}"'},
            "pipeline": {"mode": "prod", "build_folder": "//home/w/build",
                         "prod": retry_options()},
            "stages": {"enabled_stages": ["jobs"]}}, "//home/w/in")
        run = run_pipeline(root)
        fake.wait_idle()
    finally:
        fake.stop()
    assert run.result.exit_code == 1, run.result.output
    assert "mime:\n***\nwrapped:\n***\ntoken:\n***" in run.result.output, run.result.output
    assert leaks_after(root, run.result.output) == []


@pytest.mark.parametrize("secret", SECRETS)
def test_every_encoding_cut_into_lines_is_masked(secret):
    """Each encoding the scanner knows, cut every 7 characters with an indent, or with
    its spaces turned into line breaks, is masked whole by the forms masking knows."""
    from yt_pipeline.secret_forms import all_forms

    forms = all_forms([secret])
    for name, needle in encodings(secret).items():
        text = needle.decode("utf-8", "surrogatepass")
        if len(text) < MIN_ENCODED_LENGTH:  # short: masked only whole
            continue
        for cut in ("\n  ".join(text[i:i + 7] for i in range(0, len(text), 7)),
                    text.replace(" ", "\n")):
            masked = mask_text(f"before\n{cut}\nafter", forms)
            assert "***" in masked and scan_bytes(name, masked.encode(), [secret]) == [], masked
