"""docs/cli.md, generated from the `--help` of every command of the installed `yt-pipeline`.

    python tests/docs/cli_reference.py     # rewrite docs/cli.md
"""

from __future__ import annotations

from pathlib import Path

import click

CLI_DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
WIDTH = 90
SETTINGS = {"terminal_width": WIDTH, "max_content_width": WIDTH,
            "help_option_names": ["-h", "--help"]}

HEADER = """# Command line

Generated from `yt-pipeline <command> --help`
(regenerate with `python tests/docs/cli_reference.py`; a test checks it is current).
Plugins can add commands (see [Writing a plugin](writing-a-plugin.md)); the ones listed
here come with the host and the plugins in this repository.

Exit codes: 0 success, 1 a stage failed (or another run of the same folder holds the
lock), 2 a usage or configuration error, 3 the cluster could not be reached or refused
the token (nothing ran), 130 interrupted (Ctrl-C), 143 stopped by SIGTERM (`kill`, a CI
timeout), which a run takes as Ctrl-C. Errors are one line starting with `error:`;
`--debug` adds the traceback.
"""


def render() -> str:
    from yt_pipeline.cli import make_cli

    group = make_cli()
    root = click.Context(group, info_name="yt-pipeline", **SETTINGS)
    parts = [HEADER, "## yt-pipeline\n", "```\n" + group.get_help(root) + "\n```\n"]
    _commands(group, root, "yt-pipeline", parts)
    return "\n".join(parts)


def _commands(group: click.Group, parent: click.Context, prefix: str, parts: list[str]) -> None:
    for name in sorted(group.commands):
        command = group.commands[name]
        ctx = click.Context(command, info_name=name, parent=parent, **SETTINGS)
        parts.append(f"## {prefix} {name}\n")
        parts.append("```\n" + command.get_help(ctx) + "\n```\n")
        if isinstance(command, click.Group):
            _commands(command, ctx, f"{prefix} {name}", parts)


if __name__ == "__main__":
    CLI_DOC.write_text(render())
    print(f"wrote {CLI_DOC}")
