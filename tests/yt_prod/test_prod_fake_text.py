"""Text a cluster stores differently from what was sent, or refuses: the fake reads strings
as YT's JSON parser does, and the prod client refuses a row that would not read back.

Sources (read in a snapshot of ytsaurus/ytsaurus-cpp-sdk): yajl_string_decode in
contrib/deprecated/yajl/src/yajl_encode.c (a lone high surrogate escape becomes "?", one
followed by another `\\u` escape is combined with it by formula, a lone low one is written
as three bytes by Utf32toUtf8), yajl_lex_utf8_char in src/yajl_lex.c (raw bytes are checked
by shape: "invalid bytes in UTF8 string."), and TUtf8Transcoder in
yt/yt/core/misc/utf8_decoder.cpp (encode_utf8=false keeps the bytes). What ytsaurus-client
sends: JsonFormat._dump in yt/wrapper/format.py, simplejson with ensure_ascii by default.
"""

from __future__ import annotations

import pytest

from yt_pipeline.errors import BackendError
from yt_pipeline_prod.fake import FakeProxyBroke, FakeYtProxy
from yt_pipeline_prod.fake.json_rows import dump_rows, parse_rows
from yt_pipeline_prod.fake.json_text import INVALID_BYTES
from yt_pipeline_prod.fake.op_runner import FakeOperation, OperationRunner
from yt_pipeline_prod.fake.protocol import YtFakeError
from yt_pipeline_prod.fake.queries import FakeQuery, QueryRunner


@pytest.mark.parametrize("sent, stored", [
    (rb'"\ud800"', "?"),                      # lone high half, string ends
    (rb'"a\udbffb"', "a?b"),                  # lone high half, a plain character follows
    (rb'"\ud800\n"', "?\n"),                  # a short escape is no `\u`: "?"
    (rb'"\ud800\u00e9"', "\U000100e9"),       # combined with the next escape, whatever it is
    (rb'"\ud83d\ude00"', "\U0001f600"),       # a real pair, as before
    (rb'"\\ud800"', "\\ud800"),               # an escaped backslash, then plain text
    (rb'"\u0000x"', "\x00x"),                 # NUL is stored as a byte
])
def test_escapes_are_stored_as_yajl_decodes_them(sent, stored):
    assert parse_rows(b'{"k":' + sent + b'}') == [{"k": stored}]


def test_a_lone_low_half_is_stored_as_three_bytes_and_written_back_raw():
    rows = parse_rows(rb'{"k":"a\udc80b","\udfff":1}')
    assert dump_rows(rows) == b'{"k":"a\xed\xb2\x80b","\xed\xbf\xbf":1}\n'


def test_raw_bytes_are_checked_by_shape_only():
    # an encoded surrogate has the shape of UTF-8: stored as is, written back as is
    assert dump_rows(parse_rows(b'{"k":"\xed\xa0\x80"}')) == b'{"k":"\xed\xa0\x80"}\n'
    for bad in (b'{"k":"\xff"}', b'{"k":"\xc3"}', b'{"k":"\xe9t\xe9"}'):
        with pytest.raises(YtFakeError, match="^" + INVALID_BYTES.replace(".", r"\.") + "$"):
            parse_rows(bad)


def test_a_raw_write_of_an_escaped_surrogate_reads_back_as_the_cluster_stores_it(
        prod_client, fake_yt):
    prod_client.create_path("//t/raw", "table")
    prod_client.yt().write_table("//t/raw", b'{"k":"\\ud800x"}\n', format="json", raw=True)
    assert fake_yt.rows("//t/raw") == [{"k": "?x"}]
    assert list(prod_client.read_table("//t/raw")) == [{"k": "?x"}]


@pytest.mark.parametrize("text, shown", [("\ud800", "\\ud800"), ("a\udc80b", "\\udc80"),
                                         ("\ud800\u00e9", "\\ud800")])
def test_write_table_refuses_text_that_would_not_read_back(prod_client, fake_yt, text, shown):
    with pytest.raises(BackendError) as caught:
        prod_client.write_table("//t/s", [{"k": "ok"}, {"id": 2, "k": {"m": [text]}}])
    assert str(caught.value).startswith(
        f"write_table //t/s: row 2: column 'k' holds text with a lone surrogate '{shown}', "
        "which is not Unicode text")
    assert not prod_client.exists("//t/s")


def test_text_that_encodes_is_stored_alike(prod_client, fake_yt):
    rows = [{"k": "é\U0001f600\x00\u2028", "\u00fc": ["\x1f"]}]
    prod_client.write_table("//t/u", rows)
    assert fake_yt.rows("//t/u") == rows
    assert list(prod_client.read_table("//t/u")) == rows


def _boom(*_: object) -> None:
    raise RuntimeError("boom")


def test_an_unexpected_exception_fails_the_operation_and_is_raised_at_stop(monkeypatch):
    fake = FakeYtProxy()
    op = FakeOperation(id="1-2-3-4", type="map", spec={}, tx=None)
    monkeypatch.setattr(OperationRunner, "_prepare", _boom)
    OperationRunner(fake.state, op).run()
    assert op.state == "failed"
    assert op.error["message"] == "the fake operation broke: RuntimeError('boom')"
    with pytest.raises(FakeProxyBroke, match=r"^the fake operation broke: RuntimeError"):
        fake.stop()
    fake.stop()  # raised once: the errors are cleared


def test_an_unexpected_exception_fails_the_query_and_is_raised_at_stop(monkeypatch):
    pytest.importorskip("duckdb")
    fake = FakeYtProxy()
    query = FakeQuery(id="q", engine="yql", text="SELECT 1;")
    monkeypatch.setattr(QueryRunner, "_statement", _boom)
    QueryRunner(fake.state, query).run()
    assert query.state == "failed"
    # inside the tracker's "Query <id> failed" (FinishQueryLoop, query_tracker.cpp)
    assert query.error["message"] == "Query q failed"
    assert [inner["message"] for inner in query.error["inner_errors"]] == [
        "the fake query broke: RuntimeError('boom')"]
    assert fake.internal_errors == ["the fake query broke: RuntimeError('boom')"]
    fake.internal_errors.clear()
    fake.stop()
