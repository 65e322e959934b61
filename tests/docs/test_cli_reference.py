"""docs/cli.md is the help text of the installed commands, word for word."""

from cli_reference import CLI_DOC, render


def test_cli_reference_is_current():
    expected = render()
    assert CLI_DOC.read_text() == expected, (
        "docs/cli.md is out of date: run python tests/docs/cli_reference.py"
    )


def test_cli_reference_covers_every_command():
    text = CLI_DOC.read_text()
    for name in ("run", "list", "config", "plugins", "init", "package", "graph", "status", "runs"):
        assert f"## yt-pipeline {name}\n" in text
        assert f"Usage: yt-pipeline {name} [OPTIONS]" in text


def test_every_pipeline_dir_argument_is_explained():
    """click prints no help for an argument: a command taking PIPELINE_DIR says in its own
    help what it is and that it may be left out."""
    import click

    from yt_pipeline.cli import make_cli

    def commands(group: click.Group, prefix: str):
        for name, command in sorted(group.commands.items()):
            yield f"{prefix} {name}", command
            if isinstance(command, click.Group):
                yield from commands(command, f"{prefix} {name}")

    silent = [name for name, command in commands(make_cli(), "yt-pipeline")
              if any(isinstance(p, click.Argument) and p.name == "pipeline_dir" and not p.required
                     for p in command.params)
              and "(default: the current folder)" not in (command.help or "")]
    assert silent == []
