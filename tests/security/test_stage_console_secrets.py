"""What a stage's own code prints (`print`, `sys.stderr.write`, `sys.stdout.buffer`, a
thread it starts) reaches the console through sys.stdout and sys.stderr, not through
logging: while a run goes they mask every secret, as its log lines do. A line without a
secret comes out byte for byte, and in its order with the run's log lines."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time

import pytest
from secret_scan import scan_bytes

from yt_pipeline import logs
from yt_pipeline.testing import write_pipeline

KEY = "Zq7sekretK9xPLmW"
TOKEN = "ytp-TOKEN-console-4471"
WORDS = "pässwört-Ünï-7310"
SECRETS = (KEY, TOKEN, WORDS)

LEAKY = """
import base64
import os
import sys
import textwrap
import threading

from yt_pipeline import BaseStage


class Leaky(BaseStage):
    def run(self, debug):
        key, words = self.deps.pipeline_config.secret("API_KEY"), self.deps.pipeline_config.secret("WORDS")
        token = self.deps.pipeline_config.secret("YT_TOKEN")
        print("print", key)
        print("stderr", token, file=sys.stderr)
        sys.stdout.write("pieces " + key[:5])
        sys.stdout.write(key[5:11])
        sys.stdout.write(key[11:] + "\\n")
        print("split", words[:6], end="")
        print(words[6:])
        print("flushed", end=" ", flush=True)
        for piece in (key[:5], key[5:9], key[9:]):
            print(piece, end="", flush=True)
        print()
        sys.stdout.buffer.write(b"bytes " + words.encode() + b"\\n")
        wrapped = textwrap.fill(base64.b64encode(b"user:" + key.encode()).decode(), 10)
        print("wrapped", wrapped, sep="\\n")
        thread = threading.Thread(target=lambda: print("thread", token, file=sys.stderr))
        thread.start()
        thread.join()
        return debug
"""


def _run(tmp_path, stage: str, command: str = "run",
         environ: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """`yt-pipeline run` in a process of its own: the console is its real stdout and
    stderr, pipes here, as a terminal or a CI log takes them."""
    root = write_pipeline(tmp_path / "p", {
        "configs/secrets.env": f"API_KEY={KEY}\nYT_TOKEN={TOKEN}\nWORDS={WORDS}\n",
        "stages/leaky/stage.py": stage,
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["leaky"]}})
    # Python's own stdout to a pipe holds text back (8 KiB) where it writes bytes through,
    # so without PYTHONUNBUFFERED text written before bytes, and not flushed, comes after
    # them, masked or not: the order is pinned here, as CI runners and terminals pin it
    env = {name: value for name, value in os.environ.items()
           if name not in ("YT_TOKEN", "API_KEY", "WORDS", "YTP_PROGRESS")}
    env["PYTHONUNBUFFERED"] = "1"
    return subprocess.run([sys.executable, "-m", "yt_pipeline", command, str(root)],
                          capture_output=True, env={**env, **(environ or {})}, timeout=120)


def test_what_a_stage_prints_itself_is_masked(tmp_path):
    run = _run(tmp_path, LEAKY)
    assert run.returncode == 0, run.stderr.decode()
    assert run.stdout.decode().splitlines() == [
        "print ***", "pieces ***", "split ***", "flushed ***", "bytes ***", "wrapped",
        "dXNlcjp***"]  # the base64 of `user:` before the key's, cut into lines
    err = run.stderr.decode().splitlines()
    assert "stderr ***" in err and "thread ***" in err
    leaks = [*scan_bytes("stdout", run.stdout, SECRETS),
             *scan_bytes("stderr", run.stderr, SECRETS)]
    assert [str(leak) for leak in leaks] == []


IMPORTED = """
import os
import sys

from yt_pipeline import BaseStage

print("imported with", os.environ["YT_TOKEN"])
print("and on stderr", os.environ["YT_TOKEN"], file=sys.stderr)


class Quiet(BaseStage):
    def run(self, debug):
        return debug
"""


@pytest.mark.parametrize("command", ["run", "list"])
def test_what_a_stage_module_prints_as_it_is_imported_is_masked(tmp_path, command):
    """The stage files are imported before the run starts (and by `list`, `graph`...):
    code at a module's top level prints as a stage does. YT_TOKEN exported in the shell
    is a secret as the file's is."""
    run = _run(tmp_path, IMPORTED, command, {"YT_TOKEN": TOKEN})
    assert run.returncode == 0, run.stderr.decode()
    assert run.stdout.decode().splitlines()[0] == "imported with ***"
    assert "and on stderr ***" in run.stderr.decode().splitlines()
    leaks = [*scan_bytes("stdout", run.stdout, SECRETS),
             *scan_bytes("stderr", run.stderr, SECRETS)]
    assert [str(leak) for leak in leaks] == []


