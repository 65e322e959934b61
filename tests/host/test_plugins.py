"""The plugin manager: entry points, broken plugins, the block list, hook validation, and
every hook called with what its specification says."""

from __future__ import annotations

import logging

import pytest

from yt_pipeline import hookimpl
from yt_pipeline.errors import PluginError
from yt_pipeline.hookspecs import all_hook_names
from yt_pipeline.plugins import create_plugin_manager, describe_plugins, load_report


def test_installed_plugins_are_listed_with_versions(run_cli, ytp_plugin_manager):
    result = run_cli("plugins")
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert "yt-pipeline-dev" in lines["dev"] and "0.1.0" in lines["dev"]
    assert "yt-pipeline-prod" in lines["prod"]
    assert "yt-pipeline-uploader" in lines["uploader"]
    assert "ytp_register_modes" in lines["dev"]
    assert "mode dev (plugin dev): tables as JSON lines" in result.stdout
    assert "built-in" in lines["builtin_discovery"]


def test_broken_plugin_is_named_and_skipped(fake_site, monkeypatch, caplog):
    monkeypatch.delenv("YTP_STRICT_PLUGINS", raising=False)
    fake_site("broken-plugin", "[yt_pipeline]\nbroken = broken_plugin_mod\n",
              {"broken_plugin_mod": "raise ImportError('needs libfoo')\n"})
    with caplog.at_level(logging.WARNING, logger="yt_pipeline.plugins"):
        pm = create_plugin_manager()
    assert pm.get_plugin("broken") is None
    assert pm.get_plugin("dev") is not None  # the others still load
    assert load_report().failed == {"broken": "ImportError: needs libfoo"}
    assert "plugin broken (broken_plugin_mod) failed to load and was skipped" in caplog.text


def test_broken_plugin_is_fatal_when_strict(fake_site, monkeypatch):
    monkeypatch.setenv("YTP_STRICT_PLUGINS", "1")
    fake_site("broken-plugin", "[yt_pipeline]\nbroken = broken_plugin_mod\n",
              {"broken_plugin_mod": "raise ImportError('needs libfoo')\n"})
    with pytest.raises(PluginError, match="plugin broken .* failed to load: ImportError: needs libfoo"):
        create_plugin_manager()


def test_broken_plugin_shown_by_the_plugins_command(fake_site, monkeypatch, run_cli, ytp_plugin_manager):
    monkeypatch.delenv("YTP_STRICT_PLUGINS", raising=False)
    fake_site("broken-plugin", "[yt_pipeline]\nbroken = broken_plugin_mod\n",
              {"broken_plugin_mod": "raise ImportError('needs libfoo')\n"})
    from yt_pipeline.plugins import set_plugin_manager

    set_plugin_manager(create_plugin_manager())
    result = run_cli("plugins")
    line = next(line for line in result.stdout.splitlines() if line.startswith("broken "))
    assert line.split(None, 1)[1] == "FAILED TO LOAD: ImportError: needs libfoo"


def test_block_list(monkeypatch):
    monkeypatch.setenv("YTP_DISABLE_PLUGINS", "prod, uploader")
    pm = create_plugin_manager()
    assert pm.get_plugin("prod") is None and pm.get_plugin("uploader") is None
    assert pm.get_plugin("dev") is not None
    assert sorted(load_report().disabled) == ["prod", "uploader"]
    # pluggy's own blocking: nothing registers a blocked name later either
    assert pm.is_blocked("prod")
    assert pm.register(object(), name="prod") is None and pm.get_plugin("prod") is None


def test_hook_calls_are_traced_on_request(monkeypatch, hello_pipeline, run_cli):
    from yt_pipeline.plugins import set_plugin_manager

    monkeypatch.setenv("YTP_TRACE_PLUGINS", "1")
    monkeypatch.setenv("YT_TOKEN", "tok-secret-123456")
    set_plugin_manager(create_plugin_manager())
    try:
        root = hello_pipeline(
            {"configs/secrets.env": "YT_TOKEN=tok-secret-123456\nMY_KEY=k-secret-654321\n"})
        result = run_cli("run", root)
    finally:
        set_plugin_manager(None)
    assert result.exit_code == 0, result.output
    traced = [line for line in result.stderr.splitlines() if line.startswith("[ytp-trace] ")]
    calls = [line.split()[1] for line in traced if line.split()[1].startswith("ytp_")]
    assert calls[:2] == ["ytp_add_commands", "ytp_register_modes"]
    for hook in ("ytp_discover_stages", "ytp_create_client", "ytp_package_code",
                 "ytp_pipeline_started", "ytp_before_stage", "ytp_after_stage",
                 "ytp_pipeline_finished"):
        assert hook in calls, hook
    assert any("stage: hello" in line for line in traced)
    assert any(line.split()[1:3] == ["finish", "ytp_after_stage"] for line in traced)
    assert "tok-secret" not in result.stderr and "k-secret" not in result.stderr


