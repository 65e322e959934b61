"""What Python itself prints for a stage goes to the console past yt-pipeline's handler: a
warning (`warnings.warn`) and the record of a library's logger that no handler takes
(logging's last resort). A secret the stage put in either is masked there too, and the
text reads as Python prints it."""

from __future__ import annotations

import os
import subprocess
import sys

from test_secrets_encoded import dotenv_quoted
from test_secrets_nested import forms_of

from yt_pipeline.testing import write_pipeline

SECRET = 'py"thon\\SECRET-output-0123'
TOKEN = "ytok-python-output-ENV-4567"

STAGE = """
import logging
import warnings

from yt_pipeline import BaseStage


class Noisy(BaseStage):
    def run(self, debug):
        key = self.deps.pipeline_config.secret("API_KEY")
        token = self.deps.pipeline_config.secret("YT_TOKEN")
        warnings.warn("retrying with " + key)
        library = logging.getLogger("some_library")
        library.warning("token %s, key %r", token, key)
        library.error("request failed", exc_info=RuntimeError("refused " + key))
        return debug
"""


def test_warnings_and_unhandled_log_records_are_masked(tmp_path):
    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [noisy]}\n",
        "configs/secrets.env": f"API_KEY={dotenv_quoted(SECRET)}\n",
        "stages/noisy/stage.py": STAGE,
    })
    done = subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root)],
                          env={**os.environ, "YT_TOKEN": TOKEN}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    printed = done.stdout + done.stderr
    assert "UserWarning: retrying with ***" in printed
    assert "token ***, key '***'" in printed and "RuntimeError: refused ***" in printed
    assert [form for secret in (SECRET, TOKEN) for form in forms_of(secret)
            if form in printed] == []


# a stage's own thread that dies, and an exception in __del__: Python prints the traceback
# itself (threading.excepthook, sys.unraisablehook), quoting the message the code made
UNCAUGHT_STAGE = """
import threading

from yt_pipeline import BaseStage


class Holder:
    def __init__(self, key):
        self.key = key

    def __del__(self):
        raise RuntimeError("closing with " + self.key)


class Uncaught(BaseStage):
    def run(self, debug):
        key = self.deps.pipeline_config.secret("API_KEY")

        def fetch():
            raise ConnectionError("refused " + key)

        worker = threading.Thread(target=fetch, name="fetcher")
        worker.start()
        worker.join()
        holder = Holder(key)
        del holder
        return debug
"""


def test_exceptions_python_reports_itself_are_masked(tmp_path):
    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [uncaught]}\n",
        "configs/secrets.env": f"API_KEY={dotenv_quoted(SECRET)}\n",
        "stages/uncaught/stage.py": UNCAUGHT_STAGE,
    })
    done = subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root)],
                          env={**os.environ, "YT_TOKEN": TOKEN}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    printed = done.stdout + done.stderr
    # Python's own text, the message masked
    assert "Exception in thread fetcher:\nTraceback (most recent call last):\n" in printed
    assert "\nConnectionError: refused ***\n" in printed
    assert "Exception ignored in: <function Holder.__del__ at " in printed
    assert "\nRuntimeError: closing with ***\n" in printed
    assert [form for form in forms_of(SECRET) if form in printed] == []
