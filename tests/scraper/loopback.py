"""A real HTTP server on 127.0.0.1 (port 0) for tests of what `responses` cannot fake: the wire itself."""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

Handler = Callable[["Reply"], None]


@dataclass
class Sent:
    """One request the server answered: its path and the body bytes it wrote (before chunk framing)."""

    path: str
    status: int
    body: bytes


class Reply:
    """What a route writes with: a whole body (optionally chunked) or a slow drip."""

    def __init__(self, handler: BaseHTTPRequestHandler, log: LoopbackServer) -> None:
        self.handler = handler
        self.path = urlsplit(handler.path).path
        self._log = log

    def send(
        self, status: int, body: bytes, headers: dict[str, str] | None = None, chunked: bool = False
    ) -> None:
        self._log.record(Sent(self.path, status, body))  # first: the client may hang up mid-body
        self._head(status, headers or {}, None if chunked else len(body))
        if chunked:
            for start in range(0, len(body), 1000):  # several chunks, so framing really happens
                piece = body[start : start + 1000]
                self._write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self._write(b"0\r\n\r\n")
        else:
            self._write(body)

    def stream(
        self, pieces: Iterator[bytes], length: int, headers: dict[str, str], pause: float = 0
    ):
        """Write `pieces` one by one (waiting `pause` between them) until the client hangs up."""
        self._head(200, headers, length)
        self._log.record(Sent(self.path, 200, b""))
        try:
            for piece in pieces:
                self.handler.wfile.write(piece)
                self.handler.wfile.flush()
                if pause:
                    time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading, as it should

    def _head(self, status: int, headers: dict[str, str], length: int | None) -> None:
        self.handler.send_response(status)
        for name, value in headers.items():
            self.handler.send_header(name, value)
        if length is None:
            self.handler.send_header("Transfer-Encoding", "chunked")
        else:
            self.handler.send_header("Content-Length", str(length))
        self.handler.end_headers()

    def _write(self, data: bytes) -> None:
        self.handler.wfile.write(data)


@dataclass
class LoopbackServer:
    """Routes by path (unknown paths answer 404); `sent` logs every answer in order."""

    routes: dict[str, Handler]
    sent: list[Sent] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, sent: Sent) -> None:
        with self._lock:
            self.sent.append(sent)

    def __enter__(self) -> LoopbackServer:
        owner = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                reply = Reply(self, owner)
                route = owner.routes.get(reply.path)
                if route is None:
                    reply.send(404, b"<html>not found</html>", {"Content-Type": "text/html"})
                else:
                    route(reply)

            def handle(self) -> None:
                # The client hanging up mid-body is what the caps make it do.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    super().handle()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"


def gzip_of_zeros(size: int) -> bytes:
    """A gzip stream that inflates to `size` zero bytes, made without ever holding them."""
    packer = zlib.compressobj(1, zlib.DEFLATED, zlib.MAX_WBITS | 16)  # level 1: 3x faster to make
    block = bytes(1 << 20)
    parts = [packer.compress(block) for _ in range(size >> 20)]
    parts.append(packer.compress(bytes(size % (1 << 20))))
    parts.append(packer.flush())
    return b"".join(parts)


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)