def test_without_the_prod_plugin_prod_mode_names_the_distribution(monkeypatch, hello_pipeline, run_cli):
    monkeypatch.setenv("YTP_DISABLE_PLUGINS", "prod")
    from yt_pipeline.plugins import set_plugin_manager

    set_plugin_manager(create_plugin_manager())
    try:
        root = hello_pipeline()
        dev = run_cli("run", root)
        assert dev.exit_code == 0, dev.output
        prod = run_cli("run", root, "--set", "pipeline.mode=prod")
        assert prod.exit_code == 2
        assert ("no plugin provides mode 'prod' (set in --set pipeline.mode): install "
            "yt-pipeline-prod; installed modes: dev") in prod.stderr
    finally:
        set_plugin_manager(None)


def test_misspelt_hook_fails_loudly(register_plugin):
    class Typo:
        @hookimpl
        def ytp_after_stgae(self, run, stage, outcome):
            pass

    with pytest.raises(Exception, match="ytp_after_stgae"):
        register_plugin(Typo(), name="typo")


def test_a_misspelt_hook_of_an_installed_plugin_is_one_line_naming_it(fake_site, monkeypatch):
    """Named by its entry point, as `yt-pipeline plugins` and YTP_DISABLE_PLUGINS name it,
    with the hook it resembles (pluggy's message repeats the module's repr)."""
    fake_site("typo-plugin", "[yt_pipeline]\ntypo = typo_plugin_mod\n",
              {"typo_plugin_mod": "from yt_pipeline import hookimpl\n\n"
                                  "@hookimpl\ndef ytp_after_stages(run):\n    pass\n"})
    with pytest.raises(PluginError) as caught:
        create_plugin_manager()
    assert str(caught.value) == (
        "plugin typo (typo_plugin_mod): unknown hook ytp_after_stages (did you mean "
        "ytp_after_stage?); rename it to one of the hooks of yt_pipeline.hookspecs, or run "
        "without the plugin: YTP_DISABLE_PLUGINS=typo")
    monkeypatch.setenv("YTP_DISABLE_PLUGINS", "typo")
    assert create_plugin_manager().get_plugin("typo") is None


class Spy:
    """Records every hook call with its arguments."""

    def __init__(self):
        self.calls = []

    @hookimpl
    def ytp_discover_stages(self, pipeline_dir, settings):
        self.calls.append(("ytp_discover_stages", {"pipeline_dir": pipeline_dir, "settings": settings}))
        return []

    @hookimpl
    def ytp_package_code(self, pipeline_dir, settings, stages):
        self.calls.append(("ytp_package_code", {"stages": [s.name for s in stages]}))
        return None

    @hookimpl(tryfirst=True)
    def ytp_create_client(self, mode, settings, pipeline_dir):
        self.calls.append(("ytp_create_client", {"mode": mode, "pipeline_dir": pipeline_dir}))
        return None  # let the dev plugin answer

    @hookimpl
    def ytp_pipeline_started(self, run):
        self.calls.append(("ytp_pipeline_started", {"stages": run.stages, "mode": run.mode}))

    @hookimpl
    def ytp_before_stage(self, run, stage):
        self.calls.append(("ytp_before_stage", {"stage": stage}))

    @hookimpl
    def ytp_after_stage(self, run, stage, outcome):
        self.calls.append(("ytp_after_stage", {"stage": stage, "status": outcome.status}))

    @hookimpl
    def ytp_on_stage_error(self, run, stage, error, attempt):
        self.calls.append(("ytp_on_stage_error", {"stage": stage, "error": str(error)}))

    @hookimpl
    def ytp_pipeline_finished(self, run, outcomes, success):
        self.calls.append(("ytp_pipeline_finished", {"success": success, "n": len(outcomes)}))

    @hookimpl
    def ytp_add_commands(self, cli):
        import click

        @cli.command("spy-hello")
        def spy_hello():
            """A command added by a plugin."""
            click.echo("hello from a plugin command")

        self.calls.append(("ytp_add_commands", {}))


def test_every_hook_is_called_with_what_its_spec_says(hello_pipeline, register_plugin, run_cli):
    spy = register_plugin(Spy(), name="spy")
    root = hello_pipeline()
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    names = [name for name, _ in spy.calls]
    assert names == [
        "ytp_add_commands",
        "ytp_discover_stages",
        "ytp_create_client",
        "ytp_package_code",
        "ytp_pipeline_started",
        "ytp_before_stage",
        "ytp_after_stage",
        "ytp_pipeline_finished",
    ]
    calls = dict(spy.calls)
    assert calls["ytp_discover_stages"]["pipeline_dir"] == root.resolve()
    assert calls["ytp_package_code"] == {"stages": ["hello"]}
    assert calls["ytp_create_client"] == {"mode": "dev", "pipeline_dir": root.resolve()}
    assert calls["ytp_pipeline_started"] == {"stages": ["hello"], "mode": "dev"}
    assert calls["ytp_after_stage"] == {"stage": "hello", "status": "SUCCESS"}
    assert calls["ytp_pipeline_finished"] == {"success": True, "n": 1}
    assert (root / ".dev/tmp/host/hello.jsonl").read_text() == '{"msg":"hi","n":1}\n'

    added = run_cli("spy-hello")
    assert added.stdout == "hello from a plugin command\n"


