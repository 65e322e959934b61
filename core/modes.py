"""Modes: where a pipeline's tables live and its operations run (`dev`, `prod`, a plugin's).

A plugin adds a mode by answering `ytp_register_modes` with `ModeSpec`s: the mode's name, a
factory for its table client and the launcher of its operations. Nothing in the host names
a mode: the configuration accepts the installed ones, errors list them, and the host picks
the client factory and the launcher by the mode's name, never by the client's class.

The hooks `ytp_create_client` and `ytp_launch_operation` are asked first, so a plugin can
still wrap or replace what a registered mode does.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from yt_pipeline import read_tables
from yt_pipeline.errors import PluginError
from yt_pipeline.hookcalls import PluginHooks, plugin_code

if TYPE_CHECKING:
    import pluggy

    from yt_pipeline.client import TableClient
    from yt_pipeline.config import PipelineConfig
    from yt_pipeline.operations import OperationResult, OperationSpec

log = logging.getLogger("yt_pipeline.plugins")

ClientT = TypeVar("ClientT", bound="TableClient")

#: a mode's name is written in configuration files and state file names
MODE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")

#: the distributions that provide the modes of this project, named in the error when one
#: is asked for and not installed; only a hint: which modes exist is up to the plugins
DISTRIBUTION_OF = {"dev": "yt-pipeline-dev", "prod": "yt-pipeline-prod"}


@dataclass(frozen=True, init=False)
class ModeSpec:
    """A mode a plugin provides.

    `create_client(settings, pipeline_dir)` makes the mode's table client;
    `launch_operation(client, spec)` runs one operation with a client of this mode and waits
    for it (None: the mode runs no operations).
    """

    name: str
    create_client: Callable[[PipelineConfig, Path], TableClient]
    #: takes the client `create_client` makes (its own class, hence Any here)
    launch_operation: Callable[[Any, OperationSpec], OperationResult] | None
    #: one line for `yt-pipeline plugins`
    description: str

    def __init__(self, name: str, create_client: Callable[[PipelineConfig, Path], ClientT],
                 launch_operation: Callable[[ClientT, OperationSpec], OperationResult]
                 | None = None, description: str = "") -> None:
        # The type variable is the constructor's own, not the class's: it ties the launcher
        # to the factory's client class for mypy, and no annotation at the call
        # (`-> list[ModeSpec]`) can loosen it into Any.
        for key, value in (("name", name), ("create_client", create_client),
                           ("launch_operation", launch_operation),
                           ("description", description)):
            object.__setattr__(self, key, value)


class InstalledMode(msgspec.Struct, frozen=True):
    spec: ModeSpec
    #: the plugin that registered it, named when its client factory or launcher fails
    plugin: str


def installed_modes(manager: pluggy.PluginManager) -> dict[str, InstalledMode]:
    """Every registered mode by name. When two plugins register one name, the answer pluggy
    would take first wins (a plugin registered later, or marked tryfirst): the way a
    third-party plugin replaces a built-in."""
    caller = manager.hook.ytp_register_modes
    trace = manager.trace.root.get("hook")  # writes only when tracing is on
    modes: dict[str, InstalledMode] = {}
    # Called one implementation at a time, in pluggy's calling order, rather than through
    # the hook caller: the host must know which plugin registered each mode, to name it
    # when the mode's own code fails. Wrappers cannot add modes and are left out.
    for impl in reversed(caller.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue
        plugin = str(impl.plugin_name)
        trace.root.indent += 1
        try:
            trace(f"ytp_register_modes of plugin {plugin}")
            specs = _answer_of(impl.function, plugin)
            trace("finish", "ytp_register_modes", "-->", [spec.name for spec in specs])
        finally:
            trace.root.indent -= 1
        for spec in specs:
            taken = modes.get(spec.name)
            if taken is not None:
                log.warning("mode %s is registered by plugins %s and %s; %s's is used",
                            spec.name, taken.plugin, plugin, taken.plugin)
                continue
            modes[spec.name] = InstalledMode(spec, plugin)
    return modes


def _answer_of(function: Callable[[], Any], plugin: str) -> list[ModeSpec]:
    with plugin_code(plugin, "ytp_register_modes"):
        answer = function()
    specs = list(answer or [])
    for spec in specs:
        if not isinstance(spec, ModeSpec):
            raise PluginError(f"plugin {plugin}: ytp_register_modes must return ModeSpec "
                              f"objects, got {type(spec).__name__}")
        if not MODE_NAME.match(spec.name):
            raise PluginError(f"plugin {plugin}: mode name {spec.name!r} must be lower-case "
                              "letters, digits and _, starting with a letter")
    return specs


def mode_names(manager: pluggy.PluginManager) -> list[str]:
    return sorted(installed_modes(manager))


def missing_mode(mode: str, installed: list[str], source: str | None) -> PluginError:
    """The error for a mode no installed plugin provides, naming the installed ones."""
    where = f" (set in {source})" if source else ""
    dist = DISTRIBUTION_OF.get(mode)
    fix = f": install {dist}" if dist else ""
    return PluginError(f"no plugin provides mode {mode!r}{where}{fix}; installed modes: "
                       f"{', '.join(installed) or 'none'}")


def find_mode(manager: pluggy.PluginManager, mode: str,
              source: str | None = None) -> InstalledMode:
    modes = installed_modes(manager)
    found = modes.get(mode)
    if found is None:
        raise missing_mode(mode, sorted(modes), source)
    return found


def create_client(manager: pluggy.PluginManager, mode: str, settings: PipelineConfig,
                  pipeline_dir: Path, *, source: str | None = None) -> TableClient:
    """The table client of `mode`: a `ytp_create_client` answer, else the registered
    mode's factory. The one place the host makes a client."""
    from yt_pipeline.logs import mask_secrets

    # a factory's error may quote the credentials it was given, and a run from Python
    # (`pipeline.run()`, `pipeline.yt`) makes its client before the runner masks them
    mask_secrets(settings.secret_values())
    client = PluginHooks(manager).create_client(mode=mode, settings=settings,
                                                pipeline_dir=pipeline_dir)
    if client is not None:
        return client
    found = find_mode(manager, mode, source)
    with plugin_code(found.plugin, f"the client factory of mode {mode}"):
        return found.spec.create_client(settings, pipeline_dir)


def launch_operation(manager: pluggy.PluginManager, mode: str, client: TableClient,
                     spec: OperationSpec) -> OperationResult:
    """Run an operation: a `ytp_launch_operation` answer, else the launcher of `mode`. The
    spec is checked first, so a plugin's launcher gets one the configuration would accept."""
    from yt_pipeline.operations import check_spec

    check_spec(spec)
    # The tables it reads are the spec's, which the stage's code may have set (a section
    # changed or a spec built in code): recorded as read_table's are (read_tables.py), so
    # the next cache check sees new rows in them, whatever the config's sections name.
    for path in spec.input_tables:
        read_tables.note(path)
    result = PluginHooks(manager).launch_operation(client=client, spec=spec)
    if result is not None:
        return result
    found = find_mode(manager, mode)
    launcher = found.spec.launch_operation
    if launcher is None:
        raise PluginError(f"mode {mode} (plugin {found.plugin}) runs no operations: stage "
                          f"{spec.stage_name} cannot run {spec.kind} operation {spec.name}")
    with plugin_code(found.plugin, f"the operation launcher of mode {mode}"):
        return launcher(client, spec)
