"""WordPress REST (wp/v2) JSON items -> records; malformed items become ProblemRecords, never exceptions."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from archive.records import (
    AuthorRecord,
    CommentRecord,
    PostRecord,
    ProblemRecord,
    RatingRecord,
    TermRecord,
    TermRef,
)
from scraper.exchange import capture_of
from scraper.parse.body import clean_text, parse_body
from scraper.parse.dates import parse_rest_utc
from scraper.parse.rating import parse_jsonld_rating, parse_rating
from scraper.parse.tree import parse_page

LOGGER = logging.getLogger(__name__)

TAXONOMY_FIELDS = (("categories", "category"), ("tags", "post_tag"))
# Post types every crawl reads anyway (posts, pages) or that are not content a visitor reads.
NON_CONTENT_TYPES = frozenset({"post", "page", "attachment", "nav_menu_item"})


def parse_rest_author(item: Any, source: str = "rest") -> AuthorRecord | ProblemRecord:
    """A `/wp/v2/users` item -> AuthorRecord."""
    wp_id = _item_id(item)
    if wp_id is None:
        return _bad_item("user", item)
    return AuthorRecord(
        wp_id=wp_id,
        name=str(item.get("name") or ""),
        slug=str(item.get("slug") or ""),
        url=str(item.get("link") or item.get("url") or ""),
        source=source,
        raw=item,
    )


def parse_rest_term(item: Any, taxonomy: str, source: str = "rest") -> TermRecord | ProblemRecord:
    """A `/wp/v2/categories` or `/wp/v2/tags` item -> TermRecord."""
    wp_id = _item_id(item)
    if wp_id is None:
        return _bad_item(taxonomy, item)
    return TermRecord(
        taxonomy=taxonomy,
        slug=str(item.get("slug") or wp_id),
        name=clean_text(str(item.get("name") or "")),
        wp_id=wp_id,
        source=source,
        raw=item,
    )


def parse_rest_post(
    item: Any, authors: Mapping[int, str], timezone: str | None = None, source: str = "rest"
) -> PostRecord | ProblemRecord:
    """A `/wp/v2/posts` or `/wp/v2/pages` item -> PostRecord with parsed body and rating.

    `timezone` is the site's timezone_string, used to correct WordPress's DST bug in `*_gmt`."""
    wp_id = _item_id(item)
    if wp_id is None:
        return _bad_item("post", item)
    url = str(item.get("link") or "")
    content_html = _rendered(item.get("content"))
    body = parse_body(content_html, url)
    author = item.get("author")
    author_id = author if isinstance(author, int) and author > 0 else None
    terms = tuple(
        TermRef(taxonomy=taxonomy, wp_id=term_id)
        for field, taxonomy in TAXONOMY_FIELDS
        for term_id in item.get(field) or ()
        if isinstance(term_id, int)
    )
    return PostRecord(
        wp_id=wp_id,
        type=str(item.get("type") or "post"),
        url=url,
        title=clean_text(_rendered(item.get("title"))),
        slug=str(item.get("slug") or ""),
        status=str(item.get("status") or "publish"),
        author_wp_id=author_id,
        author_name=authors.get(author_id) if author_id else None,
        published_at=parse_rest_utc(item.get("date_gmt"), item.get("date"), timezone),
        modified_at=parse_rest_utc(item.get("modified_gmt"), item.get("modified"), timezone),
        excerpt=clean_text(_rendered(item.get("excerpt"))),
        content_html=body.html,
        content_text=body.text,
        rating=_head_rating(item) or parse_rating(content_html),
        terms=terms,
        comment_status=item.get("comment_status"),
        source=source,
        raw=item,
        capture=capture_of(item),
    )


def _head_rating(item: dict[str, Any]) -> RatingRecord | None:
    """A rating in the page head's JSON-LD that Yoast SEO copies into REST responses: the
    decoded graph (`yoast_head_json.schema`), else the head HTML itself (`yoast_head`)."""
    head_json = item.get("yoast_head_json")
    schema = head_json.get("schema") if isinstance(head_json, dict) else None
    if schema:
        return parse_jsonld_rating([schema])
    head_html = item.get("yoast_head")
    if isinstance(head_html, str) and "ld+json" in head_html:
        return parse_rating("", parse_page(head_html, str(item.get("link") or "")))
    return None


def parse_rest_types(data: Any) -> list[str]:
    """The collection routes (`wp/v2/<rest_base>`) of the public custom post types a
    `/wp/v2/types` answer lists. Anonymous readers get no `viewable` flag (edit context only),
    so core's own non-content types are left out by name: attachment, nav_menu_item and the
    `wp_` prefix WordPress reserves (wp_block, wp_template, wp_navigation, ...)."""
    routes = []
    for slug, info in data.items() if isinstance(data, dict) else ():
        if not isinstance(info, dict) or slug in NON_CONTENT_TYPES or slug.startswith("wp_"):
            continue
        base, namespace = info.get("rest_base"), info.get("rest_namespace") or "wp/v2"
        if isinstance(base, str) and base and isinstance(namespace, str):
            routes.append(f"{namespace}/{base}")
    return routes


def parse_rest_comment(
    item: Any, timezone: str | None = None, source: str = "rest"
) -> CommentRecord | ProblemRecord:
    """A `/wp/v2/comments` item -> CommentRecord (parent 0 means top level)."""
    wp_id = _item_id(item)
    post = item.get("post") if isinstance(item, dict) else None
    if wp_id is None or not isinstance(post, int):
        return _bad_item("comment", item)
    parent = item.get("parent")
    author = item.get("author")
    url = str(item.get("link") or "")
    body = parse_body(_rendered(item.get("content")), url)
    return CommentRecord(
        wp_id=wp_id,
        post_wp_id=post,
        parent_wp_id=parent if isinstance(parent, int) and parent > 0 else None,
        author_name=clean_text(str(item.get("author_name") or "")),
        author_url=str(item.get("author_url") or ""),
        author_wp_id=author if isinstance(author, int) and author > 0 else None,
        published_at=parse_rest_utc(item.get("date_gmt"), item.get("date"), timezone),
        content_html=body.html,
        content_text=body.text,
        url=url,
        type=str(item.get("type") or "comment"),
        source=source,
        raw=item,
        capture=capture_of(item),
    )


def _item_id(item: Any) -> int | None:
    if not isinstance(item, dict):
        return None
    wp_id = item.get("id")
    return wp_id if isinstance(wp_id, int) and wp_id > 0 else None


def _rendered(field: Any) -> str:
    if isinstance(field, dict):
        return str(field.get("rendered") or "")
    return str(field or "")


def _bad_item(kind: str, item: Any) -> ProblemRecord:
    preview = repr(item)[:120]
    return ProblemRecord(kind="parse", message=f"unreadable {kind} item: {preview}")
