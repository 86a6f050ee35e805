"""WXR items: each archived post or page with its terms and its comments, streamed in id order.

Posts and comments come from two cursors read side by side (posts by id, comments by post and
id), so memory stays flat however many comments a site has.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from itertools import accumulate
from typing import Any, BinaryIO

from sqlalchemy import Connection, Row, func, select

from archive.bulk import chunked
from archive.export.wxr_xml import cdata, element, mysql_date, rss_date, xml_attr, xml_text
from archive.identity import slugify
from archive.models import COMMENTS, POST_TERMS, POSTS, TERMS

AnyRow = Row[*tuple[Any, ...]]
BATCH = 200
ELLIPSES = ("…", "[…]", "...", "[...]")  # what WordPress's excerpt_more filters end with
_POST_COLUMNS = (
    POSTS.c.id,
    POSTS.c.wp_id,
    POSTS.c.type,
    POSTS.c.url,
    POSTS.c.slug,
    POSTS.c.title,
    POSTS.c.status,
    POSTS.c.author_wp_id,
    POSTS.c.author_name,
    POSTS.c.published_at,
    POSTS.c.modified_at,
    POSTS.c.excerpt,
    POSTS.c.content_html,
    POSTS.c.content_text,
    POSTS.c.comment_status,
    POSTS.c.raw,
)


@dataclass(frozen=True)
class PostExtras:
    """What only the raw item of some sources tells about a post (REST, WordPress.com)."""

    parent: int = 0
    menu_order: int = 0
    guid: str = ""
    sticky: bool = False
    ping_status: str = "closed"


def read_post_extras(raw: Mapping[str, Any]) -> PostExtras:
    """Parent page, menu order, guid, stickiness and ping status from a REST or WordPress.com item."""
    parent = raw.get("parent")
    parent = parent.get("ID") if isinstance(parent, dict) else parent  # WordPress.com: {ID, ...}
    guid = raw.get("guid")
    guid = guid.get("rendered") if isinstance(guid, dict) else guid  # REST: {rendered}
    ping_status = raw.get("ping_status")
    if not isinstance(ping_status, str):
        discussion = raw.get("discussion")
        pings_open = isinstance(discussion, dict) and discussion.get("pings_open") is True
        ping_status = "open" if pings_open else "closed"
    menu_order = raw.get("menu_order")
    return PostExtras(
        parent=parent if isinstance(parent, int) and parent > 0 else 0,
        menu_order=menu_order if isinstance(menu_order, int) else 0,
        guid=html.unescape(guid) if isinstance(guid, str) else "",
        sticky=raw.get("sticky") is True,
        ping_status=ping_status,
    )


def iter_post_batches(conn: Connection, site_id: int) -> Iterator[Sequence[AnyRow]]:
    """The site's posts and pages by WordPress id, a batch at a time."""
    stmt = select(*_POST_COLUMNS).where(POSTS.c.site_id == site_id).order_by(POSTS.c.wp_id)
    result = conn.execute(stmt.execution_options(yield_per=BATCH))
    yield from result.partitions()


def fetch_post_terms(conn: Connection, post_ids: Sequence[int]) -> dict[int, list[AnyRow]]:
    """post row id -> its terms (taxonomy, slug, name), in a stable order."""
    stmt = (
        select(POST_TERMS.c.post_id, TERMS.c.taxonomy, TERMS.c.slug, TERMS.c.name)
        .join(TERMS, TERMS.c.id == POST_TERMS.c.term_id)
        .order_by(POST_TERMS.c.post_id, TERMS.c.taxonomy, TERMS.c.slug)
    )
    terms: dict[int, list[AnyRow]] = {}
    for chunk in chunked(post_ids):
        for row in conn.execute(stmt.where(POST_TERMS.c.post_id.in_(chunk))):
            terms.setdefault(row.post_id, []).append(row)
    return terms


