"""The job helpers yt-framework's jobs import: ytjobs.mapper and ytjobs.logging.logger, run as
real job processes (rows on stdin, rows on stdout, logs on stderr), under the bare Python a
cluster job gets (see bare_python.py)."""

from __future__ import annotations

import json
import subprocess
import textwrap

import pytest
from bare_python import run_bare

ROWS = [{"id": i, "word": w} for i, w in enumerate(["ant", "bee", "cat", "dog", "eel"])]


def run_job(source: str, rows=ROWS) -> subprocess.CompletedProcess:
    stdin = "".join(json.dumps(row) + "\n" for row in rows)
    return run_bare(["-c", textwrap.dedent(source)], stdin)


def output_rows(done: subprocess.CompletedProcess) -> list[dict]:
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_stream_mapper_yields_rows_and_keeps_prints_off_stdout():
    done = run_job("""
        from ytjobs.mapper import StreamMapper

        def process(row, suffix):
            print("processing", row["id"])
            if row["id"] % 2 == 0:
                yield {"id": row["id"], "word": row["word"] + suffix}

        StreamMapper().map(process, suffix="!")
    """)
    assert output_rows(done) == [{"id": 0, "word": "ant!"}, {"id": 2, "word": "cat!"},
                                 {"id": 4, "word": "eel!"}]
    assert "processing 3" in done.stderr


@pytest.mark.parametrize("batch_size, sizes", [(2, [2, 2, 1]), (5, [5]), (None, [5])])
def test_batch_mapper_batches(batch_size, sizes):
    done = run_job(f"""
        from ytjobs.mapper import BatchMapper

        def process(rows):
            yield {{"size": len(rows), "first": rows[0]["id"]}}

        BatchMapper(batch_size={batch_size!r}).map(process)
    """)
    out = output_rows(done)
    assert [row["size"] for row in out] == sizes
    assert [row["first"] for row in out] == [sum(sizes[:i]) for i in range(len(sizes))]


def test_batch_mapper_with_no_input_calls_nothing():
    done = run_job("""
        from ytjobs.mapper import BatchMapper

        def process(rows):
            raise AssertionError("called without rows")

        BatchMapper().map(process)
    """, rows=[])
    assert output_rows(done) == []


def test_read_input_rows_and_logger_module():
    done = run_job("""
        import logging
        from ytjobs.logging.logger import get_logger, log_with_extra
        from ytjobs.mapper import read_input_rows
        from ytjobs import write_rows

        log = get_logger("words", level=logging.INFO)
        get_logger("words")  # asking again must not double the lines
        rows = list(read_input_rows())
        log_with_extra(log, logging.INFO, "read", count=len(rows))
        write_rows(rows)
    """)
    assert output_rows(done) == ROWS
    lines = [line for line in done.stderr.splitlines() if "words" in line]
    # yt-framework's line: [time] [logger] LEVEL: message | key=value
    assert len(lines) == 1 and lines[0].endswith("] [words] INFO: read | count=5")


def test_batch_size_below_one_is_refused():
    from ytjobs.mapper import BatchMapper

    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        BatchMapper(batch_size=0)


@pytest.mark.parametrize("statement", [
    "from ytjobs import StreamMapper, BatchMapper, read_input_rows",
    "from ytjobs import log_with_extra, redirect_stdout_to_stderr",
    "from ytjobs.logging import manage_output, suppress_all_output",
])
def test_yt_framework_job_imports(statement):
    done = run_bare(["-c", statement], "")
    assert done.returncode == 0, done.stderr


def test_manage_output_redirects_or_silences_python_and_c_output():
    done = run_job("""
        import os, sys
        from ytjobs import write_rows
        from ytjobs.logging import manage_output

        @manage_output(mode="redirect")
        def chatty():
            print("to stderr instead")

        @manage_output(mode="suppress")
        def noisy_library():
            print("never seen")
            os.write(1, b"nor this, from C\\n")
            os.write(2, b"nor this on stderr\\n")
            return 42

        chatty()
        write_rows([{"answer": noisy_library()}])
    """)
    assert output_rows(done) == [{"answer": 42}]
    assert "to stderr instead" in done.stderr
    assert "never seen" not in done.stdout + done.stderr
    assert "nor this" not in done.stdout + done.stderr
