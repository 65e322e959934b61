"""Two runs of one folder started at once by threads of one process (the Python API called
from two threads): the second must be refused by the first's lock, never take it over as a
dead run's.

In the lock's own process a lock is told live from stale by the run ids the process holds
(core/lock.py `_held_here`): a lock naming this pid but a run id it does not hold was left by
a run that ended or a former process with the pid. A run's id must be held from before its
lock file appears; else a second thread, reading the file in between, judged the live run's
lock stale, took it over, and handed that run on as dead (`DeadRun`): in prod its resume
aborted the live run's cluster lock and stage transactions (run_lock.py, dead_attempts.py).
"""

from __future__ import annotations

import threading

import pytest

from yt_pipeline import lock as lock_module
from yt_pipeline.errors import PipelineLocked


@pytest.mark.parametrize("taking", ["a fresh lock", "a stale lock"])
def test_a_second_thread_is_refused_while_the_first_takes_the_lock(tmp_path, monkeypatch,
                                                                   taking):
    if taking == "a stale lock":
        # a lock of this pid under a run id nobody here holds: a run that ended
        stale = lock_module.RunLock(tmp_path, "prod", "ended-run")
        stale.acquire()
        stale.leave_for_take_over()
    created, go_on = threading.Event(), threading.Event()
    first_thread: list[int] = []
    real_replace, real_link = lock_module.os.replace, lock_module.os.link

    def pause_after(real):
        def put_in_place(source, destination, *args, **kwargs):
            real(source, destination, *args, **kwargs)
            if (str(destination).endswith("prod.lock")
                    and threading.get_ident() in first_thread):
                created.set()  # the file is there: the first run's, not yet held
                go_on.wait(10)
        return put_in_place

    monkeypatch.setattr(lock_module.os, "replace", pause_after(real_replace))
    monkeypatch.setattr(lock_module.os, "link", pause_after(real_link))
    first = lock_module.RunLock(tmp_path, "prod", "first-run")
    outcome: dict[str, object] = {}

    def take_first() -> None:
        first_thread.append(threading.get_ident())
        outcome["first"] = first.acquire()

    thread = threading.Thread(target=take_first)
    thread.start()
    assert created.wait(10)
    second = lock_module.RunLock(tmp_path, "prod", "second-run")
    try:
        with pytest.raises(PipelineLocked, match="run first-run, pid "):
            second.acquire()
    finally:
        go_on.set()
        thread.join(10)
    assert outcome["first"] is first and first.held
    assert second.taken_over is None and not second.held
    first.release()
    assert not lock_module.lock_path(tmp_path, "prod").exists()
