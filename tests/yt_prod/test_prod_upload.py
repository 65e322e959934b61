"""The code archive goes to build_folder under its content-hash name, once, safely when two
runs upload it at once, and expires when no run has used it for a while."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest
from prod_packages import build_package

from yt_pipeline.config import load_config
from yt_pipeline.errors import BackendError, ConfigError, PackagingError
from yt_pipeline_prod.settings import load_prod_settings
from yt_pipeline_prod.testing import make_prod_client
from yt_pipeline_prod.upload import ensure_uploaded, expiration_time

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


# -- two runs at once, and expiration --------------------------------------------------
# write_file writes in a transaction of its own and takes an exclusive lock on the file
# (yt/wrapper/heavy_commands.py `make_write_request`; "Implicit locks" on the Transactions
# page of the Cypress docs): two runs writing one name at once conflict (error 402). The
# TTL facts are the "Cypress node TTL" section of the Cypress docs.

def _seconds_until(value) -> float:
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.timestamp() - time.time()


def _build_files(client) -> list[str]:
    return client.list(client.build_folder)


def test_two_runs_uploading_one_archive_at_once_both_succeed(fake_yt, tmp_path):
    package = build_package(tmp_path / "a", STAGES)
    clients = [make_prod_client(fake_yt) for _ in range(3)]
    # every write is held open a while, so the uploads overlap inside their transactions
    fake_yt.faults.delay_next("write_file", seconds=0.5, count=len(clients))
    start = threading.Barrier(len(clients))
    results: list[object] = []

    def upload(client) -> None:
        start.wait()
        try:
            results.append(ensure_uploaded(client, package))
        except Exception as error:  # noqa: BLE001 - reported below
            results.append(error)

    threads = [threading.Thread(target=upload, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    target = f"{clients[0].build_folder}/{package.remote_name}"
    assert results == [target] * len(clients)
    assert fake_yt.calls["write_file"] == len(clients)  # all of them really wrote
    assert fake_yt.file_bytes(target) == package.archive_path.read_bytes()
    assert _build_files(clients[0]) == [package.remote_name]  # no temporary file left
    assert fake_yt.transaction_count() == 0


def test_an_archive_expires_and_each_run_that_finds_it_pushes_that_back(fake_yt, tmp_path):
    package = build_package(tmp_path / "a", STAGES)
    client = make_prod_client(fake_yt)
    target = ensure_uploaded(client, package)
    yt = client.yt()
    assert abs(_seconds_until(yt.get(target + "/@expiration_time")) - 30 * 86400) < 600
    yt.set(target + "/@expiration_time", expiration_time(1 / 24))  # an hour left
    fake_yt.reset_counters()
    ensure_uploaded(make_prod_client(fake_yt), package)  # the next run finds it
    assert fake_yt.calls["write_file"] == 0
    assert abs(_seconds_until(yt.get(target + "/@expiration_time")) - 30 * 86400) < 600


def test_an_expired_archive_is_gone_and_the_next_run_uploads_it_again(fake_yt, tmp_path):
    package = build_package(tmp_path / "a", STAGES)
    client = make_prod_client(fake_yt)
    target = ensure_uploaded(client, package)
    client.yt().set(target + "/@expiration_time", expiration_time(-1 / 86400))
    assert not client.exists(target)
    fake_yt.reset_counters()
    ensure_uploaded(make_prod_client(fake_yt), package)
    assert fake_yt.calls["write_file"] == 1
    assert fake_yt.file_bytes(target) == package.archive_path.read_bytes()


def test_archives_never_expire_with_a_null_ttl(fake_yt, tmp_path):
    package = build_package(tmp_path / "a", STAGES)
    client = make_prod_client(fake_yt)
    client.settings.archive_ttl_days = None
    target = ensure_uploaded(client, package)
    assert not client.yt().exists(target + "/@expiration_time")


def test_a_broken_upload_leaves_no_archive_and_its_temporary_file_expires(fake_yt, tmp_path):
    package = build_package(tmp_path / "a", STAGES)
    client = make_prod_client(fake_yt)
    fake_yt.faults.fail_next("write_file", status=500)
    with pytest.raises(BackendError, match="upload code archive"):
        ensure_uploaded(client, package)
    assert _build_files(client) == []  # the temporary file was removed
    fake_yt.faults.fail_next("move", status=500)
    fake_yt.faults.fail_next("remove", status=500)  # and could not be removed this time
    with pytest.raises(BackendError):
        ensure_uploaded(client, package)
    [left] = _build_files(client)
    assert left.startswith(package.remote_name + ".part-")
    left_ttl = _seconds_until(client.yt().get(f"{client.build_folder}/{left}/@expiration_time"))
    assert 0 < left_ttl <= 86400
    ensure_uploaded(client, package)  # the next try goes through
    assert fake_yt.file_bytes(f"{client.build_folder}/{package.remote_name}") \
        == package.archive_path.read_bytes()


@pytest.mark.parametrize("value", [0, -1, "long", True])
def test_a_bad_archive_ttl_names_the_key(make_pipeline, monkeypatch, value):
    monkeypatch.setenv("YT_PROXY", "http://localhost:1")
    monkeypatch.setenv("YT_TOKEN", "tok-123456")
    root = make_pipeline(config={"pipeline": {"mode": "prod",
                                              "prod": {"archive_ttl_days": value}},
                                 "stages": {"enabled_stages": []}})
    with pytest.raises(ConfigError, match="pipeline.prod.archive_ttl_days"):
        load_prod_settings(load_config(root), root)
    ok = make_pipeline(config={"pipeline": {"mode": "prod", "prod": {"archive_ttl_days": None}},
                               "stages": {"enabled_stages": []}})
    assert load_prod_settings(load_config(ok), ok).archive_ttl_days is None
