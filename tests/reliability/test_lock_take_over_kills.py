"""A run killed while it takes over the lock of a dead run must hand that dead run on.

`--resume` after a run killed outright takes its stale local lock over (core/lock.py) and
learns from it which dead run still holds the cluster's lock and stage transactions, so that
it ends them at once (run_lock.py, dead_attempts.py). Killed itself in the middle of that
take-over (a second SIGKILL, an OOM kill), it must leave a lock that names the dead run
(`took_over`), so that the next `--resume` knows it too.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap

from yt_pipeline import lock as lock_module

# A resume whose process dies at its second hard link: the first finds the dead run's lock
# there; the stale lock was once removed and this run's own linked after it (killed in
# between, the run left no lock at all).
_DYING_RESUME = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from yt_pipeline import lock

    links = []
    real_link = os.link

    def link_then_die(*args, **kwargs):
        links.append(args)
        if len(links) > 1:
            os._exit(9)
        return real_link(*args, **kwargs)

    os.link = link_then_die
    lock.RunLock(Path(sys.argv[1]), "prod", "resume-1").acquire()
    os._exit(9)  # killed right after taking the lock, before it ends the dead run's locks
""")


def _gone_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_resume_killed_while_it_takes_over_a_dead_runs_lock_hands_that_run_on(tmp_path):
    path = lock_module.lock_path(tmp_path, "prod")
    path.parent.mkdir(parents=True)
    killed = {"pid": _gone_pid(), "host": socket.gethostname(), "run_id": "killed-run",
              "started_at": 0}
    path.write_text(json.dumps(killed))

    dying = subprocess.run([sys.executable, "-c", _DYING_RESUME, str(tmp_path)],
                           capture_output=True, text=True, timeout=60)
    assert dying.returncode == 9, dying.stderr

    # the lock is there, the dying resume's, naming the run it was taking over
    left = json.loads(path.read_text())
    assert left["run_id"] == "resume-1"
    assert [run["run_id"] for run in left["took_over"]] == ["killed-run"]

    # and the next resume learns of both
    following = lock_module.RunLock(tmp_path, "prod", "resume-2").acquire()
    try:
        assert following.taken_over is not None
        assert [run.run_id for run in following.taken_over.runs()] == ["resume-1",
                                                                         "killed-run"]
    finally:
        following.release()
    assert sorted(p.name for p in path.parent.iterdir()) == ["prod.lock.takeover"]
