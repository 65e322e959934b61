"""Tables dev wrote itself are read without the line check (whole_lines); any other file,
or one changed since it was written, is read with it and its bad lines still named."""

from __future__ import annotations

import io
import time

import pytest

from yt_pipeline.errors import BackendError, OperationFailed
from yt_pipeline_dev.launcher import launch
from yt_pipeline_dev.whole_lines import vouched_file
from ytjobs.codec import Codec

ROWS = [{"id": i, "name": f"user{i}", "big": 2**63 + i} for i in range(50)]
#: a line holding two rows: the check finds it, a trusted read would take both rows
DOUBLED = b'{"id":-1}{"id":-2}\n'

ENV_MAPPER = """
    import os
    from ytjobs import read_rows, write_rows
    write_rows({**row, "whole": os.environ.get("YTP_WHOLE_LINES")} for row in read_rows())
"""


def _file(client, path):
    found = client.visible_file(path)
    assert found is not None
    return found


def test_write_table_vouches_and_the_rows_read_back(dev_client):
    dev_client.write_table("//t", ROWS)
    assert vouched_file(dev_client.root, _file(dev_client, "//t"))
    assert list(dev_client.read_table("//t")) == ROWS


def test_a_file_changed_after_its_write_is_checked_again(dev_client):
    dev_client.write_table("//t", ROWS)
    with _file(dev_client, "//t").open("ab") as out:
        out.write(DOUBLED)  # a new size: another identity
    assert not vouched_file(dev_client.root, _file(dev_client, "//t"))
    with pytest.raises(BackendError, match="//t holds a line that is not JSON"):
        list(dev_client.read_table("//t"))


def test_a_file_rewritten_in_place_at_the_same_size_is_checked_again(dev_client):
    dev_client.write_table("//t", [{"a": "xxxxxxxxxxxxxxxxxxxx"}, {"a": 1}])
    table = _file(dev_client, "//t")
    size = table.stat().st_size
    # the kernel stamps a file's time from a clock that moves every few ms: a change in the
    # same tick as the write, at the same size, is one whole_lines cannot see
    time.sleep(0.05)
    with table.open("r+b") as out:  # same inode, same size: only the time tells
        out.write(b'{"a":"x"}{"b":2}\n'.ljust(size - len(b'{"a":1}\n'), b" "))
    assert table.stat().st_size == size
    assert not vouched_file(dev_client.root, table)
    with pytest.raises(BackendError, match="not JSON"):
        list(dev_client.read_table("//t"))


def test_appends_keep_the_vouching_only_of_a_vouched_table(dev_client):
    dev_client.write_table("//t", ROWS[:10])
    dev_client.write_table("//t", ROWS[10:], append=True)
    assert vouched_file(dev_client.root, _file(dev_client, "//t"))
    assert list(dev_client.read_table("//t")) == ROWS
    # a table file made by hand: the rows appended to it do not make it trusted
    hand = dev_client.table_path("//hand")
    hand.parent.mkdir(parents=True, exist_ok=True)
    hand.write_bytes(b'{"id":0}\n' + DOUBLED)
    dev_client.write_table("//hand", [{"id": 1}], append=True)
    assert not vouched_file(dev_client.root, _file(dev_client, "//hand"))
    with pytest.raises(BackendError, match="not JSON"):
        list(dev_client.read_table("//hand"))


def test_a_map_tells_its_jobs_and_vouches_for_its_output(dev_client, stages):
    stages("m", {"src/mapper.py": ENV_MAPPER})
    dev_client.write_table("//in", ROWS)
    spec = stages.spec("map", "m", job_count=2, input_tables=["//in"],
                       output_tables=["//out"], mapper="src/mapper.py")
    launch(dev_client, spec)
    rows = list(dev_client.read_table("//out"))
    assert rows == [{**row, "whole": "1"} for row in ROWS]
    assert vouched_file(dev_client.root, _file(dev_client, "//out"))


def test_a_map_over_a_file_made_by_hand_checks_its_input(dev_client, stages):
    stages("m", {"src/mapper.py": ENV_MAPPER})
    hand = dev_client.table_path("//in")
    hand.parent.mkdir(parents=True, exist_ok=True)
    hand.write_bytes(b'{"id":0}\n{"id":1}\n')
    spec = stages.spec("map", "m", input_tables=["//in"], output_tables=["//out"],
                       mapper="src/mapper.py")
    launch(dev_client, spec)
    assert list(dev_client.read_table("//out")) == [{"id": 0, "whole": None},
                                                     {"id": 1, "whole": None}]


