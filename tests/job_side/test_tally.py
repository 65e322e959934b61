"""ytjobs.tally: a job tells how much of its stdout ytjobs wrote, and its rows, switches and
longest piece, so dev knows output that ytjobs wrote whole (and parses anything else)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ytjobs import tally

REPO = Path(__file__).resolve().parents[2]

WRITES = {
    "rows": "write_rows({'i': i} for i in range(3000))",
    "switches": ("write_rows([{'a': 1}], table_index=1); write_row({'b': 2});"
                 "write_row({'c': 3}, table_index=2); write_rows([])"),
    "rows and a print": "write_rows([{'a': 1}]); print('not a row')",
    "a raw write": "write_rows([{'a': 1}]); sys.stdout.buffer.write(b'{\"x\":1e400}\\n')",
    "nothing": "pass",
}


def run_job(tmp_path: Path, code: str, told: bool = True) -> tuple[bytes, tally.Told | None]:
    out, tally_file = tmp_path / "out", tmp_path / "tally"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("YTP_STDOUT_TALLY", None)
    if told:
        env["YTP_STDOUT_TALLY"] = str(tally_file)
    script = "import sys\nfrom ytjobs import write_row, write_rows\n" + code + "\n"
    with out.open("wb") as stdout:
        subprocess.run([sys.executable, "-c", script], stdout=stdout, env=env, check=True)
    return out.read_bytes(), tally.read(tally_file) if tally_file.exists() else None


def _is_switch(line: bytes) -> bool:
    return line.startswith(b'{"$attributes":{"table_index":')


@pytest.mark.parametrize("what", ["rows", "switches", "nothing"])
def test_the_tally_is_the_output_when_ytjobs_wrote_it_all(tmp_path, what):
    output, told = run_job(tmp_path, WRITES[what])
    assert told is not None and told.size == len(output)
    lines = output.splitlines()
    assert told.switches == sum(map(_is_switch, lines)) == (3 if what == "switches" else 0)
    assert told.rows == len(lines) - told.switches
    # no line is longer than the longest piece, which is no longer than the output
    assert max(map(len, lines), default=0) <= told.longest <= len(output)


def test_a_long_row_makes_a_long_piece(tmp_path):
    output, told = run_job(tmp_path, "write_rows([{'a': 1}, {'blob': 'x' * 300000}])")
    assert told is not None and told.rows == 2
    assert told.longest >= 300000 + len('{"blob":""}')


@pytest.mark.parametrize("what", ["rows and a print", "a raw write"])
def test_anything_else_on_stdout_makes_them_differ(tmp_path, what):
    output, told = run_job(tmp_path, WRITES[what])
    assert told is not None and told.size < len(output)


def test_nothing_is_told_without_the_variable(tmp_path):
    output, told = run_job(tmp_path, WRITES["rows"], told=False)
    assert output and told is None


def test_a_forked_child_does_not_tell(tmp_path):
    code = ("import os\nif os.fork() == 0:\n    write_rows([{'child': 1}])\n    sys.exit(0)\n"
            "os.wait()\nwrite_rows([{'parent': 1}])")
    output, told = run_job(tmp_path, code)
    assert told is not None and told[:3] == (len(b'{"parent":1}\n'), 1, 0)
    assert len(output) > told.size  # the child's row is there too: dev parses it all


def test_rows_refused_after_a_caught_error_are_not_counted(tmp_path):
    """A batch is counted once written whole: a row YT refuses stops its batch before any
    of it is written, so a job that catches the error and goes on is told exactly (here the
    first batch, one row, went out before the NaN was seen)."""
    code = ("from ytjobs.row_rules import RowRefused\n"
            "write_rows([{'a': 1}, {'a': 2}])\n"
            "try:\n    write_rows([{'b': 1}, {'b': float('nan')}])\n"
            "except RowRefused:\n    pass\n"
            "write_rows([{'c': 1}])")
    output, told = run_job(tmp_path, code)
    assert told is not None and told.size == len(output)
    assert told.rows == len(output.splitlines()) == 4


@pytest.mark.parametrize("text", ["", "12", "1 2 3", "1 2 x 4", "1 2 3 4 5"])
def test_a_tally_that_does_not_parse_is_none(tmp_path, text):
    path = tmp_path / "tally"
    path.write_text(text)
    assert tally.read(path) is None
    assert tally.read(tmp_path / "missing") is None
