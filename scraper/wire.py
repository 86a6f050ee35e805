"""What goes wrong on the wire, for the HTTP client: failures sorted into worth a retry or not,
the cause a person can act on, and the socket under a response (to bound or cut a read)."""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

# The transport failing mid-exchange: retried like a refused connection.
TRANSPORT_ERRORS = (requests.ConnectionError, requests.Timeout, urllib3.exceptions.HTTPError)


class TransportFailure(Exception):
    """The connection failed mid-exchange. Refused, reset, timed out, cut off: worth a retry.
    An unknown host or a failed TLS handshake will fail the same way again: `transient` False."""

    def __init__(self, message: str, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient

    @classmethod
    def of(cls, url: str, exc: BaseException) -> TransportFailure:
        causes = _causes(exc)
        if any(isinstance(c, _DNS_ERRORS) for c in causes):
            return cls(f"unknown host {host_of(url)} ({short_reason(exc)})", transient=False)
        if any(isinstance(c, _TLS_ERRORS) for c in causes):
            return cls(f"TLS handshake failed ({short_reason(exc)})", transient=False)
        return cls(short_reason(exc))


_DNS_ERRORS = (socket.gaierror, urllib3.exceptions.NameResolutionError)
_TLS_ERRORS = (ssl.SSLError, requests.exceptions.SSLError, urllib3.exceptions.SSLError)


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc` and what caused it, through requests' and urllib3's wrappers."""
    found: list[BaseException] = []
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or current in found or len(found) > 20:
            continue
        found.append(current)
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        pending += [e for e in [*linked, *current.args] if isinstance(e, BaseException)]
    return found


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def netloc_of(url: str) -> str:
    """host[:port] of `url`, lower case, without credentials."""
    return urlsplit(url).netloc.rpartition("@")[2].lower()


def cut_socket(raw: Any) -> None:
    """Shut the socket under a body being read, so the blocked read returns now."""
    sock = _socket_of(raw)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def limit_read_wait(raw: Any, seconds: float) -> None:
    """Let the next socket read wait at most `seconds`, so a body read cannot outlast the deadline."""
    sock = _socket_of(raw)
    if sock is not None:
        sock.settimeout(max(0.001, seconds))


def _socket_of(raw: Any) -> socket.socket | None:
    """The socket under a urllib3 response. Its connection lets go of it when the server said
    `Connection: close`; the response's own file still holds it then."""
    sock = getattr(getattr(raw, "_connection", None), "sock", None)
    if sock is None:
        reader = getattr(getattr(raw, "_fp", None), "fp", None)
        sock = getattr(getattr(reader, "raw", None), "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def short_reason(exc: BaseException) -> str:
    """The cause a person can act on ("Connection refused", "timed out"), not urllib3's repr."""
    if isinstance(exc, requests.Timeout | urllib3.exceptions.TimeoutError):
        return "timed out"
    for cause in _causes(exc):
        if isinstance(
            cause, http.client.IncompleteRead
        ):  # urllib3's counts bytes, http's holds them
            partial = cause.partial if isinstance(cause.partial, int) else len(cause.partial)
            return f"transfer cut off after {partial} bytes ({cause.expected} more expected)"
        if isinstance(cause, ConnectionResetError):
            return "connection reset"
    match = _ERRNO_TEXT.search(str(exc))
    if match:
        return match.group(1).strip()
    text = str(exc)
    return text if len(text) <= 160 else text[:157] + "..."
