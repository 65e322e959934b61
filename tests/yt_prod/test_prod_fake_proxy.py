"""The fake proxy itself: what the tests of the prod backend rely on."""

from __future__ import annotations

import gzip
import json
import urllib.request
import zlib

import pytest

from yt_pipeline_prod.fake.json_rows import parse_rows
from yt_pipeline_prod.fake.protocol import decompress


def test_api_descriptors_and_hosts(fake_yt):
    with urllib.request.urlopen(fake_yt.url + "/api/v4") as answer:
        commands = {c["name"]: c for c in json.load(answer)}
    assert commands["write_table"]["is_heavy"] and commands["write_table"]["input_type"]
    assert commands["create"]["is_volatile"] and not commands["get"]["is_volatile"]
    with urllib.request.urlopen(fake_yt.url + "/hosts") as answer:
        assert json.load(answer) == [fake_yt.url.split("//")[1]]


def test_writes_in_a_transaction_appear_on_commit_only(prod_client, fake_yt):
    yt = prod_client.yt()
    prod_client.write_table("//tmp/t", [{"v": 1}])
    with yt.Transaction():
        yt.write_table("//tmp/t", [{"v": 2}], format="json")
        yt.create("map_node", "//tmp/inside")
        assert fake_yt.rows("//tmp/t") == [{"v": 1}]  # others still see the old rows
        assert [r["v"] for r in yt.read_table("//tmp/t", format="json")] == [2]
    assert fake_yt.rows("//tmp/t") == [{"v": 2}]
    assert prod_client.exists("//tmp/inside")

    with pytest.raises(RuntimeError), yt.Transaction():
        yt.remove("//tmp/t")
        raise RuntimeError("abort")
    assert fake_yt.rows("//tmp/t") == [{"v": 2}]
    assert fake_yt.transaction_count() == 0


def test_attributes_links_copy_and_move(prod_client):
    yt = prod_client.yt()
    prod_client.write_table("//tmp/a/t", [{"x": 1}, {"x": 2}])
    yt.set("//tmp/a/t/@owner_note", {"team": "data"})
    assert yt.get("//tmp/a/t/@owner_note") == {"team": "data"}
    assert yt.get("//tmp/a/t/@type") == "table"
    yt.link("//tmp/a/t", "//tmp/link")
    assert prod_client.row_count("//tmp/link") == 2
    yt.copy("//tmp/a", "//tmp/b")
    yt.move("//tmp/b/t", "//tmp/c/t", recursive=True)
    assert prod_client.row_count("//tmp/c/t") == 2 and not prod_client.exists("//tmp/b/t")
    listed = yt.list("//tmp/a", attributes=["type", "row_count"])
    assert [(str(n), n.attributes["row_count"]) for n in listed] == [("t", 2)]
    with yt.Transaction():
        assert yt.lock("//tmp/a/t", mode="snapshot")


def test_execute_batch(prod_client, fake_yt):
    prod_client.write_table("//tmp/t", [{"x": 1}])
    batch = prod_client.yt().create_batch_client()
    exists = batch.exists("//tmp/t")
    count = batch.get("//tmp/t/@row_count")
    missing = batch.get("//tmp/none")
    batch.commit_batch()
    assert exists.get_result() and count.get_result() == 1
    assert not missing.is_ok()
    assert fake_yt.calls["execute_batch"] == 1


def test_bodies_may_be_gzip_zlib_or_raw_and_rows_need_no_newlines():
    data = b'{"a":1}{"a":2}\n{"a":3}'
    assert decompress(gzip.compress(data), "gzip") == data
    assert decompress(zlib.compress(data), "gzip") == data
    assert decompress(data, "identity") == data
    assert parse_rows(data) == [{"a": 1}, {"a": 2}, {"a": 3}]


def test_read_file_and_counters(prod_client, fake_yt):
    yt = prod_client.yt()
    yt.write_file("//tmp/f.bin", b"0123456789")
    assert yt.read_file("//tmp/f.bin", offset=2, length=3).read() == b"234"
    assert fake_yt.calls["write_file"] == 1 and fake_yt.bytes_in["write_file"] == 10


def test_operation_times_are_instants_with_microseconds(prod_client, fake_yt):
    # ytsaurus-client's own wait for an operation (run_sort, run_map, Operation.wait) reads
    # start_time with YT_DATETIME_FORMAT_STRING, "%Y-%m-%dT%H:%M:%S.%fZ" (yt/common.py;
    # PrintOperationInfo in yt/wrapper/operation_commands.py): a time without its
    # microseconds fails that wait with a ValueError
    from datetime import datetime

    from yt.common import YT_DATETIME_FORMAT_STRING

    fake_yt.put_table("//tmp/in", [{"k": 2}, {"k": 1}])
    yt = prod_client.yt()
    operation = yt.run_sort("//tmp/in", "//tmp/in", sort_by=["k"])
    assert fake_yt.rows("//tmp/in") == [{"k": 1}, {"k": 2}]
    info = yt.get_operation(operation.id, attributes=["start_time", "finish_time"])
    for name in ("start_time", "finish_time"):
        datetime.strptime(info[name], YT_DATETIME_FORMAT_STRING)
