"""The physical limits of the comparison's phases, measured in the same run on the same rows:
how fast this machine can do the bare work with the fastest tools the dev engine uses, with
no framework around it.

- write: msgspec encodes the rows of phase (1) to a JSON-lines file, a block per call;
- map: one process reads that file, makes each row anew with the field doubled as the
  pipeline's mapper does, writes the result; and the same work split as the pipeline's
  map splits it, two halves of the file mapped at once by two forked processes (what 2 jobs
  on this machine's cores can do at best: two cores of a VM seldom give twice one core's
  speed, so it is measured, not taken as half of one process);
- YQL group-by: DuckDB, already imported and connected, runs the query's group-by over the
  doubled file with its columns given (its own read of the JSON included);
- read back: msgspec decodes the doubled file, counting rows and summing a field, as the
  read-back stage does;
- start-up: `python -c pass`, the interpreter alone (the floor of "hello world").

Each is the best of `repeat` runs, and of the block sizes below: a limit is what the machine
can do, not what it does on average. The block size matters more than any framework's own
work: on a 2-core VM, reading the million doubled rows took 0.29 s in 64 KiB blocks and
0.49 s in 4 MiB ones (a block's decoded rows then outgrow the caches), and mapping them
0.43 s against 0.88 s; writing them took 0.30 s in blocks of 1,024 rows and 0.34 s in
blocks of 10,000.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

#: rows encoded per call when writing: the best of these is the limit
ROW_BLOCKS = (1_024, 10_000)
#: bytes read per call when reading or mapping: the best of these is the limit
BYTE_BLOCKS = (1 << 16, 1 << 18)


def _best(work: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def _best_of_blocks(work: Callable[[int], object], blocks: tuple[int, ...],
                    repeat: int) -> float:
    return min(_best(functools.partial(work, block), repeat) for block in blocks)


def _write(path: Path, rows: int, block: int) -> None:
    import msgspec

    encode = msgspec.json.Encoder().encode_lines
    with path.open("wb") as out:
        for start in range(0, rows, block):
            out.write(encode([{"id": i, "name": f"user{i}", "score": i % 1000}
                              for i in range(start, min(rows, start + block))]))


def _lines(path: Path, size: int):
    """The file in blocks of whole lines (reads of `size` bytes, cut after the last
    newline)."""
    rest = b""
    with path.open("rb") as handle:
        while block := handle.read(size):
            block = rest + block
            cut = block.rfind(b"\n") + 1
            rest = block[cut:]
            if cut:
                yield block[:cut]
    if rest:
        yield rest


def _map(source: Path, target: Path, size: int) -> None:
    import msgspec

    decode, encode = msgspec.json.Decoder().decode_lines, msgspec.json.Encoder().encode_lines
    with target.open("wb") as out:
        for chunk in _lines(source, size):
            # the mapper's own work, as its script writes it (a new dict a row)
            out.write(encode([{**row, "score": row["score"] * 2} for row in decode(chunk)]))


def _halves(path: Path) -> list[Path]:
    """The file cut in two at the line boundary nearest its middle (outside the timing)."""
    data = path.read_bytes()
    cut = data.index(b"\n", len(data) // 2) + 1
    halves = [path.with_name(f"half{i}.jsonl") for i in (0, 1)]
    halves[0].write_bytes(data[:cut])
    halves[1].write_bytes(data[cut:])
    return halves


def _map_forked(halves: list[Path], size: int) -> None:
    """Each half mapped by a process of its own, at once; both must succeed."""
    children = []
    for half in halves:
        pid = os.fork()
        if pid == 0:  # the child: msgspec is imported already, as a job's would be
            code = 1
            try:
                _map(half, half.with_suffix(".doubled"), size)
                code = 0
            finally:
                os._exit(code)
        children.append(pid)
    for pid in children:
        if os.waitpid(pid, 0)[1] != 0:
            raise RuntimeError("a forked map of half the rows failed")


def _read(path: Path, rows: int, size: int) -> None:
    """What the read-back stage does: count the rows and sum a field, then check both."""
    import msgspec

    decode, count, total = msgspec.json.Decoder().decode_lines, 0, 0
    for chunk in _lines(path, size):
        for row in decode(chunk):
            count += 1
            total += row["score"]
    if count != rows or total != 2 * sum(i % 1000 for i in range(rows)):
        raise AssertionError(f"read {count} rows, sum {total}")


def _group_by(path: Path) -> Callable[[], object]:
    import duckdb

    connection = duckdb.connect()
    query = (
        "SELECT score % 10 AS bucket, COUNT(*) AS n, SUM(score) AS total FROM read_json("
        f"'{path}', format='newline_delimited', "
        "columns={'id': 'BIGINT', 'name': 'VARCHAR', 'score': 'BIGINT'}) GROUP BY score % 10")
    return lambda: connection.execute(query).fetchall()


def _interpreter_start(repeat: int, python: Path) -> float:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return _best(lambda: subprocess.run([str(python), "-c", "pass"], env=env, check=True),
                 max(repeat, 5))


def measure(rows: int, repeat: int = 3, python: Path | None = None) -> dict[str, float]:
    """{phase: seconds} for the phases of run.py's table (data phases and "hello")."""
    os.sync()  # as before each framework's run (measure.settle_disk)
    with tempfile.TemporaryDirectory(prefix="ytp-limits-") as scratch:
        written, doubled = Path(scratch, "rows.jsonl"), Path(scratch, "doubled.jsonl")
        limits = {
            "write": _best_of_blocks(lambda block: _write(written, rows, block), ROW_BLOCKS,
                                     repeat),
            "map": _best_of_blocks(lambda size: _map(written, doubled, size), BYTE_BLOCKS,
                                   repeat)}
        halves = _halves(written)
        limits["map_2_jobs"] = _best_of_blocks(lambda size: _map_forked(halves, size),
                                               BYTE_BLOCKS, repeat)
        limits["yql"] = _best(_group_by(doubled), repeat)
        limits["read"] = _best_of_blocks(lambda size: _read(doubled, rows, size),
                                         BYTE_BLOCKS, repeat)
    limits["total"] = sum(limits[k] for k in ("write", "map_2_jobs", "yql", "read"))
    # the interpreter the pipelines run with: its venv's start-up is part of the floor
    limits["hello"] = _interpreter_start(repeat, python or Path(sys.executable))
    return limits


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    for phase, seconds in measure(count).items():
        print(f"{phase:<12}{seconds:8.3f} s")
