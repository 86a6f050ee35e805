"""WordPress's URL shapes, in one place: REST routes, feeds, listing and comment paging, post ids.

Pretty and plain permalinks spell each one differently: `/wp-json/ROUTE` or `?rest_route=/ROUTE`,
`/feed/` or `?feed=rss2`, `/page/N/` or `?paged=N`, `/comment-page-N/` or `?cpage=N`,
`PERMALINK/feed/` or `?feed=rss2&p=ID`.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin, urlsplit, urlunsplit

COMMENT_PAGE_IN_PATH = re.compile(r"/comment-page-(\d+)/?$")
COMMENT_PAGE_PARAM = "cpage"
LISTING_PAGE_IN_PATH = re.compile(r"/page/(\d+)/?$")
LISTING_PAGE_PARAM = "paged"
# The site-wide comments feed, not a post's.
SITE_COMMENTS_FEED = re.compile(r"(/comments/feed/?(?:atom/?)?$|[?&]feed=comments-)")
_POST_ID_PARAM = re.compile(r"[?&](?:p|page_id)=(\d+)(?:&|#|$)")


def rest_route_url(root: str, route: str) -> str:
    """The URL of `route` (e.g. "wp/v2/posts") under an API root, for both `/wp-json/` and `?rest_route=/`."""
    route = route.strip("/")
    if "rest_route=" in root:
        return re.sub(r"rest_route=[^&]*", f"rest_route=/{route}", root)
    return urljoin(root if root.endswith("/") else root + "/", route)


def rest_root_candidates(home: str) -> tuple[str, str]:
    """Where the REST API answers when nothing links it: pretty, then plain permalinks."""
    return home + "/wp-json/", home + "/?rest_route=/"


def feed_page_url(feed_url: str, number: int) -> str:
    """Page `number` of a posts feed: `?paged=N` works under both permalink styles."""
    return with_query(feed_url, paged=str(number))


def with_query(url: str, **params: str) -> str:
    """`url` with query parameters set (added, or replacing the ones of the same name)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def page_number_in(url: str, in_path: re.Pattern[str], param: str) -> int | None:
    """A pagination number from the URL's path (`in_path` group 1) or its `param` query value."""
    parts = urlsplit(url)
    match = in_path.search(parts.path)
    if match:
        return int(match.group(1))
    for key, value in parse_qsl(parts.query):
        if key == param and value.isdigit():
            return int(value)
    return None


def listing_page_number(url: str) -> int | None:
    """N from `/page/N/` or `?paged=N`; None for other URLs."""
    return page_number_in(url, LISTING_PAGE_IN_PATH, LISTING_PAGE_PARAM)


def comment_page_number(url: str) -> int | None:
    """N from `.../comment-page-N/` or `?cpage=N`; None for a post's plain URL."""
    return page_number_in(url, COMMENT_PAGE_IN_PATH, COMMENT_PAGE_PARAM)


def strip_comment_page(url: str) -> str:
    """The post's own URL from one of its comment pages (`comment-page-N/`, `cpage=N`, fragment)."""
    parts = urlsplit(urldefrag(url)[0])
    path = COMMENT_PAGE_IN_PATH.sub("/", parts.path)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != COMMENT_PAGE_PARAM])
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def post_key(url: str) -> str:
    """A post's URL with comment paging, fragment and trailing slash removed, for comparison."""
    parts = urlsplit(urldefrag(url)[0])
    path = COMMENT_PAGE_IN_PATH.sub("", parts.path).rstrip("/")
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if k != COMMENT_PAGE_PARAM))
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def same_page(url: str) -> str:
    """A URL without fragment or trailing slash, to tell pages already fetched."""
    return urldefrag(url)[0].rstrip("/")


def post_id_in(url: str) -> int | None:
    """`http://example.com/?p=123` (or `?page_id=`) -> 123; a pretty permalink -> None."""
    match = _POST_ID_PARAM.search(url or "")
    return int(match.group(1)) if match else None


def slug_in_permalink(url: str) -> str:
    """The post slug a pretty permalink ends with; "" for plain links, page numbers (`/slug/2/`)
    and files."""
    segments = [s for s in urlsplit(url).path.split("/") if s]
    if not segments or segments[-1].isdigit() or "." in segments[-1]:
        return ""
    return segments[-1].lower()


def post_feed_candidates(home: str) -> tuple[str, str]:
    """Where the posts feed lives when no page links it: pretty, then plain permalinks."""
    return home + "/feed/", home + "/?feed=rss2"


def is_post_comment_feed(href: str, permalink: str, wp_id: int) -> bool:
    """Whether `href` is the comments feed of the post at `permalink` (pretty or plain links)."""
    if SITE_COMMENTS_FEED.search(href):
        return False
    if href.startswith(permalink + "/feed"):
        return True
    return bool(re.search(rf"[?&]p={wp_id}\b", href) and "feed=" in href)


def atom_of_rss_feed(rss: str) -> str:
    """A post's Atom comments feed from its RSS one: same endpoint, `atom` instead of `rss2`."""
    if "feed=rss2" in rss:
        return rss.replace("feed=rss2", "feed=atom")
    return rss.rstrip("/") + "/atom/"


def post_atom_comment_feed(rss: str, permalink: str, wp_id: int, home: str) -> str:
    """The post's Atom comment feed: `PERMALINK/feed/atom/`, or `?feed=atom&p=ID` on plain links;
    `rss` is the item's `wfw:commentRss`, possibly empty."""
    if "feed=" in rss:
        return with_query(rss, feed="atom")
    if rss.rstrip("/").endswith("/feed"):
        return rss.rstrip("/") + "/atom/"
    if not permalink or "?" in permalink:
        return with_query(home + "/", feed="atom", p=str(wp_id))
    return permalink.rstrip("/") + "/feed/atom/"


def site_comments_feed_url(feed_url: str, home: str) -> str:
    """The site-wide comments feed (Atom) beside a posts feed, plain or pretty."""
    if "feed=" in feed_url:
        return with_query(home + "/", feed="comments-atom")
    return home + "/comments/feed/atom/"
