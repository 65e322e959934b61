"""Stage discovery: the folder scan, its errors, and stages published by installed packages."""

from __future__ import annotations

import pytest

from yt_pipeline.config import load_config
from yt_pipeline.errors import DiscoveryError, StageNotFound
from yt_pipeline.pipeline import DefaultPipeline

ONE = "from yt_pipeline import BaseStage\n\nclass A(BaseStage):\n    def run(self, debug):\n        return debug\n"


def pipeline_of(path):
    return DefaultPipeline(config=load_config(path, environ={}))


def test_stage_name_is_the_folder(make_pipeline, ytp_plugin_manager):
    root = make_pipeline({"stages/load_users/stage.py": ONE}, config={"stages": {"enabled_stages": ["load_users"]}})
    pipeline = pipeline_of(root)
    entry = pipeline.stage_registry.get_entry("load_users")
    assert entry.stage_class.__name__ == "A"
    assert entry.origin == "stages/load_users/stage.py"
    assert pipeline.stage_order() == ["load_users"]


def test_two_classes_is_an_error_naming_the_file(make_pipeline, ytp_plugin_manager):
    two = ONE + "\nclass B(BaseStage):\n    pass\n"
    root = make_pipeline({"stages/x/stage.py": two}, config={"stages": {"enabled_stages": ["x"]}})
    with pytest.raises(DiscoveryError) as info:
        pipeline_of(root)
    assert str(info.value) == (
        "stages/x/stage.py: must define exactly one BaseStage subclass, found 2 (A, B)"
    )


def test_zero_classes_and_imported_base_classes_do_not_count(make_pipeline, ytp_plugin_manager):
    none = "from yt_pipeline import BaseStage\nVALUE = 1\n"
    root = make_pipeline({"stages/x/stage.py": none}, config={"stages": {"enabled_stages": ["x"]}})
    with pytest.raises(DiscoveryError, match=r"stages/x/stage.py: .*found 0 \(none\)"):
        pipeline_of(root)


def test_import_error_names_file_line_and_exception(make_pipeline, ytp_plugin_manager):
    broken = "import json\nraise ValueError('boom here')\n"
    root = make_pipeline({"stages/bad/stage.py": broken}, config={"stages": {"enabled_stages": ["bad"]}})
    with pytest.raises(DiscoveryError) as info:
        pipeline_of(root)
    assert str(info.value) == "stages/bad/stage.py: failed to import (line 2): ValueError: boom here"


def test_syntax_error_names_the_line(make_pipeline, ytp_plugin_manager):
    root = make_pipeline({"stages/bad/stage.py": "def f(:\n"}, config={"stages": {"enabled_stages": ["bad"]}})
    with pytest.raises(DiscoveryError, match=r"stages/bad/stage.py: failed to import \(line 1\): SyntaxError"):
        pipeline_of(root)


def test_unknown_enabled_stage(make_pipeline, ytp_plugin_manager):
    root = make_pipeline({"stages/a/stage.py": ONE}, config={"stages": {"enabled_stages": ["a", "ghost"]}})
    with pytest.raises(StageNotFound) as info:
        pipeline_of(root).stage_order()
    assert str(info.value).startswith("configs/config.yaml: stages.enabled_stages: unknown stage ghost")


INSTALLED = """
from yt_pipeline import BaseStage

class Published(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//tmp/published/out", [{"from": "package"}])
        debug["published"] = True
        return debug
"""


def test_stage_from_an_installed_package(make_pipeline, fake_site, ytp_plugin_manager, run_cli):
    fake_site(
        "acme-stages",
        "[yt_pipeline.stages]\npublished = acme_published_stage:Published\n",
        {"acme_published_stage": INSTALLED},
    )
    root = make_pipeline(
        {"stages/a/stage.py": ONE}, config={"stages": {"enabled_stages": ["a", "published"]}}
    )
    listing = run_cli("list", root)
    assert listing.exit_code == 0, listing.output
    assert "published" in listing.stdout
    assert "entry point acme_published_stage:Published (acme-stages 1.2.3)" in listing.stdout
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    rows = (root / ".dev/tmp/published/out.jsonl").read_text()
    assert rows.strip() == '{"from":"package"}'


def test_folder_stage_wins_over_an_installed_one(make_pipeline, fake_site, ytp_plugin_manager):
    fake_site("acme-stages", "[yt_pipeline.stages]\na = acme_a:Published\n", {"acme_a": INSTALLED})
    root = make_pipeline({"stages/a/stage.py": ONE}, config={"stages": {"enabled_stages": ["a"]}})
    assert pipeline_of(root).stage_registry.get_entry("a").origin == "stages/a/stage.py"
