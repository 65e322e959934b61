"""ytjobs: exact row round-trips, chunked reading, grouping, config path."""

from __future__ import annotations

import io
import json

import pytest
from bare_python import run_bare
from hypothesis import given, settings
from row_strategies import rows_lists

from ytjobs import codec, get_config_path, get_logger, groups, load_config, read_rows, write_rows

TRICKY = [
    {"big": 2**63 + 5, "neg": -(2**63), "edge": 2**64 - 1, "int53": 2**53 + 1},
    {"text": "héllo ✓ 日本 \u2028 \"quoted\" \\ back", "emoji": "🦆"},
    {"nested": {"list": [1, [2, {"deep": None}], {"x": [True, False]}]}, "null": None},
    {"float": 0.1, "exp": 1e300, "neg0": -0.0, "digits": "12345678901234567890123"},
]


def test_round_trip_exact_through_streams():
    buffer = io.BytesIO()
    assert write_rows(TRICKY, buffer) == len(TRICKY)
    buffer.seek(0)
    back = list(read_rows(buffer))
    assert back == TRICKY
    assert type(back[0]["big"]) is int and back[0]["big"] == 2**63 + 5


def test_small_chunks_and_blank_lines_and_missing_final_newline():
    data = b'{"a":1}\n\n{"a":2}\n   \n{"a":3}'
    rows = list(codec.iter_rows(io.BytesIO(data), chunk=3))
    assert rows == [{"a": 1}, {"a": 2}, {"a": 3}]


def test_bad_line_raises_value_error():
    with pytest.raises(ValueError):
        list(read_rows(io.BytesIO(b'{"a":1}\n{"a":\n')))


def test_line_with_two_values_is_not_merged():
    with pytest.raises(ValueError):
        codec.loads_lines([b'{"a":1},{"b":2}'])


@settings(max_examples=150, deadline=None)
@given(rows_lists)
def test_any_rows_round_trip(rows):
    buffer = io.BytesIO()
    write_rows(rows, buffer)
    buffer.seek(0)
    assert list(codec.iter_rows(buffer, chunk=7)) == rows


def test_groups_by_one_and_several_columns():
    rows = [{"k": 1, "v": "a"}, {"k": 1, "v": "b"}, {"k": 2, "v": "c"}, {"v": "d"}]
    assert [(k, [r["v"] for r in g]) for k, g in groups(rows, "k")] == [
        (1, ["a", "b"]), (2, ["c"]), (None, ["d"])]
    pairs = [{"a": 1, "b": 1}, {"a": 1, "b": 1}, {"a": 1, "b": 2}]
    assert [(k, len(list(g))) for k, g in groups(pairs, ["a", "b"])] == [((1, 1), 2), ((1, 2), 1)]


def test_groups_keep_types_apart():
    rows = [{"k": 1}, {"k": True}, {"k": 1.0}]
    assert [k for k, _ in groups(rows, "k")] == [1, True, 1.0]


def test_config_path_and_load(tmp_path, monkeypatch):
    monkeypatch.delenv("JOB_CONFIG_PATH", raising=False)
    with pytest.raises(RuntimeError, match="JOB_CONFIG_PATH is not set"):
        get_config_path()
    config = tmp_path / "config.yaml"
    config.write_text("greeting: hi\nn: 3\n")
    monkeypatch.setenv("JOB_CONFIG_PATH", str(config))
    assert get_config_path() == config
    assert load_config() == {"greeting": "hi", "n": 3}
    monkeypatch.setenv("JOB_CONFIG_PATH", str(tmp_path / "missing.yaml"))
    with pytest.raises(RuntimeError, match="does not exist"):
        load_config()


def test_logger_writes_to_stderr_not_stdout(capsys):
    get_logger("ytjobs-test").info("to stderr")
    out, err = capsys.readouterr()
    assert out == "" and "to stderr" in err


def test_a_job_script_runs_in_a_subprocess(tmp_path):
    script = tmp_path / "mapper.py"
    script.write_text(
        "from ytjobs import read_rows, write_rows\n"
        "write_rows({**r, 'twice': r['n'] * 2} for r in read_rows())\n"
    )
    rows = [{"n": 2**62}, {"n": 3}]
    data = b"".join(codec.dumps_line(r) for r in rows)
    done = run_bare([str(script)], data, check=True)
    back = [json.loads(line) for line in done.stdout.splitlines()]
    assert back == [{"n": 2**62, "twice": 2**63}, {"n": 3, "twice": 6}]
