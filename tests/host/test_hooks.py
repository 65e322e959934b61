"""A test per hook, as datasette has: `test_hook_<name>` shows the hook doing its job, and
`test_hook_<name>_raises` shows that a plugin whose implementation raises ends the run with
an error naming the plugin and the hook, the stage's state being its own (what it did, or
what it was before the run when it never ran). The last test checks that every hook in
yt_pipeline/hookspecs.py has both tests here and a row in docs/writing-a-plugin.md."""

from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path

import pytest
import yaml
from memory_mode import MemoryMode, double_pipeline_files

from yt_pipeline import hookimpl
from yt_pipeline.config import PipelineConfig
from yt_pipeline.discovery import DiscoveredStage
from yt_pipeline.hookspecs import all_hook_names
from yt_pipeline.operations import OperationResult

DOCS = Path(__file__).resolve().parents[2] / "docs" / "writing-a-plugin.md"
BOOM = "RuntimeError('boom')"


def _boom(*args, **kwargs):
    raise RuntimeError("boom")


def raising(hook: str) -> object:
    """A plugin object whose implementation of `hook` raises RuntimeError('boom')."""
    return type("Raising", (), {hook: staticmethod(hookimpl(tryfirst=True)(_boom))})()


def state_of(root: Path, mode: str = "dev") -> dict | None:
    path = root / f"state.{mode}.yml"
    return yaml.safe_load(path.read_text()) if path.is_file() else None


def dev_rows(root: Path, table: str) -> list[dict]:
    path = root / ".dev" / (table.lstrip("/") + ".jsonl")
    return [yaml.safe_load(line) for line in path.read_text().splitlines()]


@pytest.fixture
def double(make_pipeline):
    """A dev pipeline of one stage, `double`, that maps //t/in into //t/out."""
    def make(mode: str = "dev") -> Path:
        return make_pipeline(double_pipeline_files(), config={
            "pipeline": {"mode": mode}, "stages": {"enabled_stages": ["double"]}})

    return make


@pytest.fixture
def ran_once(double, run_cli):
    """The pipeline after one successful run: the state and tables a failing hook must leave."""
    root = double()
    first = run_cli("run", root)
    assert first.exit_code == 0, first.output
    assert state_of(root) == {"double": "SUCCESS"}
    assert dev_rows(root, "//t/out") == [{"x": 2}, {"x": 4}, {"x": 6}]
    return root


def fails_naming(result, hook: str, plugin: str = "noisy") -> None:
    assert result.exit_code == 1, result.output
    assert f"error: plugin {plugin} failed in {hook}: {BOOM}" in result.stderr, result.stderr


def unchanged(root: Path) -> None:
    """The state and the output table of the run before."""
    assert state_of(root) == {"double": "SUCCESS"}
    assert [row["x"] for row in dev_rows(root, "//t/out")] == [2, 4, 6]


def rerun_with(run_cli, register_plugin, root: Path, hook: str):
    register_plugin(raising(hook), name="noisy")
    return run_cli("run", root, "--force")


# -- ytp_discover_stages -------------------------------------------------------------------

class ExtraStage:
    """Adds the stage `extra` (a class of this module, its folder made by the test)."""

    def __init__(self, stage_dir: Path):
        self.stage_dir = stage_dir
        self.seen: list[PipelineConfig] = []

    @hookimpl
    def ytp_discover_stages(self, pipeline_dir: Path,
                            settings: PipelineConfig) -> list[DiscoveredStage]:
        from extra_stage import Extra

        self.seen.append(settings)
        return [DiscoveredStage("extra", Extra, self.stage_dir, "plugin extra")]


EXTRA = """
from yt_pipeline import BaseStage


class Extra(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//t/extra", [{"from": "plugin"}])
        return debug
"""


def test_hook_ytp_discover_stages(make_pipeline, register_plugin, run_cli, tmp_path,
                                  monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "extra_stage.py").write_text(EXTRA)
    monkeypatch.syspath_prepend(str(elsewhere))
    monkeypatch.delitem(sys.modules, "extra_stage", raising=False)
    plugin = register_plugin(ExtraStage(elsewhere), name="extra")
    root = make_pipeline({}, config={"stages": {"enabled_stages": ["extra"]}})
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    assert dev_rows(root, "//t/extra") == [{"from": "plugin"}]
    assert isinstance(plugin.seen[0], PipelineConfig) and plugin.seen[0].pipeline_dir == root
    assert run_cli("list", root).stdout.split() == ["1.", "extra", "plugin", "extra"]


