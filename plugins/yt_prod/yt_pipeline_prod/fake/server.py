"""The HTTP side of the fake proxy: routing, parameters, results, errors, faults."""

from __future__ import annotations

import json
import socket
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import yt.yson as yson

from yt_pipeline_prod.fake.dispatch import HANDLERS
from yt_pipeline_prod.fake.expiration import expire_due
from yt_pipeline_prod.fake.protocol import (
    COMMANDS,
    Request,
    YtFakeError,
    decompress,
    descriptors,
    encode_structured,
    header_format_of,
    parse_structured,
)
from yt_pipeline_prod.fake.state import FakeState


class ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: FakeState):
        super().__init__(address, ProxyHandler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that stopped waiting (a slow answer, a dropped connection) has closed its
        # end: that is what the injected faults are for, not a failure worth a traceback.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server: ProxyServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        pass  # requests are counted, not printed

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._handle()

    def do_POST(self) -> None:  # noqa: N802
        self._handle()

    def do_PUT(self) -> None:  # noqa: N802
        self._handle()

    # -- plumbing ---------------------------------------------------------------------
    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ConnectionError("the request body ended early")
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                chunk = self.rfile.read(size)
                if len(chunk) < size:
                    raise ConnectionError("the request body ended early")
                parts.append(chunk)
                self.rfile.readline(3)
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        if len(data) < length:
            raise ConnectionError("the request body ended early")
        return data

    def _address(self) -> tuple[str, int]:
        """The host and port the proxy listens on (an IPv4 or IPv6 socket's, never a Unix
        one's, whose address would be bytes)."""
        host, port = self.server.server_address[:2]
        return str(host), int(port)

    def _send(self, status: int, body: bytes, content_type: str = "application/json",
              headers: dict[str, str] | None = None, streamed: bool = False,
              cut: bool = False) -> None:
        """Answer with `body`. A `streamed` one (a heavy command's data) goes in chunks with
        no length announced, as a proxy streams what it reads: THttpOutput::Write in
        yt/yt/core/http/stream.cpp sends "Transfer-Encoding: chunked" and a chunk per write,
        where a body given whole (WriteBody) gets a Content-Length. `cut`: the connection
        is closed half-way through the body (Faults.cut_next)."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if streamed:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        self.send_header("X-YT-Request-ID", uuid.uuid4().hex[:16])
        self.send_header("X-YT-Proxy", self._address()[0])
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        sent = body[:len(body) // 2] if cut else body
        if streamed:
            sent = b"".join(_chunk(sent[at:at + STREAM_CHUNK])
                            for at in range(0, len(sent), STREAM_CHUNK))
            if not cut:
                sent += b"0\r\n\r\n"
        self.wfile.write(sent)
        if cut:
            self.wfile.flush()
            self._drop()

    def _send_json(self, value: Any, status: int = 200) -> None:
        self._send(status, json.dumps(value).encode())

    def _send_error(self, error: YtFakeError) -> None:
        self._send(error.status, json.dumps(yson.yson_to_json(error.to_dict())).encode())

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- routing ----------------------------------------------------------------------
    def _handle(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        address, port = self._address()
        host = f"{address}:{port}"
        if path == "/api":
            return self._send_json(["v3", "v4"])
        if path in ("/api/v3", "/api/v4"):
            return self._send_json(descriptors())
        if path == "/hosts":
            return self._send_json([host])
        if path == "/api/v4/discover_proxies":
            return self._send_json({"proxies": [host]})
        if not path.startswith("/api/v4/"):
            return self._send_error(YtFakeError(f"no such endpoint {path}", status=404))
        self._command(path[len("/api/v4/"):])

    def _command(self, name: str) -> None:
        state = self.server.state
        with state.lock:
            state.in_flight += 1
        try:
            self._run_command(state, name)
        finally:
            with state.lock:
                state.in_flight -= 1

    def _run_command(self, state: FakeState, name: str) -> None:
        try:
            raw_body = self._read_body()
        except (ConnectionError, ValueError, OSError):
            return self._drop()  # a broken upload is never applied
        fault = state.faults.take(name)
        if fault is not None:
            if fault.kind == "drop":
                return self._drop()
            if fault.kind == "delay":
                time.sleep(fault.seconds)
            elif fault.kind not in ("lose", "cut"):
                return self._send_error(YtFakeError(fault.message, status=fault.status))
        try:
            self._check_token()
            if name not in COMMANDS:
                raise YtFakeError(f"Command {name} is not known to the fake proxy", status=404)
            request = self._request(name, raw_body)
            if name == "ping_transaction" and _ping_ignored(state, request):
                return self._drop()
            state.count(name, len(request.body))
            # transactions nobody pinged in time are aborted, nodes whose expiration_time
            # has passed are gone
            state.cypress.expire_transactions()
            expire_due(state.cypress)
            result = state.once(request.param("mutation_id"),
                                lambda: HANDLERS[name](state, request))
            if fault is not None and fault.kind == "lose":
                return self._drop()  # done, but the client never hears of it
            self._answer(name, request, result, cut=fault is not None and fault.kind == "cut")
        except YtFakeError as error:
            self._send_error(error)
        except Exception as error:  # noqa: BLE001 - a bug in the fake must reach the test
            self._send_error(YtFakeError(f"fake proxy failed: {error!r}"))

    def _check_token(self) -> None:
        expected = self.server.state.token
        if expected is None:
            return
        if self.headers.get("Authorization", "") != f"OAuth {expected}":
            raise YtFakeError("Authentication failed: no or wrong token", code=900, status=401)

    def _request(self, name: str, raw_body: bytes) -> Request:
        header_format = header_format_of(self.headers.get("X-YT-Header-Format"))
        params: dict[str, Any] = {}
        body = decompress(raw_body, self.headers.get("Content-Encoding"))
        header = self.headers.get("X-YT-Parameters")
        if header:
            params = dict(parse_structured(header.encode("latin-1"), header_format))
        elif COMMANDS[name][0] is None and body:
            content_type = self.headers.get("Content-Type", "")
            params = dict(parse_structured(body, "json" if "json" in content_type else "yson"))
            body = b""
        return Request(name, params, body, header_format)

    def _answer(self, name: str, request: Request, result: Any, cut: bool = False) -> None:
        output_type = COMMANDS[name][1]
        if output_type in ("tabular", "binary"):
            data, meta = result
            encoded = encode_structured(meta, request.header_format,
                                       header=True).decode("latin-1")
            return self._send(200, data, "application/octet-stream",
                              {"X-YT-Response-Parameters": encoded}, streamed=True, cut=cut)
        if output_type is None or result is None:
            return self._send(200, b"", cut=cut)
        fmt = request.param("output_format", "json")
        self._send(200, encode_structured(result, fmt), cut=cut)


#: the size of the chunks a streamed answer is sent in
STREAM_CHUNK = 64 * 1024


def _chunk(data: bytes) -> bytes:
    return b"%X\r\n" % len(data) + data + b"\r\n"


def _ping_ignored(state: FakeState, request: Request) -> bool:
    """Whether the faults leave this ping unanswered (Faults.ignore_pings), by the title of
    the transaction it pings."""
    with state.cypress.lock:
        tx = state.cypress.transactions.get(str(request.param("transaction_id")))
        title = str(tx.attributes.get("title", "")) if tx is not None else ""
    return bool(title) and state.faults.ignores_ping(title)
