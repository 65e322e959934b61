"""A folder pipeline (`BasePipeline`) as a `RunTarget`: its graph and one unit per stage.

A stage's config.yaml may carry, at its top level, the keys the runner reads:
`inputs`/`outputs` (table paths: dependencies and cache keys), `cache` (true/false),
`retry` ({max_attempts, backoff_s, max_backoff_s}), `when` (a condition) and
`client.operations` (operation sections). A key close to one of them is refused as a
misspelling before anything runs (config_schema.check_stage_spelling).
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any

from yt_pipeline.code_files import CodeFiles
from yt_pipeline.conditions import Condition
from yt_pipeline.config_schema import check_stage_sections, check_stage_spelling
from yt_pipeline.confignode import ConfigNode
from yt_pipeline.errors import ConfigError, StageNotFound
from yt_pipeline.graph import StageGraph, build_graph, chain_graph
from yt_pipeline.hookcalls import PluginHooks
from yt_pipeline.job_secrets import secrets_component
from yt_pipeline.operation_names import (
    operation_inputs,
    operation_outputs,
    operation_sections,
)
from yt_pipeline.retry_policy import parse_retry
from yt_pipeline.secret_digests import settings_digest
from yt_pipeline.submitted import wait_all
from yt_pipeline.units import (
    Debug,
    RunTarget,
    RunUnit,
    digest_value,
    flag,
    table_list,
)
from yt_pipeline.yamlio import scalar_text

if TYPE_CHECKING:
    from yt_pipeline.pipeline import BasePipeline

#: settings that change how a run goes, not what it produces; left out of fingerprints
_NOT_FINGERPRINTED = ("workers", "cache")
#: the keys of `stages` that say which stages run and in what order: no setting of each
#: stage (its dependencies are its `upstream` component), so a stage added elsewhere keeps
#: the others in the cache; the section's other keys (`stages.load.api_url`) are settings a
#: stage reads, and are fingerprinted
_RUN_ORDER = ("enabled_stages", "graph")


def stage_graph(pipeline: BasePipeline, *, for_run: bool = False
                ) -> tuple[StageGraph, dict[str, ConfigNode]]:
    """The checked DAG of the enabled stages, and each stage's configuration. `for_run`
    also checks what only a run needs (the secrets its jobs ask for), which commands that
    only show the pipeline (`dag`, `report`) do not."""
    config = pipeline.config
    chain = config.get("stages.enabled_stages")
    declared = config.get("stages.graph") or {}
    key = "stages.enabled_stages" if chain or not declared else "stages.graph"
    source = config.source_of(key)
    if not chain and not declared:
        if not config.config_file.is_file():
            folder = config.pipeline_dir
            raise ConfigError(
                f"no {config.display_file} in {folder}: is this a pipeline folder? Run from "
                "one, or name it (`yt-pipeline run my_pipeline`); `yt-pipeline init NAME` "
                "creates one"
            )
        raise ConfigError(
            "no stages to run: list them in stages.enabled_stages (a chain) "
            "or stages.graph (a DAG)",
            file=config.display_file,
            key="stages.enabled_stages",
        )
    registry = pipeline.stage_registry
    names = list(chain or declared)
    for name in names:
        # a graph's node may come from another layer than the file (`--set stages.graph.x=[]`)
        _check_known(registry, name, config.source_of(f"{key}.{name}") if declared and not chain
                     else source, key)
    if chain:
        configs = _checked_configs(pipeline, names, for_run)
        io = {name: _graph_io(cfg) for name, cfg in configs.items()}
        return chain_graph(list(chain), source, io), configs
    known = registry.has_stage
    graph = build_graph(declared, None, is_known=known, source=source, key=key,
                        source_of=config.source_of)
    configs = _checked_configs(pipeline, list(graph.names), for_run)
    io = {name: _graph_io(cfg) for name, cfg in configs.items()}
    if any(ins or outs for ins, outs in io.values()):
        graph = build_graph(declared, io, is_known=known, source=source, key=key,
                            source_of=config.source_of)
    return graph, configs


def _checked_configs(pipeline: BasePipeline, names: list[str],
                     for_run: bool) -> dict[str, ConfigNode]:
    """Each stage's configuration, its operation sections checked before anything runs."""
    configs = {}
    for name in names:
        configs[name] = pipeline.stage_config(name)
        check_stage_sections(configs[name], configs[name].file)
        check_stage_spelling(configs[name], configs[name].file)
        if configs[name].get("checkpoints") is not None:
            from yt_pipeline.checkpoints import declared

            declared(configs[name], name, pipeline.pipeline_dir)
        if operation_sections(configs[name]) is None:
            continue  # nothing to check: the checks are not imported (most stages)
        from yt_pipeline.operation_config import check_operation_sections

        stage_dir = pipeline.stage_registry.get_entry(name).stage_dir
        check_operation_sections(name, stage_dir, configs[name], pipeline.warned,
                                 pipeline.config.secret if for_run else None)
    return configs