def test_hook_ytp_discover_stages_keeps_its_old_argument_name(register_plugin, double,
                                                              run_cli):
    """`config` was the name of `settings` here: an old plugin still gets the object, and a
    warning when it is registered."""
    seen = []

    class OldStyle:
        @hookimpl
        def ytp_discover_stages(self, pipeline_dir, config):
            seen.append(config)
            return []

    with pytest.warns(DeprecationWarning, match="`config` is now called `settings`"):
        register_plugin(OldStyle(), name="old")
    root = double()
    assert run_cli("list", root).exit_code == 0
    assert isinstance(seen[0], PipelineConfig) and seen[0].pipeline_dir == root


def test_hook_ytp_discover_stages_raises(ran_once, register_plugin, run_cli):
    fails_naming(rerun_with(run_cli, register_plugin, ran_once, "ytp_discover_stages"),
                 "ytp_discover_stages")
    unchanged(ran_once)


# -- ytp_register_modes --------------------------------------------------------------------

def test_hook_ytp_register_modes(double, register_plugin, run_cli):
    """A plugin's own mode: the configuration accepts it, the pipeline runs in it with the
    mode's client and launcher, and its rows end up where the mode keeps tables."""
    memory = register_plugin(MemoryMode(), name="memory")
    listed = run_cli("plugins").stdout
    assert "mode memory (plugin memory): tables in the plugin's memory (a test)" in listed
    root = double("memory")
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    assert memory.tables["//t/in"] == [{"x": 1}, {"x": 2}, {"x": 3}]
    assert memory.tables["//t/out"] == [{"x": 2}, {"x": 4}, {"x": 6}]
    assert memory.clients == 1
    assert state_of(root, "memory") == {"double": "SUCCESS"}
    assert not (root / ".dev").exists()  # nothing went through the dev mode


def test_an_unregistered_mode_is_refused_listing_the_installed_ones(double, run_cli):
    root = double("memory")
    result = run_cli("run", root)
    assert result.exit_code == 2
    assert ("error: configs/config.yaml: pipeline.mode: must be one of: dev, prod, got "
            "'memory'") in result.stderr


def test_a_mode_name_two_plugins_register_goes_to_the_later_one(register_plugin,
                                                                ytp_plugin_manager, caplog):
    from yt_pipeline.modes import installed_modes

    register_plugin(MemoryMode(), name="first")
    second = register_plugin(MemoryMode(), name="second")
    mode = installed_modes(ytp_plugin_manager)["memory"]
    assert mode.plugin == "second" and mode.spec.create_client == second.create_client
    assert "mode memory is registered by plugins second and first; second's is used" in caplog.text


def test_hook_ytp_register_modes_raises(ran_once, register_plugin, run_cli):
    fails_naming(rerun_with(run_cli, register_plugin, ran_once, "ytp_register_modes"),
                 "ytp_register_modes")
    unchanged(ran_once)


def test_a_mode_whose_launcher_raises_is_named(double, register_plugin, run_cli):
    class BrokenLauncher(MemoryMode):
        @hookimpl
        def ytp_register_modes(self):
            from yt_pipeline.modes import ModeSpec

            return [ModeSpec("memory", self.create_client, _boom)]

    register_plugin(BrokenLauncher(), name="broken")
    root = double("memory")
    result = run_cli("run", root)
    assert result.exit_code == 1
    assert ("stage double failed: plugin broken failed in the operation launcher of mode "
            f"memory: {BOOM}") in result.stderr


def test_an_error_a_mode_launcher_raises_keeps_its_retry(make_pipeline, register_plugin,
                                                         run_cli):
    """Named as the plugin's, the error still decides a retry: a stage that retries on
    OSError retries when its mode's launcher raises one."""
    from memory_mode import run_map

    from yt_pipeline.modes import ModeSpec

    class Flaky(MemoryMode):
        failures = 1

        def launch(self, client, spec):
            if self.failures:
                self.failures -= 1
                raise OSError("the disk hiccuped")
            return run_map(client, spec)

        @hookimpl
        def ytp_register_modes(self):
            return [ModeSpec("memory", self.create_client, self.launch)]

    flaky = register_plugin(Flaky(), name="flaky")
    files = double_pipeline_files()
    files["stages/double/stage.py"] += "\n    retry_on = (OSError,)\n"
    files["stages/double/config.yaml"] += "retry: {max_attempts: 2, backoff_s: 0}\n"
    root = make_pipeline(files, config={"pipeline": {"mode": "memory"},
                                        "stages": {"enabled_stages": ["double"]}})
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    assert ("attempt 1 of 2 failed (plugin flaky failed in the operation launcher of mode "
            "memory: OSError('the disk hiccuped'))") in result.stderr
    assert flaky.tables["//t/out"] == [{"x": 2}, {"x": 4}, {"x": 6}]


