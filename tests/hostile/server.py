"""A WordPress-shaped site on loopback that misbehaves in one chosen way (a port of its own, port 0).

    with HostileSite("gzip-bomb") as site:
        crawl(site.url)

The site serves a home page, robots.txt, a feed and a REST API (index with wp/v2, posts, pages,
comments, users, terms), so a crawl gets past discovery and then meets the fault: most faults hit
the second page of posts; site-wide ones (robots, firewalls, not WordPress, a moved site, a closed
API with a broken feed, a password) hit every request.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from tests.hostile import content
from tests.hostile.faults import PAGE_FAULTS

COLLECTION = re.compile(r"^/wp-json/wp/v2/(\w+)/?$")
VICTIM = ("posts", 2)
SITE_FAULTS = (
    "robots-disallow",
    "wordfence",
    "cloudflare",
    "not-wordpress",
    "invalid-feed",
    "bad-utf8-feed",
    "bad-utf8-html",
    "site-moved",
    "needs-auth",
)
DATA_FAULTS = ("short-total", "nul-bytes", "zero-dates", "retry-after", "redirect-off-host")
LOOP_FAULTS = ("redirect-loop",)
# REST closed: these sites are read through their feed and post pages.
CLOSED_FAULTS = ("invalid-feed", "bad-utf8-feed", "bad-utf8-html")
FAULTS = ("none", *PAGE_FAULTS, *SITE_FAULTS, *DATA_FAULTS, *LOOP_FAULTS)
AUTH = ("reader", "s3cret-Pa55")  # the password the "needs-auth" site wants


class HostileSite:
    """Serves the site with `fault` on `host` (any 127.0.0.0/8 address) at a free port.

    `other` is the base URL of a second site, for the faults that redirect to another host;
    `first_id` shifts post ids, so a second site's posts are told apart from this one's."""

    def __init__(
        self, fault: str = "none", host: str = "127.0.0.1", other: str = "", first_id: int = 1
    ) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {', '.join(FAULTS)}")
        self.fault, self.other, self.first_id = fault, other, first_id
        self.stopping = threading.Event()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.times: list[float] = []  # when each request arrived (time.monotonic)
        self.hits: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), _handler_for(self))
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> HostileSite:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving; responses still being written end at their next chunk."""
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def log(self, path: str, headers: dict[str, str]) -> int:
        """Remember a request; return how often this path was asked for."""
        with self._lock:
            self.requests.append((path, headers))
            self.times.append(time.monotonic())
            self.hits[path] = self.hits.get(path, 0) + 1
            return self.hits[path]


