"""sys.stdout and sys.stderr, masked while a run goes.

A stage's own `print(...)`, `sys.stderr.write(...)`, or a library it calls that prints,
reaches the console through these two streams, not through logging: while a run goes they
are replaced by writers that mask every known secret (logs.masked) before handing the text
on. Text that holds no secret is handed on unchanged, so rows a stage prints come out byte
for byte as they were written.

A secret may be written in pieces (`sys.stdout.write` a part at a time, `print(a, end="")`),
so a writer holds what it is given until a line ends (or a `\r`, a progress bar's line),
then masks the whole of it; Python's console streams show a line only once it ends too
(stderr is line-buffered, stdout to a terminal as well). Masking costs about a
millisecond a call whatever the text's length (each of a secret's hundreds of forms is
searched for), so lines that come in a burst are masked together: a line that ends after a
quiet spell goes out at once, those that follow within DELAY seconds wait for it to pass
(or for BATCH characters); lines flushed one by one (`print(row, flush=True)`) are such a
burst too. Of a line begun and flushed, all but the end that may be the start of a secret
goes out, and that end once the writer has paused DELAY seconds: a secret flushed piece by
piece is masked whole, and a progress bar that flushes its partial line still moves. The
console's log lines let out the lines held first, so a stage's printed and logged lines
keep their order. What a stage writes without ending a line is held up to HOLD
characters; past that, all but the end that may be the start of a secret is let out,
masked. While no secret is known, what is written goes straight through.

Only Python's writes are seen here: a child process the stage starts, or `os.write` on fd 1
or 2, write to the file descriptors themselves, which masked_fds masks. While it does, a
writer over fd 1 or 2 lets everything through at once: the pipe behind the descriptor
masks it, in its order with the bytes the descriptor takes from elsewhere.
"""

from __future__ import annotations

import io
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, AnyStr, Generic

from yt_pipeline import logs, masked_fds
from yt_pipeline.masked_tails import masked_release, reach
from yt_pipeline.secret_forms import mask_bytes

#: what a writer holds at most of a line not yet ended
HOLD = 1 << 16
#: how long, in seconds, lines of a burst wait to be masked together, and how many
#: characters they may reach before they go out anyway
DELAY = 0.05
BATCH = 1 << 16

_ENDS_TEXT = ("\n", "\r")
_ENDS_BYTES = (b"\n", b"\r")


