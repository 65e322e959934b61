"""`pipeline.prod.run_lock_timeout_s`: how long a killed run's lock on the cluster lasts."""

from __future__ import annotations

import pytest

from yt_pipeline.config import load_config
from yt_pipeline.errors import ConfigError
from yt_pipeline_prod.settings import load_prod_settings


def _settings(make_pipeline, monkeypatch, prod):
    monkeypatch.setenv("YT_PROXY", "http://localhost:1")
    monkeypatch.setenv("YT_TOKEN", "tok-123456")
    root = make_pipeline(config={"pipeline": {"mode": "prod", "prod": prod},
                                 "stages": {"enabled_stages": []}})
    return load_prod_settings(load_config(root), root)


@pytest.mark.parametrize("value", [0, 0.5, -1, 86401, "long", True, None])
def test_a_bad_run_lock_timeout_names_the_key(make_pipeline, monkeypatch, value):
    with pytest.raises(ConfigError, match="pipeline.prod.run_lock_timeout_s"):
        _settings(make_pipeline, monkeypatch, {"run_lock_timeout_s": value})


def test_the_run_lock_timeout_is_two_minutes_unless_set(make_pipeline, monkeypatch):
    assert _settings(make_pipeline, monkeypatch, {}).run_lock_timeout_s == 120.0
    assert _settings(make_pipeline, monkeypatch, {"run_lock_timeout_s": 5}).run_lock_timeout_s \
        == 5.0


def test_the_lock_is_named_after_the_pipeline_folder_and_state(tmp_path):
    from yt_pipeline.client import run_lock_name

    assert run_lock_name(tmp_path / "etl", "prod") == "etl.prod"
    assert run_lock_name(tmp_path / "etl", "nightly.prod") == "etl.nightly.prod"
    # a Cypress node name: nothing YPath reads specially (`/`, `@`, `&`, `*`, `[`, `{`)
    odd = run_lock_name(tmp_path / "my etl@v2 [x]{y}&*", "prod")
    assert odd.startswith("my_etl_v2_x_y_-") and odd.endswith(".prod"), odd
    assert set(odd) <= set("abcdefghijklmnopqrstuvwxyz0123456789_.-"), odd
    # names that lose characters differ by a digest of themselves: no two share a lock
    names = {run_lock_name(tmp_path / folder, state)
             for folder, state in [("my etl", "prod"), ("my_etl", "prod"), ("my-etl", "prod"),
                                   ("данные", "prod"), ("отчёт", "prod"),
                                   ("etl", "g h.prod"), ("etl", "g_h.prod"),
                                   # a dot in the folder's name, or in the state's
                                   ("etl.g", "prod"), ("etl", "g.prod")]}
    assert len(names) == 9, names
    # the same folder name gives the same lock on every machine
    assert run_lock_name(tmp_path / "a" / "данные", "prod") == \
        run_lock_name(tmp_path / "b" / "данные", "prod")
    # `.` is the folder it names, not a name of its own
    assert run_lock_name(tmp_path / "etl" / ".", "prod") == "etl.prod"
