"""A usage mistake in one wording, whichever click reports it.

click 8.4.0 reworded an unknown option and began naming the close commands of an unknown
one (its exceptions.py, NoSuchOption and the new NoSuchCommand; read in the 8.1.0 to 8.4.0
wheels): before it, `No such option: --nope (Possible options: --force, --to)` and a plain
`No such command 'rnu'.`; from it, `No such option '--nope'. (Did you mean one of: '--force',
'--to'?)` and `No such command 'rnu'. Did you mean 'run'?`. setup.cfg admits 8.1, so the host
words both mistakes itself, as 8.4 does, and troubleshooting.md and the tests read the same
line under any of them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

import click

#: how click before 8.4 words an unknown command (a plain UsageError from
#: core.Group.resolve_command)
_UNKNOWN_COMMAND = re.compile(r"No such command (?P<name>'[^']*'|\"[^\"]*\")\.")


def usage_message(exc: click.ClickException) -> str:
    """click's message for `exc`, worded as above for an unknown option or command."""
    if isinstance(exc, click.NoSuchOption):
        # the close ones, as both pick them (difflib's defaults): before 8.4 the parser
        # passes only those, from 8.4 NoSuchOption keeps only those of every long option
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
