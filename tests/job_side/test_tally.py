"""ytjobs.tally: a job tells how much of its stdout ytjobs wrote, so dev knows output that
ytjobs wrote whole (and parses anything else)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

WRITES = {
    "rows": "write_rows({'i': i} for i in range(3000))",
    "switches": ("write_rows([{'a': 1}], table_index=1); write_row({'b': 2});"
                 "write_row({'c': 3}, table_index=2); write_rows([])"),
    "rows and a print": "write_rows([{'a': 1}]); print('not a row')",
    "a raw write": "write_rows([{'a': 1}]); sys.stdout.buffer.write(b'{\"x\":1e400}\\n')",
    "nothing": "pass",
}


def run_job(tmp_path: Path, code: str, tally: bool = True) -> tuple[bytes, str | None]:
    out, told = tmp_path / "out", tmp_path / "tally"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("YTP_STDOUT_TALLY", None)
    if tally:
        env["YTP_STDOUT_TALLY"] = str(told)
    script = "import sys\nfrom ytjobs import write_row, write_rows\n" + code + "\n"
    with out.open("wb") as stdout:
        subprocess.run([sys.executable, "-c", script], stdout=stdout, env=env, check=True)
    return out.read_bytes(), told.read_text() if told.exists() else None


@pytest.mark.parametrize("what", ["rows", "switches", "nothing"])
def test_the_count_is_the_output_when_ytjobs_wrote_it_all(tmp_path, what):
    output, told = run_job(tmp_path, WRITES[what])
    assert told == str(len(output))
    assert (b'"$attributes"' in output) == (what == "switches")


@pytest.mark.parametrize("what", ["rows and a print", "a raw write"])
def test_anything_else_on_stdout_makes_them_differ(tmp_path, what):
    output, told = run_job(tmp_path, WRITES[what])
    assert told is not None and int(told) < len(output)


def test_nothing_is_told_without_the_variable(tmp_path):
    output, told = run_job(tmp_path, WRITES["rows"], tally=False)
    assert output and told is None


def test_a_forked_child_does_not_tell(tmp_path):
    code = ("import os\nif os.fork() == 0:\n    write_rows([{'child': 1}])\n    sys.exit(0)\n"
            "os.wait()\nwrite_rows([{'parent': 1}])")
    output, told = run_job(tmp_path, code)
    assert told == str(len(b'{"parent":1}\n'))
    assert len(output) > int(told)  # the child's row is there too: dev parses it all
