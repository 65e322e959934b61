"""SIGTERM landing at the crash points of a dev run of every kind of operation (test_adversarial_ops'
pipeline: sort, reduce, map_reduce, vanilla, map with checkpoints, YQL appends, two stages at
once), the run sending it to itself there (YTP_CRASH_SIGNAL=TERM): the run ends with exit
code 143 and the resume line (at its last writes, once it had finished by itself: exit 0 and
a line saying so), its record says how it ended (never RUNNING), its lock is let go, and
`--resume` gives every table exactly the rows of one run. A SIGTERM at the run's
last state writes left the record RUNNING and the lock file before.

The trials are the run's last two points and two seeded others among its first half (the
points of a run are the same up to there; later, a few more or fewer from run to run); `YTP_SIGTERM_TRIALS=<n>`
draws n others, and half of those then SIGTERM the `--resume` too, at one of its first
points (a long campaign; `YTP_ADV_SEED` draws other series, adversarial_helpers.seeded)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from adversarial_helpers import command, crash_points, finish, seeded, start
from test_adversarial_ops import check, make, reference, resume  # noqa: F401 - a fixture

SEEDED = int(os.environ.get("YTP_SIGTERM_TRIALS", "2"))
TERM = {"YTP_CRASH_SIGNAL": "TERM"}


#: the command's last line for a SIGTERM held while a run that had finished wrote its end
AFTER_END = "a SIGTERM came as the run ended: the run had finished, nothing was stopped"


def _stopped_cleanly(root: Path, code: int, out: str, before: set[str], label: str) -> None:
    last = out.strip().splitlines()[-1]
    records = [json.loads(p.read_text()) for p in (root / ".runs").glob("2*.json")
               if p.name not in before]
    if code == 0:  # held as the run, finished by itself, wrote its end: nothing to resume
        assert last == AFTER_END, f"{label}: {last!r}"
        assert [r["status"] for r in records] == ["SUCCESS"], label
    else:
        assert code == 143, f"{label}: exit {code}\n{out[-3000:]}"
        assert last.startswith("interrupted by SIGTERM; to resume: yt-pipeline run "), \
            f"{label}: {last!r}"
    assert "Traceback" not in out, f"{label}\n{out[-3000:]}"
    assert all(r["status"] in ("INTERRUPTED", "SUCCESS") for r in records), \
        f"{label}: {[r['status'] for r in records]}"
    assert not (root / ".runs" / "dev.lock").exists(), f"{label}: the lock file is left"


def _run_to(root: Path, point: int, from_end: int | None) -> tuple[int, str, int]:
    """Run `root` with SIGTERM at its crash point `point`; the exit code, the output and
    the point it came at. A run passes a few points more or fewer from one run to the next
    (the state is saved as outcomes come in, stages running at once): one that ended
    before `point` is run again with the point as far from its end as `from_end` says
    (None: the same point), on a fresh copy of the folder."""
    template = root.with_name(root.name + ".before")
    shutil.copytree(root, template)
    for _ in range(3):
        passed = root.parent / f"{root.name}.points"
        passed.unlink(missing_ok=True)
        code, out = finish(start(command(root), env={
            **TERM, "YTP_CRASH_AT": str(point), "YTP_CRASH_COUNT": str(passed)}), timeout=120)
        count = len(crash_points(passed))
        if count >= point:
            shutil.rmtree(template)
            return code, out, point
        assert code == 0, f"ended before its point {point} of {count}: exit {code}\n{out}"
        shutil.rmtree(root)
        shutil.copytree(template, root)
        if from_end is not None:
            point = count - from_end
    raise AssertionError(f"three runs ended before their crash point (last: {point})")


def test_sigterm_at_crash_points_stops_cleanly_and_resumes_to_exact_rows(
        tmp_path, reference):  # noqa: F811 - the fixture imported above
    count = len(reference["points"])
    rng = seeded(20261207_15)
    # (point, how far from the run's end it is meant to be: the last two are the end's)
    picks = [(count - 1, 1), (count, 0)] + [(rng.randint(1, count // 2), None)
                                            for _ in range(SEEDED)]
    template = make(tmp_path / "template")
    for trial, (point, from_end) in enumerate(picks):
        root = tmp_path / f"t{trial}"
        shutil.copytree(template, root)
        code, out, point = _run_to(root, point, from_end)
        label = f"SIGTERM at point {point}"
        _stopped_cleanly(root, code, out, set(), label)
        if trial >= 2 and trial % 2:  # the resume is stopped too, as it begins
            at = rng.randint(1, 12)
            before = {p.name for p in (root / ".runs").glob("2*.json")}
            code, out = finish(start(command(root, "--resume"),
                                     env={**TERM, "YTP_CRASH_AT": str(at)}), timeout=120)
            label += f", then the resume at its point {at}"
            if code != 0:  # it may pass fewer points than `at`
                _stopped_cleanly(root, code, out, before, label)
        resume(root, label)
        shutil.rmtree(root)
