"""masked_fds at its edges: a console descriptor closed before the run, a process forked
by the stage, a writer faster than the masking, binary output, a child that outlives the
run. Each test checks the console's bytes (or what the reader holds) exactly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

KEY = "Zq7sekretK9xPLmW"


def _environ() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if name not in ("YT_TOKEN", "API_KEY", "YTP_PROGRESS", "COLUMNS", "LINES")}
    return {**env, "PYTHONUNBUFFERED": "1"}


def _script(tmp_path: Path, text: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    script = tmp_path / "script.py"
    script.write_text(text)
    return subprocess.run([sys.executable, str(script), KEY, *args], capture_output=True,
                          env=_environ(), timeout=60)


FD_1_CLOSED = """
import errno
import os
import subprocess
import sys

from yt_pipeline import logs
from yt_pipeline.masked_streams import masked_console

key = sys.argv[1]
os.close(1)  # `python script.py >&-`, or a host that closed it
logs.mask_secrets([key])
with masked_console():
    try:
        os.write(1, b"on 1 " + key.encode() + b"\\n")
    except OSError as error:
        os.write(2, b"fd 1: " + errno.errorcode[error.errno].encode() + b"\\n")
    subprocess.run(["sh", "-c", 'test -e /proc/self/fd/1 || echo "child: no fd 1" >&2; '
                    'echo "child on 2 $0" >&2', key])
    os.write(2, b"on 2 " + key.encode() + b"\\n")
os.write(2, b"fd 1 after: " + str(os.path.exists("/proc/self/fd/1")).encode() + b"\\n")
"""


def test_a_closed_console_descriptor_stays_closed(tmp_path):
    """With fd 1 closed, the copy of fd 2 the masking keeps took its number: a write to
    fd 1 went to fd 2's console past the masking, secret and all. Fd 1 stays closed."""
    run = _script(tmp_path, FD_1_CLOSED)
    assert run.returncode == 0, run.stderr.decode()
    assert run.stderr == (b"fd 1: EBADF\nchild: no fd 1\nchild on 2 ***\non 2 ***\n"
                          b"fd 1 after: False\n")
