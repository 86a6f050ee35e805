"""Threaded comments from a post page's markup (core walker, div-style, block themes, Jetpack).

Parents come from nesting. Replies deeper than the site's `thread_comments_depth` are printed by
the core walker as siblings at the last level, so there the markup cannot prove a parent. The
rule: the deepest level printed is the limit when comments there have no reply link while
shallower ones do (WordPress omits the link at the limit); with no reply links on the page the
limit is WordPress's default, 5. Comments at or beyond the limit get `parent_inferred=True`, except
in block themes (they nest such replies inside the parent's li, which html.parser keeps) and
where the comment says "In reply to <a href=#comment-N>", which proves the parent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urldefrag, urljoin

from lxml import etree

from archive.records import CommentRecord, ProblemRecord
from scraper.parse import selectors as sel
from scraper.parse.body import parse_body
from scraper.parse.dates import parse_iso_utc
from scraper.parse.markup import cleaned_copy, inner_html, text_of, tokens_of
from scraper.parse.tree import HtmlElement, ParsedPage, as_page, select, select_one, select_within
from scraper.wpurls import comment_page_number, post_key

# WordPress's default date/time formats ("F j, Y" + "g:i a") joined by "%1$s at %2$s", and the
# few other settings the Reading screen offers; anything else is reported, not guessed.
TEXT_DATE_FORMATS = (
    "%B %d, %Y at %I:%M %p",
    "%B %d, %Y at %H:%M",
    "%d %B %Y at %H:%M",
    "%d %B %Y at %I:%M %p",
    "%Y-%m-%d at %H:%M",
    "%Y-%m-%d at %I:%M %p",
    "%B %d, %Y %I:%M %p",
    "%B %d, %Y",
)


@dataclass(frozen=True)
class CommentPage:
    """The comments on one page, links to the post's other comment pages, and what went wrong."""

    comments: list[CommentRecord]
    page_urls: list[str]
    problems: list[ProblemRecord]
    current_page: int | None = None


@dataclass
class _Tree:
    """Comment nodes of one page and, for scoping selectors, which element belongs to which."""

    nodes: dict[int, HtmlElement]
    # Keyed by element: lxml keeps one proxy per node while `nodes` holds it.
    owner_of: dict[HtmlElement, int]

    def owner(self, tag: HtmlElement | None) -> int | None:
        """The comment whose node is `tag` or its nearest enclosing comment node."""
        while tag is not None:
            found = self.owner_of.get(tag)
            if found is not None:
                return found
            tag = tag.getparent()
        return None

    def own(self, wp_id: int, selector: str) -> list[HtmlElement]:
        """Matches of `selector` inside comment `wp_id` but not inside a nested reply.

        Searches the node's children one by one, skipping replies and reply lists, so a thread's
        top comment does not search its whole thread for each field."""
        found: list[HtmlElement] = []
        for child in self.nodes[wp_id]:
            if not isinstance(child.tag, str) or self._is_replies(child):
                continue
            found += [el for el in select_within(child, selector) if self.owner(el) == wp_id]
        return found

    def _is_replies(self, tag: HtmlElement) -> bool:
        if tag in self.owner_of:
            return True
        return tag.tag in ("ol", "ul") and any(c in self.owner_of for c in tag)

    def first(self, wp_id: int, selectors: tuple[str, ...]) -> HtmlElement | None:
        for selector in selectors:
            found = self.own(wp_id, selector)
            if found:
                return found[0]
        return None


@dataclass
class _Item:
    """One comment node as read, before the parent rule is applied."""

    wp_id: int
    depth: int
    dom_parent: int | None
    proven_parent: int | None
    has_reply_link: bool
    is_ping: bool


@dataclass
class _Context:
    """What every comment of one page is read against."""

    tree: _Tree
    base_url: str
    post_wp_id: int
    limit: int | None
    block_theme: bool
    utc_offset_hours: float | None
    problems: list[ProblemRecord] = field(default_factory=list)
    text_dates: int = 0


