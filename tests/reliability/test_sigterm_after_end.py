"""A SIGTERM held as a run that finished by itself wrote its end (term_signal.run_end_held):
what comes after it, in the command and in a script, must not say the run was interrupted
nor how to resume it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from yt_pipeline.term_signal import Terminated, hold_sigterm, run_end_held, sigterm_interrupts

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
import json
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


PROD_STAGE = """
from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//home/after/out", [{{"i": 1}}])
        if {fail}:
            raise RuntimeError("stage broke")
        return debug
"""

PROD_SCRIPT = """
import json
import os
import signal
import time

from yt_pipeline import DefaultPipeline, hookimpl
from yt_pipeline.plugins import get_plugin_manager


class SigtermsAtTheEnd:
    @hookimpl
    def ytp_pipeline_finished(self, run, outcomes, success):
        for name in {signals!r}:  # as the run writes its end; it ends its cluster work next
            os.kill(os.getpid(), getattr(signal, name))
            time.sleep(0.05)


get_plugin_manager().register(SigtermsAtTheEnd())

if __name__ == "__main__":
    DefaultPipeline.main()
"""


@pytest.mark.parametrize("fail", [False, True])
@pytest.mark.parametrize("signals", [("SIGTERM",), ("SIGTERM", "SIGTERM", "SIGINT")])
def test_a_prod_run_that_finished_takes_sigterms_at_its_end(fake, tmp_path, fail, signals):
    """`python pipeline.py` (BasePipeline.main) of a prod run on the fake proxy, SIGTERMs (and
    a Ctrl-C after them) landing as the run writes its end, before it ends its cluster work
    and lets go of the cluster's lock: the run's own exit code and failure, the line that
    says the run had finished last, its record as it ended, no lock, no transaction left."""
    pytest.importorskip("yt_pipeline_prod")
    from yt_pipeline.testing import write_pipeline
    from yt_pipeline_prod.testing import TEST_TOKEN

    root = write_pipeline(tmp_path / "p", {
        "configs/secrets.env": f"YT_PROXY={fake.url}\nYT_TOKEN={TEST_TOKEN}\n",
        "stages/load/stage.py": PROD_STAGE.format(fail=fail),
        "pipeline.py": PROD_SCRIPT.format(signals=list(signals)),
    }, config={"pipeline": {"mode": "prod", "build_folder": "//home/after/build",
                            "prod": {"retries": False, "poll_interval_s": 0.05}},
               "stages": {"enabled_stages": ["load"]}})
    done = subprocess.run([sys.executable, str(root / "pipeline.py")], cwd=root,
                          capture_output=True, text=True, timeout=120)
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == AFTER_END, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    [record] = [json.loads(p.read_text()) for p in (root / ".runs").glob("2*.json")]
    if fail:
        assert done.returncode == 1, done.stderr
        assert lines[-3].startswith("error: stage load failed: RuntimeError('stage broke')")
        assert lines[-2].startswith("to resume: yt-pipeline run "), done.stderr
        assert record["status"] == "FAILED"
    else:
        assert done.returncode == 0, done.stderr
        assert "interrupted" not in done.stderr and "resume" not in done.stderr
        assert record["status"] == "SUCCESS"
    assert not list((root / ".runs").glob("*.lock"))
    fake.wait_idle()
    titles = [txn.attributes.get("title") for txn in fake.state.cypress.transactions.values()]
    assert titles == [], titles


@pytest.mark.parametrize("fail", [False, True])
def test_a_sigterm_as_the_command_closes_its_client_after_the_run(tmp_path, fail):
    """A SIGTERM after the run ended by itself, as the command closes its client (then
    prints its summary or the failure): nothing of the run is left to stop. Raised there, the
    command said "interrupted by SIGTERM; to resume: ..." for a run recorded SUCCESS, with
    exit code 143. In process (cli.invoke), the handlers are Python's again after it."""
    from yt_pipeline import DefaultPipeline
    from yt_pipeline.testing import invoke_cli, write_pipeline

    class SigtermAsItCloses(DefaultPipeline):
        def close(self) -> None:
            os.kill(os.getpid(), signal.SIGTERM)
            super().close()

    stage = ("from yt_pipeline import BaseStage\n\n\nclass One(BaseStage):\n"
             "    def run(self, debug):\n"
             + ("        raise RuntimeError('stage broke')\n" if fail else "        return debug\n"))
    root = write_pipeline(tmp_path / "p", {"stages/one/stage.py": stage}, config={
        "pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["one"]}})
    done = invoke_cli("run", root, pipeline_class=SigtermAsItCloses)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == AFTER_END, done.stderr
    assert "interrupted" not in done.stderr, done.stderr
    [record] = [json.loads(p.read_text()) for p in (root / ".runs").glob("2*.json")]
    if fail:
        assert done.exit_code == 1, done.stderr
        assert lines[-2].startswith("to resume: "), done.stderr
        assert record["status"] == "FAILED"
    else:
        assert done.exit_code == 0, done.stderr
        assert record["status"] == "SUCCESS"
    assert not list((root / ".runs").glob("*.lock"))


def test_a_sigterm_after_a_run_within_a_run_still_stops_the_outer_one():
    """A run started within a run on the main thread (a hook's) that ends by itself leaves
    SIGTERM to stop the outer run, which goes on: held to the end of the block, it let the
    outer run go on to its end."""
    stopped = False
    try:
        with sigterm_interrupts(), run_end_held():
            with run_end_held():
                hold_sigterm()  # the inner run writes its end
            os.kill(os.getpid(), signal.SIGTERM)  # the outer run's stages go on
            raise AssertionError("the SIGTERM did not stop the outer run")
    except Terminated as interrupt:
        stopped = not interrupt.after_end
    assert stopped
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


AFTER_END_CTRL_C = "a Ctrl-C came as the run ended: the run had finished, nothing was stopped"

CTRL_C_SCRIPT = """
import os
import signal

from yt_pipeline import DefaultPipeline, hookimpl
from yt_pipeline.plugins import get_plugin_manager


class CtrlCAtTheEnd:
    @hookimpl
    def ytp_pipeline_finished(self, run, outcomes, success):
        for name in {signals!r}:  # as the run writes its end
            os.kill(os.getpid(), getattr(signal, name))


get_plugin_manager().register(CtrlCAtTheEnd())

if __name__ == "__main__":
    DefaultPipeline.main()
"""


@pytest.mark.parametrize("signals", [("SIGINT",), ("SIGINT", "SIGTERM")])
def test_a_ctrl_c_as_a_finished_run_writes_its_end_leaves_a_finished_record(tmp_path, signals):
    """A first Ctrl-C (then a SIGTERM) landing as a run that finished by itself writes its
    end: raised there, it cut the end short, and the run's record said RUNNING for good; the
    command said "interrupted; to resume: ..." (exit code 130). It is held as a SIGTERM is:
    the record says SUCCESS, the lock is let go, the command says the run had finished and
    exits 0. A second Ctrl-C is still raised (a person who insists, on an end that hangs)."""
    from yt_pipeline.testing import write_pipeline

    root = write_pipeline(tmp_path / "p", {
        "stages/one/stage.py": ("from yt_pipeline import BaseStage\n\n\nclass One(BaseStage):\n"
                                "    def run(self, debug):\n        return debug\n"),
        "pipeline.py": CTRL_C_SCRIPT.format(signals=list(signals)),
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["one"]}})
    done = subprocess.run([sys.executable, str(root / "pipeline.py")], cwd=root,
                          capture_output=True, text=True, timeout=120)
    [record] = [json.loads(p.read_text()) for p in (root / ".runs").glob("2*.json")]
    assert record["status"] == "SUCCESS", done.stderr
    assert not list((root / ".runs").glob("*.lock"))
    assert done.returncode == 0, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last == (AFTER_END if "SIGTERM" in signals else AFTER_END_CTRL_C), done.stderr
    assert "interrupted" not in done.stderr and "resume" not in done.stderr, done.stderr
