"""yt-framework's public job API, as its own tests pin it down, on yt-pipeline.

Rewritten here, behaviour by behaviour, from the test files of yt-framework 1.4.4
(GregoryKogan/yt-framework, tests/):

- CONFIG: `tests/test_ytjobs_config.py` (`ytjobs.config.get_config_path`)
- LOGGING: `tests/test_ytjobs_logging.py` (`ytjobs.logging.logger`, `ytjobs.logging.silencer`)
- MAPPERS: `tests/test_ytjobs_mappers.py` (`ytjobs.mapper.mappers`)
- MAPPER UTILS: `tests/test_ytjobs_mapper_utils.py` (`ytjobs.mapper.utils`)
- CHECKPOINTS: `tests/test_ytjobs_checkpoint_utils.py` (`ytjobs.checkpoint.utils`, with
  `yt.wrapper` replaced by a mock)
- REGISTRY: `tests/test_registry.py` (`StageRegistry`, imported as `yt_pipeline.StageRegistry`)

yt-framework's tests put an `io.StringIO` in place of stdin and stdout; the mapper tests here
also run each case on streams with bytes beneath (what a job really has), which take the
fast path of ytjobs.

Everything but REGISTRY is job code, which runs under the bare Python 3.8 of a cluster job:
those tests (marked `@job_side`) use the standard library only, no fixtures, and
`test_job_side_behaviours_under_bare_python` runs them all again under that interpreter.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import sys
import tempfile
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

JOB_SIDE: list[Callable[[], None]] = []


def job_side(test: Callable[[], None]) -> Callable[[], None]:
    """A test of job code: run under the job's bare Python too."""
    JOB_SIDE.append(test)
    return test


# -- standard-library stand-ins for pytest's fixtures --------------------------------------

class Captured:
    """What was written to stdout and stderr meanwhile."""

    def __init__(self, stdout: Any, stderr: Any):
        self._stdout, self._stderr = stdout, stderr

    @staticmethod
    def _text(stream: Any) -> str:
        stream.flush()
        if isinstance(stream, io.StringIO):
            return stream.getvalue()
        return stream.buffer.getvalue().decode("utf-8")

    @property
    def out(self) -> str:
        return self._text(self._stdout)

    @property
    def err(self) -> str:
        return self._text(self._stderr)

    def out_rows(self) -> list:
        return [json.loads(line) for line in self.out.splitlines()]

    def last_err_json(self) -> Any:
        return json.loads(self.err.strip().splitlines()[-1])


def _stream(kind: str) -> Any:
    if kind == "text":  # what yt-framework's tests use: no bytes beneath
        return io.StringIO()
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)


