"""Named points between the durable writes of a run, where the kill tests stop a run.

A kill at a random time rarely lands between two writes a few microseconds apart, which is
exactly where a wrong order of writes would show. So every durable step of a commit and of
the state calls `crash_point(name)`. Outside the tests this costs one comparison.

- `YTP_CRASH_AT=<n>`: the process kills itself (SIGKILL, no clean-up) at its n-th point.
- `YTP_CRASH_SIGNAL=TERM`: at that point it sends itself SIGTERM instead and goes on, as
  `kill <pid>` landing there would (the run then stops as Ctrl-C stops it).
- `YTP_CRASH_COUNT=<file>`: each point appends its name to the file, so a test learns how
  many points an uninterrupted run passes and can pick one of them.
"""

from __future__ import annotations

import os
import signal
import threading

_AT = int(os.environ.get("YTP_CRASH_AT", "0") or 0)
_COUNT_FILE = os.environ.get("YTP_CRASH_COUNT", "")
_SIGNAL = signal.SIGTERM if os.environ.get("YTP_CRASH_SIGNAL") == "TERM" else signal.SIGKILL
_ACTIVE = bool(_AT or _COUNT_FILE)
_lock = threading.Lock()
_passed = 0


def crash_point(name: str) -> None:
    if not _ACTIVE:
        return
    global _passed
    with _lock:
        _passed += 1
        if _COUNT_FILE:
            with open(_COUNT_FILE, "a", encoding="utf-8") as out:
                out.write(f"{_passed} {name}\n")
        if _passed == _AT:
            os.kill(os.getpid(), _SIGNAL)