def manual_excerpt(excerpt: str, content_text: str) -> str:
    """The excerpt unless it is WordPress's automatic one: the body's opening words followed by an
    ellipsis (`[…]`, or `…` and a theme's "Continue reading"), or whole opening paragraphs (the
    text before `<!--more-->`, or all of a short body).

    Sources give the rendered excerpt, which WordPress makes from the body when the author wrote
    none; importing that as a hand-written excerpt would freeze it, so it is left out.
    """
    words, body = excerpt.split(), content_text.split()
    shared = 0
    while shared < min(len(words), len(body)) and words[shared] == body[shared]:
        shared += 1
    rest = " ".join(words[shared:])
    if shared < len(body):
        rest = rest.removeprefix(body[shared])  # "word…": the ellipsis glued to the last word
    truncated = rest.lstrip().startswith(ELLIPSES)
    paragraph_ends = set(accumulate(len(p.split()) for p in content_text.split("\n\n")))
    whole_paragraphs = shared == len(words) and shared in paragraph_ends
    return "" if shared and (truncated or whole_paragraphs) else excerpt


def post_creator(post: AnyRow, logins: Mapping[int, str]) -> str:
    """The login written as the item's dc:creator (an author known by name only gets one)."""
    if post.author_wp_id in logins:
        return logins[post.author_wp_id]
    return slugify(post.author_name) if post.author_name else ""


def item_head(
    post: AnyRow, home: str, logins: Mapping[int, str], clock: tzinfo, terms: Sequence[AnyRow]
) -> str:
    """An item up to its comments, in export_wp's order."""
    extras = read_post_extras(post.raw or {})
    query = "page_id" if post.type == "page" else "p"
    guid = extras.guid or f"{home}/?{query}={post.wp_id}"
    modified = post.modified_at or post.published_at
    fields = [
        element("title", cdata(post.title)),
        element("link", xml_text(post.url)),
        element("pubDate", rss_date(post.published_at) if post.published_at else ""),
        element("dc:creator", cdata(post_creator(post, logins))),
        f'<guid isPermaLink="false">{xml_text(guid)}</guid>',
        "<description></description>",
        element("content:encoded", cdata(post.content_html)),
        element("excerpt:encoded", cdata(manual_excerpt(post.excerpt, post.content_text))),
        element("wp:post_id", str(post.wp_id)),
        element("wp:post_date", cdata(mysql_date(post.published_at, clock))),
        element("wp:post_date_gmt", cdata(mysql_date(post.published_at))),
        element("wp:post_modified", cdata(mysql_date(modified, clock))),
        element("wp:post_modified_gmt", cdata(mysql_date(modified))),
        element("wp:comment_status", cdata(post.comment_status or "closed")),
        element("wp:ping_status", cdata(extras.ping_status)),
        element("wp:post_name", cdata(post.slug)),
        element("wp:status", cdata(post.status)),
        element("wp:post_parent", str(extras.parent)),
        element("wp:menu_order", str(extras.menu_order)),
        element("wp:post_type", cdata(post.type)),
        element("wp:post_password", cdata("")),
        element("wp:is_sticky", "1" if extras.sticky else "0"),
    ]
    fields += [
        f"<category domain={xml_attr(t.taxonomy)} nicename={xml_attr(t.slug)}>{cdata(t.name)}</category>"
        for t in terms
    ]
    return "\t<item>\n" + "".join(f"\t\t{field}\n" for field in fields)