def _handler_for(site: HostileSite) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        hostile = site
        stopping = site.stopping

    return Handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hostile: HostileSite
    stopping: threading.Event

    def log_message(self, format: str, *args: Any) -> None:
        del format, args

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        hit = self.hostile.log(self.path, {k.lower(): v for k, v in self.headers.items()})
        base, fault = self.hostile.url, self.hostile.fault
        if fault in SITE_FAULTS and self._site_fault(fault, base):
            return
        path = urlsplit(self.path).path
        if path == "/robots.txt":
            self.send(200, b"User-agent: *\nAllow: /\n", "text/plain", {})
        elif path == "/":
            self.send(200, content.home_html(base).encode(), "text/html; charset=UTF-8", {})
        elif path == "/wp-json/":
            self.send(200, content.dumps(content.index(base)), "application/json", {})
        elif path == "/feed/":
            self.send(200, content.rss(base).encode(), "application/rss+xml", {})
        elif match := COLLECTION.match(path):
            self._collection(match.group(1), content.page_number(self.path), hit)
        else:
            self.send(404, b"<html>Page not found</html>", "text/html", {})

    def _collection(self, name: str, page: int, hit: int) -> None:
        fault, base = self.hostile.fault, self.hostile.url
        items, total = content.collection_page(name, page, base, self.hostile.first_id)
        if name == "posts":
            items = _spoil(items, fault)
        pages = max(1, -(-total // content.PER_PAGE))
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        if fault == "short-total" and name == "posts":
            headers = {"X-WP-Total": str(content.PER_PAGE), "X-WP-TotalPages": "1"}
        body = content.dumps(items)
        if (name, page) != VICTIM:
            self.send(200, body, "application/json", headers)
        elif fault in PAGE_FAULTS:
            PAGE_FAULTS[fault](self, body)
        elif fault == "retry-after" and hit == 1:
            self.send(429, b"slow down", "text/plain", {"Retry-After": "1"})
        elif fault == "redirect-off-host":
            self.send(302, b"", "text/plain", {"Location": f"{self.hostile.other}{self.path}"})
        elif fault == "redirect-loop":
            self.send(302, b"", "text/plain", {"Location": f"{self.path}&loop={hit}"})
        else:
            self.send(200, body, "application/json", headers)

    def _site_fault(self, fault: str, base: str) -> bool:
        """Answer for a fault that hits every request; False to serve the request normally."""
        path = urlsplit(self.path).path
        if fault == "robots-disallow" and path == "/robots.txt":
            self.send(200, b"User-agent: *\nDisallow: /\n", "text/plain", {})
        elif fault == "wordfence" and path != "/robots.txt":
            page = b"<html><title>Access denied</title>Generated by Wordfence at ...</html>"
            self.send(403, page, "text/html", {})
        elif fault == "cloudflare" and path != "/robots.txt":
            page = b"<!DOCTYPE html><html><title>Just a moment...</title></html>"
            self.send(403, page, "text/html", {"cf-mitigated": "challenge"})
        elif fault == "not-wordpress":
            page = b"<html><title>Shop</title><body>Buy things</body></html>"
            self.send(200 if path == "/" else 404, page, "text/html", {})
        elif fault in CLOSED_FAULTS and path.startswith("/wp-json"):
            error = {"code": "rest_login_required", "message": "closed", "data": {"status": 401}}
            self.send(401, content.dumps(error), "application/json", {})
        elif fault == "invalid-feed" and path == "/feed/":
            self.send(200, b"<?xml version='1.0'?><rss><channel><item>", "application/rss+xml", {})
        elif fault == "bad-utf8-feed" and path == "/feed/":
            feed = content.rss(base).replace("Post 3</description>", "Post \udcff3</description>")
            body = feed.encode("utf-8", "surrogateescape")  # one byte 0xFF: not UTF-8
            self.send(200, body, "application/rss+xml; charset=UTF-8", {})
        elif fault in CLOSED_FAULTS and path == "/" and (wp_id := content.post_query(self.path)):
            page = content.post_html(wp_id, base)
            if fault == "bad-utf8-html" and wp_id == 3:
                page = page.replace("Post 3 body", "Post \udcff3 body")
            body = page.encode("utf-8", "surrogateescape")  # \udcff: one byte 0xFF, not UTF-8
            self.send(200, body, "text/html; charset=UTF-8", {})
        elif fault == "site-moved" and path != "/robots.txt":
            self.send(301, b"", "text/plain", {"Location": f"{self.hostile.other}{self.path}"})
        elif fault == "needs-auth" and not self._authorized():
            headers = {"WWW-Authenticate": 'Basic realm="blog"'}
            self.send(401, b"<html>Authorization required</html>", "text/html", headers)
        else:
            return False
        return True

    def _authorized(self) -> bool:
        expected = base64.b64encode(":".join(AUTH).encode()).decode()
        return self.headers.get("Authorization", "") == f"Basic {expected}"

    # The Writer protocol the faults use.
    def send_status(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()

    def write(self, data: bytes) -> bool:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # the client hung up: what a capped reader does
            return False
        return True

    def send(self, status: int, body: bytes, ctype: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.write(body)


def _spoil(items: list[dict[str, Any]], fault: str) -> list[dict[str, Any]]:
    """The data faults that hide in otherwise valid JSON."""
    for item in items:
        if fault == "nul-bytes" and item["id"] == 5:
            item["title"]["rendered"] = "Nul\x00 title"
            item["content"]["rendered"] = "<p>Nul\x00 body</p>"
        if fault == "zero-dates" and item["id"] == 7:
            item["date_gmt"] = item["modified_gmt"] = "0000-00-00T00:00:00"
            item["date"] = item["modified"] = "0000-00-00T00:00:00"
    return items
