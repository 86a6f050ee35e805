"""The content of the hostile site: a small WordPress-shaped REST API, as JSON-ready items."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

PER_PAGE = 100
POSTS = 250  # three pages: the faults meet the crawl on page 2, after discovery and page 1
COMMENTS = 30
BAD_AUTHOR_URL = "javascript:alert(1)"
COLLECTIONS = ("posts", "pages", "comments", "users", "categories", "tags")


def home_html(base: str) -> str:
    """A WordPress front page: the REST API link, a feed link and the traces themes leave."""
    return (
        "<!DOCTYPE html><html><head><title>Hostile Blog</title>"
        f'<link rel="https://api.w.org/" href="{base}/wp-json/">'
        f'<link rel="alternate" type="application/rss+xml" href="{base}/feed/">'
        f'<link rel="stylesheet" href="{base}/wp-content/themes/t/style.css">'
        '<meta name="generator" content="WordPress 6.4"></head>'
        "<body><h1>Hostile Blog</h1></body></html>"
    )


def index(base: str) -> dict[str, Any]:
    """The REST API index: wp/v2 offered, `home` this site."""
    return {
        "name": "Hostile Blog",
        "description": "misbehaves on purpose",
        "url": base,
        "home": base,
        "gmt_offset": 0,
        "timezone_string": "UTC",
        "namespaces": ["oembed/1.0", "wp/v2"],
    }


def post(wp_id: int, base: str) -> dict[str, Any]:
    """One published post."""
    return {
        "id": wp_id,
        "type": "post",
        "link": f"{base}/?p={wp_id}",
        "slug": f"post-{wp_id}",
        "status": "publish",
        "date_gmt": "2020-01-02T03:04:05",
        "modified_gmt": "2020-01-02T03:04:05",
        "title": {"rendered": f"Post {wp_id}"},
        "content": {"rendered": f"<p>Body of post {wp_id}. Rating: 4/5</p>"},
        "excerpt": {"rendered": f"<p>Post {wp_id}</p>"},
        "author": 1,
        "categories": [],
        "tags": [],
        "comment_status": "open",
    }


def comment(wp_id: int, base: str) -> dict[str, Any]:
    """One approved comment on post 1; the first one's author gave a `javascript:` URL."""
    return {
        "id": wp_id,
        "post": 1,
        "parent": 0 if wp_id % 3 == 1 else wp_id - 1,
        "author": 0,
        "author_name": f"Reader {wp_id}",
        "author_url": BAD_AUTHOR_URL if wp_id == 1 else f"https://reader{wp_id}.example",
        "date_gmt": "2021-05-06T07:08:09",
        "content": {"rendered": f"<p>Comment {wp_id}</p>"},
        "link": f"{base}/?p=1#comment-{wp_id}",
        "status": "approved",
        "type": "comment",
    }


def user(base: str) -> dict[str, Any]:
    """The blog's only author."""
    return {"id": 1, "name": "Author", "slug": "author", "link": f"{base}/?author=1"}


def collection_page(name: str, page: int, base: str, first_id: int = 1) -> tuple[list[Any], int]:
    """(items, total) of one page of a collection, ordered by id; post ids start at `first_id`
    (another host's posts get other ids, so a stray one is easy to spot)."""
    total = {"posts": POSTS, "comments": COMMENTS, "users": 1}.get(name, 0)
    start = (page - 1) * PER_PAGE
    numbers = range(start + 1, min(total, start + PER_PAGE) + 1)
    if name == "posts":
        return [post(first_id + n - 1, base) for n in numbers], total
    if name == "comments":
        return [comment(n, base) for n in numbers], total
    if name == "users":
        return [user(base) for _ in numbers], total
    return [], total


def page_number(path: str) -> int:
    """The `page` query parameter of a request path (1 when absent or bad)."""
    value = parse_qs(urlsplit(path).query).get("page", ["1"])[0]
    return int(value) if value.isdigit() else 1


def rss(base: str) -> str:
    """A valid RSS 2.0 feed of the first ten posts."""
    items = "".join(
        f"<item><title>Post {n}</title><link>{base}/?p={n}</link><guid>{base}/?p={n}</guid>"
        f"<pubDate>Thu, 02 Jan 2020 03:04:05 +0000</pubDate>"
        f"<description>Post {n}</description></item>"
        for n in range(1, 11)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Hostile Blog</title><link>{base}</link>{items}</channel></rss>"
    )


def post_query(path: str) -> int:
    """The `p` query parameter of a request path (a post's plain permalink), 0 when absent."""
    value = parse_qs(urlsplit(path).query).get("p", [""])[0]
    return int(value) if value.isdigit() else 0


def post_html(wp_id: int, base: str) -> str:
    """A classic theme's page of one post, as the HTML source reads it."""
    return (
        f"<!DOCTYPE html><html><head><title>Post {wp_id}</title></head><body>"
        f'<article id="post-{wp_id}" class="post-{wp_id} post type-post status-publish">'
        f'<h1 class="entry-title">Post {wp_id}</h1>'
        f'<div class="entry-content"><p>Post {wp_id} body</p></div></article></body></html>'
    )


def dumps(data: Any) -> bytes:
    """JSON as WordPress sends it (UTF-8, non-ASCII escaped)."""
    return json.dumps(data).encode("utf-8")
