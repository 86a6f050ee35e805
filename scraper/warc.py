"""Record every HTTP exchange as WARC/1.1 request and response records (warcio), from the client's hook.

One gzip member per record; a file is closed and a new one started once it passes `max_bytes`.
The HTTP client calls its hooks one at a time whatever its threads, so the recorder needs no lock.
A response body is stored as it came over the wire once the transfer coding is undone: still
content-encoded (gzip stays gzip), and a chunked body as one chunk, so that WARC readers, which
undo `Transfer-Encoding: chunked`, read exactly the bytes the server sent.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from archive.records import Capture
from scraper.exchange import Exchange, HeaderPairs

LOGGER = logging.getLogger(__name__)

WARC_VERSION = "WARC/1.1"
MAX_WARC_BYTES = 1 << 30  # the rotation size; WARC tools prefer files of about 1 GB


class WarcRecorder:
    """An exchange hook writing `<prefix>-<UTC time>-<serial>.warc.gz` files into `directory`."""

    def __init__(self, directory: Path, prefix: str = "wparchive", max_bytes: int = MAX_WARC_BYTES):
        from warcio.warcwriter import WARCWriter  # only crawls that record need warcio

        self._writer_type = WARCWriter
        self.directory, self.prefix, self.max_bytes = directory, prefix, max_bytes
        self.files: list[Path] = []
        self.records = 0
        self._file: BinaryIO | None = None
        self._writer: Any = None

    def __call__(self, exchange: Exchange) -> Capture | None:
        """Write the exchange's request and response and return where the response record
        starts; an exchange with no response is not a capture (nothing came back): left out."""
        response = exchange.response
        if response is None:
            return None
        writer = self._current_writer()
        assert self._file is not None
        capture = Capture(self.files[-1].name, self._file.tell())
        date = _warc_date(exchange.started)
        body = _as_sent(exchange.raw_body, response.headers.pairs)
        record = writer.create_warc_record(
            exchange.url,
            "response",
            payload=BytesIO(body),
            length=len(body),
            warc_headers_dict={"WARC-Date": date},
            http_headers=_http_head(
                f"{response.status} {response.reason}",
                response.http_version,
                response.headers.pairs,
            ),
        )
        request = writer.create_warc_record(
            exchange.url,
            "request",
            payload=BytesIO(b""),
            length=0,
            warc_headers_dict={
                "WARC-Date": date,
                "WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID"),
            },
            http_headers=_request_head(exchange),
        )
        writer.write_record(record)
        writer.write_record(request)
        self.records += 2
        if self._file.tell() >= self.max_bytes:
            self.close()
        return capture

    def close(self) -> None:
        """Close the current file (the next exchange starts a new one)."""
        if self._file is not None:
            self._file.close()
            self._file, self._writer = None, None

    def _current_writer(self) -> Any:
        if self._writer is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
            path = self.directory / f"{self.prefix}-{stamp}-{len(self.files):05d}.warc.gz"
            self._file = path.open("xb")
            self._writer = self._writer_type(self._file, gzip=True, warc_version=WARC_VERSION)
            self.files.append(path)
            LOGGER.info("recording HTTP exchanges into %s", path)
        return self._writer


def _http_head(line: str, protocol: str, pairs: HeaderPairs, request: bool = False) -> Any:
    """warcio's StatusAndHeaders for a status (or request) line and the header pairs as sent."""
    from warcio.statusandheaders import StatusAndHeaders

    return StatusAndHeaders(line, list(pairs), protocol=protocol, is_http_request=request)


def _request_head(exchange: Exchange) -> Any:
    parts = urlsplit(exchange.url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    pairs = exchange.request_headers
    if not any(name.lower() == "host" for name, _ in pairs):
        pairs = (("Host", parts.netloc), *pairs)  # requests adds Host in http.client, below us
    # A request line is written whole (warcio writes no protocol before it).
    return _http_head(f"{exchange.method} {target} HTTP/1.1", "", pairs, request=True)


def _as_sent(raw_body: bytes, pairs: HeaderPairs) -> bytes:
    """The body as a reader of the recorded headers expects it: chunked again if it was chunked."""
    chunked = any(
        name.lower() == "transfer-encoding" and "chunked" in value.lower() for name, value in pairs
    )
    if not chunked:
        return raw_body
    head = f"{len(raw_body):x}\r\n".encode() if raw_body else b""
    return head + raw_body + (b"\r\n" if raw_body else b"") + b"0\r\n\r\n"


def _warc_date(when: datetime) -> str:
    """WARC/1.1 dates: UTC, with microseconds."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