@pytest.mark.parametrize("engine", ["msgspec", "orjson", "json"])
def test_a_whole_read_gives_the_rows_of_a_checked_one(engine):
    data = b"".join(Codec(engine).dumps_line(row) for row in ROWS * 200)
    codec = Codec(engine)
    checked = list(codec.iter_rows(io.BytesIO(data), chunk=4096))
    assert list(codec.iter_rows(io.BytesIO(data), chunk=4096, whole=True)) == checked
    assert checked == ROWS * 200


@pytest.mark.parametrize("engine", ["msgspec", "orjson", "json"])
def test_a_line_that_is_not_json_still_fails_a_whole_read(engine):
    data = b'{"id":0}\n{"id":\n'
    with pytest.raises(KeyError):
        list(Codec(engine).iter_rows(io.BytesIO(data), whole=True,
                                     bad_line=lambda line, error: KeyError(line)))


@pytest.mark.parametrize("blanks", [
    b'{"id":0}\n\n{"id":1}\n   \n{"id":2}\n\r\n{"id":3}',  # and no last newline
    b'\n\n{"id":0}\n{"id":1}\n{"id":2}\n{"id":3}\n\n',
    b'{"id":0}\r\n{"id":1}\r\n{"id":2}\r\n{"id":3}\r\n',  # CRLF: no blank line
])
def test_row_count_of_a_file_made_by_hand_is_the_rows_a_read_gives(dev_client, blanks):
    """A read skips blank lines; so does row_count (it counted them: 10 blank lines in a
    1,000-row file made row_count 1,010 where read_table and YQL gave 1,000)."""
    hand = dev_client.table_path("//hand")
    hand.parent.mkdir(parents=True, exist_ok=True)
    hand.write_bytes(blanks)
    assert [row["id"] for row in dev_client.read_table("//hand")] == [0, 1, 2, 3]
    assert dev_client.row_count("//hand") == 4


def test_row_count_of_a_file_cut_short_in_a_row_fails_as_the_read_does(dev_client):
    """Half a last row is no row: the count said 3 where the read failed on it."""
    hand = dev_client.table_path("//hand")
    hand.parent.mkdir(parents=True, exist_ok=True)
    hand.write_bytes(b'{"id":0}\n{"id":1}\n{"id":2,"na')
    message = r"""table //hand holds a line that is not JSON: '\{"id":2,"na'"""
    with pytest.raises(BackendError, match=message):
        list(dev_client.read_table("//hand"))
    with pytest.raises(BackendError, match=message):
        dev_client.row_count("//hand")
    hand.write_bytes(b'{"id":0}\n{"id":1}\n{"id":2}')  # whole, only without its newline
    assert dev_client.row_count("//hand") == 3


def test_row_count_of_a_large_file_with_blank_lines_across_blocks(dev_client):
    hand = dev_client.table_path("//hand")
    hand.parent.mkdir(parents=True, exist_ok=True)
    line = b'{"id":1,"pad":"' + b"x" * 200 + b'"}\n'
    lines = [line if i % 997 else b"\n" for i in range(20_000)]  # blanks among 1 MiB blocks
    hand.write_bytes(b"".join(lines))
    expected = sum(1 for each in lines if each.strip())
    assert sum(1 for _ in dev_client.read_table("//hand")) == expected
    assert dev_client.row_count("//hand") == expected


def test_a_torn_row_in_a_jobs_input_is_shown_in_the_jobs_error(dev_client, stages):
    stages("m", {"src/mapper.py": ENV_MAPPER})
    hand = dev_client.table_path("//in")
    hand.parent.mkdir(parents=True, exist_ok=True)
    hand.write_bytes(b'{"id":0}\n{"id":1}\n{"id"')  # its last row cut short
    spec = stages.spec("map", "m", input_tables=["//in"], output_tables=["//out"],
                       mapper="src/mapper.py")
    with pytest.raises(OperationFailed) as failed:
        launch(dev_client, spec)
    assert "the job's input holds a line that is not a JSON row: '{\"id\"'" in str(failed.value)
    assert not dev_client.exists("//out")
