"""A SIGTERM held as a run that finished by itself wrote its end (term_signal.run_end_held):
what comes after it, in the command and in a script, must not say the run was interrupted
nor how to resume it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from yt_pipeline.term_signal import hold_sigterm, run_end_held, sigterm_interrupts

AFTER_END = "a SIGTERM came as the run ended: the run had finished, nothing was stopped"


def test_a_ctrl_c_after_a_sigterm_held_at_the_run_s_end_is_dropped(capsys):
    """The command closing its client or printing its summary after a SIGTERM held at the
    run's end: a Ctrl-C then is one after a SIGTERM, dropped as any other (term_signal._Stop).
    Raised, the command said "interrupted; to resume: ..." for a run recorded SUCCESS and
    exited 130, then said the run had finished."""
    raised = False
    try:
        with sigterm_interrupts(command=True):
            with run_end_held():
                hold_sigterm()
                os.kill(os.getpid(), signal.SIGTERM)
            os.kill(os.getpid(), signal.SIGINT)  # as the command closes its client
    except KeyboardInterrupt:
        raised = True
    assert not raised
    assert capsys.readouterr().err.strip().splitlines()[-1] == AFTER_END
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


SCRIPT = """
import os
import signal
import sys

from yt_pipeline import Pipeline, hookimpl
from yt_pipeline.plugins import get_plugin_manager


class SigtermAtTheEnd:
    @hookimpl
    def ytp_pipeline_finished(self, run, outcomes, success):
        os.kill(os.getpid(), signal.SIGTERM)  # as the run writes its end


get_plugin_manager().register(SigtermAtTheEnd())


def one():
    return 1


Pipeline("p", folder=sys.argv[1]).add_step(one).run()
"""


def test_a_script_s_run_that_finished_is_not_told_to_resume(tmp_path):
    """A function-step script whose run took a SIGTERM as it wrote its end, after it had
    finished by itself: the script still ends by the SIGTERM (exit 143), but its last line
    says the run had finished, not "interrupted by SIGTERM; to resume: ...run(resume=True)"
    for a run recorded SUCCESS."""
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(SCRIPT))
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "p")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 143, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last == AFTER_END, done.stderr
    assert "resume" not in done.stderr, done.stderr