def test_stage_error_hook_and_exit_code_1(hello_pipeline, register_plugin, run_cli):
    spy = register_plugin(Spy(), name="spy")
    failing = "from yt_pipeline import BaseStage\n\nclass F(BaseStage):\n    def run(self, debug):\n        raise RuntimeError('disk on fire')\n"
    root = hello_pipeline({"stages/hello/stage.py": failing})
    result = run_cli("run", root)
    assert result.exit_code == 1
    assert "error: stage hello failed: RuntimeError('disk on fire')" in result.stderr
    errors = [args for name, args in spy.calls if name == "ytp_on_stage_error"]
    assert errors == [{"stage": "hello", "error": "disk on fire"}]
    assert dict(spy.calls)["ytp_pipeline_finished"] == {"success": False, "n": 1}


def test_shared_code_a_plugin_lists_is_in_the_cache_key(hello_pipeline, register_plugin,
                                                        run_cli, caplog):
    """ytp_list_shared_code: asked once per cached run; its files are hashed for the stages
    with job code, and a change names the entry it lists."""
    config = {"pipeline": {"mode": "dev", "cache": True}, "stages": {"enabled_stages": ["hello"]}}
    root = hello_pipeline({"stages/hello/src/mapper.py": "print()\n", "shared/notes.txt": "a\n"},
                          config=config)

    class Lister:
        def __init__(self):
            self.calls = []

        @hookimpl(tryfirst=True)
        def ytp_list_shared_code(self, pipeline_dir, settings):
            self.calls.append((pipeline_dir, settings.get("pipeline.cache")))
            return {"shared notes": [("notes.txt", pipeline_dir / "shared" / "notes.txt")]}

    lister = register_plugin(Lister(), name="lister")
    assert run_cli("run", root).exit_code == 0
    with caplog.at_level(logging.INFO, logger="yt_pipeline"):
        assert run_cli("run", root).exit_code == 0
        assert "[hello] cache hit" in caplog.text
        (root / "shared" / "notes.txt").write_text("b\n")
        assert run_cli("run", root).exit_code == 0
    assert "[hello] cache miss: uploads shared notes changed" in caplog.text
    assert lister.calls == [(root.resolve(), True)] * 3


def test_hook_names_are_prefixed_and_documented():
    from yt_pipeline import hookspecs

    names = all_hook_names()
    assert len(names) == 12
    for name in names:
        assert (hookspecs.describe(name) or "").strip(), name


def test_describe_plugins_lists_hooks(ytp_plugin_manager):
    infos = {i.name: i for i in describe_plugins(ytp_plugin_manager)}
    assert infos["builtin_discovery"].hooks == ["ytp_discover_stages"]


@pytest.mark.parametrize(("value", "hint"), [
    ("yt-pipeline-prod", "; did you mean prod?"),  # the distribution `plugins` shows beside it
    ("prdo", "; did you mean prod?"),
    ("zzzz", ""),
])
def test_a_disabled_name_no_plugin_has_is_named_in_a_warning(monkeypatch, caplog, value, hint):
    """It blocks nothing, so the plugin meant goes on running: one warning line says so."""
    monkeypatch.setenv("YTP_DISABLE_PLUGINS", f"dev,{value}")
    with caplog.at_level("WARNING", logger="yt_pipeline.plugins"):
        pm = create_plugin_manager()
    assert pm.get_plugin("dev") is None and pm.get_plugin("prod") is not None
    warnings = [r.getMessage() for r in caplog.records if "YTP_DISABLE_PLUGINS" in r.getMessage()]
    assert warnings == [
        f"YTP_DISABLE_PLUGINS: no plugin is named {value}, so it disables nothing (plugin "
        f"names: builtin_discovery, dev, prod, progress, uploader){hint}"]


def test_disabling_known_plugins_warns_of_nothing(monkeypatch, caplog):
    monkeypatch.setenv("YTP_DISABLE_PLUGINS", "prod, uploader, progress")
    with caplog.at_level("WARNING", logger="yt_pipeline.plugins"):
        create_plugin_manager()
    assert not [r for r in caplog.records if "YTP_DISABLE_PLUGINS" in r.getMessage()]
