"""Where a site lists its posts: XML sitemaps (core wp-sitemap.xml, Yoast, Rank Math) and the
home page with its pagination; used by the HTML source when it is given no post URLs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

from scraper.parse import selectors as sel
from scraper.parse.tree import ParsedPage, as_page, select
from scraper.wpurls import listing_page_number


@dataclass(frozen=True)
class Sitemap:
    """A sitemap file: child sitemaps that list posts or pages (an index), and page URLs (a urlset)."""

    children: list[str]
    urls: list[str]
    readable: bool = True


@dataclass(frozen=True)
class Listing:
    """A listing page (home, /page/N/): links to posts and to further listing pages."""

    post_urls: list[str]
    page_urls: list[str]


def parse_sitemap(content: bytes) -> Sitemap:
    """Read a sitemap index or urlset; `readable` is False when it is not a sitemap at all."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError:
        return Sitemap([], [], readable=False)
    if root is None:
        return Sitemap([], [], readable=False)
    kind = etree.QName(root).localname
    locs = [(loc.text or "").strip() for loc in root.iter("{*}loc")]
    locs = [loc for loc in locs if loc]
    if kind == "sitemapindex":
        return Sitemap([loc for loc in locs if sel.SITEMAP_CONTENT_CHILD.search(loc)], [])
    if kind == "urlset":
        return Sitemap([], _unique(locs))
    return Sitemap([], [], readable=False)


def parse_listing(page: ParsedPage | str, base_url: str = "") -> Listing:
    """Post links and pagination links (`/page/N/`, `?paged=N`) on one listing page of the site."""
    page = as_page(page, base_url)
    doc, base_url = page.root, page.url
    host = urlsplit(base_url).netloc.lower()
    posts: list[str] = []
    for selector in sel.LISTING_POST_LINKS:
        posts += [_absolute(base_url, str(a.get("href") or "")) for a in select(doc, selector)]
    pages: list[str] = []
    for selector in sel.LISTING_NEXT_LINKS:
        for link in select(doc, selector):
            url = _absolute(base_url, str(link.get("href") or ""))
            if listing_page_number(url) is not None:
                pages.append(url)
    own = [url for url in posts if urlsplit(url).netloc.lower() == host]
    return Listing(_unique(own), _unique(u for u in pages if urlsplit(u).netloc.lower() == host))


def _absolute(base_url: str, href: str) -> str:
    return urldefrag(urljoin(base_url, href))[0] if href else ""


def _unique(urls: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for url in urls:
        if url:
            seen.setdefault(url, None)
    return list(seen)
