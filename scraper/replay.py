"""Recorded WARC files as the HTTP client's transport: a crawl that reads them, not the network.

`wparchive reparse --warc DIR` crawls a site again through today's sources and parsers with every
request answered from the latest response recorded for its URL (`crawl --warc`, `backup --warc`).
A URL never recorded fails as an unreachable one would; nothing ever leaves the machine. Bodies
are served decoded (the record's content, gzip and chunking undone), so the client reads them as
any identity-coded response.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPHeaderDict, HTTPResponse

from archive.records import Capture
from scraper.errors import WparchiveError
from scraper.http import HttpClient, HttpSettings

LOGGER = logging.getLogger(__name__)

# Headers that described the body as it travelled; the replayed body is decoded.
_TRAVEL_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


@dataclass(frozen=True)
class RecordedResponse:
    """One recorded answer: status line, headers as sent, and the decoded body."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


class WarcIndex:
    """Where the latest response for each URL is, in a set of WARC files (read once, then by
    seeking: memory grows with the URLs, not with the bodies)."""

    def __init__(self, paths: list[Path]) -> None:
        from warcio.archiveiterator import ArchiveIterator  # only replays need warcio

        self._by_url: dict[str, tuple[Path, int]] = {}
        # File names start with their UTC time: in name order, a later capture wins.
        for path in sorted(paths, key=lambda p: p.name):
            with path.open("rb") as file:
                records = ArchiveIterator(file)
                for record in records:
                    if record.rec_type == "response":
                        url = record.rec_headers.get_header("WARC-Target-URI")
                        self._by_url[url] = (path, records.get_record_offset())

    @classmethod
    def of_folder(cls, folder: Path) -> WarcIndex:
        """The index of every `*.warc.gz` and `*.warc` file in `folder` (and below)."""
        paths = [p for p in folder.rglob("*") if p.name.endswith((".warc.gz", ".warc"))]
        if not paths:
            raise WparchiveError(f"{folder}: no WARC files (*.warc.gz) there")
        return cls(paths)

    def __len__(self) -> int:
        return len(self._by_url)

    def hosts(self) -> set[str]:
        """The hosts (with ports) that answered a recorded request."""
        return {urlsplit(url).netloc.lower() for url in self._by_url}

    def capture_of(self, url: str) -> Capture | None:
        """Where the latest response to `url` was recorded (file name, record offset)."""
        found = self._by_url.get(url)
        return Capture(found[0].name, found[1]) if found else None

    def response(self, url: str) -> RecordedResponse | None:
        """The latest recorded answer to `url`, or None."""
        from warcio.archiveiterator import ArchiveIterator

        found = self._by_url.get(url)
        if found is None:
            return None
        path, offset = found
        with path.open("rb") as file:
            file.seek(offset)
            record = next(iter(ArchiveIterator(file)))
            head = record.http_headers
            reason = head.statusline.partition(" ")[2]
            body = record.content_stream().read()  # chunking and gzip undone
            return RecordedResponse(int(head.get_statuscode()), reason, list(head.headers), body)


class ReplayAdapter(HTTPAdapter):
    """A requests transport answering every request from a WarcIndex."""

    def __init__(self, index: WarcIndex) -> None:
        super().__init__(max_retries=0)
        self.index = index

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """The recorded answer to `request`'s URL; a ConnectionError when none was recorded."""
        url = request.url or ""
        recorded = self.index.response(url)
        if recorded is None:
            raise requests.ConnectionError(f"{url} is not in the recorded WARC files")
        headers = HTTPHeaderDict()  # repeated fields kept, as sent
        for name, value in recorded.headers:
            if name.lower() not in _TRAVEL_HEADERS:
                headers.add(name, value)
        headers["Content-Length"] = str(len(recorded.body))
        raw = HTTPResponse(
            body=BytesIO(recorded.body),
            headers=headers,
            status=recorded.status,
            reason=recorded.reason,
            preload_content=False,
            decode_content=False,
            request_url=url,
        )
        return self.build_response(request, raw)


def replay_client(index: WarcIndex, settings: HttpSettings) -> HttpClient:
    """An HttpClient whose every request is answered from `index`, at once: no politeness to
    keep (nothing is sent) and no retry (a recorded 503 stays a 503)."""
    quick = dataclasses.replace(
        settings,
        max_retries=0,
        min_delay=0.0,
        max_delay=0.0,
        rate_limit=0.0,
        target_concurrency=float(max(1, settings.concurrency)),
    )
    client = HttpClient(quick)
    # What is read from a recording keeps pointing at it, as what a recording crawl read does.
    client.add_exchange_hook(lambda exchange: index.capture_of(exchange.url))
    adapter = ReplayAdapter(index)
    client.session.mount("http://", adapter)
    client.session.mount("https://", adapter)
    return client