@contextlib.contextmanager
def captured(kind: str = "bytes") -> Iterator[Captured]:
    """sys.stdout and sys.stderr swapped for streams of `kind` ("text" or "bytes")."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _stream(kind), _stream(kind)
    try:
        yield Captured(sys.stdout, sys.stderr)
    finally:
        sys.stdout, sys.stderr = saved


@contextlib.contextmanager
def stdin_of(text: str, kind: str = "text") -> Iterator[None]:
    """sys.stdin swapped for `text`, as an io.StringIO ("text", as yt-framework's tests do)
    or a stream with bytes beneath ("bytes", as a job's stdin)."""
    saved = sys.stdin
    if kind == "text":
        sys.stdin = io.StringIO(text)
    else:
        sys.stdin = io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8")
    try:
        yield
    finally:
        sys.stdin = saved


STREAM_KINDS = ("text", "bytes")


@contextlib.contextmanager
def raises(kind: type, match: str) -> Iterator[None]:
    try:
        yield
    except kind as exc:
        assert re.search(match, str(exc)), f"{exc!r} does not match {match!r}"
    else:
        raise AssertionError(f"{kind.__name__} was not raised")


@contextlib.contextmanager
def environ(**values: str | None) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self, level: int = logging.DEBUG) -> str:
        return "\n".join(r.getMessage() for r in self.records if r.levelno >= level)


def quiet_logger(name: str) -> tuple:
    """A logger whose records are kept (and shown nowhere): (logger, records)."""
    logger = logging.getLogger("ytf_public_api." + name)
    logger.handlers.clear()
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    records = Records()
    logger.addHandler(records)
    return logger, records


def record(name: str = "n", level: int = logging.INFO, msg: str = "m",
           exc_info: Any = None) -> logging.LogRecord:
    return logging.LogRecord(name=name, level=level, pathname="x.py", lineno=1, msg=msg,
                             args=(), exc_info=exc_info)


# == CONFIG: tests/test_ytjobs_config.py ================================================

@job_side
def test_config_path_is_job_config_path():
    from ytjobs.config import get_config_path

    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "job.yaml"
        config.write_text("x: 1\n", encoding="utf-8")
        with environ(JOB_CONFIG_PATH=str(config)):
            assert get_config_path() == config


@job_side
def test_config_path_unset_raises_value_error_naming_the_variable():
    from ytjobs.config import get_config_path

    with environ(JOB_CONFIG_PATH=None):
        with raises(ValueError, "JOB_CONFIG_PATH"):
            get_config_path()
        with raises(RuntimeError, "JOB_CONFIG_PATH"):  # what ytjobs raised before
            get_config_path()


# == LOGGING: tests/test_ytjobs_logging.py ==============================================

@job_side
def test_text_formatter_shows_time_logger_level_and_message():
    from ytjobs.logging.logger import TextFormatter

    line = TextFormatter().format(record(name="pkg.mod", level=logging.WARNING, msg="watch"))
    assert re.match(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] \[pkg\.mod\] WARNING: watch$", line), line


@job_side
def test_text_formatter_line_without_a_logger_name():
    from ytjobs.logging.logger import TextFormatter

    nameless = types.SimpleNamespace(levelname="INFO", exc_info=None)
    assert TextFormatter()._base_message_line(nameless, "ts", "INFO", "hi") == "[ts] INFO: hi"


@job_side
def test_text_formatter_appends_extra_fields_and_formats_collections():
    from ytjobs.logging.logger import TextFormatter

    rec = record()
    rec.req_id = "a1"
    rec.nested = {"k": (1, None)}
    line = TextFormatter().format(rec)
    assert line.endswith(" | req_id=a1 nested={k=[1, None]}"), line


@job_side
def test_text_formatter_cuts_long_string_fields():
    from ytjobs.logging.logger import TextFormatter

    rec = record()
    rec.blob = "x" * 120
    line = TextFormatter().format(rec)
    assert "blob=" + "x" * 97 + "..." in line and line.count("x") < 120


@job_side
def test_text_formatter_appends_the_traceback():
    from ytjobs.logging.logger import TextFormatter

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        rec = record(level=logging.ERROR, msg="fail", exc_info=sys.exc_info())
    line = TextFormatter().format(rec)
    assert "Traceback" in line and "RuntimeError: boom" in line


@job_side
def test_get_logger_writes_to_stderr_and_does_not_propagate():
    from ytjobs.logging.logger import get_logger

    with captured() as cap:
        log = get_logger("ytf_public_api_logger", level=logging.INFO)
        log.info("hello")
    assert "INFO: hello" in cap.err and cap.out == ""
    assert log.propagate is False


@job_side
def test_log_with_extra_shows_the_fields():
    from ytjobs.logging.logger import get_logger, log_with_extra

    with captured() as cap:
        log = get_logger("ytf_public_api_extra", level=logging.DEBUG)
        log_with_extra(log, logging.INFO, "evt", stage="s1", n=2)
    assert "evt | stage=s1 n=2" in cap.err


@job_side
def test_manage_output_with_an_unknown_mode_fails_when_called():
    from ytjobs.logging.silencer import manage_output

    @manage_output(mode="invalid")  # decorating does not fail
    def function():
        return 1

    with raises(ValueError, "Invalid mode"):
        function()


@job_side
def test_manage_output_suppress_runs_the_function_silently():
    from ytjobs.logging.silencer import manage_output

    seen = []

    @manage_output(mode="suppress")
    def quiet():
        seen.append("ran")
        print("not shown")
        return 42

    with captured() as cap:
        assert quiet() == 42
    assert seen == ["ran"] and cap.out == "" and cap.err == ""


@job_side
def test_manage_output_redirect_sends_prints_to_stderr():
    from ytjobs.logging.silencer import manage_output

    @manage_output(mode="redirect")
    def loud():
        print("via_redirect", flush=True)

    with captured() as cap:
        loud()
    assert "via_redirect" in cap.err and cap.out == ""


@job_side
def test_redirect_stdout_to_stderr_moves_prints():
    from ytjobs.logging.silencer import redirect_stdout_to_stderr

    with captured() as cap:
        with redirect_stdout_to_stderr():
            print("marker", flush=True)
        print("after")
    assert "marker" in cap.err and cap.out == "after\n"


@job_side
def test_suppress_all_output_hides_prints():
    from ytjobs.logging.silencer import suppress_all_output

    with captured() as cap:
        with suppress_all_output():
            print("silent")
    assert cap.out == "" and cap.err == ""


# == MAPPERS: tests/test_ytjobs_mappers.py ==============================================
# Each case runs on text streams (yt-framework's tests) and on streams with bytes beneath.

def _echo_a(row, **_kw):
    yield {"a": row["a"]}


def _sum_i(rows, **_kw):
    yield {"s": sum(r["i"] for r in rows)}


@job_side
def test_batch_mapper_keeps_its_batch_size():
    from ytjobs.mapper.mappers import BatchMapper

    assert BatchMapper(7).batch_size == 7


@job_side
def test_batch_mapper_batch_size_may_be_none():
    from ytjobs.mapper.mappers import BatchMapper

    assert BatchMapper(None).batch_size is None


@job_side
def test_stream_mapper_writes_what_the_function_yields():
    from ytjobs.mapper.mappers import StreamMapper

    for kind in STREAM_KINDS:
        with stdin_of('{"a": 1}\n', kind), captured(kind) as cap:
            StreamMapper().map(lambda row, **_kw: [{"out": row["a"]}],
                               redirect_processing_output=False)
        assert cap.out_rows() == [{"out": 1}], kind


@job_side
def test_stream_mapper_reports_a_failing_row_and_raises():
    from ytjobs.mapper.mappers import StreamMapper

    def boom(_row, **_kw):
        raise RuntimeError("mapper boom")
        yield  # pragma: no cover

    for kind in STREAM_KINDS:
        with stdin_of('{"k": 1}\n', kind), captured(kind) as cap:
            with raises(RuntimeError, "mapper boom"):
                StreamMapper().map(boom, redirect_processing_output=False)
        error = cap.last_err_json()
        assert "Processing failed: mapper boom" in error["error"] and error["row"] == '{"k": 1}'


@job_side
def test_batch_mapper_without_a_size_gets_every_row_at_once():
    from ytjobs.mapper.mappers import BatchMapper

    seen = []

    def count(rows, **_kw):
        seen.append(rows)
        yield {"n": len(rows)}

    for kind in STREAM_KINDS:
        with stdin_of('{"x": 1}\n{"x": 2}\n', kind), captured(kind) as cap:
            BatchMapper(None).map(count, redirect_processing_output=False)
        assert cap.out_rows() == [{"n": 2}], kind
    assert seen == [[{"x": 1}, {"x": 2}]] * 2


@job_side
def test_batch_mapper_writes_a_row_per_batch():
    from ytjobs.mapper.mappers import BatchMapper

    for kind in STREAM_KINDS:
        with stdin_of('{"i": 1}\n{"i": 2}\n', kind), captured(kind) as cap:
            BatchMapper(1).map(_sum_i, redirect_processing_output=False)
        assert cap.out_rows() == [{"s": 1}, {"s": 2}], kind


@job_side
def test_batch_mapper_with_only_blank_lines_calls_nothing():
    from ytjobs.mapper.mappers import BatchMapper

    seen = []

    def track(rows, **_kw):
        seen.append(rows)
        yield from ()

    for kind in STREAM_KINDS:
        with stdin_of("\n\n  \n", kind), captured(kind) as cap:
            BatchMapper(None).map(track, redirect_processing_output=False)
        assert cap.out == "", kind
    assert seen == []


@job_side
def test_stream_mapper_skips_lines_that_are_not_json():
    from ytjobs.mapper.mappers import StreamMapper

    for kind in STREAM_KINDS:
        with stdin_of('{"a": 1}\nnot-json\n{"a": 2}\n', kind), captured(kind) as cap:
            StreamMapper().map(_echo_a, redirect_processing_output=False)
        assert cap.out_rows() == [{"a": 1}, {"a": 2}], kind
        error = cap.last_err_json()  # reported, as yt-framework reports it
        assert "Failed to parse row" in error["error"] and error["row"] == "not-json"


@job_side
def test_stream_mapper_skips_blank_lines():
    from ytjobs.mapper.mappers import StreamMapper

    for kind in STREAM_KINDS:
        with stdin_of('{"a": 1}\n\n  \n{"a": 2}\n', kind), captured(kind) as cap:
            StreamMapper().map(_echo_a, redirect_processing_output=False)
        assert cap.out_rows() == [{"a": 1}, {"a": 2}], kind
        assert cap.err == "", kind


@job_side
def test_batch_mapper_in_batches_skips_blank_and_bad_lines():
    from ytjobs.mapper.mappers import BatchMapper

    for kind in STREAM_KINDS:
        with stdin_of('{"i": 1}\n\nnot-json\n{"i": 2}\n', kind), captured(kind) as cap:
            BatchMapper(2).map(_sum_i, redirect_processing_output=False)
        assert cap.out_rows() == [{"s": 3}], kind


@job_side
def test_batch_mapper_passes_the_last_partial_batch():
    from ytjobs.mapper.mappers import BatchMapper

    for kind in STREAM_KINDS:
        with stdin_of('{"i": 1}\n{"i": 2}\n{"i": 3}\n', kind), captured(kind) as cap:
            BatchMapper(2).map(_sum_i, redirect_processing_output=False)
        assert cap.out_rows() == [{"s": 3}, {"s": 3}], kind


@job_side
def test_batch_mapper_in_batches_needs_a_batch_size():
    from ytjobs.mapper.mappers import BatchMapper

    with raises(ValueError, "Batch size must be set"):
        BatchMapper(None)._process_in_batches(lambda _rows, **_kw: iter(()),
                                              redirect_processing_output=True)


@job_side
def test_batch_mapper_reports_a_failure_with_all_rows():
    from ytjobs.mapper.mappers import BatchMapper

    def boom(_rows, **_kw):
        raise RuntimeError("all-rows boom")
        yield  # pragma: no cover

    for kind in STREAM_KINDS:
        with stdin_of('{"x": 1}\n', kind), captured(kind) as cap:
            with raises(RuntimeError, "all-rows boom"):
                BatchMapper(None).map(boom, redirect_processing_output=False)
        error = cap.last_err_json()
        assert "Batch processing failed: all-rows boom" in error["error"]
        assert error["total_rows"] == 1


@job_side
def test_batch_mapper_reports_the_failing_batch():
    from ytjobs.mapper.mappers import BatchMapper

    def boom(_rows, **_kw):
        raise RuntimeError("per-batch boom")
        yield  # pragma: no cover

    for kind in STREAM_KINDS:
        with stdin_of('{"i": 0}\n', kind), captured(kind) as cap:
            with raises(RuntimeError, "per-batch boom"):
                BatchMapper(1).map(boom, redirect_processing_output=False)
        error = cap.last_err_json()
        assert "Batch 0 processing failed" in error["error"]
        assert (error["batch_size"], error["batch_number"]) == (1, 0)


@job_side
def test_mappers_send_prints_to_stderr_by_default():
    # not in yt-framework's mapper tests, but what redirect_processing_output=True is for
    from ytjobs.mapper import BatchMapper, StreamMapper

    def chatty(row, **kw):
        print("chatter")
        yield dict(row, **kw)

    for kind in STREAM_KINDS:
        with stdin_of('{"a": 1}\n', kind), captured(kind) as cap:
            StreamMapper().map(chatty, tag="s")
        assert cap.out_rows() == [{"a": 1, "tag": "s"}] and "chatter" in cap.err, kind
        with stdin_of('{"i": 1}\n{"i": 2}\n', kind), captured(kind) as cap:
            BatchMapper(5).map(lambda rows: (print("chatter") or [{"n": len(rows)}]))
        assert cap.out_rows() == [{"n": 2}] and "chatter" in cap.err, kind


# == MAPPER UTILS: tests/test_ytjobs_mapper_utils.py ====================================

@job_side
def test_parse_json_line_decodes():
    from ytjobs.mapper.utils import parse_json_line

    assert parse_json_line('{"a": 1}') == {"a": 1}


@job_side
def test_parse_json_line_reports_a_bad_line_and_gives_none():
    from ytjobs.mapper.utils import parse_json_line

    with captured() as cap:
        assert parse_json_line("not json") is None
    error = json.loads(cap.err)
    assert "error" in error and error["row"] == "not json"


@job_side
def test_log_error_writes_one_json_line_to_stderr():
    from ytjobs.mapper.utils import log_error

    with captured() as cap:
        log_error({"k": "v"})
    assert cap.err.endswith("\n") and json.loads(cap.err) == {"k": "v"} and cap.out == ""


@job_side
def test_read_input_rows_skips_blank_lines():
    from ytjobs.mapper.utils import read_input_rows

    for kind in STREAM_KINDS:
        with stdin_of('{"a": 1}\n\n{"b": 2}\n', kind):
            assert list(read_input_rows()) == [{"a": 1}, {"b": 2}], kind


@job_side
def test_read_input_rows_reports_and_skips_a_bad_line():
    from ytjobs.mapper.utils import read_input_rows

    for kind in STREAM_KINDS:
        with stdin_of("not-json\n", kind), captured() as cap:
            assert list(read_input_rows()) == [], kind
        error = json.loads(cap.err)
        assert "error" in error and error["row"] == "not-json", kind


@job_side
def test_process_and_write_results_writes_each_row():
    from ytjobs.mapper.utils import process_and_write_results

    def emit(data, **_kw):
        yield {"d": data}
        yield {"n": 2}

    for kind in STREAM_KINDS:
        with captured(kind) as cap:
            process_and_write_results(emit, "x", redirect_output=False)
        assert cap.out_rows() == [{"d": "x"}, {"n": 2}], kind


@job_side
def test_process_and_write_results_sends_prints_to_stderr():
    from ytjobs.mapper.utils import process_and_write_results

    def noisy(_data, **_kw):
        print("mapper-side")
        yield {"ok": True}

    for kind in STREAM_KINDS:
        with captured(kind) as cap:
            process_and_write_results(noisy, None, redirect_output=True)
        assert "mapper-side" in cap.err and cap.out_rows() == [{"ok": True}], kind


# == CHECKPOINTS: tests/test_ytjobs_checkpoint_utils.py =================================

@contextlib.contextmanager
def fake_yt(**attributes: Any) -> Iterator[mock.MagicMock]:
    """yt.wrapper, as ytjobs.checkpoint.utils sees it, replaced by a mock."""
    import ytjobs.checkpoint.utils as utils

    yt = mock.MagicMock()
    for name, value in attributes.items():
        setattr(yt, name, value)
    with mock.patch.object(utils, "yt", yt):
        yield yt


def readable(data: bytes) -> mock.MagicMock:
    handle = mock.MagicMock()
    handle.read.return_value = data
    return handle


@job_side
def test_checkpoint_path_joins_base_and_name():
    from ytjobs.checkpoint.utils import get_checkpoint_path

    assert get_checkpoint_path("state.bin", "//yt/base/here") == "//yt/base/here/state.bin"


@job_side
def test_checkpoint_path_defaults_to_the_users_folder():
    from ytjobs.checkpoint.utils import get_checkpoint_path

    with environ(YT_USER="alice"):
        assert get_checkpoint_path("ckpt.dat") == "//home/alice/checkpoints/ckpt.dat"
    with environ(YT_USER=None):
        assert get_checkpoint_path("x") == "//home/default/checkpoints/x"


@job_side
def test_save_checkpoint_writes_the_data_at_its_path():
    from ytjobs.checkpoint import save_checkpoint

    log, _ = quiet_logger("save")
    with fake_yt() as yt:
        path = save_checkpoint(b"payload", "f.bin", base_path="//root/cp", logger=log)
    assert path == "//root/cp/f.bin"
    yt.create.assert_called_once_with("map_node", "//root/cp", recursive=True,
                                      ignore_existing=True)
    yt.write_file.assert_called_once()
    assert yt.write_file.call_args[0][:2] == ("//root/cp/f.bin", b"payload")


@job_side
def test_save_checkpoint_writes_metadata_after_the_data():
    from ytjobs.checkpoint import save_checkpoint

    log, _ = quiet_logger("save_meta")
    with fake_yt() as yt:
        save_checkpoint(b"x", "g.bin", base_path="//r/c", metadata={"v": 1}, logger=log)
    calls = yt.write_file.call_args_list
    assert [c[0][0] for c in calls] == ["//r/c/g.bin", "//r/c/g.bin.meta"]
    assert json.loads(calls[1][0][1].decode("utf-8")) == {"v": 1}


@job_side
def test_save_checkpoint_goes_on_when_the_folder_cannot_be_created():
    from ytjobs.checkpoint import save_checkpoint

    log, records = quiet_logger("mkdir")
    with fake_yt() as yt:
        yt.create.side_effect = OSError("mkdir denied")
        save_checkpoint(b"a", "n.bin", base_path="//x", logger=log)
    assert "Could not create checkpoint directory" in records.text(logging.WARNING)
    assert yt.write_file.call_count == 1


@job_side
def test_save_checkpoint_raises_when_the_data_cannot_be_written():
    from ytjobs.checkpoint import save_checkpoint

    log, records = quiet_logger("write_fails")
    with fake_yt() as yt:
        yt.write_file.side_effect = RuntimeError("write denied")
        with raises(RuntimeError, "write denied"):
            save_checkpoint(b"a", "n.bin", base_path="//y", logger=log)
    assert "Failed to save checkpoint" in records.text(logging.ERROR)


@job_side
def test_save_checkpoint_only_warns_when_the_metadata_cannot_be_written():
    from ytjobs.checkpoint import save_checkpoint

    def write(path, *_args, **_kwargs):
        if str(path).endswith(".meta"):
            raise OSError("meta write fail")

    log, records = quiet_logger("meta_fails")
    with fake_yt() as yt:
        yt.write_file.side_effect = write
        path = save_checkpoint(b"b", "m.bin", base_path="//z", metadata={"a": 1}, logger=log)
    assert path == "//z/m.bin"
    assert "Failed to save checkpoint metadata" in records.text(logging.WARNING)


@job_side
def test_load_checkpoint_of_a_missing_checkpoint():
    from ytjobs.checkpoint import load_checkpoint

    log, _ = quiet_logger("load_missing")
    with fake_yt() as yt:
        yt.exists.return_value = False
        assert load_checkpoint("nope", base_path="//b", logger=log) == (None, None)


@job_side
def test_load_checkpoint_without_metadata():
    from ytjobs.checkpoint import load_checkpoint

    log, _ = quiet_logger("load_body")
    with fake_yt() as yt:
        yt.exists.side_effect = [True, False]  # the data, then its .meta
        yt.read_file.return_value = readable(b"body")
        assert load_checkpoint("p.bin", base_path="//z", logger=log) == (b"body", None)


@job_side
def test_load_checkpoint_with_metadata():
    from ytjobs.checkpoint import load_checkpoint

    log, _ = quiet_logger("load_meta")
    with fake_yt() as yt:
        yt.exists.side_effect = [True, True]
        yt.read_file.side_effect = lambda path: readable(
            json.dumps({"k": "v"}).encode() if path.endswith(".meta") else b"body")
        assert load_checkpoint("p.bin", base_path="//z", logger=log) == (b"body", {"k": "v"})


@job_side
def test_load_checkpoint_that_cannot_be_read():
    from ytjobs.checkpoint import load_checkpoint

    log, records = quiet_logger("load_fails")
    with fake_yt() as yt:
        yt.exists.return_value = True
        yt.read_file.side_effect = OSError("read broke")
        assert load_checkpoint("x", base_path="//b", logger=log) == (None, None)
    assert "Failed to load checkpoint" in records.text(logging.ERROR)


@job_side
def test_load_checkpoint_with_metadata_that_is_not_json():
    from ytjobs.checkpoint import load_checkpoint

    log, records = quiet_logger("bad_meta")
    with fake_yt() as yt:
        yt.exists.side_effect = [True, True]
        yt.read_file.side_effect = [readable(b"body"), readable(b"not-json{")]
        assert load_checkpoint("p.bin", base_path="//z", logger=log) == (b"body", None)
    assert "Failed to load checkpoint metadata" in records.text(logging.WARNING)


@job_side
def test_list_checkpoints_of_a_missing_folder():
    from ytjobs.checkpoint import list_checkpoints

    log, _ = quiet_logger("list_missing")
    with fake_yt() as yt:
        yt.exists.return_value = False
        assert list_checkpoints(base_path="//q/dir", logger=log) == []


@job_side
def test_list_checkpoints_leaves_out_metadata_and_filters_by_pattern():
    from ytjobs.checkpoint import list_checkpoints

    log, _ = quiet_logger("list")
    with fake_yt() as yt:
        yt.exists.return_value = True
        yt.list.return_value = ["b.bin", "a.bin.meta", "a.bin", "noise.txt"]
        assert list_checkpoints(base_path="//q/dir", pattern=".bin", logger=log) == \
            ["a.bin", "b.bin"]
        assert list_checkpoints(base_path="//q/dir", logger=log) == \
            ["a.bin", "b.bin", "noise.txt"]
    yt.list.assert_called_with("//q/dir")


@job_side
def test_list_checkpoints_that_cannot_be_listed():
    from ytjobs.checkpoint import list_checkpoints

    log, records = quiet_logger("list_fails")
    with fake_yt() as yt:
        yt.exists.return_value = True
        yt.list.side_effect = RuntimeError("list failed")
        assert list_checkpoints(base_path="//d", logger=log) == []
    assert "Failed to list checkpoints" in records.text(logging.ERROR)


@job_side
def test_delete_checkpoint_that_is_not_there():
    from ytjobs.checkpoint import delete_checkpoint

    log, _ = quiet_logger("delete_missing")
    with fake_yt() as yt:
        yt.exists.return_value = False
        assert delete_checkpoint("ghost", base_path="//g", logger=log) is True
    yt.remove.assert_not_called()


@job_side
def test_delete_checkpoint_removes_data_and_metadata():
    from ytjobs.checkpoint import delete_checkpoint

    log, _ = quiet_logger("delete")
    with fake_yt() as yt:
        yt.exists.return_value = True
        assert delete_checkpoint("d.bin", base_path="//g", logger=log) is True
    assert [c[0][0] for c in yt.remove.call_args_list] == ["//g/d.bin", "//g/d.bin.meta"]


@job_side
def test_delete_checkpoint_that_cannot_be_removed():
    from ytjobs.checkpoint import delete_checkpoint

    log, _ = quiet_logger("delete_fails")
    with fake_yt() as yt:
        yt.exists.return_value = True
        yt.remove.side_effect = OSError("rm failed")
        assert delete_checkpoint("c", base_path="//d", logger=log) is False


@job_side
def test_save_processing_state_as_a_json_checkpoint():
    from ytjobs.checkpoint import save_processing_state

    log, _ = quiet_logger("save_state")
    with fake_yt() as yt:
        path = save_processing_state({"n": 1}, state_name="st", base_path="//p", logger=log)
    assert path == "//p/st.json"
    data, meta = (c[0][1] for c in yt.write_file.call_args_list)
    assert json.loads(data.decode()) == {"n": 1}
    assert json.loads(meta.decode()) == {"type": "processing_state", "state_name": "st"}


@job_side
def test_load_processing_state():
    from ytjobs.checkpoint import load_processing_state

    log, records = quiet_logger("load_state")
    with fake_yt() as yt:
        yt.exists.return_value = False
        assert load_processing_state(state_name="missing", base_path="//m", logger=log) is None
    with fake_yt() as yt:
        yt.exists.return_value = True
        yt.read_file.return_value = readable(b'{"ok": true}')
        assert load_processing_state(state_name="s", base_path="//m", logger=log) == {"ok": True}
    yt.read_file.assert_any_call("//m/s.json")
    with fake_yt() as yt:
        yt.exists.return_value = True
        yt.read_file.return_value = readable(b"not-json")
        assert load_processing_state(state_name="bad", base_path="//p", logger=log) is None
    assert "Failed to parse processing state" in records.text(logging.ERROR)


@job_side
def test_checkpoints_without_yt_wrapper_say_what_is_missing():
    # a job's Python without ytsaurus-client imports ytjobs.checkpoint; the first call says
    # what to install
    import ytjobs.checkpoint.utils as utils
    from ytjobs.checkpoint import list_checkpoints, save_checkpoint

    with mock.patch.object(utils, "yt", None):
        with raises(ImportError, "ytsaurus-client"):
            save_checkpoint(b"a", "n.bin", base_path="//x")
        with raises(ImportError, "ytsaurus-client"):
            list_checkpoints(base_path="//x")


# == REGISTRY: tests/test_registry.py ===================================================
# Stages are named after their folder: the classes below live in tests/compat.

def _two_stages() -> tuple:
    from yt_pipeline import BaseStage

    class DummyStage(BaseStage):
        def run(self, debug):
            return debug

    class OtherDummyStage(BaseStage):
        def run(self, debug):
            return debug

    return DummyStage, OtherDummyStage


def test_registry_add_stage_chains():
    from yt_pipeline import StageRegistry

    registry = StageRegistry()
    assert registry.add_stage(_two_stages()[0]) is registry


def test_registry_names_a_stage_after_its_folder():
    from yt_pipeline import StageRegistry

    first, _ = _two_stages()
    assert StageRegistry().add_stage(first).get_stage("compat") is first


def test_registry_last_stage_added_under_a_name_wins():
    from yt_pipeline import StageRegistry

    first, second = _two_stages()
    assert StageRegistry().add_stage(first).add_stage(second).get_stage("compat") is second


def test_registry_has_stage():
    from yt_pipeline import StageRegistry

    registry = StageRegistry()
    assert not registry.has_stage("compat")
    registry.add_stage(_two_stages()[0])
    assert registry.has_stage("compat")


def test_registry_unknown_stage_raises_key_error():
    from yt_pipeline import StageRegistry
    from yt_pipeline.errors import StageNotFound

    registry = StageRegistry().add_stage(_two_stages()[0])
    with raises(KeyError, "nosuch"):
        registry.get_stage("nosuch")
    try:
        registry.get_stage("nosuch")
    except StageNotFound as exc:  # still ours: its message, unquoted, and its exit code
        assert str(exc) == "unknown stage nosuch (known: compat)" and exc.exit_code == 2


def test_registry_get_all_stages_is_a_copy():
    from yt_pipeline import StageRegistry

    registry = StageRegistry().add_stage(_two_stages()[0])
    registry.get_all_stages().clear()
    assert registry.has_stage("compat")


# == the job side again, under the job's Python ============================================

RUN_JOB_SIDE = """
import importlib.util, json, sys, traceback
spec = importlib.util.spec_from_file_location("ytf_public_api", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
failures = {}
for test in module.JOB_SIDE:
    try:
        test()
    except BaseException:
        failures[test.__name__] = traceback.format_exc()
print(json.dumps({"python": list(sys.version_info[:2]), "ran": len(module.JOB_SIDE),
                  "failures": failures}))
"""


def test_job_side_behaviours_under_bare_python():
    import subprocess

    from yt_pipeline_prod.fake.interpreter import bare_python_bin, oldest_python

    repo = Path(__file__).resolve().parents[2]
    python = os.path.join(bare_python_bin(oldest_python()), "python3")
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": str(repo)}
    done = subprocess.run([python, "-c", RUN_JOB_SIDE, __file__], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["failures"] == {}, "\n".join(report["failures"].values())
    assert report["ran"] == len(JOB_SIDE) and tuple(report["python"]) >= (3, 8)
    import_check = subprocess.run(
        [python, "-c", "import importlib.util as u; print(bool(u.find_spec('yt')))"],
        capture_output=True, text=True, env=env, timeout=60)
    assert import_check.stdout.strip() == "False", "the job's Python has yt.wrapper"
