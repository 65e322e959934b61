"""A job's output becomes its table's file by a rename when it holds no table switch
(table_switches.take_output), and is routed row by row when it does."""

from __future__ import annotations

import stat

import yt_pipeline_dev.table_switches as switches
from yt_pipeline_dev.table_switches import route_output, take_output

SWITCH = b'{"$attributes":{"table_index":0},"$value":null}\n'


def test_an_output_without_switches_is_renamed_into_place(tmp_path):
    source, target = tmp_path / "map0.out", tmp_path / "table.tmp"
    source.write_bytes(b'{"a":1}\n{"a":2}\n{"a":3}')  # the last line without its newline
    target.write_bytes(b"")
    assert take_output(source, target) == 3
    assert target.read_bytes() == b'{"a":1}\n{"a":2}\n{"a":3}\n'
    assert not source.exists()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_switch_across_a_block_boundary_is_seen(tmp_path, monkeypatch):
    source, target = tmp_path / "map0.out", tmp_path / "table.tmp"
    data = b'{"a":1}\n' + SWITCH + b'{"a":2}\n'
    source.write_bytes(data)
    target.write_bytes(b"")
    for block in range(2, len(data) + 1):  # the mark cut at every place between two reads
        monkeypatch.setattr(switches, "_BLOCK", block)
        assert take_output(source, target) is None, block
        assert source.read_bytes() == data and target.read_bytes() == b""
    # routed instead: the switch is not a row
    assert route_output(source, [target]) == [2]
    assert target.read_bytes() == b'{"a":1}\n{"a":2}\n'