class _MaskingWriter(Generic[AnyStr]):
    """Holds, masks and hands on what is written to `stream` (see the module's docstring)."""

    def __init__(self, stream: Any, mask: Callable[[AnyStr], AnyStr],
                 ends: tuple[AnyStr, ...], empty: AnyStr):
        self._stream = stream
        self._mask: Callable[[AnyStr], AnyStr] = mask
        self._ends: tuple[AnyStr, ...] = ends
        self._empty: AnyStr = empty
        self._held: AnyStr = empty
        self._lock = threading.RLock()
        self._let_out_at = 0.0  # when held lines last went out
        self._written_at = 0.0
        self._timer: threading.Timer | None = None
        #: a piece of a line was flushed: it goes out whole once the writer pauses
        self._flushed = False
        #: the descriptor the stream writes to: masked there, it is not masked here
        self._fd = _fileno(stream)
        #: in a forked child: lines go out as they end (see forget_in_child)
        self._forked = False

    def _masks(self) -> bool:
        """Whether what is written is masked here: secrets are known, and the descriptor
        the stream writes to does not mask it (masked_fds)."""
        return bool(logs.masked_forms()) and not masked_fds.masking(self._fd)

    def write(self, data: AnyStr) -> int:
        if not isinstance(data, type(self._empty)):  # let the stream refuse it, as before
            self.let_out_all()
            return int(self._stream.write(data))
        with self._lock:
            if not self._held and not self._masks():
                # no secret known, or masked by the descriptor: nothing to hold back
                return int(self._stream.write(data))
            self._held += data
            self._written_at = now = time.monotonic()
            if not self._held.endswith(self._ends):
                if len(self._held) > HOLD:
                    self._let_out_all_but_its_end()
            elif self._forked or len(self._held) >= BATCH or now - self._let_out_at >= DELAY:
                self._let_out()
            elif self._timer is None:
                self._arm(DELAY - (now - self._let_out_at))
        return len(data)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """A line ended goes out; of a piece of a line, all but the end that may be the
        start of a secret whose rest comes next, and that end once the writer has paused
        DELAY seconds (a progress bar redrawn and flushed moves on a little late)."""
        with self._lock:
            if not self._masks():
                self._let_out()
            elif self._held.endswith(self._ends):
                # lines flushed one by one (`print(row, flush=True)`) are a burst too
                if (self._forked or len(self._held) >= BATCH
                        or time.monotonic() - self._let_out_at >= DELAY):
                    self._let_out()
                elif self._timer is None:
                    self._arm(DELAY - (time.monotonic() - self._let_out_at))
            elif self._held:
                self._let_out_all_but_its_end()
                self._flushed = bool(self._held)
                if self._flushed and self._timer is None:
                    self._arm(DELAY)
        self._stream.flush()

    def let_out_all(self) -> None:
        """Let out all that is held, and flush the stream (the run has ended)."""
        with self._lock:
            self._let_out()
        self._stream.flush()

    def let_out_lines(self) -> None:
        """Let out what is held, up to its last line end (a log line is about to be
        written to the console)."""
        with self._lock:
            self._let_out_lines()

    def forget_in_child(self) -> None:
        """This is a forked child: what the parent held is the parent's to let out (the
        child's copy came out twice), its timer thread is not here, and a lock another
        thread held at the fork is held for ever. Lines go out as they end, not in bursts:
        a child ends with os._exit once it has flushed (multiprocessing), and lines a
        burst held then were lost."""
        self._lock = threading.RLock()
        self._held = self._empty
        self._timer = None
        self._flushed = False
        self._forked = True

    def _arm(self, after: float) -> None:
        self._timer = threading.Timer(max(after, 0.001), self._on_time)
        self._timer.daemon = True
        self._timer.start()

    def _on_time(self) -> None:
        with self._lock:
            self._timer = None
            if self._held.endswith(self._ends):
                self._let_out()
                self._stream.flush()  # the lines may have been flushed while held
            elif self._held:
                # a line begun: what it follows goes out once the writer has paused in it
                # (the two writes of one `print` come microseconds apart)
                paused = time.monotonic() - self._written_at
                if paused >= DELAY:
                    if self._flushed:
                        self._let_out()
                        self._stream.flush()
                    else:
                        self._let_out_lines()
                else:
                    self._arm(DELAY - paused)

    def _let_out(self) -> None:
        held, self._held = self._held, self._empty
        self._flushed = False
        self._let_out_at = time.monotonic()
        if held:
            self._stream.write(self._mask(held))

    def _let_out_lines(self) -> None:
        end = max(self._held.rfind(line_end) for line_end in self._ends) + 1
        if end:
            held, self._held = self._held[:end], self._held[end:]
            self._let_out_at = time.monotonic()
            self._stream.write(self._mask(held))

    def _let_out_all_but_its_end(self) -> None:
        forms = logs.masked_forms()
        if not forms:
            self._let_out()
            return
        held: Any = self._held  # text or bytes, masked as the bytes of the text
        text = isinstance(held, str)
        data: bytes = held.encode("utf-8", "surrogatepass") if text else held
        released, kept = masked_release(data, forms, reach(forms))
        still_held: Any = kept.decode("utf-8", "surrogatepass") if text else kept
        self._held = still_held
        if released:
            self._stream.write(released.decode("utf-8", "surrogatepass") if text else released)

    def isatty(self) -> bool:
        # the descriptor masked is a pipe; whoever asks (the live view) means the console
        if self._fd is not None and masked_fds.masking(self._fd):
            return masked_fds.console_is_terminal(self._fd)
        return bool(self._stream.isatty())

    @property
    def wrapped(self) -> Any:
        return self._stream

    def __getattr__(self, name: str) -> Any:
        # encoding, isatty, fileno... are the stream's; only writing is masked
        return getattr(self._stream, name)


