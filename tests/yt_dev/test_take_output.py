"""A job's output becomes its table's file by a rename when it holds no table switch
(table_switches.take_output), and is routed row by row when it does. Output that ytjobs
wrote whole and told of (ytjobs/tally.py) is placed without being read (place_output)."""

from __future__ import annotations

import errno
import os
import stat

import pytest

import yt_pipeline_dev.table_switches as switches
from yt_pipeline_dev.table_switches import place_output, route_output, take_output

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


def test_a_told_output_is_renamed_into_an_empty_table(tmp_path):
    source, target = tmp_path / "map0.out", tmp_path / "table.tmp"
    source.write_bytes(b'{"a":1}\n')
    source.chmod(0o600)
    target.write_bytes(b"")
    place_output(source, target)
    assert target.read_bytes() == b'{"a":1}\n' and not source.exists()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


@pytest.mark.parametrize("kernel", ["copies", "refuses", "stops half way"])
def test_a_told_output_is_appended_after_the_table(tmp_path, monkeypatch, kernel):
    """Appended inside the kernel (copy_file_range); where it cannot, or stops part way,
    the rest is copied through Python, each byte once."""
    source, target = tmp_path / "map1.out", tmp_path / "table.tmp"
    data = b"".join(b'{"n":%d}\n' % i for i in range(50000))
    source.write_bytes(data)
    target.write_bytes(b'{"first":0}\n')
    real = os.copy_file_range

    def half_then_fail(src, dst, count, offset_src=None, offset_dst=None):
        if offset_src:
            raise OSError(errno.EXDEV, "cross-device")
        return real(src, dst, min(count, len(data) // 2), offset_src, offset_dst)

    if kernel == "refuses":
        monkeypatch.setattr(os, "copy_file_range", lambda *a: (_ for _ in ()).throw(
            OSError(errno.ENOSYS, "no")))
    elif kernel == "stops half way":
        monkeypatch.setattr(os, "copy_file_range", half_then_fail)
    place_output(source, target)
    assert target.read_bytes() == b'{"first":0}\n' + data
    assert not source.exists()
