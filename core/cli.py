"""The `yt-pipeline` command.

Exit codes: 0 success, 1 a stage failed, 2 a usage or configuration error. Errors print as
one line (`error: ...`); --debug adds the traceback.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from yt_pipeline import __version__
from yt_pipeline.errors import StageFailed, YtPipelineError

log = logging.getLogger("yt_pipeline.cli")

_DIR_ARGUMENT = click.argument(
    "pipeline_dir", required=False, default=".", type=click.Path(file_okay=False, path_type=Path)
)
_DIR_HELP = "PIPELINE_DIR is the pipeline folder (default: the current folder)."


def DIR_ARG(f: Callable[..., Any]) -> Callable[..., Any]:  # noqa: N802 - used like the options
    """The optional PIPELINE_DIR argument. click shows no help for an argument, so the
    sentence that says what it is and that it may be left out joins the command's help,
    unless the help already speaks of it."""
    import inspect

    doc = inspect.cleandoc(f.__doc__ or "")
    if "PIPELINE_DIR" not in doc:
        head, sep, rest = doc.partition("\n\n")
        # after the first paragraph: that one is the command's summary in `yt-pipeline --help`
        f.__doc__ = f"{head}\n\n{_DIR_HELP}" + (f"\n\n{rest}" if sep else "")
    return _DIR_ARGUMENT(f)


def _one_config_file(ctx: click.Context, param: click.Parameter,
                     given: tuple[Path, ...]) -> Path | None:
    # taken as repeatable only to refuse a second one: click would keep the last file and
    # drop the first without a word, where a user may expect the two to be layered
    if len(given) > 1:
        raise click.BadParameter(
            f"given {len(given)} times ({', '.join(map(str, given))}): one configuration "
            "file is read; override its keys with --set KEY=VALUE or YTP_ variables",
            ctx=ctx, param=param)
    if not given:
        return None
    base = ctx.find_object(CliState)
    return _script_config(given[0], base.config_base if base else None)


def _script_config(path: Path, pipeline_dir: Path | None) -> Path:
    """`python pipeline.py --config FILE`: a relative FILE not in the current folder is
    taken from the pipeline's folder, as yt-framework's DefaultPipeline.main took it (its
    08_multiple_configs example runs from anywhere with --config configs/config_large.yaml)."""
    if pipeline_dir is None or path.is_absolute() or path.is_file():
        return path
    beside = pipeline_dir / path
    if beside.is_file():
        return beside
    from yt_pipeline.config import missing_config_file

    raise missing_config_file(
        f"configuration file does not exist, neither in the current folder nor in the "
        f"pipeline's folder {pipeline_dir}", path,
        [path.parent, beside.parent, pipeline_dir / "configs"])


CONFIG_OPT = click.option(
    "--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
    multiple=True, callback=_one_config_file,
    help="Configuration file instead of configs/config.yaml.",
)
SET_OPT = click.option(
    "--set", "overrides", multiple=True, metavar="KEY=VALUE",
    help="Override a configuration key (dotted, e.g. pipeline.mode=prod); repeatable.",
)


class CliState:
    def __init__(self) -> None:
        self.debug = False
        self.pipeline_class: type | None = None
        #: set once a run starts, so an interrupted run says how to go on
        self.resume_hint: str | None = None
        #: the folder of pipeline.py when it runs the command (`python pipeline.py`)
        self.config_base: Path | None = None


def _state() -> CliState:
    return click.get_current_context().ensure_object(CliState)


def load_pipeline(pipeline_dir: Path, config_file: Path | None, overrides: tuple[str, ...]) -> Any:
    """Configuration, plugins and stages of a folder, ready to run."""
    from yt_pipeline.config import load_config
    from yt_pipeline.logs import mask_secrets
    from yt_pipeline.pipeline import DefaultPipeline

    config = load_config(pipeline_dir, config_file, overrides)
    mask_secrets(config.secret_values())
    cls = _state().pipeline_class or DefaultPipeline
    return cls(config=config)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="yt-pipeline")
@click.option(
    "--log-level", default="INFO", show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="How much to log.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, log_level: str, debug: bool) -> None:
    """yt-pipeline: data pipelines on YTsaurus.

    A pipeline is a folder: configs/config.yaml, and stages/<name>/stage.py. It runs on
    this machine in dev mode (tables under .dev/, no cluster) and on a YT cluster in prod
    mode (pipeline.mode: prod, credentials in configs/secrets.env).

    Start with `yt-pipeline init my_pipeline`, then `yt-pipeline run my_pipeline`.
    """
    from yt_pipeline import owned_process
    from yt_pipeline.logs import setup_logging

    if ctx.invoked_subcommand != "run":  # a run sets it back as its stages start
        owned_process.collect_again()
    state = ctx.ensure_object(CliState)
    state.debug = debug
    setup_logging("DEBUG" if debug else log_level)


@cli.command()
@DIR_ARG
@CONFIG_OPT
@SET_OPT
@click.option("--workers", type=click.IntRange(min=1), help="Stages run at once (1: one by one).")
@click.option("--only", metavar="STAGES", help="Run only these stages (comma-separated).")
@click.option("--from", "from_stage", metavar="STAGE", help="Run STAGE and what depends on it.")
@click.option("--to", "to_stage", metavar="STAGE", help="Run STAGE and what it needs.")
@click.option("--resume", is_flag=True,
              help="After a failed or interrupted run: run only the stages that have not "
                   "succeeded yet (and what depends on them).")
@click.option("--force", is_flag=True, help="Ignore the cache: run every selected stage.")
@click.option("--refresh", metavar="STAGE", multiple=True,
              help="Ignore the cache for STAGE (repeatable).")
@click.option("--dry-run", is_flag=True, help="Print the plan without running anything.")
@click.option("--debug", is_flag=True,
              help="Log at DEBUG and show tracebacks (as `yt-pipeline --debug run`).")
def run(
    pipeline_dir: Path, config_file: Path | None, overrides: tuple[str, ...], workers: int | None,
    only: str | None, from_stage: str | None, to_stage: str | None, resume: bool, force: bool,
    refresh: tuple[str, ...], dry_run: bool, debug: bool,
) -> None:
    """Run the pipeline in PIPELINE_DIR (default: the current folder).

    Exit codes: 0 success; 1 a stage failed (the error ends with the command that resumes)
    or another run of the folder holds the lock; 2 a usage or configuration error, nothing
    ran; 3 the cluster could not be reached or refused the token, nothing ran; 130
    interrupted (Ctrl-C); 143 ended by SIGTERM, which stops the run as Ctrl-C does. --debug
    adds the traceback.
    """
    from yt_pipeline.runner import RunOptions

    if debug:  # the traceback itself is the command line's: it looks for --debug anywhere
        from yt_pipeline.logs import setup_logging

        setup_logging("DEBUG")

    pipeline = load_pipeline(pipeline_dir, config_file, overrides)
    options = RunOptions(
        workers=workers,
        only=[s.strip() for s in (only or "").split(",") if s.strip()],
        from_stage=from_stage,
        to_stage=to_stage,
        resume=resume,
        force=force,
        refresh=list(refresh),
        dry_run=dry_run,
    )
    if not dry_run:
        from yt_pipeline.stage_units import resume_command

        _state().resume_hint = f"to resume: {resume_command(pipeline)}"
    try:
        result = pipeline.run(options)
    finally:
        pipeline.close()
    if dry_run:
        click.echo(result.plan)
    else:
        click.echo(result.summary(), err=True)


@cli.command("list")
@DIR_ARG
@CONFIG_OPT
@SET_OPT
def list_stages(pipeline_dir: Path, config_file: Path | None, overrides: tuple[str, ...]) -> None:
    """List the stages in run order and where each comes from.

    In a folder of function-step pipelines (no configs/config.yaml), the steps of each
    pipeline's newest run, in run order, after a line naming the pipeline and the run.
    """
    from yt_pipeline.step_graphs import step_state_names

    if config_file is None and not (pipeline_dir / "configs" / "config.yaml").is_file() \
            and step_state_names(pipeline_dir):
        _list_steps(pipeline_dir)
        return
    pipeline = load_pipeline(pipeline_dir, config_file, overrides)
    order = pipeline.stage_order()
    width = max((len(n) for n in order), default=4)
    for index, name in enumerate(order, 1):
        entry = pipeline.stage_registry.get_entry(name)
        click.echo(f"{index:>3}. {name:<{width}}  {entry.origin}")
    unused = sorted(set(pipeline.stage_registry.get_all_stages()) - set(order))
    for name in unused:
        entry = pipeline.stage_registry.get_entry(name)
        click.echo(f"  -  {name:<{width}}  {entry.origin}  (not enabled)")


def _list_steps(pipeline_dir: Path) -> None:
    from yt_pipeline.step_graphs import recorded_graphs

    for found in recorded_graphs(pipeline_dir):
        click.echo(f"[{found.state_name}] run {found.run_id}")
        order = found.graph.order()
        width = max((len(n) for n in order), default=4)
        for index, name in enumerate(order, 1):
            needs = ", ".join(found.graph.deps[name])
            line = f"{index:>3}. {name:<{width}}  <- {needs}" if needs else f"{index:>3}. {name}"
            click.echo(line)


@cli.command()
def plugins() -> None:
    """List plugins: name, version, where from, and the hooks each implements; then the
    modes they register."""
    from yt_pipeline.modes import installed_modes
    from yt_pipeline.plugins import describe_plugins, get_plugin_manager, load_report

    pm = get_plugin_manager()
    infos = describe_plugins(pm)
    width = max(len(i.name) for i in infos)
    for info in infos:
        hooks = ", ".join(info.hooks) or "-"
        click.echo(f"{info.name:<{width}}  {info.version or '?':<8}  {info.origin:<22}  {hooks}")
    report = load_report()
    for name, error in sorted(report.failed.items()):
        click.echo(f"{name:<{width}}  FAILED TO LOAD: {error}")
    for name in report.disabled:
        click.echo(f"{name:<{width}}  disabled by YTP_DISABLE_PLUGINS")
    for name, mode in sorted(installed_modes(pm).items()):
        click.echo(f"mode {name} (plugin {mode.plugin}): {mode.spec.description or '-'}")


@cli.command()
@DIR_ARG
@CONFIG_OPT
@SET_OPT
@click.option("--sources", is_flag=True,
              help="Show where each key's value comes from (a key not listed has its "
                   "built-in default; a misspelt key shows up here).")
def config(
    pipeline_dir: Path, config_file: Path | None, overrides: tuple[str, ...], sources: bool
) -> None:
    """Print the resolved configuration (secrets shown as ***)."""
    from yt_pipeline.config import load_config
    from yt_pipeline.logs import mask_secrets, masked
    from yt_pipeline.yamlio import dump_yaml

    cfg = load_config(pipeline_dir, config_file, overrides)
    mask_secrets(cfg.secret_values())
    # redacted() hides what secrets.env set; a secret's value written elsewhere too (in
    # config.yaml, in a path) is masked as every other command masks it
    click.echo(masked(dump_yaml(cfg.redacted()).rstrip()))
    if sources:
        click.echo("# sources")
        for key in sorted(cfg.sources):
            click.echo(masked(f"# {key}: {cfg.sources[key]}"))


@cli.command()
@click.argument("name", type=click.Path(path_type=Path))
def init(name: Path) -> None:
    """Create a new pipeline folder NAME with one stage and a mapper, ready to run in dev.

    NAME is a path; its last part names the tables (//tmp/<last part>/...). The folder
    gets configs/config.yaml, configs/secrets.env (commented out), pipeline.py, .gitignore
    and stages/process/ with stage.py, config.yaml and src/mapper.py. An existing folder
    that is not empty is left alone.
    """
    import shlex

    from yt_pipeline.scaffold import create_pipeline

    created = create_pipeline(name)
    click.echo(f"created {created}; run it with: yt-pipeline run {shlex.quote(str(name))}")


def _add_builtin_commands() -> None:
    from yt_pipeline.cli_dag import add_dag_commands
    from yt_pipeline.cli_logs import logs
    from yt_pipeline.cli_migrate import migrate
    from yt_pipeline.cli_report import report
    from yt_pipeline.cli_table import table

    add_dag_commands(cli)
    cli.add_command(logs)
    cli.add_command(migrate)
    cli.add_command(report)
    cli.add_command(table)


_add_builtin_commands()


def make_cli() -> click.Group:
    """The command with the plugins' subcommands added; a fresh group every time, so
    commands of one plugin manager never leak into another (tests run many in one process)."""
    from yt_pipeline.hookcalls import PluginHooks
    from yt_pipeline.plugins import get_plugin_manager

    group = click.Group(
        name="yt-pipeline",
        commands=dict(cli.commands),
        callback=cli.callback,
        params=list(cli.params),
        help=cli.help,
        context_settings=cli.context_settings,
    )
    PluginHooks(get_plugin_manager()).add_commands(cli=group)
    return group


def _group_options() -> set[str]:
    """The options `yt-pipeline` itself takes (--debug, --log-level...): given after a
    command, click says only that the command has no such option."""
    return {name for param in cli.params for name in getattr(param, "opts", ())}


def _report(error: BaseException, debug: bool) -> int:
    from yt_pipeline.logs import masked

    if debug:
        # a traceback quotes values (an error message holding a token, say): masked too
        click.echo(masked("".join(traceback.format_exception(error))).rstrip("\n"), err=True)
    if isinstance(error, YtPipelineError):
        text = str(error) if isinstance(error, StageFailed) else error.one_line()
        click.echo(masked(f"error: {text}"), err=True)
        hint = getattr(error, "resume_hint", None)
        if hint:
            click.echo(hint, err=True)
        return error.exit_code
    click.echo(masked(f"error: {error.__class__.__name__}: {error}"), err=True)
    if not debug:
        click.echo("(run with --debug for the traceback)", err=True)
    return 1


def _click_error_line(exc: click.ClickException) -> str:
    """A usage mistake as one line, like every other error (click prints a usage line, a
    `Try ...` line and `Error: ...`): the command, click's message, and where the options
    are listed."""
    from yt_pipeline.usage_wording import usage_message

    message = " ".join(usage_message(exc).split())
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        listed = "commands" if isinstance(ctx.command, click.Group) else "options"
        return f"error: {ctx.command_path}: {message} ({ctx.command_path} --help lists the {listed})"
    return f"error: {message}"


def _masked_usage_line(line: str, args: list[str], config_base: Path | None) -> str:
    """A usage error quotes the value it refuses (`--config configs/<token>.yaml` that is a
    folder, or given twice), and no configuration has loaded to mask the command's output:
    masked here with the secrets.env of every pipeline folder it may be about (that of
    pipeline.py, a folder among the arguments, the current folder) and of the folder of
    each file named."""
    from yt_pipeline.config import secret_values_beside
    from yt_pipeline.secret_forms import all_forms, mask_text

    folders = {Path.cwd() / "configs"} | ({config_base / "configs"} if config_base else set())
    for arg in args:
        path = Path(arg.partition("=")[2] if arg.startswith("--") else arg)
        folders.update({path / "configs", path.parent})
    values = secret_values_beside(sorted(folders))
    return mask_text(line, all_forms(values)) if values else line


def main(argv: list[str] | None = None, pipeline_class: type | None = None,
         config_base: Path | None = None) -> None:
    """Run the command and exit with its code (SystemExit, which a caller may catch)."""
    code = invoke(argv, pipeline_class, config_base=config_base)
    sys.exit(code)


def console_main() -> None:
    """The `yt-pipeline` command in a process of its own: it may set the collector for its
    start-up and freeze its start-up objects (owned_process), and it leaves without the
    interpreter's teardown (fast_exit). The installed command enters by yt_pipeline.command,
    which claims the process before this module is imported."""
    import signal

    from yt_pipeline import owned_process
    from yt_pipeline.fast_exit import leave
    from yt_pipeline.term_signal import sigterm_interrupts

    owned_process.claim()
    # invoke's own block then changes nothing
    with sigterm_interrupts(then=signal.SIG_IGN, command=True):
        code = invoke()
    leave(code)


def invoke(argv: list[str] | None = None, pipeline_class: type | None = None,
           prepare: Callable[[click.Group], None] | None = None,
           config_base: Path | None = None) -> int:
    """Run the command and return its exit code instead of exiting."""
    from yt_pipeline.term_signal import sigterm_interrupts

    # SIGTERM stops the command as Ctrl-C does, up to the line that says so: a run's stop
    # goes on after Runner.run returns (its client is closed then), and a second SIGTERM
    # must not cut it short (term_signal._Stop)
    with sigterm_interrupts(command=True):
        return _invoke(argv, pipeline_class, prepare, config_base)


def _invoke(argv: list[str] | None, pipeline_class: type | None,
            prepare: Callable[[click.Group], None] | None, config_base: Path | None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    state = CliState()
    state.pipeline_class = pipeline_class
    state.config_base = config_base
    state.debug = "--debug" in args
    try:
        group = make_cli()
        if prepare:
            prepare(group)
        group.main(args=args, prog_name="yt-pipeline", standalone_mode=False, obj=state)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        click.echo(_masked_usage_line(_click_error_line(exc), args, config_base), err=True)
        if isinstance(exc, click.NoSuchOption) and exc.option_name in _group_options():
            click.echo(f"hint: {exc.option_name} is an option of yt-pipeline itself; give it "
                       f"before the command: yt-pipeline {exc.option_name} ...", err=True)
        return exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt) as interrupt:
        from yt_pipeline.term_signal import by_sigterm, exit_code

        how = "interrupted by SIGTERM" if by_sigterm(interrupt) else "interrupted"
        click.echo(how + (f"; {state.resume_hint}" if state.resume_hint else ""), err=True)
        return exit_code(interrupt)
    except Exception as exc:
        return _report(exc, state.debug)
    return 0