def iter_comments(conn: Connection, site_id: int) -> Iterator[AnyRow]:
    """The site's comments by post and id, each with what `wxr_parent` needs to judge its parent."""
    parent = COMMENTS.alias("parent")
    # The first reply under each parent, aggregated once: SQLite plans a correlated subquery
    # as a scan by id range, quadratic on a large site.
    first_reply = (
        select(COMMENTS.c.parent_wp_id, func.min(COMMENTS.c.wp_id).label("wp_id"))
        .where(COMMENTS.c.site_id == site_id, COMMENTS.c.parent_wp_id.is_not(None))
        .group_by(COMMENTS.c.parent_wp_id)
        .subquery()
    )
    stmt = (
        select(
            COMMENTS.c.wp_id,
            COMMENTS.c.post_wp_id,
            COMMENTS.c.parent_wp_id,
            COMMENTS.c.is_orphan,
            COMMENTS.c.parent_inferred,
            parent.c.post_wp_id.label("parent_post_wp_id"),
            first_reply.c.wp_id.label("first_reply_wp_id"),
            COMMENTS.c.author_name,
            COMMENTS.c.author_url,
            COMMENTS.c.author_wp_id,
            COMMENTS.c.published_at,
            COMMENTS.c.content_html,
            COMMENTS.c.type,
        )
        .outerjoin(parent, parent.c.id == COMMENTS.c.parent_id)
        .outerjoin(first_reply, first_reply.c.parent_wp_id == COMMENTS.c.parent_wp_id)
        .where(COMMENTS.c.site_id == site_id)
        .order_by(COMMENTS.c.post_wp_id, COMMENTS.c.wp_id)
    )
    yield from conn.execute(stmt.execution_options(yield_per=1000))


def wxr_parent(comment: AnyRow) -> int:
    """The parent to write: the archived one only where the importer links it to the right comment.

    The importer inserts a post's comments in id order and remaps a parent only if it was inserted
    before; any other parent id is kept as is and would point at an unrelated comment of the new
    site. So 0 (top level) is written for orphans (parent not archived), a parent under another
    post or with a higher id, and a parent inferred from page markup unless it is certain.

    An inferred parent comes from WordPress's flattening of replies past the thread depth: the
    comment really descends from it. Replies get higher ids than their parents, so the comment
    with the lowest id among all comments recorded under that ancestor has nothing else it could
    reply to: for it (and only it) the inferred parent is certain.
    """
    parent = comment.parent_wp_id
    if (
        parent is None
        or comment.is_orphan
        or comment.parent_post_wp_id != comment.post_wp_id
        or parent >= comment.wp_id
    ):
        return 0
    if comment.parent_inferred and comment.first_reply_wp_id != comment.wp_id:
        return 0
    return int(parent)


def comment_element(comment: AnyRow, clock: tzinfo) -> str:
    """One wp:comment, in export_wp's order; what is not public (email, IP) is empty."""
    fields = (
        element("wp:comment_id", str(comment.wp_id)),
        element("wp:comment_author", cdata(comment.author_name)),
        element("wp:comment_author_email", cdata("")),
        element("wp:comment_author_url", xml_text(comment.author_url)),
        element("wp:comment_author_IP", cdata("")),
        element("wp:comment_date", cdata(mysql_date(comment.published_at, clock))),
        element("wp:comment_date_gmt", cdata(mysql_date(comment.published_at))),
        element("wp:comment_content", cdata(comment.content_html)),
        element("wp:comment_approved", cdata("1")),
        element("wp:comment_type", cdata(comment.type)),
        element("wp:comment_parent", str(wxr_parent(comment))),
        element("wp:comment_user_id", str(comment.author_wp_id or 0)),
    )
    return "\t\t<wp:comment>\n" + "".join(f"\t\t\t{f}\n" for f in fields) + "\t\t</wp:comment>\n"


class CommentStream:
    """The comments cursor, consumed post by post in step with the posts cursor."""

    def __init__(self, rows: Iterator[AnyRow]) -> None:
        self._rows = rows
        self._next: AnyRow | None = next(rows, None)

    def write_for(self, out: BinaryIO, post_wp_id: int, clock: tzinfo) -> int:
        """Write the comments of one post (skipping those of posts not archived); return how many."""
        written = 0
        while self._next is not None and self._next.post_wp_id <= post_wp_id:
            if self._next.post_wp_id == post_wp_id:
                out.write(comment_element(self._next, clock).encode("utf-8"))
                written += 1
            self._next = next(self._rows, None)
        return written
