"""A large file uploaded the way ytsaurus-client uploads it: in parts joined by `concatenate`.

With `write_parallel.enable` left unset, the client writes a file of two chunks or more in
parallel parts and joins them with the `concatenate` command (write_file in
yt/wrapper/file_commands.py, make_parallel_write_request in yt/wrapper/parallel_writer.py):
a cluster concatenates files as it concatenates tables. The fake refused files there, so an
archive of 256 MiB or more (two of the default 128 MiB chunks) could not be uploaded to it.
"""

from __future__ import annotations

import os

import pytest
from yt.wrapper.errors import YtResponseError

from yt_pipeline_prod.testing import make_prod_client


def _parallel_client(fake_yt):
    yt = make_prod_client(fake_yt).yt()
    # small chunks, so that a few hundred KiB make several parts, and the client's own
    # choice of a parallel write for a file of two chunks or more
    yt.config["write_retries"]["chunk_size"] = 64 * 1024
    yt.config["write_parallel"]["enable"] = None
    yt.config["write_parallel"]["max_thread_count"] = 3
    return yt


def test_a_file_of_several_chunks_is_written_whole(fake_yt):
    yt = _parallel_client(fake_yt)
    data = os.urandom(64 * 1024 * 5 + 123)
    yt.write_file("//tmp/archive.tar.gz", data, size_hint=len(data))
    assert yt.read_file("//tmp/archive.tar.gz").read() == data
    assert fake_yt.state.cypress.get_node("//tmp/archive.tar.gz", None).type == "file"


def test_concatenate_of_files_appends_when_asked(prod_client):
    yt = prod_client.yt()
    for name, data in (("a", b"first,"), ("b", b"second,"), ("c", b"kept:")):
        yt.write_file(f"//tmp/{name}", data)
    yt.concatenate(["//tmp/a", "//tmp/b"], "<append=%true>//tmp/c")
    assert yt.read_file("//tmp/c").read() == b"kept:first,second,"
    yt.concatenate(["//tmp/b", "//tmp/a"], "//tmp/c")
    assert yt.read_file("//tmp/c").read() == b"second,first,"


def test_a_table_and_a_file_do_not_concatenate(prod_client):
    yt = prod_client.yt()
    yt.write_file("//tmp/f", b"bytes")
    yt.write_table("//tmp/t", [{"v": 1}], format="json")
    with pytest.raises(YtResponseError):
        yt.concatenate(["//tmp/t"], "//tmp/f")
    with pytest.raises(YtResponseError):
        yt.concatenate(["//tmp/f"], "//tmp/t")
    assert yt.read_file("//tmp/f").read() == b"bytes"