ROWS = """
import sys

from yt_pipeline import BaseStage


class Rows(BaseStage):
    def run(self, debug):
        key = self.deps.pipeline_config.secret("API_KEY")
        sys.stdout.write('{"id": 1, "name": "Zoë\\\\t"}\\r\\n')
        sys.stdout.write("a\\tb  c \\n\\n")
        sys.stdout.flush()
        sys.stdout.buffer.write(b"raw \\xff\\xfe bytes\\n")
        sys.stdout.write("row with " + key + " in it\\n")
        print("one", file=sys.stderr)
        self.logger.info("two")
        print("three", file=sys.stderr)
        sys.stdout.write("no line end at the last")
        return debug
"""


def test_text_flushed_before_bytes_comes_first_when_the_console_holds_text_back(tmp_path):
    """Without PYTHONUNBUFFERED, text the stage flushed before writing bytes comes before
    them, as it does unmasked (a burst's flush held it, and the bytes went first)."""
    run = _run(tmp_path, ROWS, environ={"PYTHONUNBUFFERED": ""})
    assert run.returncode == 0, run.stderr.decode()
    assert run.stdout.startswith('{"id": 1, "name": "Zoë\\t"}\r\n'.encode() + b"a\tb  c \n\n"
                                 b"raw \xff\xfe bytes\n"), run.stdout


def test_rows_without_a_secret_come_out_byte_for_byte_and_in_order(tmp_path):
    run = _run(tmp_path, ROWS)
    assert run.returncode == 0, run.stderr.decode()
    assert run.stdout == ('{"id": 1, "name": "Zoë\\t"}\r\n'.encode() + b"a\tb  c \n\n"
                          b"raw \xff\xfe bytes\nrow with *** in it\nno line end at the last")
    err = run.stderr.decode().splitlines()
    shown = [line for line in err if line in ("one", "three") or line.endswith("] two")]
    assert shown == ["one", err[err.index("one") + 1], "three"], err
    assert shown[1].endswith("INFO  [leaky] two")


@pytest.fixture
def masking():
    logs.mask_secrets(SECRETS)
    try:
        yield
    finally:
        logs.forget_secrets()


def test_a_line_longer_than_what_is_held_is_masked_where_it_is_cut(masking):
    """A stage writing a long line in pieces: past HOLD characters what is held goes out,
    all but its end, and a secret across that cut is masked whole."""
    from yt_pipeline.masked_streams import HOLD, MaskingTextStream

    console = io.StringIO()
    stream = MaskingTextStream(console)
    text = "x" * (HOLD - 7) + KEY + "y" * 5000 + WORDS + "z" * 3
    for at in range(0, len(text), 999):
        stream.write(text[at:at + 999])
    assert console.getvalue().startswith("x" * 1000)  # went out before the line ended
    stream.let_out_all()  # as the run's end does
    assert console.getvalue() == "x" * (HOLD - 7) + "***" + "y" * 5000 + "***" + "z" * 3


def test_lines_of_a_burst_go_out_soon_without_a_flush(masking):
    from yt_pipeline.masked_streams import DELAY, MaskingTextStream

    console = io.StringIO()
    stream = MaskingTextStream(console)
    stream.write("first\n")
    assert console.getvalue() == "first\n"  # after a quiet spell: at once
    stream.write("second " + TOKEN + "\n")
    stream.write("third\n")
    deadline = time.monotonic() + 20 * DELAY
    while console.getvalue() != "first\nsecond ***\nthird\n" and time.monotonic() < deadline:
        time.sleep(DELAY / 5)
    assert console.getvalue() == "first\nsecond ***\nthird\n"


def test_a_secret_flushed_piece_by_piece_is_masked_and_the_line_still_shows(masking):
    """`print(piece, end="", flush=True)` a piece at a time: each flush lets out what
    cannot be the start of a secret, the rest follows once the writer pauses."""
    from yt_pipeline.masked_streams import DELAY, MaskingTextStream

    console = io.StringIO()
    stream = MaskingTextStream(console)
    stream.write("progress 10%\n")
    for piece in ("key ", KEY[:6], KEY[6:12], KEY[12:], " done"):
        stream.write(piece)
        stream.flush()
    deadline = time.monotonic() + 20 * DELAY
    while console.getvalue() != "progress 10%\nkey *** done" and time.monotonic() < deadline:
        time.sleep(DELAY / 5)
    assert console.getvalue() == "progress 10%\nkey *** done"
