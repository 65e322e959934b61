"""Jobs that misbehave: bad JSON, a row over 16 MiB, a crash, a hang, no output at all.

Each case is a real `yt-pipeline run`: the error is one line naming the stage, the operation,
the job (and the line of its output where that applies), the exit code is not 0, and the
output table holds exactly the rows it held before. A job that writes nothing gives a valid
empty table. Every case runs with job_count 1 and 2 (then the second job misbehaves).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from yt_pipeline.testing import invoke_cli, write_pipeline
from yt_pipeline.yamlio import dump_yaml
from yt_pipeline_dev.client import DevClient
from yt_pipeline_dev.job_output import MAX_ROW_WEIGHT, BadOutput, check_rows

INPUT, OUTPUT = "//tmp/bad/input", "//tmp/bad/output"
OLD_ROWS = [{"old": 1, "text": "kept"}, {"old": 2, "text": "as it was"}]

STAGE = f"""
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map, run_reduce, run_vanilla


class Bad(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.write_table("{INPUT}", [{{"id": i}} for i in range(6)])
        ops = self.config.client.operations
        if "map" in ops:
            run_map(self, ops.map)
        if "reduce" in ops:
            run_reduce(self, ops.reduce)
        if "vanilla" in ops:
            run_vanilla(self, ops.vanilla)
            yt.write_table("{OUTPUT}", [{{"after": "vanilla"}}])
        return debug
"""

# One script for every case: BEHAVIOUR says what the misbehaving job (the last one) does.
JOB = """
import os, signal, sys, time
from ytjobs import read_rows, write_rows

behaviour = os.environ["BEHAVIOUR"]
last = int(os.environ["YT_JOB_COOKIE"]) == int(os.environ["JOBS"]) - 1  # kept by a rerun
rows = list(read_rows())
if behaviour == "nothing":
    sys.exit(0)
if last:
    sys.stderr.write("job is about to misbehave: %s\\n" % behaviour)
    sys.stderr.flush()
    if behaviour.startswith("write:"):
        sys.stdout.write('{"id": 100}\\n{"id": 101}\\n' + behaviour[len("write:"):] + "\\n")
        sys.stdout.write('{"id": 102}\\n')
        sys.exit(0)
    if behaviour == "huge":
        sys.stdout.write('{"id": 100}\\n{"blob": "' + "x" * (LIMIT + 1) + '"}\\n')
        sys.exit(0)
    if behaviour == "overwrite":  # ytjobs writes a row, then the job writes over it
        write_rows([{"id": 100}])
        out = sys.stdout.buffer
        out.seek(0)
        out.write(b'{"id" 100}\\n')  # as long as the row, not JSON
        out.flush()
        sys.exit(0)
    if behaviour == "huge-through-ytjobs":  # told of by ytjobs: dev must still weigh it
        write_rows([{"id": 100}, {"blob": "x" * (LIMIT + 1)}])
        sys.exit(0)
    if behaviour == "raise":
        raise RuntimeError("the job blew up on purpose")
    if behaviour == "exit":
        sys.exit(3)
    if behaviour == "signal":
        os.kill(os.getpid(), signal.SIGKILL)
    if behaviour == "hang":
        time.sleep(float(os.environ.get("HANG_S", "120")))
write_rows(rows)
""".replace("LIMIT", str(MAX_ROW_WEIGHT))

BAD_LINES = {
    "text": "this is not json",
    "python-repr": "{'id': 1}",
    "truncated": '{"id": 1, "name": "cut',
    "not-an-object": "[1, 2]",
    "two-rows-one-line": '{"id": 1} {"id": 2}',
    "nan": '{"score": NaN}',
    "blank": "   ",
}


def make(root: Path, operation: str, behaviour: str, jobs: int, timeout_s: float = 0,
         env: dict[str, str] | None = None) -> Path:
    resources = f"{{job_count: {jobs}" + (f", timeout_s: {timeout_s}" if timeout_s else "") + "}"
    script_key = {"map": "mapper", "reduce": "reducer", "vanilla": "script"}[operation]
    tables = {
        "map": f"      input_table: {INPUT}\n      output_table: {OUTPUT}\n",
        "reduce": f"      input_table: {INPUT}\n      output_table: {OUTPUT}\n"
                  "      reduce_by: [id]\n",
        "vanilla": "",
    }[operation]
    config = (
        f"client:\n  operations:\n    {operation}:\n{tables}"
        f"      {script_key}: src/job.py\n"
        f"      resources: {resources}\n"
        # one attempt: each case is about how a job fails, not how often it is run again
        "      max_failed_job_count: 1\n"
        f"      env: {json.dumps({'BEHAVIOUR': behaviour, 'JOBS': str(jobs), **(env or {})})}\n"
    )
    write_pipeline(root, {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [bad]}\n",
        "stages/bad/stage.py": STAGE,
        "stages/bad/config.yaml": config,
        "stages/bad/src/job.py": JOB,
    })
    DevClient(root / ".dev").write_table(OUTPUT, OLD_ROWS)
    return root


def output_rows(root: Path) -> list[dict] | None:
    client = DevClient(root / ".dev")
    return list(client.read_table(OUTPUT)) if client.exists(OUTPUT) else None


def run_failing(root: Path) -> str:
    """Run, expect a clean failure; return the error line."""
    result = invoke_cli("run", root)
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.stderr.split("--- stderr")[0], result.stderr
    assert output_rows(root) == OLD_ROWS  # untouched, not even re-written
    return errors[0]


def job_words(jobs: int, phase: str = "map", noun: str = "job") -> str:
    return (f"error: stage bad failed: stage bad operation {phase} ({phase}): Failed jobs limit "
            "exceeded "
            f"(1 failed job, max_failed_job_count 1): {phase} {noun} {jobs} of {jobs}")


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("kind", list(BAD_LINES))
def test_a_mapper_writing_a_line_that_is_not_a_row_fails_naming_the_line(tmp_path, kind, jobs):
    root = make(tmp_path / "p", "map", "write:" + BAD_LINES[kind], jobs)
    error = run_failing(root)
    problem = {"blank": "is empty", "not-an-object": f"is not a row (a JSON object): "
               f"{BAD_LINES[kind]!r}"}.get(kind, f"is not JSON: {BAD_LINES[kind]!r} (")
    assert error.startswith(f"{job_words(jobs)} wrote a bad row: line 3 of its output "
                            f"{problem}"), error
    assert f"sandbox kept at {root / '.dev'}" in error


@pytest.mark.parametrize("behaviour", ["huge", "huge-through-ytjobs"])
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_line_over_16_mib_is_refused(tmp_path, jobs, behaviour):
    root = make(tmp_path / "p", "map", behaviour, jobs)
    error = run_failing(root)
    assert error.startswith(job_words(jobs) + " wrote a bad row: line 2 of its output is "), error
    assert f"over the row weight limit of {MAX_ROW_WEIGHT} bytes (16 MiB" in error


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_job_cannot_write_over_what_ytjobs_wrote(tmp_path, jobs):
    """A job's stdout is appended to, as a cluster's pipe is: going back over the rows
    ytjobs wrote only adds to the output, which is then checked line by line."""
    root = make(tmp_path / "p", "map", "overwrite", jobs)
    error = run_failing(root)
    assert error.startswith(f"{job_words(jobs)} wrote a bad row: line 2 of its output is not "
                            """JSON: '{"id" 100}'"""), error


def test_row_weight_limit_boundary(tmp_path):
    """A row is weighed by its data, as YT weighs it (1 for the row, a string by its bytes,
    column names not at all: UpdateDataWeight in yt/yt/ytlib/table_client/
    schemaless_chunk_writer.cpp): data under the limit is a row, data of exactly the limit
    is not, as a YT writer takes a row only when `weight < MaxRowWeight` (ValidateRowWeight
    there) (a small limit here)."""
    path = tmp_path / "out.jsonl"
    row = b'{"k": "' + b"x" * 20 + b'", "n": 7}'  # 1 + 20 + 8 bytes of data, 37 of text
    path.write_bytes(b'{"a": 1}\n' + row + b"\n")
    assert check_rows(path, limit=30) == 2
    with pytest.raises(BadOutput, match="line 2 of its output is 29 bytes of data, over"):
        check_rows(path, limit=29)
    # escapes make the text longer than the data: 2 bytes of text for each quote
    path.write_bytes(b'{"k": "' + b'\\"' * 20 + b'"}\n')
    assert check_rows(path, limit=22) == 1
    # a line with no newline at all that grows past 4 times the limit is refused unread
    path.write_bytes(b'{"k": "' + b"y" * (5 << 20))
    with pytest.raises(BadOutput, match="line 1 of its output is more than .* bytes of text"):
        check_rows(path, limit=1 << 20)


GOOD_BLOCK = b"".join(b'{"id": %d, "s": "\xc3\xa9\\n{", "n": [1, {"x": null}]}\n' % i
                      for i in range(5000))


@pytest.mark.parametrize("bad, line, problem", [
    (b'{"a": "\xff"}', 1, "is not JSON"),                     # invalid UTF-8
    (b'{"a": 1}{"b": 2}', 1, "is not JSON"),                   # two rows on one line
    (b'{"a": 1, "b": tru}', 1, "is not JSON"),
    (b" ", 1, "is empty"),
    (b"[1, 2]", 1, "is not a row (a JSON object)"),
    (b'{"a": [1, 2}', 1, "is not JSON"),
    # YT's parser (yajl) stops at a double beyond range: "numeric (floating point) overflow"
    (b'{"a": 1e400}', 1, "holds a number beyond a double's range"),
    (b'{"a": [1, {"b": -2.5E+309}]}', 1, "holds a number beyond a double's range"),
    (b'{"a": 1' + b"0" * 400 + b'.5}', 1, "holds a number beyond a double's range"),
    (b'{"a": NaN}', 1, "is not JSON"),                         # no such token in JSON
])
def test_bad_line_deep_in_a_large_block_is_named(tmp_path, bad, line, problem):
    """The fast whole-block check lets nothing through: the bad line is found and numbered
    among thousands of good ones, wherever it sits in the block."""
    path = tmp_path / "out.jsonl"
    path.write_bytes(GOOD_BLOCK + bad + b"\n" + GOOD_BLOCK)
    assert check_rows(tmp_path / "out.jsonl", start=len(GOOD_BLOCK) + len(bad) + 1) == 5000
    with pytest.raises(BadOutput, match=re.escape(f"line {5000 + line} of its output {problem}")):
        check_rows(path)


def test_numbers_that_only_look_out_of_range_pass(tmp_path):
    # an exponent in text, one of a tiny number (it rounds to 0), one within range, the
    # 64-bit integers at their edges (dev keeps them exact) and many digits in text are rows
    path = tmp_path / "out.jsonl"
    lines = [b'{"a": "1e400"}', b'{"a": 1e-400}', b'{"a": 1.5e308}',
             b'{"a": 18446744073709551615, "b": [-9223372036854775808]}',
             b'{"a": "1' + b"0" * 400 + b'"}']
    path.write_bytes(GOOD_BLOCK + b"\n".join(lines) + b"\n")
    assert check_rows(path) == 5005


@pytest.mark.parametrize("number", [b"18446744073709551616", b"-9223372036854775809",
                                    b"1" + b"0" * 400])
def test_an_integer_beyond_64_bits_is_refused_naming_its_line(tmp_path, number):
    """YT's parser reads an integer as int64, then uint64, and stops at a longer one:
    "integer overflow" (yajl_parse_integer, yajl_parse_unsigned_integer)."""
    path = tmp_path / "out.jsonl"
    path.write_bytes(GOOD_BLOCK + b'{"a": {"b": [' + number + b"]}}\n")
    with pytest.raises(BadOutput, match="line 5001 of its output holds an integer beyond 64 "
                                        "bits: .* \\(YT refuses it: integer overflow\\)"):
        check_rows(path)


def test_good_output_with_escaped_newlines_and_nested_rows_is_counted(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_bytes(GOOD_BLOCK * 3)
    assert check_rows(path) == 15000


CRASHES = {
    "raise": ("failed (exit code 1)", "RuntimeError: the job blew up on purpose"),
    "exit": ("failed (exit code 3)", "job is about to misbehave: exit"),
    "signal": ("was killed by signal SIGKILL (9)", "job is about to misbehave: signal"),
}


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("crash", list(CRASHES))
def test_a_crashing_mapper_fails_with_its_exit_and_stderr(tmp_path, crash, jobs):
    root = make(tmp_path / "p", "map", crash, jobs)
    error = run_failing(root)
    what, stderr_line = CRASHES[crash]
    assert error.startswith(f"{job_words(jobs)} {what}; sandbox kept at "), error
    result_stderr = (root / ".dev").glob(".sandboxes/sandbox_*/map*.stderr")
    assert any(stderr_line in p.read_text() for p in result_stderr)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_mapper_hanging_past_timeout_s_is_killed(tmp_path, jobs):
    # room for the job that does not hang to start and finish on a loaded machine (at 1 s,
    # under the load of a parallel test run, it was killed first)
    root = make(tmp_path / "p", "map", "hang", jobs, timeout_s=4)
    error = run_failing(root)
    assert error.startswith(
        f"{job_words(jobs)} ran longer than resources.timeout_s=4s and was killed: "
        "Job time limit exceeded; sandbox "), error


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_mapper_writing_nothing_gives_an_empty_table(tmp_path, jobs):
    root = make(tmp_path / "p", "map", "nothing", jobs)
    result = invoke_cli("run", root)
    assert result.exit_code == 0, result.output
    assert output_rows(root) == []
    assert (root / ".dev/tmp/bad/output.jsonl").read_bytes() == b""
    assert DevClient(root / ".dev").row_count(OUTPUT) == 0


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_crashing_reducer_fails_naming_its_job(tmp_path, jobs):
    root = make(tmp_path / "p", "reduce", "raise", jobs)
    error = run_failing(root)
    assert error.startswith(f"{job_words(jobs, 'reduce')} failed (exit code 1); sandbox "), error


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_reducer_writing_bad_json_fails_naming_the_line(tmp_path, jobs):
    root = make(tmp_path / "p", "reduce", "write:{'id': 1}", jobs)
    error = run_failing(root)
    assert error.startswith(f"{job_words(jobs, 'reduce')} wrote a bad row: line 3 of its "
                            "output is not JSON: \"{'id': 1}\""), error


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_crashing_vanilla_task_fails_and_the_stage_stops(tmp_path, jobs):
    root = make(tmp_path / "p", "vanilla", "exit", jobs)
    error = run_failing(root)  # the table the stage writes after the tasks is not written
    assert error.startswith(f"{job_words(jobs, 'vanilla', 'task')} failed (exit code 3); "), error
    log = (root / ".dev/bad.log").read_text()
    assert log.count("=== ") == jobs and "job is about to misbehave: exit" in log


# -- the same faults in prod mode, on the fake YT proxy (jobs really run there) ------------

@pytest.fixture(scope="module")
def fake_proxy():
    from yt_pipeline_prod.testing import start_fake_proxy

    proxy = start_fake_proxy()
    proxy.state.job_timeout_s = 10  # a hung job outlives its aborted operation this long
    yield proxy
    proxy.stop()


#: what follows the failed job's name: the same words as dev's for a job that exited or was
#: killed, the cluster's for the rest
PROD_FAULTS = {
    "write:not json": (" failed: Error parsing JSON: lexical error: Expecting value: line 3 "
                       "column 1"),
    "raise": " failed (exit code 1); operation ",
    "signal": " killed by signal 9; operation ",
    # each job's limit, as in dev, in the job proxy's words (op_spec.user_job)
    "hang": " failed: Job time limit exceeded",
}


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("fault", list(PROD_FAULTS))
def test_the_same_faults_in_prod_fail_cleanly(tmp_path, fake_proxy, monkeypatch, fault, jobs):
    from yt_pipeline_prod.testing import TEST_PROD_OPTIONS, TEST_TOKEN

    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    hang = fault == "hang"
    # the limit leaves a job that does not hang time to end on a loaded machine (one of 1 s
    # failed the other job of two in a suite run beside other work); the hanging one sleeps
    # well past it
    root = make(tmp_path / "p", "map", fault, jobs, timeout_s=3 if hang else 0,
                env={"HANG_S": "10"})
    (root / "configs/config.yaml").write_text(dump_yaml({
        "pipeline": {"mode": "prod", "build_folder": "//tmp/bad/build", "prod": TEST_PROD_OPTIONS},
        "stages": {"enabled_stages": ["bad"]},
    }))
    (root / "configs/secrets.env").write_text(f"YT_PROXY={fake_proxy.url}\nYT_TOKEN={TEST_TOKEN}\n")
    fake_proxy.put_table(OUTPUT, OLD_ROWS)

    result = invoke_cli("run", root)
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    # as dev words it (job_words), the cluster's facts after it
    assert errors[0].startswith(job_words(jobs) + PROD_FAULTS[fault]), errors[0]
    assert errors[0].endswith("; all job logs: yt-pipeline logs bad"), errors[0]
    if not hang:
        assert f"job is about to misbehave: {fault}" in result.stderr
    assert fake_proxy.rows(OUTPUT) == OLD_ROWS


def test_deeply_nested_job_output_is_a_bad_row_not_a_recursion_error(tmp_path):
    output = tmp_path / "out.jsonl"
    output.write_bytes(b'{"x":1}\n{"a":' + b"[" * 5000 + b"]" * 5000 + b"}\n")
    with pytest.raises(BadOutput, match="line 2 of its output is"):
        check_rows(output)
