"""A run's own files are forced to disk only where its tables are durable (yamlio.durable_mode):
in prod, not in dev, whose tables are never forced to disk themselves."""

from __future__ import annotations

import os

import pytest

from yt_pipeline.journal import Journal
from yt_pipeline.state import StateStore


@pytest.fixture
def forced(monkeypatch):
    """The files passed to os.fsync, by name."""
    names: list[str] = []
    real = os.fsync

    def counting(fd):
        names.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    return names


def test_a_dev_run_forces_nothing_to_disk(hello_pipeline, run_cli, forced):
    root = hello_pipeline()
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    assert (root / "state.dev.yml").read_text().splitlines()[-2:] == ["hello: SUCCESS", "# end"]
    assert (root / ".dev/tmp/host/hello.jsonl").read_text() == '{"msg":"hi","n":1}\n'
    assert forced == []


def test_prod_state_and_commit_records_are_forced_to_disk(tmp_path, forced):
    state = StateStore(tmp_path, "prod", ["a"])
    state.set_status("a", "SUCCESS")
    state.write()
    journal = Journal(tmp_path, "prod")
    journal.write(journal.new_path(), "a", {"status": "SUCCESS"}, token=None)
    assert any(name.endswith("state.prod.yml") or "/.state.prod.yml." in name
               for name in forced), forced
    assert any("journal.prod" in name for name in forced), forced
    assert (tmp_path / "state.prod.yml").read_text().splitlines()[-2:] == ["a: SUCCESS", "# end"]
