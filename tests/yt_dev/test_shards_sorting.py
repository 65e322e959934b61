"""Byte-range shards and the external sort, tested directly."""

from __future__ import annotations

import json
import random

from yt_pipeline_dev.shards import split_by_groups, split_files
from yt_pipeline_dev.sorting import line_key, sort_files


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _read(segments):
    data = b""
    for s in segments:
        with open(s.path, "rb") as handle:
            handle.seek(s.start)
            data += handle.read(s.end - s.start)
    return data


def test_split_files_covers_every_line_once_in_order(tmp_path):
    a = _write(tmp_path / "a", [{"i": i, "pad": "x" * (i % 17)} for i in range(100)])
    b = _write(tmp_path / "b", [{"i": i} for i in range(100, 130)])
    for parts in (1, 2, 3, 7, 500):
        shards = split_files([a, b], parts)
        assert len(shards) <= parts
        joined = b"".join(_read(s) for s in shards)
        assert joined == a.read_bytes() + b.read_bytes()
        for shard in shards:
            assert _read(shard).endswith(b"\n")


def test_split_empty_input_gives_no_shard(tmp_path):
    # no rows, no job: a cluster starts none for an input without rows (TUserJobSizeConstraints
    # in yt/yt/server/controller_agent/job_size_constraints.cpp caps the job count at the
    # input's row count)
    empty = tmp_path / "e"
    empty.write_bytes(b"")
    assert split_files([empty], 4) == []
    assert split_files([empty, empty], 1) == []
    assert split_by_groups(empty, 1, line_key(["k"])) == []
    assert split_by_groups(empty, 3, line_key(["k"])) == []


def test_split_by_groups_never_cuts_a_group(tmp_path):
    rows = sorted(({"k": k % 5, "i": k} for k in range(300)), key=lambda r: r["k"])
    path = _write(tmp_path / "s", rows)
    shards = split_by_groups(path, 4, line_key(["k"]))
    seen = []
    for shard in shards:
        keys = {json.loads(line)["k"] for line in _read([shard]).splitlines()}
        assert not keys & set(seen)
        seen.extend(keys)
    assert b"".join(_read([s]) for s in shards) == path.read_bytes()


def test_external_sort_with_many_runs_is_stable(tmp_path):
    rng = random.Random(3)
    rows = [{"k": rng.choice([None, 1, 2.5, "a", "b", True]), "i": i} for i in range(3000)]
    source = _write(tmp_path / "in", rows)
    target = tmp_path / "out"
    count = sort_files([source], target, ["k"], work_dir=tmp_path, run_bytes=2000)
    assert count == 3000
    got = [json.loads(line) for line in target.read_text().splitlines()]
    # YT's order of types: null, integers, doubles, booleans, strings (2.5 after every int)
    rank = {type(None): 0, int: 1, float: 2, bool: 3, str: 4}
    expected = sorted(rows, key=lambda r: (rank[type(r["k"])], r["k"] if r["k"] is not None
                                           else 0))
    assert got == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]
