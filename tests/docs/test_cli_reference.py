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
