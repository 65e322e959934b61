"""masked_fds at its edges: a console descriptor closed before the run, a process forked
by the stage, a writer faster than the masking, binary output, a child that outlives the
run. Each test checks the console's bytes (or what the reader holds) exactly."""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from yt_pipeline.testing import write_pipeline

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
import fcntl
import os
import select
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


def _pipeline(tmp_path: Path, stage: str) -> Path:
    return write_pipeline(tmp_path / "p", {
        "configs/secrets.env": f"API_KEY={KEY}\n",
        "stages/leaky/stage.py": STAGE_HEADER + stage,
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["leaky"]}})


def _run(root: Path, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root)],
                          capture_output=True, env={**_environ(), **env}, timeout=120)


STAGE_HEADER = """
import multiprocessing
import fcntl
import os
import sys

from yt_pipeline import BaseStage


def key_of(stage):
    return stage.deps.pipeline_config.secret("API_KEY")
"""

FORKED = """

def child_prints(key):
    for line in range(3):
        print("child", line, key)


class Leaky(BaseStage):
    def run(self, debug):
        key = key_of(self)
        pid = os.fork()
        if pid == 0:
            for line in range(3):
                print("forked", line, key, flush=True)
            os._exit(0)
        os.waitpid(pid, 0)
        process = multiprocessing.get_context("fork").Process(target=child_prints,
                                                             args=(key,))
        process.start()
        process.join()
        print("parent", key)
        return debug
"""


def test_a_forked_child_prints_every_line(tmp_path):
    """A forked child's fds 1 and 2 are the parent's pipes, which mask what it writes;
    its Python streams held its lines back to mask them themselves, and they were lost as
    it ended with os._exit (as multiprocessing's children do)."""
    run = _run(_pipeline(tmp_path, FORKED))
    assert run.returncode == 0, run.stderr.decode()
    assert run.stdout == b"".join(
        [b"forked %d ***\n" % line for line in range(3)]
        + [b"child %d ***\n" % line for line in range(3)] + [b"parent ***\n"])


MOVED = """

class Leaky(BaseStage):
    def run(self, debug):
        key = key_of(self)
        saved = os.dup(1)
        with open(os.environ["LOG_FILE"], "w") as log:
            os.dup2(log.fileno(), 1)  # a noisy library's output, sent to a file
        print("to the file", key)
        sys.stdout.flush()
        os.dup2(saved, 1)
        print("to the console", key)
        return debug
"""


def test_a_descriptor_moved_off_its_pipe_is_masked_by_python(tmp_path):
    """Python's streams let text through unmasked while their descriptor is the masking
    pipe; once the stage has moved fd 1 elsewhere (a file), they mask it themselves."""
    log = tmp_path / "noise.log"
    run = _run(_pipeline(tmp_path, MOVED), LOG_FILE=str(log))
    assert run.returncode == 0, run.stderr.decode()
    assert log.read_bytes() == b"to the file ***\n"
    assert run.stdout == b"to the console ***\n"


@pytest.mark.parametrize("output", [
    (b"y" * 99 + b"\n") * 5000,
    # binary output that is no UTF-8: its cut walked back over every continuation byte
    # to the start, so none of it went out until the writer paused
    b"\xaa" * 500000,
], ids=["lines", "binary"])
def test_the_reader_holds_a_batch_at_a_time(monkeypatch, output):
    """A writer as fast as the reader (a stage's own thread, `cat` of a big file) kept it
    reading: everything written was held unmasked, megabytes of it, while the other pipe
    waited. Each read now stops at a batch, which goes out, masked, before the next."""
    from yt_pipeline import logs, masked_fds

    monkeypatch.setattr(logs, "masked_forms", lambda: logs.SecretMaskFilter([KEY]).forms)
    console_read, console = os.pipe()
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 1 << 20)  # a megabyte waits in the pipe
    fcntl.fcntl(console, fcntl.F_SETPIPE_SZ, 1 << 20)
    os.set_blocking(read_end, False)
    pipe = masked_fds._Pipe({1: console}, console, read_end, is_terminal=False,
                            identity=masked_fds._identity(write_end))
    written = output + KEY.encode() + b"\n"
    try:
        assert os.write(write_end, written) == len(written)
        held = []
        while select.select([read_end], [], [], 0)[0]:
            assert pipe.read()
            held.append(len(pipe.held))
            pipe.let_out(time.monotonic())
        assert max(held) < 2 * masked_fds.BATCH, held
        pipe.let_out_all()
        shown = b""
        while not shown.endswith(b"***\n"):
            shown += os.read(console_read, 1 << 20)
        assert shown == written.replace(KEY.encode(), b"***")
    finally:
        for fd in (console_read, console, read_end, write_end):
            os.close(fd)


