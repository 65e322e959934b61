"""The fake proxy's files against YTsaurus's own integration tests: what the class TestFiles
of yt/yt/tests/integration/tests/test_files.py (ytsaurus/ytsaurus) asserts a cluster
answers, asked through ytsaurus-client. Each test names the integration test it follows."""

from __future__ import annotations

import hashlib

import pytest
from yt.wrapper.errors import YtResponseError


def test_compute_md5_gives_a_file_its_md5_appends_included(yt):
    # test_compute_hash
    for name in ("fcache", "fcache2", "fcache3", "fcache4", "fcache5"):
        yt.create("file", f"//tmp/{name}")
    yt.write_file("<append=%true>//tmp/fcache", b"abacaba", compute_md5=True)
    assert yt.get("//tmp/fcache/@md5") == "129296d4fd2ade2b2dbc402d4564bf81"
    yt.write_file("<append=%true>//tmp/fcache", b"new", compute_md5=True)
    assert yt.get("//tmp/fcache/@md5") == hashlib.md5(b"abacabanew").hexdigest()
    yt.write_file("//tmp/fcache2", b"abacaba")
    assert not yt.exists("//tmp/fcache2/@md5")
    yt.write_file("//tmp/fcache3", b"test", compute_md5=True)
    assert yt.get("//tmp/fcache3/@md5") == "098f6bcd4621d373cade4e832627b4f6"
    yt.write_file("//tmp/fcache3", b"test2", compute_md5=True)
    assert yt.get("//tmp/fcache3/@md5") == hashlib.md5(b"test2").hexdigest()
    yt.concatenate(["//tmp/fcache", "//tmp/fcache3"], "//tmp/fcache4")
    assert not yt.exists("//tmp/fcache4/@md5")
    with pytest.raises(YtResponseError):
        yt.write_file("<append=%true>//tmp/fcache4", b"data", compute_md5=True)
    assert yt.read_file("//tmp/fcache4").read() == b"abacabanewtest2"
    yt.write_file("//tmp/fcache5", b"", compute_md5=True)
    assert yt.get("//tmp/fcache5/@md5") == "d41d8cd98f00b204e9800998ecf8427e"


def test_a_negative_length_is_refused(yt):
    # test_read_interval
    content = b"data" * 100
    yt.create("file", "//tmp/file")
    yt.write_file("//tmp/file", content)
    assert yt.read_file("//tmp/file", offset=9, length=212).read() == content[9:221]
    with pytest.raises(YtResponseError):
        yt.read_file("//tmp/file", length=-1).read()


def test_a_file_has_a_replication_factor(yt):
    # test_replication_factor_attr: a file just written has one; 0 is refused
    yt.create("file", "//tmp/f")
    yt.write_file("//tmp/f", b"some_data")
    assert yt.get("//tmp/f/@replication_factor") == 3
    with pytest.raises(YtResponseError):
        yt.set("//tmp/f/@replication_factor", 0)
