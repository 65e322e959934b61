"""Headless Chromium for the report tests, driven over the DevTools protocol.

The protocol runs over `--remote-debugging-pipe` (JSON messages ended by a NUL byte on file
descriptors 3 and 4 of the browser), so no websocket library is needed, and it tells more
than `--dump-dom` can: uncaught exceptions, console errors, log entries and every network
request the page makes (a self-contained page makes none but its own file).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_TIMEOUT_S = 900


def find_browser() -> str | None:
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def ensure_browser() -> str:
    """The browser's path, installed from the Debian packages when missing; the test is
    skipped, saying why, only where it cannot be installed."""
    import pytest

    found = find_browser()
    if found:
        return found
    if not shutil.which("apt-get"):
        pytest.skip("no chromium and no apt-get to install it (install chromium to run this test)")
    if os.geteuid() != 0:
        pytest.skip("no chromium, and installing it needs root (apt-get install chromium)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # another apt run (CI's, a parallel session's) holds the lock for a while: wait for it
    wait = ["-o", "DPkg::Lock::Timeout=600"]
    for command in (["apt-get", *wait, "update", "-qq"],
                    ["apt-get", *wait, "install", "-y", "-qq", "--no-install-recommends",
                     "chromium"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True,
                              timeout=INSTALL_TIMEOUT_S)
        if done.returncode != 0:
            pytest.skip(f"could not install chromium ({' '.join(command)}): "
                        f"{(done.stderr or done.stdout).strip()[-300:]}")
    found = find_browser()
    if not found:
        pytest.skip("apt-get installed chromium but no chromium command was found")
    return found


_PIPE_AT_3_AND_4 = ("import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
                    "os.execv(sys.argv[3], sys.argv[3:])")


def _clear_of_3_and_4(fd: int) -> int:
    """The descriptor moved to 10 or above, so putting the pipe on 3 and 4 in the browser's
    process never overwrites one end with the other."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


@dataclass
class PageVisit:
    """What loading one page showed."""

    dom: str
    screenshot: bytes
    #: uncaught exceptions, console.error/assert calls and error log entries
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


class Browser:
    """One headless Chromium process; `visit(url)` loads a page in a fresh tab."""

    def __init__(self, binary: str, width: int = 1400, height: int = 1000):
        self.width, self.height = width, height
        self.profile = tempfile.mkdtemp(prefix="ytp-chromium-")
        to_browser_r, self._to_browser = map(_clear_of_3_and_4, os.pipe())
        self._from_browser, from_browser_w = map(_clear_of_3_and_4, os.pipe())
        args = [binary, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
                "--disable-extensions", "--disable-background-networking", "--hide-scrollbars",
                "--remote-debugging-pipe", f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}", "about:blank"]
        # the browser expects the pipe on descriptors 3 and 4: a small Python puts it there
        # (a shell could too, but dash takes no descriptor above 9 in a redirection)
        self.process = subprocess.Popen(
            [sys.executable, "-c", _PIPE_AT_3_AND_4, str(to_browser_r), str(from_browser_w),
             *args],
            pass_fds=(to_browser_r, from_browser_w),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            os.close(fd)
        if self.process.stderr:
            self.process.stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the protocol -----------------------------------------------------------------
    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError("the browser did not answer in time")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("the browser exited: " + self._stderr_tail())
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def _stderr_tail(self) -> str:
        if self.process.poll() is None or not self.process.stderr:
            return "(still running)"
        text = self.process.stderr.read().decode(errors="replace")[-2000:]
        return f"exit code {self.process.returncode}: {text}"

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None, timeout: float = 30) -> dict[str, Any]:
        """Call a method and return its result; events that come first are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method,
                                   "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        except BrokenPipeError:
            raise RuntimeError("the browser exited: " + self._stderr_tail()) from None
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method: str, timeout: float = 30) -> dict[str, Any]:
        for index, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(index)
        deadline = time.monotonic() + timeout
        while True:
            event = self._read(deadline)
            if event.get("method") == method:
                return event
            if event.get("method") == "Page.javascriptDialogOpening":
                # an alert() blocks the page: it would never finish loading
                raise AssertionError(f"the page opened a dialog: {event['params']}")
            self.events.append(event)

    # -- a visit ----------------------------------------------------------------------
    def visit(self, url: str) -> PageVisit:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1,
                   "mobile": False}, session=session)
        self.events.clear()
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired")
        # a script's errors may come a moment after the load event: one round trip through
        # the page's event loop (a timer and a frame) lets them arrive first
        self.send("Runtime.evaluate", {
            "expression": "new Promise(r => setTimeout(() => requestAnimationFrame(r), 50))",
            "awaitPromise": True}, session=session)
        dom = self.send("Runtime.evaluate", {
            "expression": "document.documentElement.outerHTML", "returnByValue": True},
            session=session)["result"]["value"]
        shot = self.send("Page.captureScreenshot", {"format": "png", "optimizeForSpeed": True},
                         session=session)
        visit = PageVisit(dom=dom, screenshot=base64.b64decode(shot["data"]))
        for event in self.events:
            visit.errors += _error_of(event)
            if event.get("method") == "Network.requestWillBeSent":
                visit.requests.append(event["params"]["request"]["url"])
        self.send("Target.closeTarget", {"targetId": target})
        return visit


def _error_of(event: dict[str, Any]) -> list[str]:
    method, params = event.get("method"), event.get("params", {})
    if method == "Runtime.exceptionThrown":
        details = params.get("exceptionDetails", {})
        return [details.get("exception", {}).get("description") or details.get("text", "?")]
    if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
        return [" ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])]
    if method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
        return [params["entry"].get("text", "?")]
    return []


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of RGBA (or RGB) pixels of a PNG, decoded with zlib alone:
    enough to tell a drawn page from a blank one without an imaging library."""
    import struct
    import zlib

    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), f"unexpected PNG format {depth}/{colour}"
    size = 4 if colour == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * size
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        _unfilter(kind, line, previous, size)
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def _unfilter(kind: int, line: bytearray, up: bytearray, size: int) -> None:
    if kind == 0:
        return
    if kind == 2:  # the filter of every row of a screenshot optimized for speed
        line[:] = _add_bytes(bytes(line), bytes(up))
        return
    for i in range(len(line)):
        left = line[i - size] if i >= size else 0
        above = up[i]
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + above) // 2) & 0xFF
        else:  # 4, Paeth
            corner = up[i - size] if i >= size else 0
            p = left + above - corner
            pa, pb, pc = abs(p - left), abs(p - above), abs(p - corner)
            best = left if pa <= pb and pa <= pc else above if pb <= pc else corner
            line[i] = (line[i] + best) & 0xFF


def _add_bytes(a: bytes, b: bytes) -> bytes:
    """Each byte of `a` plus the same byte of `b`, modulo 256: done on two big integers, one
    holding the even bytes and one the odd ones, so that a carry falls into a byte that is
    then masked off (a thousand times faster than a loop over the bytes)."""
    size = len(a)
    evens = int.from_bytes(b"\x00\xff" * (size // 2) + b"\x00" * (size % 2), "big")
    odds = ((1 << (8 * size)) - 1) ^ evens
    x, y = int.from_bytes(a, "big"), int.from_bytes(b, "big")
    total = (((x & evens) + (y & evens)) & evens) | (((x & odds) + (y & odds)) & odds)
    return total.to_bytes(size, "big")
