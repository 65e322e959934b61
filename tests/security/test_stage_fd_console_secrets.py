"""What a stage writes to fds 1 and 2 past Python's sys.stdout and sys.stderr reaches the
console masked too: `os.write`, C code writing to the descriptor, and a child process the
stage starts, which inherits them. Each test runs `yt-pipeline run` in a process of its own
and checks the console's bytes: no secret, the mask where one was, and all else intact and
in its order, when the run ends well, fails, or is interrupted; on pipes, and on a terminal
(a pseudo-terminal here), where the live view and the stage still see one."""

from __future__ import annotations

import errno
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from secret_scan import scan_bytes

from yt_pipeline.testing import write_pipeline

KEY = "Zq7sekretK9xPLmW"
TOKEN = "ytp-TOKEN-console-4471"
SECRETS = (KEY, TOKEN)
SECRETS_ENV = f"API_KEY={KEY}\nYT_TOKEN={TOKEN}\n"

HEADER = """
import base64
import ctypes
import os
import pathlib
import subprocess
import sys
import textwrap
import time

from yt_pipeline import BaseStage


def secrets(stage):
    config = stage.deps.pipeline_config
    return config.secret("API_KEY"), config.secret("YT_TOKEN")
"""

PAST_PYTHON = HEADER + """

class Leaky(BaseStage):
    def run(self, debug):
        key, token = secrets(self)
        os.write(1, b"os.write " + key.encode() + b"\\n")
        os.write(2, b"os.write on 2 " + token.encode() + b"\\n")
        libc = ctypes.CDLL(None)
        line = b"from C " + key.encode() + b"\\n"
        libc.write(1, line, len(line))
        subprocess.run(["sh", "-c", 'echo "child $0"', key], check=True)
        subprocess.run(["sh", "-c", 'echo "child on 2 $0" >&2', token], check=True)
        os.system("echo system " + key)
        os.write(1, b"pieces " + key[:5].encode())
        os.write(1, key[5:11].encode())
        os.write(1, key[11:].encode() + b"\\n")
        wrapped = textwrap.fill(base64.b64encode(b"user:" + key.encode()).decode(), 10)
        subprocess.run(["printf", "wrapped\\n%s\\n", wrapped], check=True)
        return debug
"""


def _pipeline(tmp_path: Path, stage: str, secrets_env: str | None = SECRETS_ENV,
              files: dict[str, str] | None = None) -> Path:
    return write_pipeline(tmp_path / "p", {
        **({"configs/secrets.env": secrets_env} if secrets_env is not None else {}),
        "stages/leaky/stage.py": stage,
        **(files or {}),
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["leaky"]}})


def _environ(**more: str) -> dict[str, str]:
    # Python's own stdout to a pipe holds text back where os.write does not: the order
    # the tests check is pinned, as CI runners and terminals pin it
    env = {name: value for name, value in os.environ.items()
           if name not in ("YT_TOKEN", "API_KEY", "YTP_PROGRESS", "COLUMNS", "LINES")}
    return {**env, "PYTHONUNBUFFERED": "1", **more}


def _command(root: Path) -> list[str]:
    return [sys.executable, "-m", "yt_pipeline", "run", str(root)]


def _run(root: Path, **env: str) -> subprocess.CompletedProcess[bytes]:
    """`yt-pipeline run` with its stdout and stderr on pipes of their own."""
    return subprocess.run(_command(root), capture_output=True, env=_environ(**env),
                          timeout=120)


def _leaks(*outputs: bytes) -> list[str]:
    return [str(leak) for index, output in enumerate(outputs)
            for leak in scan_bytes(f"output {index}", output, SECRETS)]


def _stage_lines(err: bytes) -> list[bytes]:
    """stderr without the run's own lines (log lines, the summary): the stage's."""
    return [line for line in err.splitlines()
            if b" INFO  " not in line and b" ERROR " not in line
            and not line.startswith((b"run ", b"  leaky", b"error:", b"to resume:"))]


def test_what_a_stage_writes_past_python_streams_is_masked(tmp_path):
    run = _run(_pipeline(tmp_path, PAST_PYTHON))
    assert run.returncode == 0, run.stderr.decode()
    assert run.stdout == (b"os.write ***\nfrom C ***\nchild ***\nsystem ***\npieces ***\n"
                          b"wrapped\ndXNlcjp***\n")  # base64 of `user:` before the key's
    assert _stage_lines(run.stderr) == [b"os.write on 2 ***", b"child on 2 ***"]
    assert _leaks(run.stdout, run.stderr) == []


