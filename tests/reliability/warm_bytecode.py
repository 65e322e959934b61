"""Compiled modules for the many short runs the kill campaigns start.

With PYTHONDONTWRITEBYTECODE=1 (tox sets it) no interpreter caches what it compiles, so
each run a test starts compiled yt-pipeline, its plugins and what they import anew: about
half of a short run's time. `bytecode_env()` gives such runs a cache made once per test
session: an interpreter importing the modules with writing allowed, into a folder of its
own (PYTHONPYCACHEPREFIX). The runs still write nothing (PYTHONDONTWRITEBYTECODE stays),
so a stage's own files are compiled from their text every time, as before; only the
installed modules, which no test changes, come from the cache. Where the interpreter may
write its cache beside the sources the runs already have one, and nothing is changed.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile

#: imports every module of the host, its plugins and ytjobs (and so what they import)
_WARM = """
import importlib, pkgutil
for top in ("yt_pipeline", "yt_pipeline_dev", "yt_pipeline_prod", "yt_pipeline_uploader",
            "ytjobs"):
    try:
        package = importlib.import_module(top)
    except ImportError:
        continue
    for info in pkgutil.walk_packages(package.__path__, top + "."):
        try:
            importlib.import_module(info.name)
        except Exception:
            pass
"""

_prefix: str | None = None


def _warmed() -> str | None:
    """The cache folder, made by the first test process of the session to ask (an xdist
    session's workers share PYTEST_XDIST_TESTRUNUID), the others waiting for it: every run
    of the session loads the same modules the same way. Made while a test timed a
    reference run, or with some runs compiling and others not, it skewed the moments the
    kill campaigns draw from the reference's duration (conftest's `warm_bytecode` makes it
    before the first test)."""
    global _prefix
    if _prefix is None:
        session = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid{os.getpid()}"
        prefix = os.path.join(tempfile.gettempdir(), f"ytp-bytecode-{session}")
        os.makedirs(prefix, exist_ok=True)
        with open(prefix + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not os.path.exists(os.path.join(prefix, "warmed")):
                atexit.register(shutil.rmtree, prefix, True)
                atexit.register(os.unlink, prefix + ".lock")
                env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
                env["PYTHONPYCACHEPREFIX"] = prefix
                try:  # what it did not cache in time is compiled by each run, as before
                    subprocess.run([sys.executable, "-c", _WARM], env=env, capture_output=True,
                                   timeout=300)
                except subprocess.TimeoutExpired:
                    pass
                open(os.path.join(prefix, "warmed"), "w").close()
        _prefix = prefix
    return _prefix


def bytecode_env() -> dict[str, str]:
    """Environment for a run a test starts: the shared compiled modules, when the runs
    would otherwise compile them each time."""
    if not os.environ.get("PYTHONDONTWRITEBYTECODE") or os.environ.get("PYTHONPYCACHEPREFIX"):
        return {}
    prefix = _warmed()
    return {} if prefix is None else {"PYTHONPYCACHEPREFIX": prefix}