class MaskingTextStream(_MaskingWriter[str]):
    """sys.stdout or sys.stderr, masked; its `buffer` (binary writes) masked too."""

    def __init__(self, stream: Any):
        super().__init__(stream, logs.masked, _ENDS_TEXT, "")
        self._buffer: MaskingBinaryStream | None = None

    @property
    def buffer(self) -> MaskingBinaryStream:
        # the text held goes into the stream first, where an unmasked stream had it, and on
        # to the bytes: held, it may have been flushed already (a burst's flush waits), and
        # an unmasked stream would then have put it before the binary write that follows
        with self._lock:
            held = bool(self._held)
            self._let_out()
            if held:
                self._stream.flush()
        if self._buffer is None:
            self._buffer = MaskingBinaryStream(self._stream.buffer)
        return self._buffer

    def flush_quietly(self) -> None:
        """What is held, let out at the end of the run; a stream closed meanwhile (a
        test's capture) takes nothing, and the run's own ending must not fail for it."""
        try:
            self.let_out_all()
            if self._buffer is not None:
                self._buffer.let_out_all()
        except (OSError, ValueError):
            pass


class MaskingBinaryStream(_MaskingWriter[bytes]):
    def __init__(self, stream: Any):
        super().__init__(stream, _masked_bytes, _ENDS_BYTES, b"")


def _fileno(stream: Any) -> int | None:
    try:
        return int(stream.fileno())
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None  # not a file (a test's capture): only masked here


def _masked_bytes(data: bytes) -> bytes:
    return mask_bytes(data, logs.masked_forms())


_lock = threading.Lock()
_users = 0
_replaced: dict[str, Any] = {}


@contextmanager
def masked_console() -> Iterator[None]:
    """While the block runs, sys.stdout and sys.stderr mask every known secret. Runs at
    once in one process (threads of a test-suite) share the one pair: the streams are
    put back when the last of them ends, unless someone replaced them meanwhile."""
    global _users
    with _lock:
        if _users == 0:
            # fds 1 and 2 first: the writers below ask whether their descriptor is masked
            masked_fds.start()
            for name in ("stdout", "stderr"):
                stream = getattr(sys, name)
                if stream is not None and not isinstance(stream, MaskingTextStream):
                    masking = MaskingTextStream(stream)
                    _replaced[name] = masking
                    setattr(sys, name, masking)
            logs.before_log_lines.append(_let_out_lines)
        _users += 1
    try:
        yield
    finally:
        _leave()


def _leave() -> None:
    global _users
    with _lock:
        _users -= 1
        if _users == 0:
            for masking in _replaced.values():
                masking.flush_quietly()
            # what the streams let through is in the pipes: masked and written out
            # before anything else reaches the console
            masked_fds.stop()
            for name, masking in _replaced.items():
                if getattr(sys, name) is masking:
                    setattr(sys, name, masking.wrapped)
            _replaced.clear()
            logs.before_log_lines.remove(_let_out_lines)


def keep_masked_while(threads: list[threading.Thread]) -> None:
    """Within a masked_console block: the console stays masked after it, until `threads`
    have ended. A run interrupted in a program (`pipeline.run()`) returns while its stage
    threads go on in their own code (the run's end stops their operations, not them), and
    what they print or log then, or a child process they start, holds the secrets it held
    within the run. (The command exits: its threads end with it.)"""
    global _users
    alive = [thread for thread in threads
             if thread.is_alive() and thread is not threading.current_thread()]
    with _lock:
        if not alive or _users == 0:
            return
        _users += 1

    def leave_once_ended() -> None:
        for thread in alive:
            thread.join()
        _leave()

    threading.Thread(target=leave_once_ended, name="ytp-masked-until-stages-end",
                     daemon=True).start()


def _let_out_lines() -> None:
    for masking in list(_replaced.values()):
        masking.let_out_lines()


def _forget_in_child() -> None:
    for masking in _replaced.values():
        masking.forget_in_child()
        if masking._buffer is not None:
            masking._buffer.forget_in_child()


os.register_at_fork(after_in_child=_forget_in_child)

