"""Run one command, timing it and sampling the resident memory of its whole process tree."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _listed_children(pid: int) -> list[int] | None:
    """The children of `pid` as the kernel lists them per thread (/proc/<pid>/task/<tid>/
    children): a few small reads for the process tree alone, where scanning every process
    on the machine for its parent costs several milliseconds a sample, taken from whichever
    side uses both cores. None when the kernel does not list them."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    found: list[int] = []
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as handle:
                found += map(int, handle.read().split())
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{tid}"):
                continue  # the thread ended
            return None
        except OSError:
            continue
    return found


def _children() -> dict[int, list[int]]:
    """Every process's children, from each process's parent: the fallback."""
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                # the command name may hold spaces; the parent pid follows its closing paren
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def tree_rss(root: int) -> tuple[int, int]:
    """(bytes resident in `root` and all its descendants, in the largest of them), now."""
    tree: dict[int, list[int]] | None = None
    total, largest, todo = 0, 0, [root]
    while todo:
        pid = todo.pop()
        # once the kernel has not listed one process's children, the full scan serves all
        children = _listed_children(pid) if tree is None else None
        if children is None:
            if tree is None:
                tree = _children()
            children = tree.get(pid, [])
        todo.extend(children)
        try:
            with open(f"/proc/{pid}/statm") as handle:
                resident = int(handle.read().split()[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            continue
        total += resident
        largest = max(largest, resident)
    return total, largest


@dataclass
class RunResult:
    seconds: float
    peak_rss: int
    #: the peak of the largest single process (the driver or one job)
    peak_process_rss: int
    returncode: int
    output: str
    phases: dict[str, float] = field(default_factory=dict)
    #: speed_probe() just before the run: how fast the machine was then
    probe: float = 0.0
    #: CPU seconds the hypervisor gave to others while the run ran (stolen_seconds)
    steal: float = 0.0
    #: pair_probe() and memory_probe() just before the run: what two cores and the memory
    #: gave then
    pair: float = 0.0
    memory: float = 0.0

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def _sample_memory(proc: subprocess.Popen[bytes], every_s: float = 0.02) -> tuple[int, int]:
    """The peaks (whole tree, largest process) of `proc`'s memory, sampled every `every_s`
    until it exits."""
    peak = peak_process = 0
    while proc.poll() is None:
        total, largest = tree_rss(proc.pid)
        peak, peak_process = max(peak, total), max(peak_process, largest)
        time.sleep(every_s)
    return peak, peak_process


def settle_disk() -> None:
    """Write what earlier runs left in the page cache to disk, before the next is timed.

    The kernel writes a run's files back after it has ended, while the next one runs: after
    yt-framework's data phase some 268 MB were waiting (/proc/meminfo Dirty), written in
    about 0.2 s. Our data phase right after it took 1.47 s (median of 3) without this and
    1.38 s with it; the runs after ours, which leave less, paid less. Each run now starts
    with nothing of another left to write, whichever framework went before it."""
    os.sync()


#: iterations of speed_probe's loop: 30 to 55 ms on the 2-core VM this bench was made on
PROBE_LOOPS = 300_000


def speed_probe() -> float:
    """Seconds a fixed loop of Python takes here and now. That VM runs the same loop at two
    speeds some 45% apart, switching every few seconds (twice this loop took 0.107 s a time
    for five seconds, then 0.06 s), and a 1.5 s run lands in one or the other: the probe
    taken just before each run shows which, beside the run's figures."""
    started = time.perf_counter()
    total = 0
    for number in range(PROBE_LOOPS):
        total += number * number
    return time.perf_counter() - started


def pair_probe() -> float:
    """Seconds speed_probe's loop takes when two processes run it at once (the slower of
    the two): what the VM's two cores give together now. Our data run puts two jobs, or a
    job and the driver, on them at once, yt-framework's one process: a spell in which the
    second core gives little slows our run and not theirs, and the single loop's probe does
    not see it."""
    read_end, write_end = os.pipe()
    children = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:  # the child: the loop, its time to the pipe, and out
            code = 1
            try:
                os.close(read_end)
                os.write(write_end, struct.pack("d", speed_probe()))
                code = 0
            finally:
                os._exit(code)
        children.append(pid)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as answers:
        data = answers.read()
    for pid in children:
        os.waitpid(pid, 0)
    times = [value for (value,) in struct.iter_unpack("d", data[: len(data) // 8 * 8])]
    return max(times) if len(times) == 2 else 0.0


#: bytes memory_probe copies: far past the caches of any VM the bench runs on
MEMORY_PROBE_BYTES = 64 << 20


def memory_probe() -> float:
    """Seconds to copy MEMORY_PROBE_BYTES from one buffer to another, both written before
    (an untouched buffer is the kernel's one page of zeros, read from the cache), the best
    of two: the memory's speed now, which the decoding and copying of a data run's 46 MB
    of rows lean on and the probes' loops, held in the caches, do not."""
    source = bytearray(b"x") * MEMORY_PROBE_BYTES
    target = bytearray(b"y") * MEMORY_PROBE_BYTES
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        target[:] = source
        best = min(best, time.perf_counter() - started)
    return best


def stolen_seconds() -> float:
    """CPU seconds the hypervisor has so far kept this VM's CPUs waiting while it ran
    something else: the `steal` column of /proc/stat's first line (the eighth number, in
    clock ticks, summed over the CPUs; proc(5)). 0 where the kernel does not count it. A run
    during which much was stolen ran slower than the same code does on an idle host, however
    idle the VM itself was."""
    try:
        with open("/proc/stat") as handle:
            fields = handle.readline().split()
    except OSError:
        return 0.0
    if len(fields) < 9 or fields[0] != "cpu":
        return 0.0
    return int(fields[8]) / os.sysconf("SC_CLK_TCK")


def run_measured(cmd: list[str], cwd: Path, env: dict[str, str], timings: Path) -> RunResult:
    timings.unlink(missing_ok=True)
    env = {**env, "BENCH_TIMINGS": str(timings)}
    settle_disk()
    probe = speed_probe()
    pair, memory = pair_probe(), memory_probe()
    stolen_before = stolen_seconds()
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()), daemon=True)
    reader.start()
    peaks: list[tuple[int, int]] = []
    sampler = threading.Thread(target=lambda: peaks.append(_sample_memory(proc)), daemon=True)
    sampler.start()
    # the end is the process's own exit, as waitpid reports it: the memory samples are
    # 20 ms apart, and a run timed at the first sample after it (as this bench once did)
    # counted 0-20 ms more than it took, a tenth of a run as short as hello world
    proc.wait()
    seconds = time.perf_counter() - started
    steal = stolen_seconds() - stolen_before
    reader.join()
    sampler.join()
    peak, peak_process = peaks[0] if peaks else (0, 0)
    phases: dict[str, float] = {}
    if timings.exists():
        for line in timings.read_text().splitlines():
            record = json.loads(line)
            phases[record["phase"]] = record["seconds"]
    output = b"".join(chunks).decode(errors="replace")
    return RunResult(seconds, peak, peak_process, proc.returncode, output, phases, probe,
                     steal, pair, memory)
