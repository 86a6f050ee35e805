"""What one HTTP exchange carried: our own Response and Headers, the Exchange that hooks observe, and the capped body reader."""

from __future__ import annotations

import codecs
import email.utils
import json
import re
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archive.records import Capture, SentJson
from scraper.errors import (
    DeadlineExceededError,
    FetchError,
    ResponseTooLargeError,
    UndecodableError,
)

READ_CHUNK = 64 * 1024
# Inflate at most this much per zlib call, so one small chunk of a bomb never becomes a big allocation.
_INFLATE_STEP = 1024 * 1024

HeaderPairs = tuple[tuple[str, str], ...]


class Headers(Mapping[str, str]):
    """Headers as received (`pairs`: in order, original case, repeats kept) with case-insensitive
    lookup; a repeated field reads as its values joined by ", "."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self.pairs: HeaderPairs = tuple(pairs)
        merged: dict[str, tuple[str, str]] = {}
        for name, value in self.pairs:
            key = name.lower()
            seen = merged.get(key)
            merged[key] = (seen[0], f"{seen[1]}, {value}") if seen else (name, value)
        self._merged = merged

    def __getitem__(self, name: str) -> str:
        return self._merged[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._merged.values())

    def __len__(self) -> int:
        return len(self._merged)

    def __repr__(self) -> str:
        return f"Headers({list(self.pairs)!r})"


@dataclass(frozen=True, eq=False)
class Response:
    """A final answer: `body` is the decoded content (Content-Encoding undone), `elapsed` seconds
    from sending the request to its last byte, `url` the URL that answered."""

    url: str
    status: int
    reason: str
    headers: Headers
    body: bytes
    elapsed: float = 0.0
    http_version: str = "HTTP/1.1"
    capture: Capture | None = None  # where an exchange hook recorded it (a WARC writer)

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def charset(self) -> str | None:
        """The declared charset, if Python knows it."""
        for param in self.content_type.split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset":
                charset = value.strip().strip("\"'")
                try:
                    return codecs.lookup(charset).name
                except LookupError:
                    return None
        return None

    @property
    def text(self) -> str:
        """The body decoded with the declared charset, else UTF-8 (what WordPress serves), with
        replacement characters: only for what is never stored (robots.txt, a home page title)."""
        return self.body.decode(self.charset or "utf-8", "replace")


@dataclass(frozen=True, eq=False)
class Exchange:
    """One request and what came back, for observers (a WARC writer, metrics): retries and redirect
    hops are one Exchange each. `raw_body` is the body as sent (content-encoded, transfer-decoded);
    `response.body` the decoded one. `response` is None when nothing came back; `error` says why
    the exchange failed (then the bodies are what was read before it did)."""

    method: str
    url: str
    request_headers: HeaderPairs
    started: datetime
    elapsed: float
    response: Response | None
    raw_body: bytes = b""
    error: FetchError | None = None


# A hook that records the exchange returns where (the response then carries it); others None.
ExchangeHook = Callable[[Exchange], Capture | None]


def with_capture(items: list[Any], capture: Capture | None) -> list[Any]:
    """The objects of a JSON list, each knowing `capture`; the list itself when nothing recorded it."""
    if capture is None:
        return items
    marked: list[Any] = []
    for item in items:
        if isinstance(item, SentJson):
            item.capture = capture
        elif isinstance(item, dict):
            item = SentJson(item, capture=capture)
        marked.append(item)
    return marked


def capture_of(item: Any) -> Capture | None:
    """Where the response that sent `item` (a JSON object) was recorded, if it was."""
    return item.capture if isinstance(item, SentJson) else None


class _NotJson:
    """Sentinel for a body that did not decode as JSON."""


NOT_JSON: Any = _NotJson()


# NUL is nothing a person wrote; PostgreSQL cannot store it and HTML parsers make it U+FFFD, so
# its escape goes before decoding (an escaped backslash before "u0000" is text, and stays).
_NUL_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")
# A high surrogate escape not followed by a low one, or a low one not after a high one: only
# where one appears can a decoded string hold a lone surrogate. Pairs (how WordPress escapes an
# emoji) do not match, so bodies with emoji skip the check of every string. Both branches start
# with the literal `\\u[dD]`, so the engine jumps from one `\\u` to the next: an alternation
# opening with a lookbehind was tried at every byte (4 ms on a 270 KB page, 40 times slower).
_LONE_SURROGATE_ESCAPE = re.compile(
    rb"\\u[dD](?:[89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD])[c-fC-F])"
)


# An XML declaration's encoding: what a feed served without a charset parameter is in.
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding=["']([A-Za-z0-9._-]+)["']""")


def decode_text(response: Response) -> str:
    """The body as text: the declared charset (the Content-Type's, else an XML declaration's),
    else UTF-8 with or without a BOM. The one decoder for everything that is stored (JSON, feeds,
    HTML pages).

    Raises UndecodableError for bytes that are not text in that charset: a recorded problem,
    never replacement characters in the archive."""
    charset = response.charset or _xml_charset(response.body) or "utf-8-sig"
    try:
        return response.body.decode(charset)
    except UnicodeDecodeError as exc:
        raise UndecodableError(
            f"{response.url}: not valid {exc.encoding.upper()} at byte {exc.start}; not stored",
            response.url,
            response.status,
        ) from None


def _xml_charset(body: bytes) -> str | None:
    match = _XML_ENCODING.match(body[:200])
    if match is None:
        return None
    try:
        return codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None