ORDER = HEADER + """

class Leaky(BaseStage):
    def run(self, debug):
        key, token = secrets(self)
        for round in range(3):
            print("print", round, key)
            os.write(1, f"os.write {round} ".encode() + key.encode() + b"\\n")
            subprocess.run(["echo", f"child {round}", token], check=True)
            sys.stdout.buffer.write(f"bytes {round}\\n".encode())
            print("err print", round, file=sys.stderr)
            self.logger.info("logged %d", round)
            os.write(2, f"err os.write {round}\\n".encode())
        sys.stdout.write("no line end at the last " + key[:4])
        return debug
"""


def test_a_stream_keeps_the_order_of_its_writers(tmp_path):
    """Python's writes, os.write, a child's and a log line in one stream come out in the
    order they were made, masked, however quickly they follow one another."""
    run = _run(_pipeline(tmp_path, ORDER))
    assert run.returncode == 0, run.stderr.decode()
    assert run.stdout == b"".join(
        b"print %d ***\nos.write %d ***\nchild %d ***\nbytes %d\n" % (n, n, n, n)
        for n in range(3)) + b"no line end at the last " + KEY[:4].encode()
    err = [line for line in run.stderr.splitlines()
           if line.startswith(b"err ") or b"logged" in line]
    assert [line if line.startswith(b"err ") else line.split(b"] ")[1] for line in err] == [
        line for n in range(3)
        for line in (b"err print %d" % n, b"logged %d" % n, b"err os.write %d" % n)]
    assert _leaks(run.stdout, run.stderr) == []


INTERLEAVED = HEADER + """

class Leaky(BaseStage):
    def run(self, debug):
        key, token = secrets(self)
        for round in range(3):
            print("out", round, key)
            os.write(2, f"err {round} ".encode() + token.encode() + b"\\n")
            subprocess.run(["sh", "-c", 'echo "child out $0"; echo "child err $0" >&2', key])
        return debug
"""


def test_stdout_and_stderr_on_one_pipe_keep_their_order(tmp_path):
    """`2>&1`: both descriptors on one console share one pipe, so lines written to each
    in turn reach it in that turn."""
    run = subprocess.run(_command(_pipeline(tmp_path, INTERLEAVED)), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=_environ(), timeout=120)
    assert run.returncode == 0, run.stdout.decode()
    assert _stage_lines(run.stdout) == [
        line for n in range(3)
        for line in (b"out %d ***" % n, b"err %d ***" % n, b"child out ***", b"child err ***")]
    assert _leaks(run.stdout) == []


ENDING = HEADER + """

class Leaky(BaseStage):
    def run(self, debug):
        key, token = secrets(self)
        subprocess.run(["sh", "-c", 'echo "child $0"; printf "held %s" "$1" >&2', key,
                        token[:5]], check=True)
        os.write(1, b"last " + key.encode() + b" " + key[:4].encode())
        if os.environ.get("READY_FILE"):
            pathlib.Path(os.environ["READY_FILE"]).touch()
            time.sleep(60)
        raise RuntimeError("the stage breaks")
"""


def test_nothing_is_lost_when_the_stage_fails(tmp_path):
    """The ends that may be the start of a secret are held until the writers pause: a
    stage that fails right after writing them still has them on the console, and the
    run's exit code is the failed run's."""
    run = _run(_pipeline(tmp_path, ENDING))
    assert run.returncode == 1, run.stderr.decode()
    assert run.stdout == b"child ***\nlast *** " + KEY[:4].encode()
    # the log line about the failure follows on that line, as it would unmasked
    assert re.search(rb"\nheld %s\d\d:\d\d:\d\d ERROR " % TOKEN[:5].encode(), run.stderr)
    assert b"error: stage leaky failed: RuntimeError('the stage breaks')" in run.stderr
    assert _leaks(run.stdout, run.stderr) == []


def test_nothing_is_lost_on_ctrl_c(tmp_path):
    ready = tmp_path / "ready"
    proc = subprocess.Popen(_command(_pipeline(tmp_path, ENDING)), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=_environ(READY_FILE=str(ready)))
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert ready.exists()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    assert out == b"child ***\nlast *** " + KEY[:4].encode()
    assert b"\nheld " + TOKEN[:5].encode() + b"\n" in err
    assert err.splitlines()[-1].startswith(b"interrupted; to resume: ")
    assert _leaks(out, err) == []


