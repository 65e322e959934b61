"""The plugin module is loaded on every start of the command line: it must stay light."""

from __future__ import annotations

import subprocess
import sys

from yt_pipeline.plugins import create_plugin_manager


def test_loading_the_plugin_does_not_import_the_yt_client():
    code = ("import sys, yt_pipeline_prod.plugin, yt_pipeline_prod.client; "
            "print(sorted(m for m in sys.modules if m == 'yt' or m.startswith('yt.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_the_plugin_is_found_through_its_entry_point():
    manager = create_plugin_manager()
    names = {name for name, _ in manager.list_name_plugin()}
    assert "prod" in names
    implementers = {impl.plugin_name for impl in manager.hook.ytp_register_modes.get_hookimpls()}
    assert "prod" in implementers
