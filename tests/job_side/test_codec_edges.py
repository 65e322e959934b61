"""ytjobs.codec at its edges, for every engine: a line holding two rows, wide rows written
from a generator, a reader closed half-way or stopped by a bad line, nesting too deep."""

from __future__ import annotations

import contextlib
import io
import tracemalloc

import pytest

from yt_pipeline.errors import BackendError
from yt_pipeline_dev.client import DevClient
from ytjobs.codec import Codec

ENGINES = ["msgspec", "orjson", "json"]


def _named(line: bytes, error: Exception) -> Exception:
    return KeyError(line)


# -- a line holding two rows -------------------------------------------------------------
# msgspec's decode_lines reads whitespace-separated values, not lines: a block is trusted
# only when every newline separates two whole objects.

@pytest.mark.parametrize("engine", ENGINES)
def test_two_rows_on_one_line_beside_a_blank_line_is_an_error(engine):
    data = b'{"a":1}\n\n{"b":2} {"c":3}\n'
    with pytest.raises(KeyError):
        list(Codec(engine).iter_rows(io.BytesIO(data), bad_line=_named))


@pytest.mark.parametrize("engine", ENGINES)
def test_two_rows_on_one_line_beside_a_value_split_over_lines_is_an_error(engine):
    data = b'{"a":\n1}\n{"b":1}{"c":2}\n'
    with pytest.raises(KeyError):
        list(Codec(engine).iter_rows(io.BytesIO(data), bad_line=_named))


def test_dev_read_table_names_a_doubled_line(tmp_path):
    client = DevClient(tmp_path / ".dev")
    client.write_table("//t", [{"a": 1}])
    with (tmp_path / ".dev/t.jsonl").open("ab") as table:
        table.write(b'\n{"b":2}{"c":3}\n')  # two files concatenated, one without its newline
    with pytest.raises(BackendError, match="not JSON"):
        list(client.read_table("//t"))


# -- memory of write_lines ---------------------------------------------------------------
# Batches are bounded in bytes, not only in rows: wide rows go a few at a time.

@pytest.mark.parametrize("engine", ENGINES)
def test_writing_wide_rows_from_a_generator_holds_few_of_them(engine):
    wide = 32 * 1024

    def rows():
        for i in range(1100):
            yield {"i": i, "text": "x" * wide}

    written = 0

    def sink(data: bytes) -> None:
        nonlocal written
        written += len(data)

    tracemalloc.start()
    try:
        Codec(engine).write_lines(rows(), sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert written > 1100 * wide
    assert peak < 4 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB for rows of {wide} bytes"


# -- iterator semantics --------------------------------------------------------------------

def test_dev_read_table_can_be_closed_half_way(tmp_path):
    # prod's read_table returns a generator: stage code may close it, in dev too
    client = DevClient(tmp_path / ".dev")
    client.write_table("//t", [{"i": i} for i in range(10)])
    with contextlib.closing(client.read_table("//t")) as rows:
        assert next(rows) == {"i": 0}


@pytest.mark.parametrize("engine", ENGINES)
def test_nothing_comes_after_a_bad_line(engine):
    # like a generator that raised, the reader is finished
    data = (b"".join(b'{"i":%d}\n' % i for i in range(10)) + b"oops\n"
            + b"".join(b'{"i":%d}\n' % i for i in range(10, 400)))
    rows = Codec(engine).iter_rows(io.BytesIO(data), 1000, bad_line=_named)
    with pytest.raises(KeyError):
        for _ in rows:
            pass
    assert list(rows) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_a_too_deeply_nested_line_is_named(engine):
    # a RecursionError in the decoder is a bad line like any other, named
    deep = b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}\n"
    with pytest.raises(KeyError):
        list(Codec(engine).iter_rows(io.BytesIO(b'{"x":1}\n' + deep), bad_line=_named))


# -- a line that is not JSON is a ValueError for every engine ----------------------------
# msgspec.DecodeError is a ValueError from msgspec 0.21 on; setup.cfg admits 0.18, whose
# DecodeError is not (checked in the 0.18.0 to 0.20.0 wheels): the readers' callers catch
# ValueError.

@pytest.mark.parametrize("engine", ENGINES)
def test_a_line_that_is_not_json_is_a_value_error(engine):
    codec = Codec(engine)
    with pytest.raises(ValueError):
        codec.loads_line(b"not json\n")
    skipped = []
    rows = list(codec.iter_rows(io.BytesIO(b'{"a":1}\nnot json\n{"a":2}\n'),
                                bad_line=lambda line, error: skipped.append(line)))
    assert rows == [{"a": 1}, {"a": 2}] and skipped == [b"not json"]


def test_a_decoder_error_that_is_no_value_error_becomes_one_with_its_message():
    from ytjobs.codec import _value_error_for

    class OldDecodeError(Exception):  # msgspec 0.18's DecodeError: an Exception only
        pass

    def decode(data: bytes) -> object:
        if data == b"{}":
            return {}
        raise OldDecodeError("JSON is malformed: invalid character (byte 0)")

    decoded = _value_error_for(decode, OldDecodeError)
    assert decoded(b"{}") == {}
    with pytest.raises(ValueError) as failure:
        decoded(b"x")
    assert str(failure.value) == "JSON is malformed: invalid character (byte 0)"
    assert isinstance(failure.value.__cause__, OldDecodeError)
