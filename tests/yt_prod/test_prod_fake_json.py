"""The fake proxy reads and writes JSON rows as a cluster's JSON format does, where Python's
json would be lenient: facts and sources in yt_pipeline_prod/fake/json_rows.py."""

from __future__ import annotations

import math

import pytest
import yt.yson as yson

from yt_pipeline.errors import BackendError
from yt_pipeline_prod.fake.json_rows import WRITE_REFUSED, dump_rows, parse_rows, stringifies
from yt_pipeline_prod.fake.protocol import YtFakeError
from yt_pipeline_prod.op_spec import job_format


@pytest.mark.parametrize("text, error", [
    (b'{"a":NaN}', "lexical error: invalid char in json text (NaN)"),
    (b'{"a":[1,Infinity]}', "lexical error: invalid char in json text (Infinity)"),
    (b'{"a":-Infinity}', "lexical error: invalid char in json text (-Infinity)"),
    (b'{"a":1e400}', "parse error: numeric (floating point) overflow (1e400)"),
    (b'{"a":{"b":-2.5E+309}}', "numeric (floating point) overflow"),
    (b'{"a":1,"a":2}', 'Duplicate key "a"'),
    (b'{"m":{"k":1,"k":2}}', 'Duplicate key "k"'),
])
def test_rows_a_cluster_cannot_parse_are_refused(text, error):
    with pytest.raises(YtFakeError, match="^Error parsing JSON: .*" + error.replace("(", r"\(")
                       .replace(")", r"\)").replace("+", r"\+")):
        parse_rows(b'{"ok":1}\n' + text + b"\n")


def test_numbers_within_range_are_read_as_python_does():
    assert parse_rows(b'{"a":1e308,"b":1e-400,"c":-0.0,"d":18446744073709551615}') == [
        {"a": 1e308, "b": 0.0, "c": -0.0, "d": 2**64 - 1}]


def test_nan_and_infinity_are_written_only_when_the_format_stringifies_them():
    rows = [{"n": math.nan, "l": [math.inf, {"m": -math.inf}], "f": 1.5}]
    with pytest.raises(YtFakeError, match="^" + WRITE_REFUSED.split(";")[0]):
        dump_rows(rows)
    assert dump_rows(rows, stringify=True) == (
        b'{"n":"nan","l":["inf",{"m":"-inf"}],"f":1.5}\n')
    assert dump_rows([{"f": 1.5}]) == b'{"f":1.5}\n'


def test_the_option_is_read_from_the_format_attributes():
    assert stringifies(yson.to_yson_type("json", attributes={"stringify_nan_and_infinity": True}))
    assert not stringifies(yson.to_yson_type("json", attributes={"encode_utf8": False}))
    assert not stringifies("json")


def test_a_raw_write_the_cluster_would_refuse_fails_through_the_real_client(prod_client,
                                                                           fake_yt):
    """Rows sent as text, past ytsaurus-client's own checks, meet the cluster's parser."""
    prod_client.create_path("//t/raw", "table")
    with pytest.raises(Exception, match="invalid char in json text"):
        prod_client.yt().write_table("//t/raw", b'{"a":NaN}\n', format="json", raw=True)
    assert fake_yt.rows("//t/raw") == []


def test_reading_a_nan_double_without_the_option_fails_as_on_a_cluster(prod_client, fake_yt):
    fake_yt.put_table("//t/doubles", [{"x": math.nan}])
    with pytest.raises(Exception, match="Unexpected NaN or infinity"):
        list(prod_client.yt().read_table("//t/doubles", format="json"))
    # the prod backend asks for the texts, in its reads and in its jobs' input
    assert list(prod_client.read_table("//t/doubles")) == [{"x": "nan"}]
    assert stringifies(job_format())


def test_a_row_the_client_refuses_is_named_by_its_column(prod_client, fake_yt):
    """ytsaurus-client refuses the row in its own words (a raw ValueError for a NaN, from
    simplejson); the prod client says it as dev does, naming the row and the column."""
    for row, words in [({"x": math.inf}, "column 'x' holds inf"),
                       ({"m": {1: "a"}}, "column 'm' holds a map key 1, an int"),
                       ({"s": {1}}, "column 's' holds a set")]:
        with pytest.raises(BackendError, match=f"^write_table //t/refused: row 3: {words}"):
            prod_client.write_table("//t/refused", [{"a": 1}, {"a": 2}, row])
        assert not prod_client.exists("//t/refused")
    # simplejson's "Object of type object is not JSON serializable", as dev says it
    with pytest.raises(BackendError, match="^write_table //t/refused: row 1: column 'o' holds "
                                           "an object: YT's JSON format has no type for it"):
        prod_client.write_table("//t/refused", [{"o": object()}])


def test_structured_json_answers_carry_utf8_bytes_as_the_client_reads_them(prod_client):
    """YT's JSON format writes each UTF-8 byte of a string as a code point unless
    `encode_utf8=%false`, and ytsaurus-client's JsonFormat decodes it so
    (`_load_python_string` in yt/python/yt/wrapper/format.py): a table whose schema names a
    non-ASCII column, as a YQL write gives one, is read with its schema fetched that way."""
    prod_client.write_table("//tmp/u", [{"k": 1, "é x": "ж"}])
    prod_client.run_yql("INSERT INTO `//tmp/v` WITH TRUNCATE SELECT * FROM `//tmp/u`")
    assert list(prod_client.read_table("//tmp/v")) == [{"k": 1, "é x": "ж"}]
    schema = prod_client.yt().get("//tmp/v/@schema")
    assert [column["name"] for column in schema] == ["k", "é x"]
