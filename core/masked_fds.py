"""File descriptors 1 and 2, masked while a run knows secrets.

masked_streams masks what goes through Python's sys.stdout and sys.stderr. A stage can
reach the console without them: `os.write(1, ...)`, a C library writing to fd 2, and
above all a child process it starts (`subprocess.run`, `os.system`), which inherits fds 1
and 2. So while a run knows secrets, fds 1 and 2 of this process are pipes: a thread reads
them, masks every known secret and writes what it read to the console they were.

Everything this process writes to fd 1 or 2 meanwhile goes through the pipe, Python's own
streams too (their writers let text through unmasked, the pipe masks it): one stream has
one writer to the console, so its bytes keep their order whoever wrote them (a `print`, a
child's output, a log line). A console that was a terminal still says so to Python's
streams (`isatty`, which the live view asks), and the terminal's size is asked of it.
A child sees a pipe, as it would under a CI runner.

A secret may come in pieces (written a part at a time, or cut into lines): what the
thread reads is masked and let out up to the end that may be the start of a secret still
to come (masked_tails.masked_release), and that end once the writers have paused DELAY
seconds. Reads that come in a burst wait up to DELAY to be masked together (masking costs
about a millisecond whatever the length), as masked_streams does.

When the run ends (`stop`, also at exit: fast_exit runs the atexit handlers before its
os._exit), Python's streams are flushed into the pipes, fds 1 and 2 are the console again,
and what the pipes hold is masked and written before `stop` returns. A child still
running that holds a pipe keeps being read, and masked, until it closes it; when this
process ends first, a keeper process forked at exit reads on. A forked child's fds 1
and 2 are still the pipes, which the parent reads: its Python streams let its writes
through to them, as the parent's do. A process killed at once (SIGKILL, a crash in C
code) has no time for that: what the pipes held then, not yet read, is lost with it.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import select
import signal
import sys
import threading
import time
from dataclasses import dataclass, field

from yt_pipeline import logs
from yt_pipeline.masked_tails import masked_release, reach
from yt_pipeline.secret_forms import mask_bytes

#: the descriptors masked: the console's
FDS = (1, 2)
#: how long, in seconds, a burst of reads waits to be masked together, and how long the
#: writers pause before the end that may be the start of a secret goes out
DELAY = 0.05
#: how many bytes held go out without waiting for the burst to pause
BATCH = 1 << 16
_READ = 1 << 16


@dataclass(eq=False)
class _Pipe:
    """Fd 1 or 2, or both when they are one console (a terminal, `2>&1`): the pipe now
    behind them, and the console they were."""

    #: each descriptor masked, and a copy of it as it was, which `stop` puts back
    saved: dict[int, int]
    console: int  # one of those copies: where the masked bytes go
    read_end: int
    is_terminal: bool
    #: the pipe's (st_dev, st_ino): a descriptor is masked while it is this pipe
    identity: tuple[int, int]
    held: bytes = b""
    read_at: float = 0.0  # when bytes last came
    let_out_at: float = 0.0  # when held bytes last went out
    closed: bool = False
    #: the console refused a write (a reader gone, `| head`): what follows is dropped, as
    #: the writers' own writes would have failed
    broken: bool = False
    forms_seen: list[str] = field(default_factory=list)
    reach_of_forms: int = 0

    def read(self, limit: int | None = BATCH) -> bool:
        """Take what the pipe holds, up to `limit` bytes held (at least one read); False
        once every writer has closed it. Without the limit a writer as fast as the
        reader kept it reading: all it wrote was held, megabytes of it, unmasked and
        copied over on every read, and the other pipe waited for all of it."""
        while True:
            try:
                data = os.read(self.read_end, _READ)
            except BlockingIOError:
                return True
            if not data:
                return False
            self.held += data
            self.read_at = time.monotonic()
            if limit is not None and len(self.held) >= limit:
                return True  # the rest once this is let out: the poll says it is there

    def let_out(self, now: float) -> None:
        """Let out what may go now (see the module's docstring)."""
        if not self.held:
            return
        forms = logs.masked_forms()
        quiet = now - self.let_out_at >= DELAY
        if not forms or now - self.read_at >= DELAY:
            # the writers paused. Not a line ended after a quiet spell: a secret cut into
            # lines (a PEM key, base64 wrapped at 76 columns) printed a line at a time by
            # a child went out a line at a time, each piece of it no form of the secret
            self.let_out_all()
            return
        if len(self.held) < BATCH and not quiet:
            return  # a burst: masked together once it has gone on DELAY seconds
        longest = self._reach(forms)
        if len(self.held) < 2 * longest:
            return  # all of it may be the start of a secret: it waits for the pause
        released, self.held = masked_release(self.held, forms, longest)
        self.let_out_at = now
        self._write(released)

    def due(self, now: float) -> float:
        """When what is held must be looked at again: as a burst's DELAY ends, then as
        the writers' pause reaches DELAY."""
        burst_ends = self.let_out_at + DELAY
        return burst_ends if burst_ends > now else self.read_at + DELAY

    def let_out_all(self) -> None:
        held, self.held = self.held, b""
        self.let_out_at = time.monotonic()
        if held:
            forms = logs.masked_forms()
            self._write(mask_bytes(held, forms) if forms else held)

    def note(self, line: str) -> None:
        self._write(line.encode())

    def close(self, console_too: bool) -> None:
        """The pipe read to its end; the console's copy too once fd is back on it."""
        if not self.closed:
            self.closed = True
            _close(self.read_end)
        if console_too:
            for fd in self.saved.values():
                _close(fd)

    def _reach(self, forms: list[str]) -> int:
        if forms is not self.forms_seen:  # the list is replaced when a secret is added
            self.forms_seen, self.reach_of_forms = forms, reach(forms)
        return self.reach_of_forms

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view and not self.broken:
            try:
                view = view[os.write(self.console, view):]
            except BlockingIOError:  # a console another process set non-blocking
                # poll, not select: select refuses a descriptor past 1023, and a process
                # with many files open has its copy of the console there
                writable = select.poll()
                writable.register(self.console, select.POLLOUT)
                writable.poll()
            except OSError:
                self.broken = True


class _Masking:
    """Fds 1 and 2 behind pipes, and the thread that masks what comes through them."""

    def __init__(self) -> None:
        #: the pipe behind each descriptor masked; one for both when they are one console
        self.pipes: dict[int, _Pipe] = {}
        self.lock = threading.Lock()
        self.stopped = False
        self.failed = False  # said once on the console
        #: the process is ending and a keeper process reads the pipes from now on
        self.handed_over = False
        saved: dict[int, int] = {}
        for fd in FDS:
            try:
                saved[fd] = _above_standard(fd)  # not inherited: a child gets the pipe only
            except OSError:
                continue  # not open: nothing to mask
        made: list[tuple[list[int], int, int]] = []
        try:  # every pipe made before a descriptor moves: none or all are masked
            for group in _consoles(saved):
                made.append((group, *_pipe_above_standard()))
        except OSError:  # no descriptor left (EMFILE): the run ends, saying so
            for fd in [*saved.values(), *(end for _, *ends in made for end in ends)]:
                _close(fd)
            raise
        for group, read_end, write_end in made:
            os.set_blocking(read_end, False)
            console = saved[group[0]]
            pipe = _Pipe({fd: saved[fd] for fd in group}, console, read_end,
                         os.isatty(console), _identity(write_end))
            for fd in group:
                self.pipes[fd] = pipe
                os.dup2(write_end, fd)  # inherited, as the console was
            os.close(write_end)
        self.thread = threading.Thread(target=self._forward, name="ytp-masked-fds",
                                       daemon=True)
        self.thread.start()

    def _forward(self) -> None:
        poll = select.poll()
        open_pipes = {pipe.read_end: pipe for pipe in self.pipes.values()  # each pipe once
                      if not pipe.closed}
        for read_end in open_pipes:
            poll.register(read_end, select.POLLIN)
        while open_pipes:
            now = time.monotonic()
            due = [pipe.due(now) for pipe in open_pipes.values() if pipe.held]
            wait = max(min(due) - now, 0.001) * 1000 if due else None
            events = poll.poll(wait)
            with self.lock:
                if self.handed_over:
                    return
                try:
                    self._forward_once(poll, open_pipes, events)
                except Exception as error:  # noqa: BLE001 - the writers must never block
                    # on a full pipe no one reads: what was held is dropped, not shown
                    for pipe in open_pipes.values():
                        pipe.held = b""
                        if not self.failed:
                            pipe.note(f"yt-pipeline: masking the console failed "
                                      f"({type(error).__name__}); some output was dropped\n")
                    self.failed = True

    def _forward_once(self, poll: select.poll, open_pipes: dict[int, _Pipe],
                      events: list[tuple[int, int]]) -> None:
        for read_end, event in events:
            pipe = open_pipes.get(read_end)
            if pipe is None or pipe.closed:
                continue
            if event & select.POLLNVAL or not pipe.read():  # no writer is left
                # (or the read end was closed under it: nothing more will come)
                poll.unregister(read_end)
                del open_pipes[read_end]
                pipe.let_out_all()
                pipe.close(console_too=self.stopped)
        now = time.monotonic()
        for pipe in open_pipes.values():
            pipe.let_out(now)

    def stop(self) -> None:
        """Fds 1 and 2 back on the console, after all written to them so far went out."""
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            try:
                if stream is not None:
                    stream.flush()
            except (OSError, ValueError):
                pass  # closed meanwhile: it has nothing to add
        with self.lock:
            if not self.stopped:  # called again at exit when an interrupt cut it short
                for fd, pipe in self.pipes.items():
                    os.dup2(pipe.saved[fd], fd)
                for pipe in set(self.pipes.values()):
                    if pipe.closed:  # fds were closed meanwhile, and read to their end
                        pipe.close(console_too=True)
                self.stopped = True
        self.drain()

    def written_elsewhere(self) -> bool:
        """Whether a pipe, stopped and drained, still has a writer: a process the run
        started that goes on after it (this process's own fds 1 and 2 are the console
        again). A pipe whose writers all closed it reports a hang-up."""
        with self.lock:
            for pipe in set(self.pipes.values()):
                if pipe.closed:
                    continue
                poll = select.poll()
                poll.register(pipe.read_end, select.POLLIN)
                if not any(event & (select.POLLHUP | select.POLLNVAL)
                           for _, event in poll.poll(0)):
                    return True
        return False

    def drain(self) -> None:
        with self.lock:
            for pipe in set(self.pipes.values()):
                if not pipe.closed:
                    pipe.read(limit=None)
                    pipe.let_out_all()


def _consoles(saved: dict[int, int]) -> list[list[int]]:
    """The descriptors grouped by console: fds 1 and 2 on one terminal, pipe or file
    (`2>&1`) share a pipe, so what is written to one and then the other shows in that
    order."""
    groups: list[list[int]] = []
    for fd, copy in saved.items():
        same = next((group for group in groups if _same_file(saved[group[0]], copy)), None)
        if same is None:
            groups.append([fd])
        else:
            same.append(fd)
    return groups


def _above_standard(fd: int) -> int:
    """A copy of fd that is not 0, 1 or 2, and not inherited. With fd 1 closed, a plain
    dup of fd 2 took its number: what the stage then wrote to fd 1 (where it would have
    failed) went straight to the console behind fd 2, unmasked."""
    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)