def decode_json(response: Response) -> Any:
    """The body as JSON (decoded by `decode_text`), or NOT_JSON.

    Raises UndecodableError for bytes that are not text in their charset, or a string no UTF-8
    can hold (a lone surrogate): a recorded problem, never replacement characters in the archive."""
    text = decode_text(response)
    if "\\u0000" in text:  # a plain search first: the regex walks every character (35 ns each)
        text = _NUL_ESCAPE.sub(r"\1", text)
    try:
        data = _decode_with_item_texts(text)
    except ValueError:
        return NOT_JSON
    if _LONE_SURROGATE_ESCAPE.search(response.body) and not _encodable(data):
        raise UndecodableError(
            f"{response.url}: a JSON string holds a lone surrogate (not valid UTF-8); not stored",
            response.url,
            response.status,
        )
    return data


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def _decode_with_item_texts(text: str) -> Any:
    """`json.loads(text)`, except that the objects of a top-level array (a REST collection's
    items) come as SentJson knowing their own text: stored as it came, each item's raw document
    costs no encoding. Raises ValueError where json.loads would."""
    at = _skip_space(text, 0)
    if not text.startswith("[", at):
        return json.loads(text)
    items: list[Any] = []
    at = _skip_space(text, at + 1)
    closed = text.startswith("]", at)
    while not closed:
        item, end = _DECODER.raw_decode(text, at)
        items.append(SentJson(item, text[at:end]) if isinstance(item, dict) else item)
        at = _skip_space(text, end)
        closed = text.startswith("]", at)
        if not closed:
            if not text.startswith(",", at):
                raise ValueError(f"expected , or ] at {at}")
            at = _skip_space(text, at + 1)
    if _skip_space(text, at + 1) != len(text):
        raise ValueError(f"extra data after {at}")
    return items


def _skip_space(text: str, at: int) -> int:
    """Where the JSON whitespace from `at` on ends."""
    space = _SPACE.match(text, at)
    return space.end() if space else at


def _encodable(data: Any) -> bool:
    """Whether every string in `data` can be written as UTF-8."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass(frozen=True)
class Body:
    """What was read of a body: as sent, decoded, and the error that stopped reading, if any."""

    raw: bytes
    decoded: bytes
    error: FetchError | None = None


class _Inflater:
    """Undoes gzip or deflate a piece at a time, never producing more than it is asked for."""

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        self._d = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)
        self._tail = b""
        self._started = False
        self._members = 0  # complete gzip members so far
        self._done = False

    @property
    def pending(self) -> bool:
        return bool(self._tail)

    def feed(self, data: bytes, limit: int) -> bytes:
        """Inflate what is pending plus `data`, at most `limit` bytes out; the rest stays pending."""
        source, self._tail = self._tail + data, b""
        if self._done or not source:
            return b""
        try:
            out = self._d.decompress(source, limit)
        except zlib.error:
            if not self._started and not self._gzip:  # "deflate" sent raw, without a zlib header
                self._d = zlib.decompressobj(-zlib.MAX_WBITS)
                self._started = True
                return self.feed(source, limit)
            if self._members:  # junk after complete gzip members: ignored, as urllib3 does
                self._done = True
                return b""
            raise
        self._started = True
        self._tail = self._d.unconsumed_tail
        if self._d.eof:
            rest = self._d.unused_data
            self._members += 1
            if self._gzip and rest:  # another gzip member follows
                self._d = zlib.decompressobj(zlib.MAX_WBITS | 16)
                self._tail = rest
            else:
                self._done = True
        return out


class _Decoder:
    """Content-Encoding layers (outermost first in the header) undone in turn, within `cap` bytes."""

    def __init__(self, content_encoding: str, cap: int) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        self.supported = all(c in ("gzip", "x-gzip", "deflate") for c in codings)
        self._layers = [_Inflater(c) for c in reversed(codings)] if self.supported else []
        self._cap = cap
        self.size = 0

    @property
    def active(self) -> bool:
        return bool(self._layers)

    def feed(self, data: bytes) -> list[bytes]:
        """Decode `data` and whatever it unlocks; stop once more than `cap` bytes came out."""
        parts: list[bytes] = []
        while self.size <= self._cap:
            limit = min(_INFLATE_STEP, self._cap - self.size + 1)
            for layer in self._layers:
                data = layer.feed(data, limit)
            parts.append(data)
            self.size += len(data)
            data = b""
            if not any(layer.pending for layer in self._layers):
                break
        return parts


def read_body(
    url: str,
    read: Callable[[int], bytes],
    content_encoding: str,
    cap: int,
    deadline: float,
    before_read: Callable[[float], None] = lambda _: None,
) -> Body:
    """Read `url`'s body with `read(n)` (up to n bytes, b"" at the end) until it ends, its decoded size
    passes `cap`, or `deadline` (time.monotonic) passes; `before_read(seconds_left)` runs before each
    read so a blocking read cannot outlast the deadline."""
    decoder = _Decoder(content_encoding, cap)
    raw: list[bytes] = []
    decoded: list[bytes] = []
    raw_size = 0
    error: FetchError | None = None
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            error = DeadlineExceededError(f"{url}: request_deadline passed while reading", url)
            break
        before_read(left)
        chunk = read(READ_CHUNK)
        if not chunk:
            break
        raw.append(chunk)
        raw_size += len(chunk)
        if decoder.active:
            try:
                decoded += decoder.feed(chunk)
            except zlib.error as exc:
                error = FetchError(f"{url}: undecodable {content_encoding} body ({exc})", url)
                break
        if max(raw_size, decoder.size) > cap:
            error = ResponseTooLargeError(
                f"{url}: response larger than max_response_bytes={cap}; not read further", url
            )
            break
    raw_bytes = b"".join(raw)
    del raw
    return Body(raw_bytes, b"".join(decoded) if decoder.active else raw_bytes, error)