def test_a_cut_moves_back_to_the_start_of_a_character_only():
    """Held bytes are cut where a secret still to come may start, moved back to the start
    of a UTF-8 character: three bytes back at most, so bytes that are no UTF-8 go out too
    (all of them were held, a run of continuation bytes walked back to the start)."""
    from yt_pipeline.logs import SecretMaskFilter
    from yt_pipeline.masked_tails import masked_release, reach

    forms = SecretMaskFilter([KEY]).forms
    longest = reach(forms)
    text = ("é" * 5000).encode()
    released, kept = masked_release(text, forms, longest)
    assert released + kept == text and released.decode() and len(kept) < longest + 2
    binary = b"\xaa" * 5000
    released, kept = masked_release(binary, forms, longest)
    assert released + kept == binary and len(kept) < longest + 3


OUTLIVES = """
import subprocess

# a helper left running: it writes once the run's own process has ended (a zombie that
# the test has not reaped yet counts as ended)
HELPER = '''
import sys
import time


def running(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


for _ in range(600):
    if not running(int(sys.argv[2])):
        break
    time.sleep(0.05)
print("later", sys.argv[1], flush=True)
open(sys.argv[3], "w").close()
'''


class Leaky(BaseStage):
    def run(self, debug):
        key = key_of(self)
        subprocess.Popen([sys.executable, "-c", HELPER, key, str(os.getpid()),
                          os.environ["ALIVE_FILE"]], start_new_session=True)
        print("parent", key)
        return debug
"""


def test_a_child_that_outlives_the_run_is_still_masked(tmp_path):
    """No one read the pipe once the run's process had ended: the child's next write
    killed it (SIGPIPE) and its line was lost. A keeper process goes on reading and
    masking until the child closes the pipe, holding the console as the child would."""
    alive = tmp_path / "alive"
    run = _run(_pipeline(tmp_path, OUTLIVES), ALIVE_FILE=str(alive))
    assert run.returncode == 0, run.stderr.decode()
    assert run.stdout == b"parent ***\nlater ***\n"
    assert alive.exists()  # the child went on past its write


FORKED_OVER_A_FILE = """
import multiprocessing
import sys

from yt_pipeline import logs
from yt_pipeline.masked_streams import masked_console

key = sys.argv[1]


def child():
    for line in range(3):
        print("child", line, key)


sys.stdout = open(sys.argv[2], "w")  # Python's stdout is no console descriptor: not masked
logs.mask_secrets([key])
with masked_console():
    print("parent", key)
    process = multiprocessing.get_context("fork").Process(target=child)
    process.start()
    process.join()
    print("parent again", key)
sys.stdout.flush()
"""


def test_a_forked_child_of_a_stream_masked_by_python_prints_every_line(tmp_path):
    """Where Python's stream masks itself (it writes to no console descriptor), a forked
    child's lines waited for the rest of a burst that the child's own os._exit cut short,
    and what the parent held at the fork came out of the child too."""
    written = tmp_path / "stdout.txt"
    run = _script(tmp_path, FORKED_OVER_A_FILE, str(written))
    assert run.returncode == 0, run.stderr.decode()
    assert written.read_text() == "parent ***\n" + "".join(
        f"child {line} ***\n" for line in range(3)) + "parent again ***\n"