def _run_on_a_terminal(root: Path, ready: Path | None = None) -> tuple[int, bytes]:
    """`yt-pipeline run` in a terminal: stdin, stdout and stderr on one pseudo-terminal,
    100 columns wide. What it shows, as the terminal gets it (lines end in \\r\\n). Once
    `ready` exists, Ctrl-C: SIGINT to the run's process group, as a terminal sends it."""
    master, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    try:
        env = _environ(TERM="xterm", **({"READY_FILE": str(ready)} if ready else {}))
        proc = subprocess.Popen(_command(root), stdin=terminal, stdout=terminal,
                                stderr=terminal, env=env, start_new_session=True)
    finally:
        os.close(terminal)
    shown = b""
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if ready is not None and ready.exists():
                os.killpg(proc.pid, signal.SIGINT)
                ready = None
            if not select.select([master], [], [], 0.05)[0]:
                continue
            try:
                data = os.read(master, 1 << 16)
            except OSError as error:  # every writer closed the terminal
                assert error.errno == errno.EIO
                break
            if not data:
                break
            shown += data
    finally:
        os.close(master)
    return proc.wait(timeout=60), shown


ON_A_TERMINAL = HEADER + """

class Leaky(BaseStage):
    def run(self, debug):
        key, token = secrets(self)
        print("terminal", sys.stdout.isatty(), sys.stderr.isatty())
        subprocess.run(["sh", "-c", 'echo "child $0"; echo "child on 2 $0" >&2', key],
                       check=True)
        os.write(2, b"os.write on 2 " + token.encode() + b"\\n")
        print("print", key)
        return debug
"""


def test_on_a_terminal_the_stage_and_the_live_view_still_see_one(tmp_path):
    """stdout and stderr on one terminal share one pipe, so their lines keep their order;
    Python's streams still say they are a terminal, and the live view shows."""
    code, shown = _run_on_a_terminal(_pipeline(tmp_path, ON_A_TERMINAL))
    assert code == 0, shown.decode()
    assert b"terminal True True\r\nchild ***\r\nchild on 2 ***\r\nos.write on 2 ***\r\n" \
           b"print ***\r\n" in shown
    # rich hides the cursor while its live table is up, and draws the table's frame
    assert shown.startswith(b"\x1b[?25l") and b"\x1b[?25h" in shown and "┏━".encode() in shown
    assert _leaks(shown) == []


def test_nothing_is_lost_on_ctrl_c_on_a_terminal(tmp_path):
    code, shown = _run_on_a_terminal(_pipeline(tmp_path, ENDING), ready=tmp_path / "ready")
    assert code == 130, shown.decode()
    assert b"child ***\r\n" in shown
    assert b"held " + TOKEN[:5].encode() in shown
    assert b"last *** " + KEY[:4].encode() in shown
    assert shown.splitlines()[-1].startswith(b"interrupted; to resume: ")
    assert _leaks(shown) == []


MAP_STAGE = HEADER + """
from yt_pipeline.operations import run_map


class Leaky(BaseStage):
    def run(self, debug):
        key, token = secrets(self)
        self.deps.yt_client.write_table("//tmp/fd/in", [{"id": 1}, {"id": 2}])
        os.write(1, b"before the map " + key.encode() + b"\\n")
        run_map(self, self.config.client.operations.map)
        rows = list(self.deps.yt_client.read_table("//tmp/fd/out"))
        stderr = sorted(row["data"] for row in self.deps.yt_client.read_table("//tmp/fd/err"))
        print("rows", rows)
        print("job stderr", stderr)
        return debug
"""
MAPPER = """
import os
import sys

from ytjobs import read_rows, write_rows

sys.stderr.write("job says hello\\n")
os.write(2, b"job os.write\\n")
write_rows({**row, "seen": True} for row in read_rows())
"""
MAP_CONFIG = """
client:
  operations:
    map:
      input_table: //tmp/fd/in
      output_table: //tmp/fd/out
      mapper: src/mapper.py
      resources:
        job_count: 1
      spec:
        stderr_table_path: //tmp/fd/err
"""


def test_dev_jobs_keep_writing_to_their_own_files(tmp_path):
    """A dev operation's job has its own stdout (its output rows) and stderr (a file the
    stderr table is made of): fds 1 and 2 of the driver, masked, are not theirs."""
    root = _pipeline(tmp_path, MAP_STAGE, files={
        "stages/leaky/src/mapper.py": MAPPER, "stages/leaky/config.yaml": MAP_CONFIG})
    run = _run(root)
    assert run.returncode == 0, run.stderr.decode()
    assert run.stdout.decode().splitlines() == [
        "before the map ***",
        "rows [{'id': 1, 'seen': True}, {'id': 2, 'seen': True}]",
        "job stderr ['job says hello\\njob os.write\\n']"]
    assert b"job says" not in run.stderr and b"job os.write" not in run.stderr
    assert _leaks(run.stdout, run.stderr) == []


