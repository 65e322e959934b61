"""The `python3` fake jobs run: the oldest interpreter on this machine, with nothing installed.

A job on a cluster runs the bare `python3` of its image (3.8 on the stock `ytsaurus/ytsaurus`
image, without PyYAML, msgspec or orjson), so a fake that lent jobs the test's own interpreter
and packages would pass jobs a cluster fails. The chosen interpreter gets an empty virtual
environment of its own (no site-packages, no pip) whose `bin` is all of `python3` a job sees.
"""

from __future__ import annotations

import functools
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: an interpreter to use instead of the oldest one found (a path)
OVERRIDE_ENV = "YTP_FAKE_JOB_PYTHON"
#: the oldest Python a job may run: the stock cluster image's
OLDEST_SUPPORTED = (3, 8)


def _version(python: str) -> tuple[int, int] | None:
    try:
        done = subprocess.run(
            [python, "-I", "-c", "import sys; print('%d %d' % sys.version_info[:2])"],
            capture_output=True, text=True, timeout=30, check=True,
        )
        major, minor = done.stdout.split()
        return int(major), int(minor)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def _named_version(path: str) -> tuple[int, int] | None:
    # pyenv keeps each version under versions/<3.8.18>/, and PATH has python3.<minor>: the
    # name tells the version without starting an interpreter per candidate
    match = re.search(r"(?:versions/|python)(\d+)\.(\d+)", path)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _candidates() -> dict[str, tuple[int, int]]:
    found = {sys.executable: sys.version_info[:2]}
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    names = glob.glob(os.path.join(pyenv_root, "versions", "*", "bin", "python3"))
    names += filter(None, (shutil.which(f"python3.{minor}") for minor in range(8, 20)))
    for name in names:
        version = _named_version(name)
        if version is not None:
            found.setdefault(name, version)
    return found


@functools.cache
def oldest_python() -> str:
    """The oldest interpreter of at least 3.8 on this machine that starts (YTP_FAKE_JOB_PYTHON
    wins)."""
    chosen = os.environ.get(OVERRIDE_ENV)
    if chosen:
        return chosen
    candidates = _candidates()
    for python in sorted(candidates, key=lambda p: candidates[p]):
        if candidates[python] >= OLDEST_SUPPORTED and _version(python) == candidates[python]:
            return python
    return sys.executable


@functools.cache
def bare_python_bin(python: str) -> str:
    """A folder holding `python3` for `python` in an empty virtual environment.

    Where `venv` is missing (some distributions ship it apart), the folder holds a script
    that starts `python` without its site-packages (`-S`), which is as bare.
    """
    home = tempfile.mkdtemp(prefix="fake-yt-python-")
    try:
        subprocess.run([python, "-I", "-m", "venv", "--without-pip", home], check=True,
                       capture_output=True, timeout=120)
        return os.path.join(home, "bin")
    except (OSError, subprocess.SubprocessError):
        shim = Path(home) / "bin" / "python3"
        shim.parent.mkdir(parents=True, exist_ok=True)
        shim.write_text(f'#!/bin/sh\nexec "{python}" -S "$@"\n')
        shim.chmod(0o755)
        return str(shim.parent)


def python_version(python: str) -> str:
    version = _version(python)
    return f"{version[0]}.{version[1]}" if version else "unknown"
