"""Every `yt-pipeline ...` command the pages and the README show names a command and options
the installed CLI has: a reader who copies one gets the command, not `No such option`.

docs/cli.md is the help text itself (test_cli_reference.py); this covers the prose and the
examples of every other page.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from doc_blocks import DOCS

PAGES = [*sorted(p for p in DOCS.glob("*.md") if p.name != "cli.md"),
         DOCS.parent / "README.md"]
#: commands a page adds with a plugin of its own (examples/07_plugin)
PLUGIN_COMMANDS = {"summary"}
_SPAN = re.compile(r"`(yt-pipeline(?: [^`]*)?)`")
_FENCE = re.compile(r"^```(\w*)")


def _shown_commands(page: Path) -> Iterator[tuple[int, str]]:
    """(line, command) for each command in a `code span` or on a line of a code block."""
    in_code = False
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        if _FENCE.match(line):
            in_code = not in_code
            continue
        if in_code:
            stripped = line.removeprefix("$ ").strip()
            if stripped.startswith("yt-pipeline "):
                yield number, stripped.split("  #", 1)[0]
            continue
        for span in _SPAN.finditer(line):
            yield number, span.group(1)


def _options(command: click.Command) -> set[str]:
    names = {name for param in command.params for name in (*param.opts, *param.secondary_opts)}
    return names | {"-h", "--help"}  # the help option comes from the context settings


def _problems(cli: click.Group, text: str) -> Iterator[str]:
    try:
        words = shlex.split(text)[1:]
    except ValueError:
        return  # a span cut short by a page's punctuation is not a command to check
    command: click.Command = cli
    for index, word in enumerate(words):
        if "|" in word or word in ("...", "[OPTIONS]"):
            return  # a synopsis (`table ls|head`), not a command line
        if word.startswith("-") and len(word) > 1 and not word[1].isdigit():
            if word.split("=", 1)[0] not in _options(command):
                yield f"{word} is not an option of {command.name}"
        elif isinstance(command, click.Group) and not words[index - 1:index] == ["--log-level"]:
            if word in PLUGIN_COMMANDS:
                return
            sub = command.commands.get(word)
            if sub is None:
                yield f"{word} is not a command of {command.name}"
                return
            command = sub


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_commands_on_the_page_exist(page):
    from yt_pipeline.cli import make_cli

    cli = make_cli()
    found = [f"{page.name}:{number}: {text}: {problem}"
             for number, text in _shown_commands(page) for problem in _problems(cli, text)]
    assert not found, "\n".join(found)


def test_the_check_sees_commands():
    from yt_pipeline.cli import make_cli

    cli = make_cli()
    shown = [text for page in PAGES for _, text in _shown_commands(page)]
    assert len(shown) > 50
    assert list(_problems(cli, "yt-pipeline run . --no-such")) == [
        "--no-such is not an option of run"]
    assert list(_problems(cli, "yt-pipeline table heads //x")) == [
        "heads is not a command of table"]
