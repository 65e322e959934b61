"""An unknown option or command is worded the same under every click setup.cfg admits.

The exceptions are built here as click 8.1 to 8.3 raise them (parser.OptionParser and
core.Group.resolve_command, read in the 8.1.0 wheel; 8.4.0 reworded both):
`tests/host/test_cli.py` sees the words of the installed click only."""

from __future__ import annotations

import click

from yt_pipeline.cli import _click_error_line


def _group() -> click.Group:
    group = click.Group("yt-pipeline")
    for name in ("run", "status", "table"):
        group.add_command(click.Command(name, params=[click.Option(["--force"]),
                                                      click.Option(["--to"])]))
    return group


def test_an_unknown_option_in_click_8_1s_words_is_worded_as_later_clicks_do():
    ctx = click.Context(_group().commands["run"], info_name="run",
                        parent=click.Context(_group(), info_name="yt-pipeline"))
    old = click.NoSuchOption("--nope", message="No such option: --nope",
                             possibilities=["--force", "--to"], ctx=ctx)
    assert _click_error_line(old) == (
        "error: yt-pipeline run: No such option '--nope'. (Did you mean one of: '--force', "
        "'--to'?) (yt-pipeline run --help lists the options)")
    one = click.NoSuchOption("--forc", message="No such option: --forc",
                             possibilities=["--force"], ctx=ctx)
    assert _click_error_line(one) == (
        "error: yt-pipeline run: No such option '--forc'. Did you mean '--force'? "
        "(yt-pipeline run --help lists the options)")
    short = click.NoSuchOption("-q", message="No such option: -q", ctx=ctx)
    assert _click_error_line(short) == (
        "error: yt-pipeline run: No such option '-q'. (yt-pipeline run --help lists the options)")


def test_an_unknown_command_in_click_8_1s_words_gets_the_close_command():
    """Before 8.4 click raises a plain UsageError for it, with no close command."""
    ctx = click.Context(_group(), info_name="yt-pipeline")
    old = click.UsageError("No such command 'rnu'.", ctx)
    assert _click_error_line(old) == (
        "error: yt-pipeline: No such command 'rnu'. Did you mean 'run'? "
        "(yt-pipeline --help lists the commands)")
    far = click.UsageError("No such command 'zzz'.", ctx)
    assert _click_error_line(far) == (
        "error: yt-pipeline: No such command 'zzz'. (yt-pipeline --help lists the commands)")


def test_other_usage_mistakes_keep_clicks_words():
    ctx = click.Context(_group(), info_name="yt-pipeline")
    assert _click_error_line(click.UsageError("Missing argument 'PATH'.", ctx)) == (
        "error: yt-pipeline: Missing argument 'PATH'. (yt-pipeline --help lists the commands)")
