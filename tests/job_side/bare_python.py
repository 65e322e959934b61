"""Run code as a cluster job runs it: the oldest Python 3.8+ on this machine, in an empty
virtual environment, with only ytjobs on its path and nothing of the test's environment.

The stock `ytsaurus/ytsaurus` image runs jobs with Python 3.8 and no PyYAML, msgspec or
orjson (as a review of the prod backend against that image found; not rechecked here, there
is no cluster or image on this machine); the interpreter comes from
`yt_pipeline_prod.fake.interpreter`, the one the fake proxy's jobs run.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from yt_pipeline_prod.fake.interpreter import bare_python_bin, oldest_python

REPO = Path(__file__).resolve().parents[2]


def bare_python() -> str:
    return os.path.join(bare_python_bin(oldest_python()), "python3")


def bare_env(**extra: str) -> dict[str, str]:
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": str(REPO)}
    env.update(extra)
    return env


def run_bare(args: list[str], stdin: bytes | str = b"", **kwargs) -> subprocess.CompletedProcess:
    text = isinstance(stdin, str)
    env = bare_env(**kwargs.pop("env", {}))
    return subprocess.run([bare_python(), *args], input=stdin, capture_output=True, text=text,
                          env=env, timeout=60, **kwargs)
