"""Records to table rows, and the fingerprint of a saved record."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from archive.identity import slugify
from archive.records import (
    AuthorRecord,
    Capture,
    CommentRecord,
    PostRecord,
    SentJson,
    TermRecord,
)

Row = dict[str, Any]

# A person's link (an author's or commenter's site) is kept only when a browser would open it as a
# web page: `javascript:`, `data:` and the like are dropped from the row (its raw item keeps them).
WEB_SCHEMES = frozenset({"http", "https"})
RATING_COLUMNS = (
    "rating_value",
    "rating_scale",
    "rating_worst",
    "rating_normalized",
    "rating_source",
    "rating_text",
)


class EncodedJson(str):
    """A value already encoded as JSON: stored as it is (see `dump_json`) and hashed as text, so
    an item's raw document is encoded once, not once for the fingerprint and again for the row."""


def encode_json(value: object) -> EncodedJson:
    """`value` as compact JSON with sorted keys (stable, so its hash is too); an object a
    response sent (SentJson) as the text it came in, which is as stable."""
    if isinstance(value, SentJson) and value.text is not None:
        return EncodedJson(value.text)
    return EncodedJson(_RAW_ENCODER.encode(value))


def dump_json(value: object) -> str:
    """The engine's JSON serializer: an EncodedJson passes through, anything else is encoded."""
    return value if isinstance(value, EncodedJson) else json.dumps(value)


def web_link(url: str | None) -> str:
    """`url` when it is an absolute http(s) link with a host, else ""."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme.lower() in WEB_SCHEMES and parts.hostname else ""


def fingerprint(row: Row) -> str:
    """A stable hash of a row's record-derived values: equal rows mean an unchanged record."""
    return digest_of(canonical_json(row))


def canonical_json(row: Row) -> EncodedJson:
    """The JSON a fingerprint hashes (sorted keys, compact, datetimes in ISO 8601): also what the
    archive stores where it keeps such values, so they are encoded once."""
    return EncodedJson(_encode(row))


def digest_of(encoded: str) -> str:
    """The fingerprint of a canonical_json encoding."""
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _encode(row: Row) -> str:
    return _ROW_ENCODER.encode(row)


def _without_nul(value: Any) -> Any:
    """`value` with every NUL character removed from its strings, however deeply nested."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nul(v) for v in value]
    return value


def _encode_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return repr(value)


# Built once: json.dumps with any option builds a new encoder for every call (a fifth of the
# time of encoding a row). The output is json.dumps's with the same options.
_ROW_ENCODER = json.JSONEncoder(sort_keys=True, default=_encode_default, separators=(",", ":"))
_RAW_ENCODER = json.JSONEncoder(
    sort_keys=True, default=_encode_default, separators=(",", ":"), ensure_ascii=False
)


def author_row(site_id: int, record: AuthorRecord) -> Row:
    """Columns of `authors` for one record (without seen times)."""
    row: Row = {
        "site_id": site_id,
        "wp_id": record.wp_id,
        "name": record.name,
        "slug": record.slug,
        "url": web_link(record.url),
        "source": record.source,
        "raw": encode_json(record.raw),
    }
    return _with_hash(row)


def term_row(site_id: int, record: TermRecord) -> Row:
    """Columns of `terms` for one record."""
    return {
        "site_id": site_id,
        "taxonomy": record.taxonomy,
        "slug": record.slug or slugify(record.name),
        "name": record.name,
        "wp_id": record.wp_id,
        "source": record.source,
        "raw": record.raw,
    }


def post_row(site_id: int, record: PostRecord) -> Row:
    """Columns of `posts` for one record; the fingerprint also covers its terms."""
    rating = record.rating
    row: Row = {
        "site_id": site_id,
        "wp_id": record.wp_id,
        "type": record.type,
        "url": record.url,
        "slug": record.slug,
        "title": record.title,
        "status": record.status,
        "author_wp_id": record.author_wp_id,
        "author_name": record.author_name,
        "published_at": record.published_at,
        "modified_at": record.modified_at,
        "excerpt": record.excerpt,
        "content_html": record.content_html,
        "content_text": record.content_text,
        "rating_value": rating.value if rating else None,
        "rating_scale": rating.scale if rating else None,
        "rating_worst": rating.worst if rating else None,
        "rating_normalized": rating.normalized if rating else None,
        "rating_source": rating.found_in if rating else None,
        "rating_text": rating.text if rating else None,
        "comment_status": record.comment_status,
        "source": record.source,
        "raw": encode_json(record.raw),
    }
    terms = sorted((t.taxonomy, t.slug, t.name, t.wp_id or 0) for t in record.terms)
    return _with_capture(_with_hash(row, terms=terms), record.capture)


def comment_row(site_id: int, record: CommentRecord) -> Row:
    """Columns of `comments` for one record; WordPress's parent 0 means top level."""
    row: Row = {
        "site_id": site_id,
        "wp_id": record.wp_id,
        "post_wp_id": record.post_wp_id,
        "parent_wp_id": record.parent_wp_id or None,
        "parent_inferred": record.parent_inferred,
        "author_name": record.author_name,
        "author_url": web_link(record.author_url),
        "author_wp_id": record.author_wp_id,
        "published_at": record.published_at,
        "content_html": record.content_html,
        "content_text": record.content_text,
        "url": record.url,
        "type": record.type,
        "source": record.source,
        "raw": encode_json(record.raw),
    }
    return _with_capture(_with_hash(row), record.capture)


def _with_capture(row: Row, capture: Capture | None) -> Row:
    """`row` with where its response was recorded, outside the fingerprint: an item read again
    from another capture is unchanged (and keeps the capture its content was first read from)."""
    row["warc_file"] = capture.warc_file if capture else None
    row["warc_offset"] = capture.offset if capture else None
    return row


def _with_hash(row: Row, **covered: Any) -> Row:
    """`row` with its fingerprint (which also covers `covered`), and without NUL characters:
    PostgreSQL's text and jsonb cannot hold them, and no WordPress content means one. The check
    rides on the encoding the fingerprint needs anyway (JSON writes NUL as \\u0000)."""
    encoded = _encode({**row, **covered})
    if "\\u0000" in encoded:
        row = _without_nul(row)
        encoded = _encode({**row, **covered})
    row["record_hash"] = hashlib.sha256(encoded.encode("utf-8")).hexdigest()
    return row
