"""The ways the hostile site misbehaves: each writes one bad response through the request handler.

Bodies that would be huge (the endless, the bomb, the 50 MB body, the slow drip) are generated
while they are written, never built in memory, and stop when the client hangs up, when the server
stops, or after a bounded time, whichever comes first.
"""

from __future__ import annotations

import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Protocol

MIB = 1 << 20
BOMB_MIB = 1024  # a gigabyte once inflated, about a megabyte on the wire
BIG_BODY_MIB = 50
WRITE_DEADLINE = 60.0  # no endless response outlives this, even when nobody hangs up
DRIP_INTERVAL = 0.2


class Writer(Protocol):
    """What a fault needs from the request handler."""

    path: str
    stopping: threading.Event

    def send_status(self, status: int, headers: dict[str, str]) -> None: ...
    def write(self, data: bytes) -> bool: ...
    def send(self, status: int, body: bytes, ctype: str, headers: dict[str, str]) -> None: ...


def short_body(out: Writer, body: bytes) -> None:
    """Content-Length promises more than comes: the connection closes mid-body."""
    out.send_status(200, {"Content-Type": "application/json", "Content-Length": str(len(body))})
    out.write(body[: len(body) // 2])


def endless_chunked(out: Writer, body: bytes) -> None:
    """A chunked JSON array that never ends."""
    del body
    out.send_status(200, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    item = b'{"id": 1, "title": {"rendered": "again"}},' * 200
    chunk = b"%x\r\n%s\r\n" % (len(item), item)
    if not out.write(b"1\r\n[\r\n"):
        return
    _write_until_stopped(out, (chunk for _ in iter(int, 1)))


def gzip_bomb(out: Writer, body: bytes) -> None:
    """gzip of a gigabyte of zeros: about a megabyte sent, never a gigabyte held."""
    del body
    block, tail = _bomb_parts()
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    length = len(header) + len(block) * BOMB_MIB + len(tail)
    out.send_status(
        200,
        {
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
            "Content-Length": str(length),
        },
    )
    parts = [header, *([block] * BOMB_MIB), tail]
    _write_until_stopped(out, iter(parts))


def big_body(out: Writer, body: bytes) -> None:
    """A valid JSON page of 50 MB: one post whose content is one long paragraph."""
    del body
    head = b'[{"id": 101, "type": "post", "link": "http://x/?p=101", "title": {"rendered": "Big"}, "content": {"rendered": "'
    tail = b'"}}]'
    filler = b"x" * MIB
    size = len(head) + BIG_BODY_MIB * MIB + len(tail)
    headers = {"Content-Type": "application/json", "Content-Length": str(size)}
    headers |= {"X-WP-Total": "250", "X-WP-TotalPages": "3"}
    out.send_status(200, headers)
    _write_until_stopped(out, iter([head, *([filler] * BIG_BODY_MIB), tail]))


def slow_drip(out: Writer, body: bytes) -> None:
    """The real body, one byte every DRIP_INTERVAL: never idle long enough for a read timeout."""
    out.send_status(200, {"Content-Type": "application/json", "Content-Length": str(len(body))})

    def drip() -> Iterator[bytes]:
        for at in range(len(body)):
            time.sleep(DRIP_INTERVAL)
            yield body[at : at + 1]

    _write_until_stopped(out, drip())


def bad_utf8(out: Writer, body: bytes) -> None:
    """A page whose one title is Latin-1 (`Caf\\xe9`), not UTF-8."""
    out.send(200, body.replace(b'"Post 150"', b'"Caf\xe9 150"'), "application/json", _counted())


def lone_surrogate(out: Writer, body: bytes) -> None:
    """Valid JSON text that decodes to a string no UTF-8 can hold (a lone high surrogate)."""
    out.send(200, body.replace(b'"Post 150"', b'"\\ud800 150"'), "application/json", _counted())


def html_for_json(out: Writer, body: bytes) -> None:
    """A maintenance page with status 200 where JSON was promised."""
    del body
    page = b"<html><body><h1>Briefly unavailable for scheduled maintenance.</h1></body></html>"
    out.send(200, page, "text/html; charset=UTF-8", {})


def storm_503(out: Writer, body: bytes) -> None:
    """503 with Retry-After, every time."""
    del body
    out.send(503, b"busy", "text/plain", {"Retry-After": "1"})


def _counted() -> dict[str, str]:
    return {"X-WP-Total": "250", "X-WP-TotalPages": "3"}


def _write_until_stopped(out: Writer, parts: Iterator[bytes]) -> None:
    deadline = time.monotonic() + WRITE_DEADLINE
    for part in parts:
        if out.stopping.is_set() or time.monotonic() > deadline or not out.write(part):
            return


_BOMB: list[tuple[bytes, bytes]] = []


def _bomb_parts() -> tuple[bytes, bytes]:
    """One deflate block of a MiB of zeros (repeatable: a full flush resets the window) and the
    stream's end (a final empty block, then the CRC and size of all BOMB_MIB MiB)."""
    if not _BOMB:
        deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
        block = deflate.compress(bytes(MIB)) + deflate.flush(zlib.Z_FULL_FLUSH)
        crc = 0
        zeros = bytes(MIB)
        for _ in range(BOMB_MIB):
            crc = zlib.crc32(zeros, crc)
        end = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
        _BOMB.append((block, end + struct.pack("<II", crc, (BOMB_MIB * MIB) & 0xFFFFFFFF)))
    return _BOMB[0]


Fault = Callable[[Writer, bytes], None]
# Faults met on one request (the second page of posts), after discovery and the first page.
PAGE_FAULTS: dict[str, Fault] = {
    "short-body": short_body,
    "endless-chunked": endless_chunked,
    "gzip-bomb": gzip_bomb,
    "big-body": big_body,
    "slow-drip": slow_drip,
    "bad-utf8": bad_utf8,
    "lone-surrogate": lone_surrogate,
    "html-for-json": html_for_json,
    "503-storm": storm_503,
}