WHERE_FD_1_GOES = HEADER + """

class Leaky(BaseStage):
    def run(self, debug):
        print("fd 1 is", os.readlink("/proc/self/fd/1"), flush=True)
        subprocess.run(["sh", "-c", 'echo "child $0"', self.deps.pipeline_config.secret("API_KEY")
                        if os.environ.get("WITH_SECRETS") else "no secret"], check=True)
        return debug
"""


def test_fds_are_masked_only_while_a_secret_is_known(tmp_path):
    """Without a secret nothing changes: the stage's fd 1 is the console itself."""
    for secrets_env, env in ((None, {}), (SECRETS_ENV, {"WITH_SECRETS": "1"})):
        root = _pipeline(tmp_path, WHERE_FD_1_GOES, secrets_env=secrets_env)
        console = tmp_path / "console.txt"
        with console.open("wb") as out:
            code = subprocess.run(_command(root), stdout=out, stderr=subprocess.PIPE,
                                  env=_environ(**env), timeout=120).returncode
        assert code == 0
        first, child = console.read_bytes().decode().splitlines()
        if secrets_env is None:
            assert (first, child) == (f"fd 1 is {console}", "child no secret")
        else:
            assert first.startswith("fd 1 is pipe:[") and child == "child ***"


ENDINGS = """
import os
import sys

from yt_pipeline import logs
from yt_pipeline.fast_exit import leave
from yt_pipeline.masked_streams import masked_console

key = sys.argv[2]
logs.mask_secrets([key])
if sys.argv[1] == "exception":
    with masked_console():
        os.write(1, b"written " + key.encode() + b" " + key[:4].encode())
        raise RuntimeError("the run ends")
else:  # the command's own exit (fast_exit), with the console still masked
    console = masked_console()  # kept: a context manager collected would end the masking
    console.__enter__()
    os.write(1, b"written " + key.encode() + b" " + key[:4].encode())
    leave(3)
"""


def test_nothing_is_lost_when_the_process_ends_with_the_console_masked(tmp_path):
    """An exception out of the masked block, and the command's os._exit (fast_exit.leave,
    after the atexit handlers) while fds 1 and 2 are still masked: what the pipes held
    goes out, masked, before the traceback and before the process ends."""
    script = tmp_path / "ending.py"
    script.write_text(ENDINGS)
    for how, code in (("exception", 1), ("leave", 3)):
        run = subprocess.run([sys.executable, str(script), how, KEY], capture_output=True,
                             env=_environ(), timeout=60)
        assert run.returncode == code, run.stderr.decode()
        assert run.stdout == b"written *** " + KEY[:4].encode()
        if how == "exception":
            assert run.stderr.decode().splitlines()[-1] == "RuntimeError: the run ends"
        assert _leaks(run.stdout, run.stderr) == []


def test_a_secret_read_in_pieces_is_masked_whole(monkeypatch):
    """The reader's side of a secret written in pieces, with its clock in the test's hands:
    each piece read is let out but for the end that may start a secret, and that end once
    the writers have paused DELAY seconds, masked whole with what came after it."""
    from yt_pipeline import logs, masked_fds

    monkeypatch.setattr(logs, "masked_forms", lambda: logs.SecretMaskFilter(SECRETS).forms)
    console_read, console = os.pipe()
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(console_read, False)
    pipe = masked_fds._Pipe({1: console}, console, read_end, is_terminal=False,
                            identity=masked_fds._identity(write_end))
    shown = b""

    def take(data: bytes, at: float) -> bytes:
        nonlocal shown
        if data:
            os.write(write_end, data)
            pipe.read()
            pipe.read_at = at  # read at the test's time
        pipe.let_out(at)
        try:
            shown += os.read(console_read, 1 << 16)
        except BlockingIOError:
            pass
        return shown

    try:
        text = "x" * 20000 + " key " + KEY  # past twice the reach of a form cut into lines
        assert take(text[:-9].encode(), 10.0).startswith(b"x" * 100)  # gone out at once
        assert KEY[:4].encode() not in take(text[-9:-4].encode(), 10.01)
        take(text[-4:].encode() + b" and more", 10.02)
        assert take(b"", 10.02 + masked_fds.DELAY) == \
            ("x" * 20000 + " key *** and more").encode()
    finally:
        for fd in (console_read, console, read_end, write_end):
            os.close(fd)
