"""A post's own page -> PostRecord fields: id, type, title, author, dates, terms, body, rating, feeds.

Every field is looked up through ordered selectors (scraper/parse/selectors.py), most reliable
first; what cannot be found is left empty and, when it matters, reported as a problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from archive.records import AuthorRecord, PostRecord, ProblemRecord
from scraper.parse import selectors as sel
from scraper.parse.body import parse_body
from scraper.parse.dates import parse_iso_utc, parse_text_date
from scraper.parse.jsonld import has_type, jsonld_objects, read_jsonld
from scraper.parse.markup import attr_of, cleaned_copy, first_match, inner_html, text_of, tokens_of
from scraper.parse.rating import parse_rating
from scraper.parse.terms import parse_terms
from scraper.parse.tree import HtmlElement, ParsedPage, as_page, body_of, select, select_one
from scraper.wpurls import (
    atom_of_rss_feed,
    is_post_comment_feed,
    same_page,
    slug_in_permalink,
    strip_comment_page,
)

# Where a post's published_at was read: markup (meta, <time datetime>, JSON-LD: exact), the feed
# (pubDate: exact), or a text date ("July 14, 2019": the day only, at midnight site time).
DateSource = Literal["markup", "feed", "text"]


@dataclass(frozen=True)
class ParsedPost:
    """What a post page says about its post; `post` is None when the page names no post id."""

    post: PostRecord | None
    author: AuthorRecord | None = None
    comment_feed_url: str | None = None
    atom_comments_url: str | None = None
    problems: list[ProblemRecord] = field(default_factory=list)


@dataclass(frozen=True)
class _Author:
    name: str | None
    slug: str
    wp_id: int | None
    url: str


def parse_post_page(
    page: ParsedPage | str,
    url: str = "",
    *,
    more_pages: Sequence[ParsedPage] = (),
    utc_offset_hours: float | None = None,
) -> ParsedPost:
    """Read the post on its own page (`page.url` is where it was fetched), never raising.

    `more_pages` are the post's other `<!--nextpage-->` pages (see `body_page_urls`), in order:
    their contents follow the first page's in the body, and the rating is sought over all.
    `utc_offset_hours` (the site's gmt_offset) places a date printed as text only; `raw`'s
    `date_source` says where `published_at` came from (see DateSource)."""
    page = as_page(page, url)
    doc, url = page.root, page.url
    problems: list[ProblemRecord] = []
    if sel.LISTING_BODY_CLASSES & set(tokens_of(body_of(doc))):
        problems.append(ProblemRecord("parse", "a listing page (home, archive), not a post", url))
        return ParsedPost(None, problems=problems)
    canonical = _canonical(doc, url)
    wp_id, post_type = _post_id(doc)
    if wp_id is None:
        problems.append(ProblemRecord("parse", "no WordPress post id on the page", url))
        return ParsedPost(None, problems=problems)
    jsonld = list(jsonld_objects(read_jsonld(doc)))
    protected = _password_required(doc)
    content = None if protected else _content(doc)
    content_html = "" if protected else None if content is None else inner_html(content).strip()
    if content_html and more_pages:
        content_html = "\n".join([content_html, *_contents_of(more_pages)])
        content = None  # the rating reads the joined body, parsed from the joined HTML
    if content_html is None:
        problems.append(ProblemRecord("parse", "no entry content found on the page", url))
    body = parse_body(content_html or "", canonical)
    author = _author(doc, canonical, jsonld)
    published, date_source = _published(doc, jsonld, utc_offset_hours)
    feed = _comment_feed(doc, canonical, wp_id)
    post = PostRecord(
        wp_id=wp_id,
        type=post_type,
        url=canonical,
        title=_title(doc, protected),
        slug=slug_in_permalink(canonical),
        author_wp_id=author.wp_id,
        author_name=author.name,
        published_at=published,
        modified_at=_modified(doc, jsonld),
        content_html=body.html,
        content_text=body.text,
        rating=parse_rating(content_html or "", page, content_tree=content),
        terms=parse_terms(_scope(doc), select_one(doc, "article[id^=post-]"), canonical),
        comment_status=_comment_status(doc),
        source="html",
        raw={
            "author_slug": author.slug,
            "author_url": author.url,
            "fetched_url": url,
            "protected": protected,
            "body_pages": 1 + len(more_pages),
            "date_source": date_source,
        },
    )
    return ParsedPost(post, _author_record(author), feed, _atom_feed(doc, feed), problems)


def _canonical(doc: HtmlElement, url: str) -> str:
    href = attr_of(select_one(doc, sel.POST_CANONICAL), "href")
    return strip_comment_page(urljoin(url, href) if href else url)


# ---- identity -------------------------------------------------------------------------------


def _post_id(doc: HtmlElement) -> tuple[int | None, str]:
    """(wp_id, "post" | "page"): each strategy is tried in turn, the first id found wins."""
    post_type = _post_type(doc)
    strategies: tuple[Callable[[HtmlElement], int | None], ...] = (
        _id_from_body_class,
        _id_from_shortlink,
        _id_from_rest_link,
        _id_from_comment_form,
        _id_from_article,
    )
    for strategy in strategies:
        wp_id = strategy(doc)
        if wp_id is not None:
            return wp_id, post_type
    return None, post_type


def _post_type(doc: HtmlElement) -> str:
    """post_class() prints `type-<post type>` (custom types too), body_class() `single-<type>`
    (block themes print no post_class) and `page-id-N`."""
    classes = tokens_of(body_of(doc)) + tokens_of(select_one(doc, "article[id^=post-]"))
    rest = sel.POST_ID_REST_LINK.search(attr_of(select_one(doc, sel.POST_REST_LINK), "href"))
    if any(c.startswith("page-id-") or c == "type-page" for c in classes):
        return "page"
    named = [c.removeprefix("type-") for c in classes if c.startswith("type-")]
    named += [c.removeprefix("single-") for c in classes if sel.BODY_SINGLE_TYPE.match(c)]
    if named and named[0] != "post":
        return named[0]
    return "page" if rest and rest.group(1) == "pages" else "post"


def _id_from_body_class(doc: HtmlElement) -> int | None:
    for name in tokens_of(body_of(doc)):
        match = sel.POST_ID_BODY_CLASS.match(name)
        if match:
            return int(match.group(1))
    return None


def _id_from_shortlink(doc: HtmlElement) -> int | None:
    match = sel.POST_ID_SHORTLINK.search(attr_of(select_one(doc, sel.POST_SHORTLINK), "href"))
    return int(match.group(1)) if match else None


def _id_from_rest_link(doc: HtmlElement) -> int | None:
    match = sel.POST_ID_REST_LINK.search(attr_of(select_one(doc, sel.POST_REST_LINK), "href"))
    return int(match.group(2)) if match else None


def _id_from_comment_form(doc: HtmlElement) -> int | None:
    value = attr_of(select_one(doc, sel.POST_COMMENT_FORM_ID), "value")
    return int(value) if value.isdigit() else None


def _id_from_article(doc: HtmlElement) -> int | None:
    match = sel.POST_ID_ARTICLE.match(attr_of(select_one(doc, "article[id^=post-]"), "id"))
    return int(match.group(1)) if match else None


# ---- title, author, dates -------------------------------------------------------------------


def _password_required(doc: HtmlElement) -> bool:
    """A password-protected post: core's password form stands where the content would be
    (block themes print no post-password-required class, so the form decides)."""
    classes = tokens_of(body_of(doc)) + tokens_of(select_one(doc, "article[id^=post-]"))
    return "post-password-required" in classes or first_match(doc, sel.PASSWORD_FORM) is not None


def _title(doc: HtmlElement, protected: bool) -> str:
    title = _shown_title(doc)
    # Themes print "Protected: Title" for password-protected posts (get_the_title's
    # protected_title_format); the REST API gives the bare title, and so do we.
    if protected and title.startswith(sel.PROTECTED_TITLE_PREFIX):
        return title.removeprefix(sel.PROTECTED_TITLE_PREFIX)
    return title


def _shown_title(doc: HtmlElement) -> str:
    heading = first_match(doc, sel.POST_TITLE)
    if heading is not None and text_of(heading):
        return text_of(heading)
    meta = first_match(doc, sel.POST_TITLE_META)
    if meta is not None and attr_of(meta, "content"):
        return " ".join(attr_of(meta, "content").split())
    title = text_of(select_one(doc, "title")) if select_one(doc, "title") is not None else ""
    for separator in sel.TITLE_SEPARATORS:
        if separator in title:
            return title.rsplit(separator, 1)[0].strip()
    return title


def _author(doc: HtmlElement, base_url: str, jsonld: list[dict[str, Any]]) -> _Author:
    tag = first_match(_scope(doc), sel.POST_AUTHOR)
    href = urljoin(base_url, attr_of(tag, "href")) if tag is not None and tag.tag == "a" else ""
    name = text_of(tag) if tag is not None else ""
    if not name:
        name = attr_of(first_match(doc, sel.POST_AUTHOR_META), "content")
    if not name:
        name = next((n for n in _jsonld_author_names(jsonld)), "")
    slug_match = sel.AUTHOR_SLUG_IN_PATH.search(urlsplit(href).path)
    id_match = sel.AUTHOR_ID_PARAM.search(href)
    return _Author(
        name=name or None,
        slug=slug_match.group(1).lower() if slug_match else "",
        wp_id=int(id_match.group(1)) if id_match else None,
        url=href,
    )


def _author_record(author: _Author) -> AuthorRecord | None:
    if author.wp_id is None or not author.name:
        return None
    return AuthorRecord(author.wp_id, author.name, author.slug, author.url, source="html")


def _published(
    doc: HtmlElement, jsonld: list[dict[str, Any]], utc_offset_hours: float | None
) -> tuple[datetime | None, DateSource | None]:
    """The publication date and where it was read: machine-readable markup (meta, time,
    JSON-LD), else a date the theme prints as text only (a day's precision)."""
    exact = _date(doc, sel.POST_PUBLISHED_META, sel.POST_PUBLISHED, jsonld, "datePublished")
    if exact is not None:
        return exact, "markup"
    for selector in sel.POST_TEXT_DATE:
        tag = select_one(_scope(doc), selector)
        day = parse_text_date(text_of(tag), utc_offset_hours) if tag is not None else None
        if day is not None:
            return day, "text"
    return None, None


def _modified(doc: HtmlElement, jsonld: list[dict[str, Any]]) -> datetime | None:
    return _date(doc, sel.POST_MODIFIED_META, sel.POST_MODIFIED, jsonld, "dateModified")


def _date(
    doc: HtmlElement,
    metas: tuple[str, ...],
    times: tuple[str, ...],
    jsonld: list[dict[str, Any]],
    key: str,
) -> datetime | None:
    candidates = [attr_of(select_one(doc, s), "content") for s in metas]
    candidates += [attr_of(select_one(_scope(doc), s), "datetime") for s in times]
    candidates += [str(obj.get(key) or "") for obj in jsonld if _is_article(obj)]
    for value in candidates:
        parsed = parse_iso_utc(value)
        if parsed is not None:
            return parsed
    return None


# ---- JSON-LD (Yoast, Rank Math, Jetpack) ------------------------------------------------------


def _is_article(obj: dict[str, Any]) -> bool:
    return has_type(obj, ("Article", "BlogPosting", "NewsArticle", "WebPage"))


def _jsonld_author_names(jsonld: list[dict[str, Any]]) -> Iterator[str]:
    for obj in jsonld:
        author = obj.get("author") if _is_article(obj) else None
        for person in author if isinstance(author, list) else [author]:
            if isinstance(person, dict) and isinstance(person.get("name"), str):
                yield person["name"]


# ---- content, terms, comments ---------------------------------------------------------------


def _scope(doc: HtmlElement) -> HtmlElement:
    scope = first_match(doc, sel.POST_SCOPE)
    return scope if scope is not None else doc


def _content(doc: HtmlElement) -> HtmlElement | None:
    """A copy of the entry content without sharing widgets and other chrome; None if absent."""
    content = first_match(doc, sel.POST_CONTENT)
    return None if content is None else cleaned_copy(content, sel.POST_CONTENT_NOISE)


def _contents_of(pages: Sequence[ParsedPage]) -> Iterator[str]:
    for page in pages:
        content = _content(page.root)
        if content is not None:
            yield inner_html(content).strip()


def body_page_urls(page: ParsedPage) -> list[str]:
    """The post's other `<!--nextpage-->` pages, in the order wp_link_pages() links them."""
    own = same_page(page.url)
    urls: dict[str, str] = {}
    for selector in sel.POST_PAGE_LINKS:
        for link in select(page.root, selector):
            href = urljoin(page.url, attr_of(link, "href"))
            if href and same_page(href) != own:
                urls.setdefault(same_page(href), href)
    return list(urls.values())


def _comment_status(doc: HtmlElement) -> str | None:
    if first_match(doc, sel.COMMENTS_OPEN) is not None:
        return "open"
    if first_match(doc, sel.COMMENTS_CLOSED) is not None:
        return "closed"
    return None


def _comment_feed(doc: HtmlElement, canonical: str, wp_id: int) -> str | None:
    """This post's RSS comments feed (feed_links_extra), not the site-wide one."""
    links = [urljoin(canonical, attr_of(t, "href")) for t in select(doc, sel.RSS_ALTERNATE)]
    own = canonical.rstrip("/")
    for href in links:
        if is_post_comment_feed(href, own, wp_id):
            return href
    return None


def _atom_feed(doc: HtmlElement, rss: str | None) -> str | None:
    """The post's Atom comments feed: advertised, or derived from the RSS one (same endpoint)."""
    for tag in select(doc, sel.ATOM_ALTERNATE):
        href = attr_of(tag, "href")
        if rss and href.startswith(rss.rstrip("/")):
            return href
    return atom_of_rss_feed(rss) if rss else None