# -- ytp_create_client ---------------------------------------------------------------------

class CountingClient:
    """Wraps the dev client of a run, counting the tables written through it."""

    def __init__(self) -> None:
        self.written: list[str] = []

    @hookimpl
    def ytp_create_client(self, mode: str, settings: PipelineConfig, pipeline_dir: Path):
        if mode != "dev":
            return None
        from yt_pipeline_dev.plugin import create_client

        client = create_client(settings, pipeline_dir)
        write = client.write_table

        def counted(path, rows, append=False, **options):
            self.written.append(path)
            return write(path, rows, append, **options)

        client.write_table = counted
        return client


def test_hook_ytp_create_client(double, register_plugin, run_cli):
    counting = register_plugin(CountingClient(), name="counting")
    root = double()
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    assert "//t/in" in counting.written
    assert [row["x"] for row in dev_rows(root, "//t/out")] == [2, 4, 6]


def test_hook_ytp_create_client_raises(ran_once, register_plugin, run_cli):
    fails_naming(rerun_with(run_cli, register_plugin, ran_once, "ytp_create_client"),
                 "ytp_create_client")
    unchanged(ran_once)


# -- ytp_package_code ----------------------------------------------------------------------

def test_hook_ytp_package_code(double, register_plugin, run_cli):
    calls = []

    class Packer:
        @hookimpl(tryfirst=True)
        def ytp_package_code(self, pipeline_dir, settings, stages):
            calls.append((pipeline_dir, settings.mode, [s.name for s in stages]))
            return None  # the uploader builds it

    register_plugin(Packer(), name="packer")
    root = double()
    assert run_cli("run", root).exit_code == 0
    assert calls == [(root, "dev", ["double"])]
    assert list((root / ".build").glob("*.tar.gz"))


def test_hook_ytp_package_code_raises(ran_once, register_plugin, run_cli):
    fails_naming(rerun_with(run_cli, register_plugin, ran_once, "ytp_package_code"),
                 "ytp_package_code")
    unchanged(ran_once)


# -- ytp_list_shared_code ------------------------------------------------------------------

def test_hook_ytp_list_shared_code(double, register_plugin, run_cli, tmp_path):
    """What a plugin lists is part of the cache key: a change in it re-runs the stage."""
    shared = tmp_path / "helper.py"
    shared.write_text("VALUE = 1\n")
    calls = []

    class Lister:
        @hookimpl(tryfirst=True)
        def ytp_list_shared_code(self, pipeline_dir, settings):
            calls.append((pipeline_dir, settings.mode))
            return {"my helpers": [("helpers/helper.py", shared)]}

    register_plugin(Lister(), name="lister")
    root = double()
    assert run_cli("run", root, "--set", "pipeline.cache=true").exit_code == 0
    assert calls == [(root, "dev")]
    again = run_cli("run", root, "--set", "pipeline.cache=true")
    assert "from the cache" in again.stderr, again.stderr
    shared.write_text("VALUE = 2\n")
    changed = run_cli("run", root, "--set", "pipeline.cache=true")
    assert "uploads my helpers changed" in changed.stderr, changed.stderr
    assert dev_rows(root, "//t/out") == [{"x": 2}, {"x": 4}, {"x": 6}]


def test_hook_ytp_list_shared_code_raises(ran_once, register_plugin, run_cli):
    register_plugin(raising("ytp_list_shared_code"), name="noisy")
    fails_naming(run_cli("run", ran_once, "--set", "pipeline.cache=true"),
                 "ytp_list_shared_code")
    unchanged(ran_once)


# -- ytp_launch_operation ------------------------------------------------------------------

