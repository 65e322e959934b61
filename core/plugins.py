"""The plugin manager: built-in plugins, entry-point plugins, a block list, strict loading.

Entry points of the group `yt_pipeline` are loaded one at a time: a plugin that fails to
import is named in a warning and skipped, so one broken package does not take the whole tool
down (set YTP_STRICT_PLUGINS=1 to make that an error while debugging). YTP_DISABLE_PLUGINS=a,b
blocks plugins by entry-point name (pluggy's own blocking: a blocked name is never imported,
nor registered later by anyone). YTP_TRACE_PLUGINS=1 prints every hook call, its arguments
and its result (pluggy's tracing) on stderr, secrets masked.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any

import msgspec
import pluggy

from yt_pipeline import hookspecs
from yt_pipeline.entry_points import entry_points
from yt_pipeline.errors import PluginError

ENTRY_POINT_GROUP = "yt_pipeline"
BUILTIN_PLUGINS = ("yt_pipeline.builtin_discovery", "yt_pipeline.progress")

log = logging.getLogger("yt_pipeline.plugins")


class PluginInfo(msgspec.Struct):
    name: str
    version: str | None
    hooks: list[str]
    origin: str


class LoadReport(msgspec.Struct):
    failed: dict[str, str] = msgspec.field(default_factory=dict)
    disabled: list[str] = msgspec.field(default_factory=list)


_lock = threading.Lock()
_manager: pluggy.PluginManager | None = None
_report = LoadReport()


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def disabled_names() -> set[str]:
    raw = os.environ.get("YTP_DISABLE_PLUGINS", "")
    return {name.strip() for name in raw.split(",") if name.strip()}


def create_plugin_manager(*, load_entry_points: bool = True) -> pluggy.PluginManager:
    """A new manager with the built-ins and (by default) the installed plugins."""
    import importlib

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    if _truthy(os.environ.get("YTP_TRACE_PLUGINS")):
        trace_hook_calls(pm)
    for name in sorted(disabled_names()):
        pm.set_blocked(name)
    report = LoadReport()
    for module_name in BUILTIN_PLUGINS:
        short = module_name.rsplit(".", 1)[-1]
        if pm.is_blocked(short):
            report.disabled.append(short)
            continue
        pm.register(importlib.import_module(module_name), name=short)
    if load_entry_points:
        _load_entry_points(pm, report)
        _warn_unknown_disabled(report)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(_unknown_hook_message(pm, exc.plugin)) from None
    global _report
    _report = report
    return pm


def _unknown_hook_message(pm: pluggy.PluginManager, plugin: object) -> str:
    """One line naming the plugin as `yt-pipeline plugins` and YTP_DISABLE_PLUGINS do (its
    entry-point name), each hook it implements that no specification has, and the closest
    real hook (pluggy's own message names the module's repr, twice)."""
    import difflib

    name = pm.get_name(plugin) or getattr(plugin, "__name__", type(plugin).__name__)
    module = getattr(plugin, "__name__", None) or type(plugin).__module__
    where = name if module in (None, name) else f"{name} ({module})"
    known = hookspecs.all_hook_names()
    unknown = sorted(caller.name for caller in pm.get_hookcallers(plugin) or []
                     if caller.spec is None)
    parts = []
    for hook in unknown:
        close = difflib.get_close_matches(hook, known, n=1, cutoff=0.6)
        parts.append(f"{hook} (did you mean {close[0]}?)" if close else hook)
    return (f"plugin {where}: unknown hook {', '.join(parts) or '?'}; rename it to one of the "
            f"hooks of yt_pipeline.hookspecs, or run without the plugin: "
            f"YTP_DISABLE_PLUGINS={name}")


def trace_hook_calls(pm: pluggy.PluginManager) -> None:
    """Print each hook call, with its arguments, and what it returned (pluggy's tracing).

    Written to stderr as it happens, not logged: the first calls come before logging is set
    up. Secrets are masked like in the log (the settings' repr leaves them out already)."""
    from yt_pipeline.logs import masked

    def write(text: str) -> None:
        lines = masked(text).splitlines(keepends=True)
        sys.stderr.write("".join(f"[ytp-trace] {line}" for line in lines))

    pm.trace.root.setwriter(write)
    pm.enable_tracing()


def _load_entry_points(pm: pluggy.PluginManager, report: LoadReport) -> None:
    strict = _truthy(os.environ.get("YTP_STRICT_PLUGINS"))
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if pm.is_blocked(ep.name):
            report.disabled.append(ep.name)
            continue
        if pm.get_plugin(ep.name) is not None:
            continue  # the same distribution seen twice on sys.path
        try:
            plugin = ep.load()
            pm.register(plugin, name=ep.name)
        except Exception as exc:  # a plugin's import error must not stop the tool
            message = f"{exc.__class__.__name__}: {exc}"
            if strict:
                raise PluginError(f"plugin {ep.name} ({ep.value}) failed to load: {message}") from exc
            report.failed[ep.name] = message
            log.warning(
                "plugin %s (%s) failed to load and was skipped: %s "
                "(set YTP_STRICT_PLUGINS=1 to make this an error)",
                ep.name, ep.value, message,
            )
            continue
        dist = getattr(ep, "dist", None)
        if dist is not None:
            _DIST_OF[ep.name] = dist


def _warn_unknown_disabled(report: LoadReport) -> None:
    """A name in YTP_DISABLE_PLUGINS that no plugin has blocks nothing: say so, or the
    plugin the user meant to switch off goes on running unnoticed. The distribution's name
    (`yt-pipeline-prod`, shown beside the plugin's in `yt-pipeline plugins`) is the usual
    slip, so it leads to the plugin's own name."""
    disabled = disabled_names()
    if not disabled:
        return
    import difflib  # only for a name no plugin has: not paid by every run

    eps = list(entry_points(group=ENTRY_POINT_GROUP))
    known = {short.rsplit(".", 1)[-1] for short in BUILTIN_PLUGINS} | {ep.name for ep in eps}
    unknown = sorted(disabled - known)
    if not unknown:
        return
    # a distribution's name is a file read, so only once a name is unknown
    names: dict[str, str] = dict.fromkeys(known, "")
    for ep in eps:
        names[ep.name] = getattr(getattr(ep, "dist", None), "name", "") or ""
    for name in unknown:
        by_dist = [plugin for plugin, dist in names.items()
                   if dist and dist.lower().replace("_", "-") == name.lower().replace("_", "-")]
        close = by_dist or difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else ""
        log.warning("YTP_DISABLE_PLUGINS: no plugin is named %s, so it disables nothing "
                    "(plugin names: %s)%s", name, ", ".join(sorted(names)), hint)


#: the distribution of each entry-point plugin; its name and version are read only when
#: the plugins are described (reading them is a file read per plugin)
_DIST_OF: dict[str, Any] = {}


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager, created on first use."""
    global _manager
    with _lock:
        if _manager is None:
            _manager = create_plugin_manager()
        return _manager


def set_plugin_manager(pm: pluggy.PluginManager | None) -> None:
    """Replace (or with None, forget) the process-wide manager; used by tests."""
    global _manager
    with _lock:
        _manager = pm


def load_report() -> LoadReport:
    return _report


def describe_plugins(pm: pluggy.PluginManager) -> list[PluginInfo]:
    infos = []
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda item: str(item[0])):
        if plugin is None or name is None:
            continue
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        dist = _DIST_OF.get(name)
        version: str | None
        if dist is not None:
            version, origin = dist.version, dist.name
        elif name in {m.rsplit(".", 1)[-1] for m in BUILTIN_PLUGINS}:
            from yt_pipeline import __version__

            version, origin = __version__, "built-in"
        else:
            version, origin = getattr(plugin, "__version__", None), "registered"
        infos.append(PluginInfo(name=name, version=version, hooks=hooks, origin=origin))
    return infos