def parse_comments(
    page: ParsedPage | str,
    base_url: str = "",
    post_wp_id: int = 0,
    *,
    utc_offset_hours: float | None = None,
) -> CommentPage:
    """Comments on `page` (a post page or a fragment; `base_url` only with HTML text), in
    document order, never raising.

    `utc_offset_hours` converts dates shown only as text (legacy themes) from site time to UTC;
    without it such dates are taken as UTC and one problem says so.
    """
    page = as_page(page, base_url)
    doc, base_url, html = page.root, page.url, page.html
    tree = _read_tree(doc)
    items = [_read_item(tree, wp_id) for wp_id in tree.nodes]
    block_theme = select_one(doc, sel.BLOCK_COMMENT_TEMPLATE) is not None
    ctx = _Context(tree, base_url, post_wp_id, _thread_limit(items), block_theme, utc_offset_hours)
    if "<html" in html[:2000].lower() and "</html>" not in html[-4000:].lower():
        ctx.problems.append(
            ProblemRecord("parse", "page ends before </html>: truncated?", base_url)
        )
    comments = [_to_record(item, ctx) for item in items]
    if ctx.text_dates and utc_offset_hours is None:
        message = "comment dates shown only as text, without time zone: taken as UTC"
        ctx.problems.append(ProblemRecord("parse", message, base_url))
    current = _current_page(doc, base_url, comments)
    return CommentPage(comments, _page_links(doc, base_url, current), ctx.problems, current)


def _read_tree(doc: HtmlElement) -> _Tree:
    """Comment id -> its outermost element (document order puts ancestors first)."""
    nodes: dict[int, HtmlElement] = {}
    for tag in doc.iter(*sel.COMMENT_NODE_TAGS):
        wp_id = _comment_id(str(tag.get("id") or ""))
        if wp_id is not None and wp_id not in nodes:
            nodes[wp_id] = tag
    return _Tree(nodes, {node: wp_id for wp_id, node in nodes.items()})


def _comment_id(element_id: str) -> int | None:
    for pattern in sel.COMMENT_ID_PATTERNS:
        match = pattern.match(element_id)
        if match:
            return int(match.group(1))
    return None


def _read_item(tree: _Tree, wp_id: int) -> _Item:
    node = tree.nodes[wp_id]
    nesting = 1 + sum(1 for parent in node.iterancestors() if parent in tree.owner_of)
    return _Item(
        wp_id=wp_id,
        depth=_depth_class(node) or nesting,
        dom_parent=tree.owner(node.getparent()),
        proven_parent=_in_reply_to(tree, wp_id),
        has_reply_link=tree.first(wp_id, sel.COMMENT_REPLY_LINK) is not None,
        is_ping=any(c in sel.PING_CLASSES for c in tokens_of(node)),
    )


def _depth_class(node: HtmlElement) -> int | None:
    for name in tokens_of(node):
        match = sel.DEPTH_CLASS.match(name)
        if match:
            return int(match.group(1))
    return None


def _in_reply_to(tree: _Tree, wp_id: int) -> int | None:
    for link in tree.own(wp_id, sel.IN_REPLY_TO_LINK):
        context = text_of(link.getparent())
        match = sel.COMMENT_ANCHOR.search(str(link.get("href") or ""))
        if match and sel.IN_REPLY_TO_TEXT.search(context) and int(match.group(1)) != wp_id:
            return int(match.group(1))
    return None


def _thread_limit(items: list[_Item]) -> int | None:
    """The depth at which the markup stops nesting, or None when it provably never got there."""
    comments = [item for item in items if not item.is_ping]
    if not comments:
        return None
    deepest = max(item.depth for item in comments)
    if any(item.has_reply_link for item in comments if item.depth == deepest):
        return None
    if any(item.has_reply_link for item in comments):
        return deepest
    return sel.DEFAULT_THREAD_DEPTH


def _to_record(item: _Item, ctx: _Context) -> CommentRecord:
    page_url = urldefrag(ctx.base_url)[0]
    name, author_url = _author(ctx.tree, item, ctx.base_url)
    published = _published(ctx, item.wp_id)
    if not name:
        ctx.problems.append(ProblemRecord("parse", f"comment {item.wp_id}: no author", page_url))
    if published is None and not item.is_ping:  # core prints no date for pings
        message = f"comment {item.wp_id}: no readable date"
        ctx.problems.append(ProblemRecord("parse", message, page_url))
    parent = item.proven_parent or item.dom_parent
    inferred = (
        parent is not None
        and item.proven_parent is None
        and not ctx.block_theme
        and ctx.limit is not None
        and item.depth >= ctx.limit
    )
    body = parse_body("" if item.is_ping else _content_html(ctx.tree, item.wp_id), ctx.base_url)
    permalink = ctx.tree.first(item.wp_id, sel.COMMENT_PERMALINK)
    href = str(permalink.get("href") or "") if permalink is not None else ""
    node = ctx.tree.nodes[item.wp_id]
    return CommentRecord(
        wp_id=item.wp_id,
        post_wp_id=ctx.post_wp_id,
        parent_wp_id=parent,
        author_name=name,
        author_url=author_url,
        published_at=published,
        content_html=body.html,
        content_text=body.text,
        url=urljoin(ctx.base_url, href) if href else f"{page_url}#comment-{item.wp_id}",
        type=_ping_type(node) if item.is_ping else "comment",
        parent_inferred=inferred,
        source="html",
        raw={"depth": item.depth, "dom_parent": item.dom_parent, "classes": tokens_of(node)},
    )