def test_hook_ytp_launch_operation(double, register_plugin, run_cli):
    """An answer replaces the mode's launcher for that operation."""
    seen = []

    class Launcher:
        @hookimpl
        def ytp_launch_operation(self, client, spec):
            seen.append((spec.kind, spec.input_tables, spec.output_tables, spec.mapper))
            client.write_table(spec.output_tables[0], [{"x": 0, "mode": "hook"}])
            return OperationResult(operation_id="from-the-hook")

    register_plugin(Launcher(), name="launcher")
    root = double()
    assert run_cli("run", root).exit_code == 0
    assert seen == [("map", ["//t/in"], ["//t/out"], "src/mapper.py")]
    assert dev_rows(root, "//t/out") == [{"x": 0, "mode": "hook"}]


def test_hook_ytp_launch_operation_raises(ran_once, register_plugin, run_cli):
    """Called inside the stage, so it fails the stage (and so its attempt: the tables stay
    as they were), the error naming the plugin."""
    result = rerun_with(run_cli, register_plugin, ran_once, "ytp_launch_operation")
    assert result.exit_code == 1
    assert (f"error: stage double failed: plugin noisy failed in ytp_launch_operation: {BOOM}"
            in result.stderr)
    assert state_of(ran_once) == {"double": "FAILED"}
    assert [row["x"] for row in dev_rows(ran_once, "//t/out")] == [2, 4, 6]


# -- lifecycle hooks -----------------------------------------------------------------------

class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    @hookimpl
    def ytp_pipeline_started(self, run):
        self.calls.append(("started", run.mode, run.stages, run.settings.mode))

    @hookimpl
    def ytp_before_stage(self, run, stage):
        self.calls.append(("before", stage))

    @hookimpl
    def ytp_after_stage(self, run, stage, outcome):
        self.calls.append(("after", stage, outcome.status, outcome.debug.get("rows")))

    @hookimpl
    def ytp_on_stage_error(self, run, stage, error, attempt):
        self.calls.append(("error", stage, type(error).__name__, attempt))

    @hookimpl
    def ytp_pipeline_finished(self, run, outcomes, success):
        self.calls.append(("finished", [o.status for o in outcomes], success))


@pytest.fixture
def recorded(double, register_plugin, run_cli):
    recorder = register_plugin(Recorder(), name="recorder")
    root = double()
    assert run_cli("run", root).exit_code == 0
    return recorder.calls


def test_hook_ytp_pipeline_started(recorded):
    assert recorded[0] == ("started", "dev", ["double"], "dev")


def test_hook_ytp_before_stage(recorded):
    assert recorded[1] == ("before", "double")


def test_hook_ytp_after_stage(recorded):
    assert recorded[2] == ("after", "double", "SUCCESS", 3)


def test_hook_ytp_pipeline_finished(recorded):
    assert recorded[3:] == [("finished", ["SUCCESS"], True)]


def test_hook_ytp_on_stage_error(make_pipeline, register_plugin, run_cli):
    recorder = register_plugin(Recorder(), name="recorder")
    root = make_pipeline(
        {"stages/bad/stage.py": "from yt_pipeline import BaseStage\n\nclass Bad(BaseStage):\n"
                                "    def run(self, debug):\n        raise KeyError('k')\n"},
        config={"stages": {"enabled_stages": ["bad"]}})
    assert run_cli("run", root).exit_code == 1
    errors = [call for call in recorder.calls if call[0] == "error"]
    assert errors == [("error", "bad", "KeyError", 1)]


def test_hook_ytp_pipeline_started_raises(ran_once, register_plugin, run_cli):
    """No stage starts; the state tells about this run, in which the stage did not run."""
    fails_naming(rerun_with(run_cli, register_plugin, ran_once, "ytp_pipeline_started"),
                 "ytp_pipeline_started")
    assert state_of(ran_once) == {"double": None}
    assert [row["x"] for row in dev_rows(ran_once, "//t/out")] == [2, 4, 6]


def test_hook_ytp_before_stage_raises(ran_once, register_plugin, run_cli):
    """The stage waits for its before-stage hooks, so it does not start: as for a failed
    ytp_pipeline_started, the state tells of this run, and the table is the last run's."""
    result = rerun_with(run_cli, register_plugin, ran_once, "ytp_before_stage")
    fails_naming(result, "ytp_before_stage")
    assert "[double] skipped: not run: plugin noisy failed" in result.stderr
    assert state_of(ran_once) == {"double": None}
    assert [row["x"] for row in dev_rows(ran_once, "//t/out")] == [2, 4, 6]


def test_hook_ytp_after_stage_raises(ran_once, register_plugin, run_cli):
    fails_naming(rerun_with(run_cli, register_plugin, ran_once, "ytp_after_stage"),
                 "ytp_after_stage")
    unchanged(ran_once)


