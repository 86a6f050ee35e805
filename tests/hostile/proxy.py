"""A fault-injecting reverse proxy of the tests' own, to put in front of the real WordPress.

    with FaultProxy(wp.url, rate=0.3, seed=7) as proxy:
        crawl(proxy.url)

It forwards every request to `upstream` (a loopback base URL), rewriting the upstream's own URLs
in bodies and headers to the proxy's, so the crawler never leaves it. For a deterministic fraction
of requests (`rate`, drawn by hashing the seed, the request and how often it was asked for, so the
same crawl meets the same faults whatever the threads' order) it answers with one of KINDS instead.
With `clean_for=N` the first N requests pass untouched: a site that turns bad midway. It listens
on loopback only, bounds what it buffers, and stops itself after `lifetime` seconds at the latest.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

KINDS = ("429", "503", "reset", "stall", "cut", "html200", "bad-utf8")
MAX_BODY = 64 << 20  # WordPress's largest page here is far below this
HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}
)
DB_ERROR_PAGE = (
    b"<!DOCTYPE html><html><head><title>Database Error</title></head>"
    b"<body><h1>Error establishing a database connection</h1></body></html>"
)


class FaultProxy:
    """Serves `upstream` on `host` (port 0) with faults of `kinds` on `rate` of the requests."""

    def __init__(
        self,
        upstream: str,
        *,
        rate: float = 0.0,
        seed: int = 0,
        kinds: tuple[str, ...] = KINDS,
        clean_for: int = 0,
        stall: float = 3.0,
        host: str = "127.0.0.1",
        lifetime: float = 600.0,
    ) -> None:
        parts = urlsplit(upstream)
        for address in (host, parts.hostname or ""):
            if not ipaddress.ip_address(address).is_loopback:
                raise ValueError(f"{address} is not a loopback address")
        if unknown := set(kinds) - set(KINDS):
            raise ValueError(f"unknown fault kinds {sorted(unknown)}")
        self.upstream, self.upstream_netloc = upstream.rstrip("/"), parts.netloc
        self.rate, self.seed, self.kinds, self.clean_for = rate, seed, kinds, clean_for
        self.stall = stall
        self.stopping = threading.Event()
        self.injected: list[tuple[str, str]] = []  # (kind, path) of every fault sent
        self.paths: list[str] = []  # every request's path, in arrival order
        self.seen = 0
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), _handler_for(self))
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._timer = threading.Timer(lifetime, self.stop)
        self._timer.daemon = True

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        self._timer.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving; stalled requests wake and close."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        self._timer.cancel()
        self._server.shutdown()
        self._server.server_close()

    def configure(self, *, rate: float, kinds: tuple[str, ...] = KINDS, clean_for: int = 0) -> None:
        """Change the fault plan between two crawls (the draws restart from the seed)."""
        with self._lock:
            self.rate, self.kinds, self.clean_for = rate, kinds, clean_for
            self._counts.clear()
            self.seen = 0
            self.injected.clear()

    def choose(self, method: str, path: str) -> str | None:
        """The fault for this request, or None to forward it."""
        with self._lock:
            self.seen += 1
            self.paths.append(path)
            key = f"{method} {path}"
            self._counts[key] = nth = self._counts.get(key, 0) + 1
            if self.seen <= self.clean_for or not self.kinds:
                return None
            draw = _draw(f"{self.seed}|{key}|{nth}")
            if draw >= self.rate:
                return None
            kind = self.kinds[int(_draw(f"kind|{self.seed}|{key}|{nth}") * len(self.kinds))]
            self.injected.append((kind, path))
            return kind

    def rewrite(self, data: bytes) -> bytes:
        """The upstream's URLs (plain and JSON-escaped) made the proxy's."""
        for old, new in ((self.upstream, self.url), (_escaped(self.upstream), _escaped(self.url))):
            data = data.replace(old.encode(), new.encode())
        return data


def _draw(text: str) -> float:
    """A number in [0, 1) fixed by `text`."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2**64


def _escaped(url: str) -> str:
    return url.replace("/", "\\/")


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(_ProxyHandler):
        owner = proxy

    return Handler


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: FaultProxy

    def log_message(self, format: str, *args: Any) -> None:
        del format, args

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        kind = self.owner.choose(self.command, self.path)
        if kind in ("reset", "stall"):
            if kind == "stall":
                self.owner.stopping.wait(self.owner.stall)
            self._reset()
            return
        if kind in ("429", "503"):
            headers = {"Retry-After": "1"} if kind == "429" else {}
            self._send(int(kind), b"busy", {"Content-Type": "text/plain", **headers})
            return
        if kind == "html200":
            self._send(200, DB_ERROR_PAGE, {"Content-Type": "text/html; charset=UTF-8"})
            return
        try:
            status, headers, body = self._forward()
        except OSError:
            self._send(502, b"upstream unreachable", {"Content-Type": "text/plain"})
            return
        if kind == "bad-utf8":
            body = _spoil_utf8(body)
        self._send(status, body, headers, cut=kind == "cut")

    def _forward(self) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(self.owner.upstream_netloc, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            headers |= {"Host": self.owner.upstream_netloc, "Accept-Encoding": "identity"}
            conn.request(self.command, self.path, headers=headers)
            response = conn.getresponse()
            body = response.read(MAX_BODY) if self.command != "HEAD" else b""
            kept = {
                k: self.owner.rewrite(v.encode("latin-1")).decode("latin-1")
                for k, v in response.getheaders()
                if k.lower() not in HOP_HEADERS
            }
            return response.status, kept, self.owner.rewrite(body)
        finally:
            conn.close()

    def _send(self, status: int, body: bytes, headers: dict[str, str], cut: bool = False) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        if cut:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command == "HEAD":
            return
        try:
            self.wfile.write(body[: len(body) // 2] if cut else body)
        except OSError:
            self.close_connection = True

    def _reset(self) -> None:
        """Close with a TCP reset, as a crashed upstream or a middlebox does."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()


def _spoil_utf8(body: bytes) -> bytes:
    """A byte no UTF-8 text holds, put inside the first string (or at the start of the body)."""
    at = body.find(b'"rendered":"')
    if at < 0:
        return b"\xff" + body
    at += len(b'"rendered":"')
    return body[:at] + b"\xff" + body[at:]