def _author(tree: _Tree, item: _Item, base_url: str) -> tuple[str, str]:
    if item.is_ping:
        link = tree.first(item.wp_id, ("a.url[href]", "a[href]"))
        if link is None:
            return "", ""
        return text_of(link), urljoin(base_url, str(link.get("href") or ""))
    name_tag = tree.first(item.wp_id, sel.COMMENT_AUTHOR)
    url_tag = tree.first(item.wp_id, sel.COMMENT_AUTHOR_URL)
    name = re.sub(r"\s*says:?$", "", text_of(name_tag)) if name_tag is not None else ""
    url = urljoin(base_url, str(url_tag.get("href") or "")) if url_tag is not None else ""
    return name, url


def _published(ctx: _Context, wp_id: int) -> datetime | None:
    stamp = ctx.tree.first(wp_id, sel.COMMENT_DATETIME)
    if stamp is not None:
        parsed = parse_iso_utc(str(stamp.get("datetime") or ""))
        if parsed is not None:
            return parsed
    for selector in sel.COMMENT_DATE_TEXT:
        for tag in ctx.tree.own(wp_id, selector):
            parsed = parse_wp_date_text(text_of(tag), ctx.utc_offset_hours or 0.0)
            if parsed is not None:
                ctx.text_dates += 1
                return parsed
    return None


def parse_wp_date_text(text: str, utc_offset_hours: float = 0.0) -> datetime | None:
    """'March 29, 2018 at 10:15 am' (site time) -> aware UTC; None for formats we do not know."""
    cleaned = " ".join(text.replace("\xa0", " ").split())
    cleaned = re.sub(r"\s*\((?:edit|Edit)\)\s*$", "", cleaned)
    for fmt in TEXT_DATE_FORMATS:
        try:
            local = datetime.strptime(cleaned, fmt)
        except ValueError:
            continue
        return (local - timedelta(hours=utc_offset_hours)).replace(tzinfo=UTC)
    return None


def _content_html(tree: _Tree, wp_id: int) -> str:
    content = tree.first(wp_id, sel.COMMENT_CONTENT)
    if content is None:
        body = tree.first(wp_id, sel.COMMENT_LEGACY_BODY)
        body = body if body is not None else tree.nodes[wp_id]
        return _legacy_content(body)
    return inner_html(cleaned_copy(content, sel.COMMENT_CONTENT_NOISE)).strip()


def _legacy_content(body: HtmlElement) -> str:
    """Text printed straight into the comment body: the body minus author, meta and replies."""
    cleaned = cleaned_copy(
        body, (*sel.COMMENT_CHROME, *sel.COMMENT_CONTENT_NOISE, ".children", "img.avatar")
    )
    for tag in list(cleaned.iter(etree.Element)):
        if _comment_id(str(tag.get("id") or "")) is not None and tag.getparent() is not None:
            tag.drop_tree()
    return inner_html(cleaned).strip()


def _ping_type(node: HtmlElement) -> str:
    return next((c for c in tokens_of(node) if c in sel.PING_CLASSES), "pingback")


def _current_page(doc: HtmlElement, base_url: str, comments: list[CommentRecord]) -> int | None:
    """This page's number: the pagination's current marker, else the page the comments'
    own permalinks name (WordPress links each comment to the page it is on), else the URL's."""
    for selector in sel.COMMENT_PAGE_CURRENT:
        tag = select_one(doc, selector)
        match = re.search(r"\d+", text_of(tag)) if tag is not None else None
        if match:
            return int(match.group())
    own_post = post_key(base_url)
    for comment in comments:
        number = comment_page_number(comment.url)
        if number is not None and post_key(comment.url) == own_post:
            return number
    return comment_page_number(base_url)


def _page_links(doc: HtmlElement, base_url: str, current: int | None) -> list[str]:
    """Links to this post's other comment pages, nav links first, each URL once."""
    own_post = post_key(base_url)
    found: dict[str, None] = {}
    for selector in sel.COMMENT_PAGE_LINKS:
        for link in select(doc, selector):
            url = urldefrag(urljoin(base_url, str(link.get("href") or "")))[0]
            number = comment_page_number(url)
            if number is None or number == current or post_key(url) != own_post:
                continue
            found.setdefault(url, None)
    return list(found)