def _check_known(registry: Any, name: str, source: str, key: str) -> None:
    if not registry.has_stage(name):
        import difflib  # only for an error: not paid by every run

        close = difflib.get_close_matches(name, list(registry.get_all_stages()), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise StageNotFound(
            f"unknown stage {name}: no stages/{name}/stage.py and no installed stage of that "
            f"name{hint}",
            file=source,
            key=key,
        )


def _io(cfg: ConfigNode) -> tuple[list[str], list[str]]:
    return (
        table_list(cfg.get("inputs"), source=cfg.file, key="inputs"),
        table_list(cfg.get("outputs"), source=cfg.file, key="outputs"),
    )


def stage_target(pipeline: BasePipeline) -> RunTarget:
    graph, configs = stage_graph(pipeline, for_run=True)
    config = pipeline.config
    code_files = CodeFiles(pipeline.pipeline_dir, config, PluginHooks(pipeline.plugin_manager))
    units = {name: _stage_unit(pipeline, name, configs[name], code_files)
             for name in graph.names}
    left_out = {"pipeline": _NOT_FINGERPRINTED, "stages": _RUN_ORDER}
    settings = {
        section: (
            {k: v for k, v in value.items() if k not in left_out[section]}
            if section in left_out and isinstance(value, dict) else value
        )
        for section, value in config.data.items()
    }
    return RunTarget(
        pipeline_dir=pipeline.pipeline_dir,
        mode=pipeline.mode,
        state_name=pipeline.mode,
        units=units,
        graph=graph,
        client=lambda: pipeline.yt,
        hook=pipeline.plugin_manager.hook,
        settings=config,
        settings_hash=settings_digest(settings, config.secret_settings,
                                      pipeline.pipeline_dir),
        workers=int(config.get("pipeline.workers") or 1),
        cache_default=bool(config.get("pipeline.cache")),
        resume_command=resume_command(pipeline),
        code_files=code_files,
    )


def _graph_io(cfg: ConfigNode) -> tuple[list[str], list[str]]:
    """What links stages in the graph: every table a stage is known to read and to write,
    declared or its operations' input and output tables (as for the cache and the report),
    so a stage reading a map's output runs after that map without being listed, and so does
    a stage whose map reads another stage's table (it started before the table was written,
    or read the one an earlier run left)."""
    inputs, outputs = _io(cfg)
    return (list(dict.fromkeys([*inputs, *operation_inputs(cfg)])),
            list(dict.fromkeys([*outputs, *operation_outputs(cfg)])))


def _stage_unit(pipeline: BasePipeline, name: str, cfg: ConfigNode,
                code_files: CodeFiles) -> RunUnit:
    entry = pipeline.stage_registry.get_entry(name)
    source = cfg.file
    inputs, outputs = _io(cfg)
    when = cfg.get("when")
    settings = pipeline.config

    def execute(debug: Debug, run_id: str, client: Any) -> Debug:
        stage = pipeline.make_stage(name, run_id, config=cfg, client=client)
        # operations it started without waiting are part of it: they end before it does,
        # and an error its own code raised is the one it fails with
        try:
            returned = stage.run(dict(debug))
        except BaseException:
            wait_all(getattr(stage, "context", None), stage_failed=True)
            raise
        wait_all(getattr(stage, "context", None))
        merged = dict(debug)
        if returned:
            merged.update(returned)
        return merged

    def condition_names(debug: Debug) -> dict[str, Any]:
        return {
            "config": cfg,
            "debug": debug,
            "pipeline": settings.pipeline,
            "stages": settings.stages,
            "mode": settings.mode,
        }

    code = code_files.add_stage(name, entry.stage_dir, entry.stage_class, cfg)

    return RunUnit(
        name=name,
        execute=execute,
        inputs=inputs,
        outputs=outputs,
        writes=[path for path in operation_outputs(cfg) if path not in outputs],
        reads=[path for path in operation_inputs(cfg) if path not in inputs + outputs],
        cache=flag(cfg.get("cache"), source=source, key="cache"),
        retry=parse_retry(
            cfg.to_dict().get("retry"), source=source,
            retry_on=getattr(entry.stage_class, "retry_on", None),
        ),
        when=Condition(when, source=source) if when is not None else None,
        condition_names=condition_names,
        code_hash=code.code_hash,
        # the secrets its jobs get are read like its files: their content counts
        read_files=lambda client: {**code.read(client), **secrets_component(cfg, settings)},
        config_hash=lambda: digest_value(cfg.to_dict()),
        source=source,
    )


def resume_command(pipeline: BasePipeline) -> str:
    """The command line that resumes this pipeline, with the same configuration."""
    from yt_pipeline.pipeline import DefaultPipeline

    config = pipeline.config
    script = pipeline.pipeline_dir / "pipeline.py"
    if type(pipeline) is not DefaultPipeline and script.is_file():
        words = ["python", str(script)]
    else:
        words = ["yt-pipeline", "run", str(pipeline.pipeline_dir)]
    default_config = pipeline.pipeline_dir / "configs" / "config.yaml"
    if config.config_file.resolve() != default_config.resolve():
        words += ["--config", str(config.config_file)]
    for key, origin in config.sources.items():
        if origin == f"--set {key}":
            words += ["--set", f"{key}={scalar_text(config.get(key))}"]
    # each word masked before it is quoted: quoted, a secret with a quote in it is no form
    # masking knows (`'it'"'"'s'`), and the hint is printed and kept with the run
    from yt_pipeline.logs import masked

    return " ".join(shlex.quote(masked(w)) for w in [*words, "--resume"])
