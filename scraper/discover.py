"""Find out what a URL is: a WordPress site, where its REST API lives, its feed, whether WordPress.com hosts it."""

from __future__ import annotations

import html as html_lib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

import lxml.html

from archive.identity import normalize_site_url
from archive.records import SiteRecord
from scraper.errors import DiscoveryError, FetchError, HttpStatusError, NotJsonError
from scraper.exchange import Response
from scraper.http import HttpClient
from scraper.wpurls import rest_root_candidates

LOGGER = logging.getLogger(__name__)

API_REL = "https://api.w.org/"
# Feed link types in the order a crawler should prefer them.
FEED_LINK_TYPES = ("application/rss+xml", "application/atom+xml")
_LINK_HEADER_API = re.compile(r'<([^>]+)>\s*;\s*rel="?https://api\.w\.org/"?', re.I)
# Traces every WordPress front end leaves, for telling "not WordPress" from "WordPress, API closed".
_WORDPRESS_MARKERS = (
    "/wp-content/",
    "/wp-includes/",
    'content="WordPress',
    "wp-block-",
    "wp-emoji",
)


@dataclass(frozen=True)
class Discovery:
    """What discovery learnt about a site; sources are built from it.

    `rest_problem` says why REST is not usable (e.g. "REST: 401 rest_login_required"); the crawl
    summary repeats it so the fallback chain explains itself.
    """

    home: str
    site: SiteRecord
    rest_root: str | None = None
    rest_problem: str | None = None
    wpcom_site: str | None = None
    feed_url: str | None = None
    home_html: str | None = None
    moved_from: str | None = None  # the URL asked for, when its home page moved to another host


# Markers of a WordPress.com-hosted site. Decisive alone: the host, the `host-header: WordPress.com`
# response header its edge sends, and the generator meta of its themes. `x-ac` (Automattic's edge
# cache) is also sent for WordPress VIP and is decisive only together with uploads on
# `*.files.wordpress.com`. s0.wp.com prefetches and wp.me shortlinks are left out: Jetpack puts
# them on self-hosted sites too.
WPCOM_HOST_SUFFIX = ".wordpress.com"
NOT_BLOG_HOSTS = frozenset({"wordpress.com", "www.wordpress.com", "public-api.wordpress.com"})
_GENERATOR = re.compile(
    r"""<meta[^>]+name=["']generator["'][^>]+content=["']WordPress\.com["']""", re.I
)
_FILES_HOST = re.compile(r"//[a-z0-9-]+\.files\.wordpress\.com/", re.I)


def detect_wpcom(home: str, home_html: str | None, headers: Mapping[str, str]) -> str | None:
    """The WordPress.com site identifier (its host) if WordPress.com hosts `home`, else None."""
    host = (urlsplit(home if "//" in home else "//" + home).hostname or "").lower()
    if not host or host in NOT_BLOG_HOSTS or host.endswith(".files.wordpress.com"):
        return None
    if host.endswith(WPCOM_HOST_SUFFIX):
        return host
    lowered = {key.lower(): value for key, value in headers.items()}
    html = home_html or ""
    if lowered.get("host-header", "").strip().lower() == "wordpress.com" or _GENERATOR.search(html):
        return host
    if "x-ac" in lowered and _FILES_HOST.search(html):
        return host
    return None


class HeadLink(NamedTuple):
    """A `<link>` element: its rel tokens (lower case), type (lower case) and href."""

    rels: frozenset[str]
    type: str
    href: str


def normalize_home(url: str) -> str:
    """`blog.example.org/` -> `https://blog.example.org`: the site's identity (`normalize_site_url`),
    refusing anything but http(s)."""
    url = url.strip()
    if not re.match(r"^[a-z][a-z0-9+.-]*://", url, re.I):
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise DiscoveryError(f"{url!r} is not an http(s) URL")
    return normalize_site_url(url)


def discover_site(client: HttpClient, url: str) -> Discovery:
    """Probe `url` with at most four requests (home, then up to three API roots) and describe the site.

    Raises DiscoveryError when nothing about the site says WordPress and no API answers.
    """
    asked = normalize_home(url)
    # The one request that may leave the host: a site that moved as a whole is the new host.
    response = client.get(asked + "/", follow_off_host=True)
    home = _moved_home(asked, response.url)
    html = _html_text(response)
    links = _head_links(html)
    candidates = _api_candidates(home, response, links)
    root, index, problem = _probe_rest(client, candidates)
    wpcom = detect_wpcom(home, html, dict(response.headers))
    looks_wordpress = index is not None or any(m in (html or "") for m in _WORDPRESS_MARKERS)
    if not looks_wordpress and wpcom is None:
        if response.status >= 400:
            raise DiscoveryError(f"{home} answered {response.status} and no WordPress API")
        raise DiscoveryError(f"{home} does not look like a WordPress site ({problem})")
    site = _site_record(home, index, html, root)
    return Discovery(
        home=site.url,
        site=site,
        rest_root=root,
        rest_problem=None if root else problem,
        wpcom_site=wpcom,
        feed_url=next(iter(_feed_links(links, site.url + "/")), None),
        home_html=html,
        moved_from=asked if home != asked else None,
    )