def _pipe_above_standard() -> tuple[int, int]:
    """A pipe whose ends are not 0, 1 or 2: with one of them closed, an end took its
    number, and a writer meaning the console wrote into the pipe."""
    ends = list(os.pipe())
    try:
        for index, end in enumerate(ends):
            if end < 3:
                ends[index] = _above_standard(end)
                os.close(end)
    except OSError:
        for end in ends:
            _close(end)
        raise
    _widen(ends[1])
    return ends[0], ends[1]


def _widen(write_end: int) -> None:
    """Let the pipe hold as much as the system allows (Linux: pipe-max-size, 1 MiB unless
    raised; the pages are taken only as it fills). The reader is a Python thread, which
    runs only with the GIL: C code that holds the GIL while it writes (a C extension's
    printf, a ctypes.PyDLL call) waits on a full pipe for a reader that waits for it, and
    the run hung once such a call wrote more than the 64 KiB a pipe holds by default."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is None:
        return  # not Linux: the pipe keeps its size
    try:
        with open("/proc/sys/fs/pipe-max-size") as setting:
            size = int(setting.read())
    except (OSError, ValueError):
        size = 1 << 20
    try:
        fcntl.fcntl(write_end, set_size, size)
    except OSError:
        pass  # refused (the user's pipes are over their limit): the default size


def _same_file(first: int, second: int) -> bool:
    return _identity(first) == _identity(second)


def _identity(fd: int) -> tuple[int, int]:
    status = os.fstat(fd)
    return status.st_dev, status.st_ino


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


_masking: _Masking | None = None
#: in a forked child, the parent's masking at the fork: the child's fds 1 and 2 are still
#: its pipes, read and masked by the parent, so Python's streams let the child's writes
#: through to them (held back, they were lost as the child ended: multiprocessing's
#: children end with os._exit)
_inherited: _Masking | None = None
#: those stopped, while their thread reads a pipe a child still holds: finished at exit
_lingering: list[_Masking] = []
_exit_registered = False


def start() -> bool:
    """Mask fds 1 and 2 from now on, if any secret is known; whether it does. Callers
    serialize start and stop (masked_streams.masked_console)."""
    global _masking, _exit_registered
    if _masking is not None or not logs.masked_forms():
        return _masking is not None
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()  # what Python holds was written before: to the console
        except (OSError, ValueError):
            pass
    if not _exit_registered:
        atexit.register(_at_exit)
        _exit_registered = True
    _masking = _Masking()
    return True


def stop() -> None:
    global _masking
    masking, _masking = _masking, None
    if masking is not None:
        # kept first: an interrupt within stop leaves it for the exit to finish
        _lingering[:] = [m for m in _lingering if m.thread.is_alive()] + [masking]
        masking.stop()


def _pipe_behind(fd: int | None) -> _Pipe | None:
    """The pipe fd writes into, if it is one of the masking's: fd may have been moved
    (a stage's `os.dup2(log, 1)`), and in a forked child it still is the parent's pipe,
    whose reader masks what the child writes."""
    masked = _masking if _masking is not None else _inherited
    pipe = masked.pipes.get(fd) if masked is not None and fd is not None else None
    if pipe is None or fd is None:
        return None
    try:
        return pipe if _identity(fd) == pipe.identity else None
    except OSError:  # closed meanwhile
        return None


def masking(fd: int | None) -> bool:
    """Whether fd is masked now (its writes go through a pipe that masks them)."""
    return _pipe_behind(fd) is not None


def console_is_terminal(fd: int) -> bool:
    """Whether the console behind masked fd is a terminal."""
    pipe = _pipe_behind(fd)
    return pipe is not None and pipe.is_terminal


def terminal_size(fd: int) -> os.terminal_size | None:
    """The size of the terminal behind masked fd; None when it is not masked or not a
    terminal."""
    pipe = _pipe_behind(fd)
    if pipe is None or not pipe.is_terminal:
        return None
    try:
        return os.get_terminal_size(pipe.saved[fd])
    except OSError:
        return None


def _at_exit() -> None:
    """The process is ending (fast_exit's os._exit follows the atexit handlers): nothing
    written to fds 1 and 2 may stay in a pipe, and a pipe a child still writes to goes on
    being read and masked by a keeper process."""
    stop()
    for masked in _lingering:
        masked.stop()
    _hand_over([masked for masked in _lingering if masked.written_elsewhere()])


def _hand_over(maskings: list[_Masking]) -> None:
    """A process the run started that outlives it (a daemon, a server left running) still
    writes into a pipe: with no one left to read it, its next write failed (EPIPE, or the
    SIGPIPE that kills it) and its output was lost. A forked keeper reads and masks what
    it writes, as the run did, until it closes the pipe; like that process, the keeper
    holds the console meanwhile, which is what it would have held unmasked."""
    if not maskings:
        return
    for masked in maskings:  # held across the fork: no reader is in the middle of a pipe
        masked.lock.acquire()
    try:
        pid = os.fork()
    except OSError:
        pid = -1  # no keeper: the process ends, and the pipes with it, as before
    if pid == 0:
        _keep_masking(maskings)
    for masked in maskings:
        masked.handed_over = pid > 0
        masked.lock.release()


def _keep_masking(maskings: list[_Masking]) -> None:
    """The keeper: the pipes' read ends and consoles are all it keeps open (a write end
    it kept would keep it waiting for itself), and a Ctrl-C or a closed terminal ends
    it no sooner than the writer it reads."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        pipes = [pipe for masked in maskings for pipe in set(masked.pipes.values())
                 if not pipe.closed]
        _close_all_but({0, 1, 2} | {fd for pipe in pipes
                                    for fd in (pipe.read_end, *pipe.saved.values())})
        readers = []
        for masked in maskings:
            masked.lock = threading.Lock()  # the one the fork copied is held
            readers.append(threading.Thread(target=masked._forward))
            readers[-1].start()
        for reader in readers:
            reader.join()
    finally:
        os._exit(0)


def _close_all_but(kept: set[int]) -> None:
    low = 0
    for fd in [*sorted(kept), max(os.sysconf("SC_OPEN_MAX"), max(kept) + 1)]:
        if low < fd:  # os.closerange(0, 0) closes every descriptor (CPython 3.11)
            os.closerange(low, fd)
        low = fd + 1


def _forget_in_child() -> None:
    """A forked child has no reader thread (its writes to the pipes are the parent's to
    read), and a lock a thread held at the fork is held for ever there: the child never
    stops the parent's masking, it only knows which pipes are behind its descriptors."""
    global _masking, _inherited
    _masking, _inherited = None, _masking or _inherited
    _lingering.clear()


os.register_at_fork(after_in_child=_forget_in_child)
