"""A usage mistake in one wording, whichever click reports it.

click's own words for an unknown option or command changed after 8.1 (setup.cfg admits 8.1):
8.1 says `No such option: --nope (Possible options: --force, --to)` and names no close
command for `No such command 'rnu'.`; the later releases say `No such option '--nope'.
(Did you mean one of: '--force', '--to'?)` and, from 8.4 (click.exceptions.NoSuchCommand),
`No such command 'rnu'. Did you mean 'run'?`. The host words both mistakes itself, as the
later releases do, so troubleshooting.md and the tests read the same line under any of them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

import click

#: how click before 8.4 words an unknown command (a plain UsageError, core.Group.resolve_command)
_UNKNOWN_COMMAND = re.compile(r"No such command (?P<name>'[^']*'|\"[^\"]*\")\.")


def usage_message(exc: click.ClickException) -> str:
    """click's message for `exc`, worded as above for an unknown option or command."""
    if isinstance(exc, click.NoSuchOption):
        # click 8.1's parser passes the close matches, later ones every long option
        close = difflib.get_close_matches(exc.option_name, exc.possibilities or [])
        return f"No such option {exc.option_name!r}.{_did_you_mean(close)}"
    ctx = getattr(exc, "ctx", None)
    name = _unknown_command(exc)
    if name is not None and ctx is not None and isinstance(ctx.command, click.Group):
        close = difflib.get_close_matches(name, ctx.command.list_commands(ctx))
        return f"No such command {name!r}.{_did_you_mean(close)}"
    return exc.format_message()


def _unknown_command(exc: click.ClickException) -> str | None:
    name = getattr(exc, "command_name", None)  # click.exceptions.NoSuchCommand, 8.4 and later
    if isinstance(name, str):
        return name
    if type(exc) is click.UsageError:
        found = _UNKNOWN_COMMAND.fullmatch(exc.message)
        if found:
            return str(found.group("name")[1:-1])
    return None


def _did_you_mean(possibilities: Iterable[str]) -> str:
    names = sorted(possibilities)
    if not names:
        return ""
    listed = ", ".join(repr(name) for name in names)
    return f" Did you mean {listed}?" if len(names) == 1 else f" (Did you mean one of: {listed}?)"
