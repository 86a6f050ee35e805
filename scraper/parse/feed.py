"""RSS2 and Atom feeds as WordPress writes them -> feed items, comments and records; never raises.

WordPress's templates (wp-includes/feed-rss2.php, feed-atom-comments.php) fix the shapes read here:
an RSS2 item has `guid` (usually `HOME/?p=ID`), `dc:creator`, `category` (categories and tags
mixed, names only), `content:encoded` (absent when the site publishes excerpts), `wfw:commentRss`
and `slash:comments` (both absent when a post has no comments and comments are closed). An Atom
comment entry has `id` = `POST_GUID#comment-N` and `thr:in-reply-to ref=` the parent comment's id,
or the post's guid for a top-level comment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import feedparser

from archive.identity import slugify
from archive.records import CommentRecord, PostRecord, RatingRecord, TermRef
from scraper.parse.body import clean_text, parse_body
from scraper.parse.dates import from_struct_time
from scraper.parse.rating import parse_rating
from scraper.wpurls import post_id_in, strip_comment_page

_COMMENT_ID = re.compile(r"#comment-(\d+)$")
# A password-protected post: its feed content is the password form (wp-login.php?action=postpass),
# or with excerpt-only feeds get_the_excerpt()'s English notice, and its title carries
# protected_title_format, "Protected: %s" in English.
_PASSWORD_FORM = re.compile(
    r"action=postpass|post-password-form|There is no excerpt because this is a protected post"
)
_PROTECTED_TITLE = re.compile(r"^Protected:\s*")


@dataclass(frozen=True)
class FeedItem:
    """One post as a feed shows it. `content_html` is None when the feed carries only an excerpt."""

    guid: str
    wp_id: int | None
    title: str
    link: str
    published_at: datetime | None
    modified_at: datetime | None
    author_name: str | None
    categories: tuple[str, ...]
    content_html: str | None
    summary_html: str
    comment_count: int
    comment_feed_url: str | None
    protected: bool = False  # password-protected: no body, no visible comments


@dataclass(frozen=True)
class FeedComment:
    """One comment of an Atom comment feed; `parent_wp_id` is None for a top-level comment."""

    wp_id: int
    post_guid: str
    post_wp_id: int | None
    post_link: str
    parent_wp_id: int | None
    has_thread: bool  # False when the entry had no thr:in-reply-to: its parent is unknown
    author_name: str
    author_url: str
    published_at: datetime | None
    content_html: str
    url: str


@dataclass(frozen=True)
class ParsedFeed:
    """A feed document: `is_feed` is False for HTML or garbage; `problem` is feedparser's bozo cause."""

    is_feed: bool
    items: tuple[FeedItem, ...] = ()
    comments: tuple[FeedComment, ...] = ()
    problem: str | None = None


def parse_post_feed(data: bytes, content_type: str = "") -> ParsedFeed:
    """An RSS2 or Atom posts feed -> its items; a bozo feed keeps whatever entries were read."""
    parsed = _parse(data, content_type)
    if not parsed.get("version"):
        return ParsedFeed(is_feed=False, problem=_bozo(parsed) or "not a feed")
    items = tuple(item for item in map(_feed_item, parsed.entries) if item is not None)
    return ParsedFeed(is_feed=True, items=items, problem=_bozo(parsed))


def parse_comment_feed(data: bytes, content_type: str = "") -> ParsedFeed:
    """An Atom (or RSS2) comments feed -> its comments with thread parents where Atom gives them."""
    parsed = _parse(data, content_type)
    if not parsed.get("version"):
        return ParsedFeed(is_feed=False, problem=_bozo(parsed) or "not a feed")
    comments = tuple(c for c in map(_feed_comment, parsed.entries) if c is not None)
    return ParsedFeed(is_feed=True, comments=comments, problem=_bozo(parsed))


def _parse(data: bytes, content_type: str) -> Any:
    headers = {"content-type": content_type} if content_type else None
    # Our own parse_body sanitizes; feedparser's sanitizer would drop markup rating parsers read.
    return feedparser.parse(data, response_headers=headers, sanitize_html=False)


def _bozo(parsed: Any) -> str | None:
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    return f"{type(exc).__name__}: {exc}" if exc is not None else "malformed feed"


def _feed_item(entry: Any) -> FeedItem | None:
    guid = str(entry.get("id") or entry.get("link") or "")
    link = str(entry.get("link") or "")
    if not guid and not link:
        return None
    content = entry.get("content") or []
    content_html = str(content[0].get("value") or "") if content else None
    summary = str(entry.get("summary") or "")
    protected = bool(_PASSWORD_FORM.search(content_html or summary))
    title = str(entry.get("title") or "").strip()
    return FeedItem(
        guid=guid,
        wp_id=post_id_in(guid),
        title=_PROTECTED_TITLE.sub("", title) if protected else title,
        link=link,
        published_at=from_struct_time(entry.get("published_parsed")),
        # dict.get: feedparser's own lookup falls back to the publication date (deprecated).
        modified_at=from_struct_time(dict.get(entry, "updated_parsed")),
        author_name=str(entry.get("author") or "").strip() or None,
        categories=tuple(
            str(tag.get("term")).strip() for tag in entry.get("tags") or () if tag.get("term")
        ),
        content_html="" if protected else content_html,
        summary_html="" if protected else summary,
        comment_count=_int(entry.get("slash_comments")),
        comment_feed_url=str(entry.get("wfw_commentrss") or "") or None,
        protected=protected,
    )


