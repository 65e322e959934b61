"""The entry-point reader answers as importlib.metadata.entry_points does."""

from __future__ import annotations

import importlib.metadata
import sys

import pytest

from yt_pipeline.entry_points import entry_points


def both(group: str) -> tuple[list[tuple], list[tuple]]:
    """What ours and importlib.metadata's give: name, value, distribution and version."""
    def seen(eps) -> list[tuple]:
        return [(ep.name, ep.value, ep.dist.name, ep.dist.version) for ep in eps]

    return seen(entry_points(group)), seen(importlib.metadata.entry_points(group=group))


@pytest.mark.parametrize("group", ["yt_pipeline", "console_scripts", "pytest11", "none.such"])
def test_the_installed_entry_points_are_importlib_metadatas(group):
    ours, theirs = both(group)
    assert ours == theirs


def test_the_first_distribution_of_a_name_on_the_path_wins(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    for site, version, value in ((first, "2.0", "mod_a:hook"), (second, "1.0", "mod_b")):
        info = site / f"Some.Plugin-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: Some.Plugin\n"
                                       f"Version: {version}\n\nbody: not a header\n")
        (info / "entry_points.txt").write_text(
            f"[console_scripts]\nx = y:z\n\n# a comment\n[grp.test]\n  p = {value}  \n")
    legacy = second / "other_plugin.egg-info"
    legacy.mkdir()
    (legacy / "PKG-INFO").write_text("Metadata-Version: 1.0\nName: other-plugin\nVersion: 0.3\n")
    (legacy / "entry_points.txt").write_text("[grp.test]\nq = mod_c:obj.attr [extra]\n")
    monkeypatch.syspath_prepend(str(second))
    monkeypatch.syspath_prepend(str(first))
    ours, theirs = both("grp.test")
    assert ours == theirs
    assert ("p", "mod_a:hook", "Some.Plugin", "2.0") in ours
    assert ("q", "mod_c:obj.attr [extra]", "other-plugin", "0.3") in ours


def test_load_follows_the_attribute_path(tmp_path, monkeypatch):
    info = tmp_path / "loadme-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: loadme\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[grp.load]\nit = loadme_mod:Outer.inner [x]\n")
    (tmp_path / "loadme_mod.py").write_text("class Outer:\n    inner = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "loadme_mod", raising=False)
    (ep,) = entry_points("grp.load")
    assert ep.load() == 42
