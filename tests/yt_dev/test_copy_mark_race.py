"""Runs sharing a `.dev` folder tell a copied folder by a mark naming the folder it was
made in (yql_schema._follow_a_copy). The mark is written whole or not at all: read half
written by another run, it named no folder, the folder was taken for a copy, and that run
walked every table file, a transaction's too, which its owner was removing (a run failed
with FileNotFoundError on `.dev/.txn/<id>`)."""

from __future__ import annotations

import threading
from pathlib import Path

import yt_pipeline_dev.yql_schema as schema_module
from yt_pipeline_dev.yql_schema import BY_CONTENT, DECLARED_DIR, FOLDER_MARK


def test_runs_writing_the_mark_at_once_never_take_the_folder_for_a_copy(tmp_path: Path,
                                                                        monkeypatch):
    root = tmp_path / ".dev"
    table = root / "t" / "a.jsonl"
    table.parent.mkdir(parents=True)
    table.write_text('{"k": 1}\n')
    kept = root / DECLARED_DIR
    (kept / BY_CONTENT).mkdir(parents=True)
    # an entry of the table's size: a run that takes the folder for a copy hashes the table
    (kept / BY_CONTENT / f"{table.stat().st_size}-0.json").write_text("{}")
    hashed = []
    content_file = schema_module._content_file
    monkeypatch.setattr(schema_module, "_content_file",
                        lambda *args: (hashed.append(args[1]), content_file(*args))[1])
    for attempt in range(200):
        (kept / FOLDER_MARK).unlink(missing_ok=True)
        threads = [threading.Thread(target=schema_module._follow_a_copy, args=(root,))
                   for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert hashed == [], f"attempt {attempt}: the folder was taken for a copy of another"
    assert not [p for p in kept.iterdir() if p.name.endswith(".tmp")]


def test_a_copy_walks_past_hidden_folders_and_files_gone_meanwhile(tmp_path: Path):
    root = tmp_path / ".dev"
    (root / "t").mkdir(parents=True)
    (root / "t" / "a.jsonl").write_text('{"k": 1}\n')
    (root / ".txn" / "1-2-3").mkdir(parents=True)
    (root / ".txn" / "1-2-3" / "1.jsonl").write_text('{"k": 2}\n')
    (root / ".hidden.jsonl").write_text('{"k": 3}\n')
    assert sorted(schema_module._table_files(root, ".jsonl")) == [root / "t" / "a.jsonl"]