GIL_HELD = """
import ctypes
import os
import sys

from yt_pipeline import logs
from yt_pipeline.masked_streams import masked_console

key = sys.argv[1]
logs.mask_secrets([key])
libc = ctypes.PyDLL(None)  # its calls hold the GIL, as a C extension's own code does
output = (b"y" * 99 + b"\\n") * 3000 + key.encode() + b"\\n"
with masked_console():
    written = libc.write(1, output, len(output))
os.write(2, b"wrote %d\\n" % written)
"""


def test_c_code_holding_the_gil_writes_more_than_a_default_pipe_holds(tmp_path):
    """The reader is a Python thread: C code writing while it holds the GIL waited on a
    full pipe for a reader that waited for the GIL, and the run hung past 64 KiB."""
    script = tmp_path / "script.py"
    script.write_text(GIL_HELD)
    try:
        run = subprocess.run([sys.executable, str(script), KEY], capture_output=True,
                             env=_environ(), timeout=30)
    except subprocess.TimeoutExpired:
        raise AssertionError("the write never ended") from None
    assert run.returncode == 0, run.stderr.decode()
    assert run.stderr == b"wrote %d\n" % (300000 + len(KEY) + 1)
    assert run.stdout == (b"y" * 99 + b"\n") * 3000 + b"***\n"


def test_a_secret_cut_into_lines_is_masked_whole_after_a_quiet_spell(monkeypatch):
    """A child printing base64 wrapped at 10 columns a line at a time (flushed, a few ms
    apart: no pause), after a quiet spell: its first line went out at once, alone, and
    the secret's pieces each on a line of their own were no form of it. The reader's
    clock is in the test's hands."""
    import base64
    import textwrap

    from yt_pipeline import logs, masked_fds

    monkeypatch.setattr(logs, "masked_forms", lambda: logs.SecretMaskFilter([KEY]).forms)
    console_read, console = os.pipe()
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(console_read, False)
    pipe = masked_fds._Pipe({1: console}, console, read_end, is_terminal=False,
                            identity=masked_fds._identity(write_end))
    wrapped = textwrap.fill(base64.b64encode(b"user:" + KEY.encode()).decode(), 10) + "\n"
    lines = wrapped.splitlines(keepends=True)
    try:
        at = 100.0  # long after anything went out
        for line in lines:
            os.write(write_end, line.encode())
            assert pipe.read()
            pipe.read_at = at
            pipe.let_out(at)
            at += 0.005
        pipe.let_out(at + masked_fds.DELAY)  # the child has paused
        assert os.read(console_read, 1 << 16) == b"dXNlcjp***\n"
    finally:
        for fd in (console_read, console, read_end, write_end):
            os.close(fd)


MANY_FILES = """
import os
import resource
import sys

from yt_pipeline import logs
from yt_pipeline.masked_streams import masked_console

key = sys.argv[1]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard != resource.RLIM_INFINITY and hard < 1200:
    print("too few files allowed", file=sys.stderr)
    sys.exit(3)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
opened = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]  # a server's sockets
os.set_blocking(1, False)  # the console, made non-blocking by another process sharing it
logs.mask_secrets([key])
output = (b"y" * 99 + b"\\n") * 20000 + key.encode() + b"\\n"
with masked_console():
    open(sys.argv[2], "w").close()
    view = memoryview(output)
    while view:
        view = view[os.write(1, view):]
"""


def test_a_console_copy_past_fd_1023_waits_for_a_full_console(tmp_path):
    """The copy of the console is past fd 1023 when the process has many files open;
    waiting for a full non-blocking console there with select failed (it takes no such
    descriptor): the reader thread died, and the writers waited on a full pipe for ever."""
    script = tmp_path / "script.py"
    script.write_text(MANY_FILES)
    writing = tmp_path / "writing"
    proc = subprocess.Popen([sys.executable, str(script), KEY, str(writing)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_environ())
    deadline = time.monotonic() + 60
    while not writing.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the console fills while nothing reads it
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("the output never came: the masking stopped reading") from None
    assert proc.returncode == 0, err.decode()
    assert err == b""
    assert out == (b"y" * 99 + b"\n") * 20000 + b"***\n"
