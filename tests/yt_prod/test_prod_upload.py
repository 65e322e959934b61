"""The code archive goes to build_folder under its content-hash name, once."""

from __future__ import annotations

import pytest
from prod_packages import build_package

from yt_pipeline.errors import PackagingError
from yt_pipeline_prod.testing import make_prod_client
from yt_pipeline_prod.upload import ensure_uploaded

STAGES = {"s": {"src/mapper.py": "print('hi')\n"}}


def test_upload_then_skip_when_already_there(fake_yt, tmp_path):
    package = build_package(tmp_path / "a", STAGES)
    first = make_prod_client(fake_yt, build_folder="//home/proj/build")
    target = ensure_uploaded(first, package)
    assert target == f"//home/proj/build/{package.remote_name}"
    assert fake_yt.file_bytes(target) == package.archive_path.read_bytes()
    assert fake_yt.calls["write_file"] == 1
    assert fake_yt.bytes_in["write_file"] == package.size

    # the same client remembers; a new client (the next run) asks the cluster
    ensure_uploaded(first, package)
    fake_yt.reset_counters()
    ensure_uploaded(make_prod_client(fake_yt, build_folder="//home/proj/build"), package)
    assert fake_yt.calls["write_file"] == 0
    assert fake_yt.bytes_in["write_file"] == 0


def test_same_sources_same_name_changed_sources_new_upload(fake_yt, tmp_path):
    client = make_prod_client(fake_yt)
    one = build_package(tmp_path / "one", STAGES)
    same = build_package(tmp_path / "same", STAGES)
    assert one.remote_name == same.remote_name
    ensure_uploaded(client, one)
    changed = build_package(tmp_path / "two", {"s": {"src/mapper.py": "print('changed')\n"}})
    assert changed.remote_name != one.remote_name
    ensure_uploaded(make_prod_client(fake_yt), changed)
    assert fake_yt.calls["write_file"] == 2
    names = client.list("//tmp/yt_pipeline/build")
    assert names == sorted([one.remote_name, changed.remote_name])


def test_a_file_of_the_wrong_size_is_replaced(fake_yt, tmp_path):
    package = build_package(tmp_path / "a", STAGES)
    client = make_prod_client(fake_yt)
    target = f"{client.build_folder}/{package.remote_name}"
    client.yt().create("file", target, recursive=True)
    client.yt().write_file(target, b"truncated")
    ensure_uploaded(client, package)
    assert fake_yt.file_bytes(target) == package.archive_path.read_bytes()


def test_an_archive_rebuilt_after_the_package_is_not_uploaded_under_its_name(fake_yt, tmp_path):
    """Another run may rebuild .build between this run's build and its upload: the bytes
    must be the ones the content-hash name promises, or nothing is uploaded."""
    package = build_package(tmp_path / "a", STAGES)
    other = build_package(tmp_path / "b", {"s": {"src/mapper.py": "print('other')\n"}})
    package.archive_path.write_bytes(other.archive_path.read_bytes())
    client = make_prod_client(fake_yt)
    with pytest.raises(PackagingError, match="changed after this run built it"):
        ensure_uploaded(client, package)
    assert fake_yt.calls["write_file"] == 0
    assert not client.exists(f"{client.build_folder}/{package.remote_name}")
