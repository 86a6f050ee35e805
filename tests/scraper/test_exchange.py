"""Our own Response and Headers, and the capped body reader: every Content-Encoding shape servers send."""

from __future__ import annotations

import gzip
import io
import time
import zlib

import pytest

from scraper.errors import DeadlineExceededError, FetchError, ResponseTooLargeError
from scraper.exchange import Body, Headers, Response, read_body

TEXT = ("Café Reviews: ragù, naïve, 日本語. " * 400).encode()


def read_all(data: bytes, encoding: str = "", cap: int = 10 << 20, seconds: float = 60) -> Body:
    stream = io.BytesIO(data)
    return read_body("http://blog.test/x", stream.read, encoding, cap, time.monotonic() + seconds)


def deflated(data: bytes, wbits: int) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("encoding", "wire"),
    [
        ("", TEXT),
        ("identity", TEXT),
        ("gzip", gzip.compress(TEXT)),
        ("x-gzip", gzip.compress(TEXT)),
        ("GZIP", gzip.compress(TEXT)),
        ("deflate", deflated(TEXT, zlib.MAX_WBITS)),  # zlib-wrapped, as the RFC says
        ("deflate", deflated(TEXT, -zlib.MAX_WBITS)),  # raw, as some servers send it
        ("gzip", gzip.compress(TEXT[:5000]) + gzip.compress(TEXT[5000:])),  # two members
        ("gzip", gzip.compress(TEXT) + b"\x00\x00junk"),  # trailing garbage is ignored
        ("deflate, gzip", gzip.compress(deflated(TEXT, zlib.MAX_WBITS))),  # applied in order
    ],
)
def test_every_encoding_decodes_and_keeps_the_bytes_as_sent(encoding: str, wire: bytes) -> None:
    body = read_all(wire, encoding)
    assert body.error is None
    assert body.decoded == TEXT
    assert body.raw == wire


def test_an_encoding_we_did_not_ask_for_is_kept_as_sent() -> None:
    body = read_all(b"\x8b\x00brotli?", "br")
    assert body.error is None and body.decoded == body.raw == b"\x8b\x00brotli?"


def test_a_corrupt_gzip_body_is_a_fetch_error_not_a_crash() -> None:
    body = read_all(b"\x1f\x8b\x08\x00garbage" * 10, "gzip")
    assert isinstance(body.error, FetchError) and "undecodable gzip" in str(body.error)


@pytest.mark.parametrize("encoding", ["", "gzip"])
def test_the_cap_applies_to_decoded_bytes(encoding: str) -> None:
    data = bytes(3 << 20)
    wire = gzip.compress(data) if encoding else data
    body = read_all(wire, encoding, cap=1 << 20)
    assert isinstance(body.error, ResponseTooLargeError)
    assert body.error.url == "http://blog.test/x"
    # Reading stopped just past the cap: the rest was never read, nor inflated.
    assert (1 << 20) < len(body.decoded) <= (1 << 20) + 64 * 1024
    assert read_all(wire, encoding, cap=3 << 20).decoded == data  # exactly at the cap: whole


def test_a_passed_deadline_stops_reading() -> None:
    body = read_all(TEXT, seconds=-1)
    assert isinstance(body.error, DeadlineExceededError) and body.decoded == b""


def test_headers_keep_what_was_sent_and_look_up_any_case() -> None:
    headers = Headers(
        [
            ("Content-Type", "text/html"),
            ("Set-Cookie", "a=1"),
            ("set-cookie", "b=2"),
            ("X-WP-Total", "7"),
        ]
    )
    assert headers["content-type"] == headers["CONTENT-TYPE"] == "text/html"
    assert headers.get("x-wp-total") == "7" and "x-wp-totalpages" not in headers
    assert headers["Set-Cookie"] == "a=1, b=2"
    assert list(headers) == ["Content-Type", "Set-Cookie", "X-WP-Total"]
    assert headers.pairs[2] == ("set-cookie", "b=2")


@pytest.mark.parametrize(
    ("content_type", "text"),
    [
        (
            "text/html; charset=ISO-8859-1",
            "caf\u00c3\u00a9",
        ),  # what the server declared, even if wrong
        ('text/html; Charset="utf-8"', "café"),
        ("text/html", "café"),  # no charset: UTF-8, not requests' Latin-1 guess
        ("text/html; charset=no-such-codec", "café"),
    ],
)
def test_text_uses_the_declared_charset_else_utf8(content_type: str, text: str) -> None:
    response = Response(
        "http://blog.test/", 200, "OK", Headers([("Content-Type", content_type)]), "café".encode()
    )
    assert response.text == text
