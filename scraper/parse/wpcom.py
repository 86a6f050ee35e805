"""WordPress.com REST v1.1 JSON (site, posts, comments) -> records; never raises on malformed items.

Shapes, from Jetpack's json-endpoints (the code that serves public-api.wordpress.com): a post has
`ID, URL, slug, title (HTML), date, modified (ISO 8601 with offset), author{ID,name,nice_name,URL},
content, excerpt, categories/tags {name: {ID, name, slug}}, type, status, discussion{comment_status}`;
a comment has `ID, post{ID,link}, author{ID (0 for guests), name, URL}, date, URL, content, status,
parent ({ID,...} or false), type (comment | pingback | trackback | review)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from archive.identity import normalize_site_url
from archive.records import (
    AuthorRecord,
    CommentRecord,
    PostRecord,
    ProblemRecord,
    SiteRecord,
    TermRecord,
    TermRef,
)
from scraper.exchange import capture_of
from scraper.parse.body import clean_text, parse_body
from scraper.parse.dates import parse_iso_utc
from scraper.parse.rating import parse_rating

SOURCE = "wpcom"
TAXONOMY_FIELDS = (("categories", "category"), ("tags", "post_tag"))
# Comment types that are not a reader's words.
PING_TYPES = frozenset({"pingback", "trackback"})


def parse_wpcom_site(data: Any, site: str, api_root: str) -> SiteRecord:
    """The `/sites/SITE/` document -> SiteRecord (options are partly hidden from anonymous callers)."""
    info = _dict(data)
    options = _dict(info.get("options"))
    offset = options.get("gmt_offset")
    return SiteRecord(
        url=normalize_site_url(str(info.get("URL") or site)),
        name=clean_text(str(info.get("name") or "")),
        description=clean_text(str(info.get("description") or "")),
        api_root=api_root,
        gmt_offset=float(offset) if isinstance(offset, int | float) else None,
        timezone=str(options.get("timezone") or "") or None,
    )


def parse_wpcom_author(item: Any) -> AuthorRecord | None:
    """The `author` object of a post -> AuthorRecord; None when it has no positive user id."""
    author = _dict(_dict(item).get("author"))
    wp_id = _id(author.get("ID"))
    if wp_id is None:
        return None
    return AuthorRecord(
        wp_id=wp_id,
        name=clean_text(str(author.get("name") or "")),
        slug=str(author.get("nice_name") or author.get("login") or ""),
        url=str(author.get("URL") or ""),
        source=SOURCE,
        raw=author,
    )


def parse_wpcom_terms(item: Any) -> list[TermRecord]:
    """A post's `categories` and `tags` hashes -> TermRecords."""
    return [
        TermRecord(
            taxonomy=taxonomy,
            slug=str(term.get("slug") or wp_id),
            name=clean_text(str(term.get("name") or "")),
            wp_id=wp_id,
            source=SOURCE,
            raw=term,
        )
        for taxonomy, wp_id, term in _terms(item)
    ]


def parse_wpcom_post(item: Any) -> PostRecord | ProblemRecord:
    """A `/sites/SITE/posts/` item -> PostRecord with parsed body and rating."""
    wp_id = _id(_dict(item).get("ID"))
    if wp_id is None:
        return _bad_item("post", item)
    url = str(item.get("URL") or "")
    content_html = str(item.get("content") or "")
    body = parse_body(content_html, url)
    author = parse_wpcom_author(item)
    discussion = _dict(item.get("discussion"))
    return PostRecord(
        wp_id=wp_id,
        type=str(item.get("type") or "post"),
        url=url,
        title=clean_text(str(item.get("title") or "")),
        slug=str(item.get("slug") or ""),
        status=str(item.get("status") or "publish"),
        author_wp_id=author.wp_id if author else None,
        author_name=author.name if author else None,
        published_at=parse_iso_utc(item.get("date")),
        modified_at=parse_iso_utc(item.get("modified")),
        excerpt=clean_text(str(item.get("excerpt") or "")),
        content_html=body.html,
        content_text=body.text,
        rating=parse_rating(content_html),
        terms=tuple(
            TermRef(taxonomy, str(term.get("slug") or ""), str(term.get("name") or ""), term_id)
            for taxonomy, term_id, term in _terms(item)
        ),
        comment_status=str(discussion.get("comment_status") or "") or None,
        source=SOURCE,
        raw=item,
        capture=capture_of(item),
    )


def parse_wpcom_comment(item: Any) -> CommentRecord | ProblemRecord | None:
    """A `/sites/SITE/comments/` item -> CommentRecord; None for pings and unapproved comments."""
    wp_id = _id(_dict(item).get("ID"))
    post_id = _id(_dict(_dict(item).get("post")).get("ID"))
    if wp_id is None or post_id is None:
        return _bad_item("comment", item)
    kind = str(item.get("type") or "comment")
    if kind in PING_TYPES or item.get("status", "approved") != "approved":
        return None
    author = _dict(item.get("author"))
    url = str(item.get("URL") or "")
    body = parse_body(str(item.get("content") or ""), url)
    return CommentRecord(
        wp_id=wp_id,
        post_wp_id=post_id,
        parent_wp_id=_id(_dict(item.get("parent")).get("ID")),
        author_name=clean_text(str(author.get("name") or "")),
        author_url=str(author.get("URL") or ""),
        author_wp_id=_id(author.get("ID")),
        published_at=parse_iso_utc(item.get("date")),
        content_html=body.html,
        content_text=body.text,
        url=url,
        type=kind,
        parent_inferred=False,
        source=SOURCE,
        raw=item,
        capture=capture_of(item),
    )


def _terms(item: Any) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """(taxonomy, id, term) triples; an empty hash arrives as `{}` or `[]` (PHP's empty array)."""
    for field, taxonomy in TAXONOMY_FIELDS:
        terms = _dict(item).get(field)
        values = (
            terms.values() if isinstance(terms, dict) else terms if isinstance(terms, list) else ()
        )
        for term in values:
            term_id = _id(_dict(term).get("ID"))
            if term_id is not None:
                yield taxonomy, term_id, term


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _id(value: Any) -> int | None:
    """A positive integer id, or None (WordPress.com sends 0 for guests and false for no parent)."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def _bad_item(kind: str, item: Any) -> ProblemRecord:
    return ProblemRecord(
        kind="parse", message=f"unreadable WordPress.com {kind}: {repr(item)[:120]}"
    )
