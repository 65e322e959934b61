"""Helpers for host tests: a tiny pipeline and fake installed distributions."""

from __future__ import annotations

from pathlib import Path

import pytest

HELLO_STAGE = """
from yt_pipeline import BaseStage


class Hello(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.write_table(self.config.client.table, [{"msg": "hi", "n": 1}])
        debug["hello"] = yt.row_count(self.config.client.table)
        return debug
"""


@pytest.fixture
def hello_pipeline(make_pipeline):
    def make(extra_files=None, config=None):
        files = {
            "stages/hello/stage.py": HELLO_STAGE,
            "stages/hello/config.yaml": "client:\n  table: //tmp/host/hello\n",
        }
        files.update(extra_files or {})
        return make_pipeline(
            files, config=config or {"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["hello"]}}
        )

    return make


def fake_distribution(site: Path, name: str, entry_points: str, modules: dict[str, str]) -> None:
    """A dist-info folder and modules on a path, as pip would leave them, without pip."""
    dist = site / f"{name.replace('-', '_')}-1.2.3.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2.3\n")
    (dist / "entry_points.txt").write_text(entry_points)
    for module, text in modules.items():
        (site / f"{module}.py").write_text(text)


@pytest.fixture
def fake_site(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))

    def add(name: str, entry_points: str, modules: dict[str, str]) -> Path:
        fake_distribution(site, name, entry_points, modules)
        return site

    return add