def _moved_home(asked: str, answered: str) -> str:
    """Where the site answered from when its home page redirected to another host, else `asked`."""
    if (urlsplit(answered).hostname or "").lower() == (urlsplit(asked).hostname or "").lower():
        return asked
    return normalize_home(answered)


def _api_candidates(home: str, response: Response, links: list[HeadLink]) -> list[str]:
    found: list[str] = []
    match = _LINK_HEADER_API.search(response.headers.get("Link", ""))
    if match:
        found.append(match.group(1))
    found += [urljoin(home + "/", link.href) for link in links if API_REL in link.rels]
    found += rest_root_candidates(home)
    unique: list[str] = []
    for candidate in found:
        if candidate not in unique:
            unique.append(candidate)
    return unique


def _probe_rest(client: HttpClient, candidates: list[str]) -> tuple[str | None, dict | None, str]:  # type: ignore[type-arg]
    """Try API roots in turn (at most three); return (root, index, why-not)."""
    problems: list[str] = []
    for root in candidates[:3]:
        try:
            index, _ = client.get_json(root)
        except HttpStatusError as exc:
            # A WordPress error code says it all; a bare status needs the URL that gave it.
            problems.append(
                f"{exc.status} {exc.code}" if exc.code else f"{_path_of(root)} {exc.status}"
            )
            if exc.code and exc.code.startswith("rest_"):
                break  # the API itself refused: every other root would refuse the same way
            continue
        except NotJsonError:
            problems.append(f"{_path_of(root)} is not JSON")
            continue
        except FetchError as exc:
            problems.append(str(exc))
            continue
        if not isinstance(index, dict):
            problems.append(f"{_path_of(root)} is not an API index")
            continue
        if "wp/v2" not in (index.get("namespaces") or []):
            problems.append("wp/v2 not offered")
            continue
        return root, index, ""
    return None, None, "REST: " + "; ".join(dict.fromkeys(problems) or ["no API root found"])


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _site_record(home: str, index: dict | None, html: str | None, root: str | None) -> SiteRecord:  # type: ignore[type-arg]
    if index is not None:
        canonical = str(index.get("home") or home)
        offset = index.get("gmt_offset")
        return SiteRecord(
            url=normalize_site_url(canonical) if canonical.startswith("http") else home,
            name=str(index.get("name") or ""),
            description=str(index.get("description") or ""),
            api_root=root,
            gmt_offset=float(offset)
            if isinstance(offset, int | float | str) and offset != ""
            else None,
            timezone=str(index.get("timezone_string") or "") or None,
        )
    return SiteRecord(url=home, name=_html_title(html))


def _html_text(response: Response) -> str | None:
    if "html" not in response.headers.get("Content-Type", "text/html"):
        return None
    return response.text


def find_feed_links(html: str | None, base_url: str) -> list[str]:
    """The `<link rel="alternate">` feeds of a page, RSS before Atom, comment feeds left out."""
    return _feed_links(_head_links(html), base_url)


def _head_links(html: str | None) -> list[HeadLink]:
    """Every `<link>` of a page with an href, parsed once for all that discovery looks for."""
    if not html:
        return []
    try:
        doc = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    return [
        HeadLink(
            frozenset((link.get("rel") or "").lower().split()),
            (link.get("type") or "").lower(),
            href,
        )
        for link in doc.iter("link")
        if (href := link.get("href"))
    ]


def _feed_links(links: list[HeadLink], base_url: str) -> list[str]:
    found = [
        (FEED_LINK_TYPES.index(link.type), urljoin(base_url, link.href))
        for link in links
        if "alternate" in link.rels and link.type in FEED_LINK_TYPES and "comments" not in link.href
    ]
    return [href for _, href in sorted(found, key=lambda pair: pair[0])]


def _html_title(html: str | None) -> str:
    if not html:
        return ""
    match = re.search(r"<title[^>]*>(.*?)</title>", html, re.I | re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip() if match else ""