def test_a_hook_raising_for_every_stage_is_logged_once(make_pipeline, register_plugin,
                                                       run_cli):
    """The stages after the failure are still told of (SKIPPED), and the hook raises the
    same error for each: one log line says it, not one per stage."""
    stage = "from yt_pipeline import BaseStage\n\nclass S(BaseStage):\n" \
            "    def run(self, debug):\n        return debug\n"
    root = make_pipeline({f"stages/{name}/stage.py": stage.replace("S(", f"{name.upper()}(")
                          for name in ("a", "b", "c")},
                         config={"stages": {"enabled_stages": ["a", "b", "c"]}})
    register_plugin(raising("ytp_after_stage"), name="noisy")
    result = run_cli("run", root)
    fails_naming(result, "ytp_after_stage")
    logged = [line for line in result.stderr.splitlines()
              if "plugin noisy failed in ytp_after_stage" in line and "error:" not in line]
    assert len(logged) == 1, result.stderr
    assert logged[0].endswith(f"ERROR plugin noisy failed in ytp_after_stage: {BOOM}")
    assert state_of(root) == {"a": "SUCCESS", "b": None, "c": None}


def test_hook_ytp_on_stage_error_raises(make_pipeline, register_plugin, run_cli):
    root = make_pipeline(
        {"stages/bad/stage.py": "from yt_pipeline import BaseStage\n\nclass Bad(BaseStage):\n"
                                "    def run(self, debug):\n        raise KeyError('k')\n"},
        config={"stages": {"enabled_stages": ["bad"]}})
    register_plugin(raising("ytp_on_stage_error"), name="noisy")
    result = run_cli("run", root)
    fails_naming(result, "ytp_on_stage_error")
    assert state_of(root) == {"bad": "FAILED"}  # its own failure, not the hook's


def test_hook_ytp_pipeline_finished_raises(ran_once, register_plugin, run_cli):
    fails_naming(rerun_with(run_cli, register_plugin, ran_once, "ytp_pipeline_finished"),
                 "ytp_pipeline_finished")
    unchanged(ran_once)


# -- ytp_add_commands ----------------------------------------------------------------------

def test_hook_ytp_add_commands(register_plugin, run_cli):
    import click

    class Commands:
        @hookimpl
        def ytp_add_commands(self, cli: click.Group) -> None:
            @cli.command("hello-plugin")
            def hello() -> None:
                """Say hello."""
                click.echo("hello from a plugin")

    register_plugin(Commands(), name="commands")
    assert run_cli("hello-plugin").stdout == "hello from a plugin\n"


def test_hook_ytp_add_commands_raises(ran_once, register_plugin, run_cli):
    fails_naming(rerun_with(run_cli, register_plugin, ran_once, "ytp_add_commands"),
                 "ytp_add_commands")
    unchanged(ran_once)


# -- every hook has its tests and its row --------------------------------------------------

def _doc_rows() -> dict[str, str]:
    """The rows of the table under "## The hooks"."""
    section = DOCS.read_text().split("\n## The hooks\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        found = re.match(r"\| `(ytp_\w+)` \|", line)
        if found:
            rows[found.group(1)] = line
    return rows


def test_every_hook_has_its_tests_and_a_documented_row():
    import inspect

    from yt_pipeline import hookspecs

    tests = {name for name in globals() if name.startswith("test_hook_")}
    rows = _doc_rows()
    for hook in all_hook_names():
        assert f"test_hook_{hook}" in tests, f"no test of {hook}"
        assert f"test_hook_{hook}_raises" in tests, f"no test of {hook} raising"
        assert hook in rows, f"no row for {hook} in {DOCS.name}"
        receives = rows[hook].split("|")[3]
        for argument in inspect.signature(getattr(hookspecs, hook)).parameters:
            assert f"`{argument}`" in receives, f"{DOCS.name}: {hook} does not name {argument}"
    assert set(rows) == set(all_hook_names()), "a documented hook that does not exist"


def test_every_hook_call_passes_every_argument_of_its_spec(double, register_plugin, run_cli):
    """pluggy warns when a call leaves out an argument its spec declares (as `config`, the
    old name in ytp_discover_stages, would be): a run and the plugin list warn of none."""
    register_plugin(Recorder(), name="recorder")
    root = double()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert run_cli("run", root).exit_code == 0
        assert run_cli("plugins").exit_code == 0
    assert not [w for w in caught if "hookspec" in str(w.message)], caught
