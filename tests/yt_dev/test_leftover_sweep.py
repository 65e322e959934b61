"""The sweeps at a dev run's start walk only where what they look for can be.

The sweep of temporary files (atomic.remove_leftovers) walked the whole dev folder with
Path.rglob and dropped the hits in the folders other sweeps look after: it listed every file
of each kept sandbox (a user's whole code tree and inputs), of `.removed` and `.sort`, and
the sweep of kept schemas (yql_schema.prune_declared) stat'ed them all as well. A temporary
file a killed write left in a table's folder, at the top of the dev folder, or beside a
lock marker or a cache entry (yamlio.write_file_atomic) is still removed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from yt_pipeline_dev import atomic, later_removal, sort_work, whole_lines
from yt_pipeline_dev.atomic import remove_leftovers
from yt_pipeline_dev.client import DevClient
from yt_pipeline_dev.folder_removal import REMOVED_DIR
from yt_pipeline_dev.launcher import SANDBOXES_DIR
from yt_pipeline_dev.staging import TXN_DIR
from yt_pipeline_dev.tablelock import LOCKS_DIR
from yt_pipeline_dev.yql_schema import (
    BY_CONTENT,
    CACHE_DIR,
    DECLARED_DIR,
    PRUNE_ABOVE,
    PRUNE_AFTER_S,
    declared,
    prune_declared,
)

OLD = time.time() - 60


def _made(path: Path, text: str = '{"half": ', when: float = OLD) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (when, when))
    return path


@pytest.fixture
def listed(monkeypatch) -> list[Path]:
    """Every folder os.scandir lists (os.walk and Path.rglob list through it)."""
    seen: list[Path] = []
    scandir = os.scandir

    def recording(path="."):
        if not isinstance(path, int):  # an open folder's descriptor (client.py) is not walked
            seen.append(Path(os.fsdecode(path)).resolve())
        return scandir(path)

    monkeypatch.setattr(os, "scandir", recording)
    return seen


def _under(seen: list[Path], folder: Path) -> list[Path]:
    folder = folder.resolve()
    return [p for p in seen if p == folder or folder in p.parents]


def test_the_skipped_folders_are_the_dev_plugins_own(tmp_path: Path):
    assert {TXN_DIR, SANDBOXES_DIR, REMOVED_DIR, sort_work.SORT_DIR} == atomic.SWEPT_ELSEWHERE
    assert Path(atomic.CACHE_DIR) / atomic.UNWRITTEN_CACHE == whole_lines.MARKS_DIR
    assert later_removal.aside_folder(Path("/d") / SANDBOXES_DIR / "s").name == REMOVED_DIR
    # the cache's folder passed over is written by a touch alone: no temporary file
    client = DevClient(tmp_path / ".dev")
    client.write_table("//h/t", [{"k": 1}])
    whole_lines.vouch(client.root, client.table_path("//h/t"))
    marks = list((client.root / whole_lines.MARKS_DIR).iterdir())
    assert marks and not [m for m in marks if m.name.startswith(".")]


def test_leftovers_of_writes_go_and_the_folders_of_other_sweeps_are_not_entered(
        tmp_path: Path, listed: list[Path]):
    root = tmp_path / ".dev"
    gone = [
        _made(root / "a/b/c/d/.t.jsonl.k1ll3d.tmp"),  # deep in a table's folder
        _made(root / ".t.jsonl.x9y8z7.tmp"),  # a table at the top (//t)
        _made(root / "^.h/.t.jsonl.q1w2e3.tmp"),  # in the YT folder //.h
        # a lock marker's and a cache entry's (yamlio.write_file_atomic)
        _made(root / LOCKS_DIR / ".a-0123.pending.abc123.tmp"),
        _made(root / LOCKS_DIR / "folders/.t1.json.def456.tmp"),
        _made(root / DECLARED_DIR / ".1-2-3.json.ghi789.tmp"),
        _made(root / DECLARED_DIR / BY_CONTENT / ".8-ab.json.jkl012.tmp"),
        _made(root / CACHE_DIR / ".4-5-6.json.mno345.tmp"),
    ]
    user = root / SANDBOXES_DIR / "sandbox_a_to_b"
    stays = [
        _made(root / "a/b/.t.jsonl.n3w.tmp", when=time.time() + 60),  # a write of this run
        _made(root / "a/.notes.tmp.keep"),  # not a temporary file's name
        # a transaction's folder: a live run of another pipeline's (recovery.sweep)
        _made(root / TXN_DIR / "123-abc/.t.jsonl.u7i8o9.tmp"),
        # a kept sandbox: the user's files as they were
        _made(user / "code/.editor.tmp", "mine"),
        _made(user / "code/pkg/deep/.cache.x.tmp", "mine too"),
        # moved aside for removal, removed whole by its own sweep (later_removal,
        # folder_removal.clean)
        _made(root / REMOVED_DIR / "1-2-3/.t.jsonl.p0o9i8.tmp"),
        _made(root / REMOVED_DIR / "sandbox_s.1a2b3c4d.stale/.w.tmp"),
        # a sort's folder, maybe a live sort's: sort_work.sweep removes a dead one whole
        _made(root / sort_work.SORT_DIR / "99-abc/.x.y.tmp"),
        # sandboxes older versions kept at the top of the dev folder
        _made(root / "sandbox_old_to_new/.u.tmp"),
        _made(root / "stage_sandbox/.v.tmp"),
    ]
    for folder in ("e/f", f"{SANDBOXES_DIR}/sandbox_a_to_b/code/pkg/deep/more"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "a/.link.tmp").symlink_to(root / "e")  # a link to a folder is no file
    stamps = {p: (p.read_text(), p.stat().st_mtime) for p in stays}

    assert remove_leftovers(root, before=time.time()) == len(gone)

    assert [p for p in gone if p.exists()] == []
    assert {p: (p.read_text(), p.stat().st_mtime) for p in stays} == stamps
    assert (root / "a/.link.tmp").is_symlink()
    # the walk listed none of the folders other sweeps look after, nor the cache's marks
    for skipped in (TXN_DIR, SANDBOXES_DIR, REMOVED_DIR, sort_work.SORT_DIR,
                    whole_lines.MARKS_DIR):
        assert _under(listed, root / skipped) == [], skipped
    # an old sandbox at the top is listed at its top only: it may be a YT folder's
    # (test_a_yt_folder_named_like_an_old_sandbox_loses_its_leftovers)
    for sandbox in ("sandbox_old_to_new", "stage_sandbox"):
        assert _under(listed, root / sandbox) == [(root / sandbox).resolve()], sandbox
    assert _under(listed, root / "e/f") and _under(listed, root / DECLARED_DIR / BY_CONTENT)


def test_kept_schemas_are_pruned_without_walking_dev_folders(tmp_path: Path,
                                                             listed: list[Path]):
    """A top-level YT folder named like an old sandbox (//sandbox_x, stored as `sandbox_x`:
    paths.stored_name changes only names beginning with "." or "^") holds tables whose
    schemas stay."""
    client = DevClient(tmp_path / ".dev")
    root, table = client.root, "//sandbox_x/t"
    client.write_table("//h/src", [{"k": i, "who": f"r{i}"} for i in range(5)])
    client.run_yql(f"INSERT INTO `{table}` WITH TRUNCATE SELECT k, who FROM `//h/src`")
    for i in range(PRUNE_ABOVE):
        client.write_table(table, [{"k": 100 + i, "who": f"a{i}"}], append=True)
    live = client.table_path(table)
    for n in range(50):
        _made(root / SANDBOXES_DIR / "sandbox_a_to_b/code" / f"f{n}.py", "x = 1\n")
    kept = (root / DECLARED_DIR).resolve()
    entries = [*kept.glob("*.json"), *(kept / BY_CONTENT).glob("*.json")]
    assert len(entries) > 2 * PRUNE_ABOVE
    then = time.time() - PRUNE_AFTER_S - 60
    for entry in entries:
        os.utime(entry, (then, then))
    listed.clear()

    removed = prune_declared(root, now=time.time())

    left = [*kept.glob("*.json"), *(kept / BY_CONTENT).glob("*.json")]
    assert removed == len(entries) - len(left) and len(left) <= 4, sorted(e.name for e in left)
    assert declared(root, live) == [("k", "BIGINT"), ("who", "VARCHAR")]
    assert _under(listed, root / SANDBOXES_DIR) == []
    assert [p for p in _under(listed, root / ".cache") if p not in (kept, kept / BY_CONTENT)] \
        == []


def test_a_yt_folder_named_like_an_old_sandbox_loses_its_leftovers(tmp_path: Path,
                                                                     listed: list[Path]):
    """//sandbox_x and //x_sandbox are stored as `sandbox_x` and `x_sandbox`
    (paths.stored_name changes only names beginning with "." or "^"), the names of the
    sandboxes older versions kept at the top of the dev folder: a killed write's temporary
    file in them, or in their folders, stayed for good. A YT folder holds only table
    files, their writes' temporary files and folders not beginning with "."; an old
    sandbox holding anything else is left as it is, its user files all kept."""
    client = DevClient(tmp_path / ".dev")
    root = client.root
    for table in ("//sandbox_x/t", "//sandbox_x/sub/deep/t", "//x_sandbox/t"):
        client.write_table(table, [{"k": table}])
    gone = [
        _made(root / "sandbox_x/.t.jsonl.k1ll3d.tmp"),
        _made(root / "sandbox_x/sub/deep/.t.jsonl.q1w2e3.tmp"),
        _made(root / "sandbox_x/sub/deep/.t.jsonl.q1w2e3.tmp.part.tmp"),
        _made(root / "x_sandbox/..t.jsonl.x9y8z7.tmp.77.ordered.tmp"),
        _made(root / "sandbox_y/.gone.jsonl.a1b2c3.tmp"),  # //sandbox_y: no table left
    ]
    stays = [
        _made(root / "sandbox_x/sub/.t.jsonl.n3w.tmp", when=time.time() + 60),  # this run's
        # an old sandbox: the user's files, a name like a table write's temporary one too
        _made(root / "sandbox_old_to_new/run.py", "print(1)\n"),
        _made(root / "sandbox_old_to_new/data/.t.jsonl.abc123.tmp", "mine"),
        _made(root / "stage_sandbox/.v.tmp", "mine"),
        _made(root / "stage_sandbox/out/.t.jsonl.def456.tmp", "mine"),
    ]
    stamps = {p: (p.read_text(), p.stat().st_mtime) for p in stays}
    listed.clear()

    assert remove_leftovers(root, before=time.time()) == len(gone)

    assert [p for p in gone if p.exists()] == []
    assert {p: (p.read_text(), p.stat().st_mtime) for p in stays} == stamps
    for table in ("//sandbox_x/t", "//sandbox_x/sub/deep/t", "//x_sandbox/t"):
        assert list(client.read_table(table)) == [{"k": table}]
    # an old sandbox is listed at its top, not walked
    for sandbox in ("sandbox_old_to_new", "stage_sandbox"):
        assert _under(listed, root / sandbox) == [(root / sandbox).resolve()], sandbox