def _feed_comment(entry: Any) -> FeedComment | None:
    comment_id = str(entry.get("id") or "")
    link = str(entry.get("link") or "")
    match = _COMMENT_ID.search(comment_id) or _COMMENT_ID.search(link)
    if match is None:
        return None
    post_guid = comment_id.rsplit("#comment-", 1)[0] if "#comment-" in comment_id else ""
    thread = entry.get("thr_in-reply-to")
    ref = str(thread.get("ref") or "") if isinstance(thread, dict) else ""
    parent = _COMMENT_ID.search(ref)
    content = entry.get("content") or []
    author = entry.get("author_detail") or {}
    return FeedComment(
        wp_id=int(match.group(1)),
        post_guid=post_guid,
        post_wp_id=post_id_in(post_guid),
        post_link=strip_comment_page(link),
        parent_wp_id=int(parent.group(1)) if parent else None,
        has_thread=bool(ref),
        author_name=str(author.get("name") or entry.get("author") or "").strip(),
        author_url=str(author.get("href") or ""),
        published_at=from_struct_time(entry.get("published_parsed")),
        content_html=str(content[0].get("value") or "")
        if content
        else str(entry.get("summary") or ""),
        url=link,
    )


def _int(value: Any) -> int:
    try:
        return max(0, int(str(value).strip()))
    except (TypeError, ValueError):
        return 0


def build_post(
    item: FeedItem, html_post: PostRecord | None, *, body_from_html: bool
) -> PostRecord | None:
    """Merge a feed item with its post's HTML (if read): the feed gives title, link, dates and author;
    the HTML gives the id when the guid lacks one, and the body when the feed had only an excerpt."""
    wp_id = item.wp_id or (html_post.wp_id if html_post else None)
    if wp_id is None:
        return None
    content_html, content_text, rating = _body(item, html_post, body_from_html)
    terms = html_post.terms if html_post and html_post.terms else _feed_terms(item)
    return PostRecord(
        wp_id=wp_id,
        type=html_post.type if html_post else "post",
        url=item.link or (html_post.url if html_post else ""),
        title=item.title or (html_post.title if html_post else ""),
        slug=html_post.slug if html_post else "",
        author_wp_id=html_post.author_wp_id if html_post else None,
        author_name=item.author_name or (html_post.author_name if html_post else None),
        published_at=item.published_at or (html_post.published_at if html_post else None),
        modified_at=item.modified_at or (html_post.modified_at if html_post else None),
        excerpt=clean_text(item.summary_html),
        content_html=content_html,
        content_text=content_text,
        rating=rating,
        terms=terms,
        comment_status=html_post.comment_status if html_post else None,
        source="feed",
        raw={
            "guid": item.guid,
            "categories": list(item.categories),
            "comments": item.comment_count,
            "protected": item.protected,
            "date_source": "feed" if item.published_at else _html_date_source(html_post),
        },
    )


def _html_date_source(html_post: PostRecord | None) -> str | None:
    return html_post.raw.get("date_source") if html_post is not None else None


def _body(
    item: FeedItem, html_post: PostRecord | None, body_from_html: bool
) -> tuple[str, str, RatingRecord | None]:
    """(html, text, rating): from the HTML when asked, when the feed has none, or when the post
    has `<!--nextpage-->` pages (a feed holds only the first), else from the feed."""
    if item.protected:
        return "", "", None
    whole_on_page = html_post is not None and html_post.raw.get("body_pages", 1) > 1
    if html_post is not None and (body_from_html or item.content_html is None or whole_on_page):
        return html_post.content_html, html_post.content_text, html_post.rating
    body = parse_body(item.content_html or "", item.link)
    rating = parse_rating(item.content_html or "") or (html_post.rating if html_post else None)
    return body.html, body.text, rating


def thread_comments(
    comments: list[CommentRecord], thread: Sequence[FeedComment], post_wp_id: int
) -> list[CommentRecord]:
    """Set authoritative parents from Atom `thr:in-reply-to` over markup-inferred ones, and the
    feed's exact UTC dates over dates read from page text.

    When the page showed no comments at all, the feed's own comments of this post are used.
    """
    if not comments:
        return [
            _feed_comment_record(c, post_wp_id)
            for c in thread
            if c.post_wp_id in (None, post_wp_id)
        ]
    by_id = {c.wp_id: c for c in thread if c.has_thread}
    return [_with_thread(c, by_id.get(c.wp_id)) for c in comments]


def _with_thread(comment: CommentRecord, entry: FeedComment | None) -> CommentRecord:
    if entry is None:
        return comment
    return replace(
        comment,
        parent_wp_id=entry.parent_wp_id,
        parent_inferred=False,
        published_at=entry.published_at or comment.published_at,
    )


def _feed_terms(item: FeedItem) -> tuple[TermRef, ...]:
    refs = {slugify(name): name for name in item.categories}
    return tuple(TermRef("category", slug, name) for slug, name in refs.items() if slug)


def _feed_comment_record(comment: FeedComment, post_wp_id: int) -> CommentRecord:
    body = parse_body(comment.content_html, comment.url)
    return CommentRecord(
        wp_id=comment.wp_id,
        post_wp_id=post_wp_id,
        parent_wp_id=comment.parent_wp_id,
        author_name=comment.author_name,
        author_url=comment.author_url,
        published_at=comment.published_at,
        content_html=body.html,
        content_text=body.text,
        url=comment.url,
        parent_inferred=not comment.has_thread,
        source="feed",
    )
