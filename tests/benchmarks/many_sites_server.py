"""Many WordPress-shaped REST sites in one process: one per loopback address, each with slow answers.

    with ManySites(count=1000, port=8080) as sites:
        crawl(sites.urls)

Site n listens on 127.(102 + n // 254).(n % 254 + 1):port, so 1,000 sites fill
127.0.102.1-127.0.105.254 (Linux routes all of 127.0.0.0/8 to lo: binding needs no setup). What a
site holds follows from its address alone (seeded random): 10-50 posts, a few pages, 0-N threaded
comments per post, its authors, categories and tags, all dated in the past. It answers what
wparchive's REST source asks for: the home page (with the API `Link` header), robots.txt, the API
index, wp/v2 posts, pages, comments, users, categories, tags and types, paged by `per_page`/`page`
with X-WP-Total and X-WP-TotalPages, and filtered by `modified_after` and `after` as WordPress
filters them, so an unchanged re-crawl is as cheap here as on a real site. Each answer waits
50-200 ms first (fixed per URL by its hash). One asyncio loop in one thread serves them all.
"""

from __future__ import annotations

import asyncio
import functools
import random
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.hostile import content

FIRST_OCTET = 102  # sites live in 127.0.102.1 and up
START = datetime(2016, 1, 1)
SPAN_DAYS = 8 * 365  # every date falls in 2016-2023: long before any crawl's one-day overlap
ROBOTS = b"User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n"
TYPES = {
    "post": {"slug": "post", "rest_base": "posts", "rest_namespace": "wp/v2"},
    "page": {"slug": "page", "rest_base": "pages", "rest_namespace": "wp/v2"},
    "attachment": {"slug": "attachment", "rest_base": "media", "rest_namespace": "wp/v2"},
}
WORDS = [
    "film",
    "scene",
    "actor",
    "plot",
    "score",
    "light",
    "frame",
    "story",
    "ending",
    "review",
    "cut",
    "camera",
    "sound",
]


def site_host(n: int) -> str:
    """The loopback address of site `n` (0-based)."""
    return f"127.0.{FIRST_OCTET + n // 254}.{n % 254 + 1}"


@dataclass(frozen=True)
class Site:
    """One site's collections, as WordPress's REST API would list them (ascending ids)."""

    collections: dict[str, list[dict[str, Any]]]

    def count(self, name: str) -> int:
        return len(self.collections[name])


@functools.lru_cache(maxsize=256)  # the sites being crawled at the moment, not all of them
def build_site(base: str, max_comments: int) -> Site:
    """The site at `base`, the same every time: its address seeds the random choices."""
    rng = random.Random(base)
    users = [
        {"id": i, "name": f"Author {i}", "slug": f"author-{i}", "link": f"{base}/?author={i}"}
        for i in range(1, rng.randint(1, 3) + 1)
    ]
    categories = [_term(i, "category", base) for i in range(1, rng.randint(1, 5) + 1)]
    tags = [_term(i, "post_tag", base) for i in range(100, 100 + rng.randint(0, 10))]
    posts = [
        _post(i, "post", base, rng, users, categories, tags) for i in range(rng.randint(10, 50))
    ]
    pages = [_post(i + 1000, "page", base, rng, users, [], []) for i in range(rng.randint(1, 5))]
    comments: list[dict[str, Any]] = []
    for post in posts:
        thread: list[dict[str, Any]] = []
        for _ in range(rng.randint(0, max_comments)):
            parent = rng.choice(thread) if thread and rng.random() < 0.4 else None
            thread.append(_comment(len(comments) + len(thread) + 1, post, parent, base, rng))
        comments.extend(thread)
    comments.sort(key=lambda c: c["id"])
    return Site(
        {
            "posts": posts,
            "pages": pages,
            "comments": comments,
            "users": users,
            "categories": categories,
            "tags": tags,
        }
    )


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _term(wp_id: int, taxonomy: str, base: str) -> dict[str, Any]:
    kind = "category" if taxonomy == "category" else "tag"
    return {
        "id": wp_id,
        "name": f"{kind.title()} {wp_id}",
        "slug": f"{kind}-{wp_id}",
        "taxonomy": taxonomy,
        "link": f"{base}/?{'cat' if kind == 'category' else 'tag'}={wp_id}",
        "count": 1,
    }


def _post(
    wp_id: int,
    kind: str,
    base: str,
    rng: random.Random,
    users: list[dict[str, Any]],
    categories: list[dict[str, Any]],
    tags: list[dict[str, Any]],
) -> dict[str, Any]:
    published = START + timedelta(minutes=rng.randrange(SPAN_DAYS * 1440))
    modified = published + timedelta(minutes=rng.randrange(30 * 1440))
    body = "".join(f"<p>{_text(rng, rng.randint(30, 90))}</p>" for _ in range(rng.randint(2, 6)))
    rating = f"<p>Rating: {rng.randint(1, 5)}/5</p>" if rng.random() < 0.5 else ""
    return {
        "id": wp_id + 1,
        "type": kind,
        "link": f"{base}/?{'p' if kind == 'post' else 'page_id'}={wp_id + 1}",
        "slug": f"{kind}-{wp_id + 1}",
        "status": "publish",
        "date": _stamp(published),
        "date_gmt": _stamp(published),
        "modified": _stamp(modified),
        "modified_gmt": _stamp(modified),
        "title": {"rendered": _text(rng, rng.randint(2, 8))},
        "content": {"rendered": body + rating},
        "excerpt": {"rendered": f"<p>{_text(rng, 20)}</p>"},
        "author": rng.choice(users)["id"],
        "categories": [c["id"] for c in rng.sample(categories, min(len(categories), 2))],
        "tags": [t["id"] for t in rng.sample(tags, min(len(tags), 3))],
        "comment_status": "open",
    }


def _comment(
    wp_id: int,
    post: dict[str, Any],
    parent: dict[str, Any] | None,
    base: str,
    rng: random.Random,
) -> dict[str, Any]:
    after = datetime.fromisoformat((parent or post)["date_gmt"])
    made = after + timedelta(minutes=rng.randrange(60 * 1440))
    return {
        "id": wp_id,
        "post": post["id"],
        "parent": parent["id"] if parent else 0,
        "author": 0,
        "author_name": f"Reader {rng.randrange(500)}",
        "author_url": "",
        "date": _stamp(made),
        "date_gmt": _stamp(made),
        "content": {"rendered": f"<p>{_text(rng, rng.randint(5, 60))}</p>"},
        "link": f"{base}/?p={post['id']}#comment-{wp_id}",
        "status": "approved",
        "type": "comment",
    }


Answer = tuple[int, str, bytes, dict[str, str]]  # status, content type, body, headers


def answer(base: str, target: str, max_comments: int) -> Answer:
    """What the site at `base` answers to a GET of `target` (path and query)."""
    parts = urlsplit(target)
    path = parts.path
    if path == "/robots.txt":
        return 200, "text/plain", ROBOTS, {}
    if path == "/":
        link = {"Link": f'<{base}/wp-json/>; rel="https://api.w.org/"'}
        return 200, "text/html; charset=UTF-8", content.home_html(base).encode(), link
    if path == "/wp-json/":
        index = {**content.index(base), "name": f"Blog at {base}"}
        return 200, "application/json", content.dumps(index), {}
    if path == "/wp-json/wp/v2/types":
        return 200, "application/json", content.dumps(TYPES), {}
    name = path.removeprefix("/wp-json/wp/v2/")
    site = build_site(base, max_comments)
    if name not in site.collections:
        return 404, "text/html", b"<html>Page not found</html>", {}
    return _collection_page(site.collections[name], parse_qs(parts.query))


def _collection_page(items: list[dict[str, Any]], query: dict[str, list[str]]) -> Answer:
    """One page of a collection, after WordPress's date filters."""
    one = {key: values[0] for key, values in query.items()}
    if "modified_after" in one:
        since = _utc(one["modified_after"])
        items = [i for i in items if i.get("modified_gmt", i.get("date_gmt", "")) > since]
    if "after" in one:
        since = _utc(one["after"])
        items = [i for i in items if i.get("date_gmt", "") > since]
    per_page = int(one.get("per_page", "10"))
    page = int(one.get("page", "1"))
    pages = -(-len(items) // per_page)
    if page > max(pages, 1):
        error = {"code": "rest_post_invalid_page_number", "message": "no such page"}
        return 400, "application/json", content.dumps(error), {}
    chosen = items[(page - 1) * per_page : page * per_page]
    headers = {"X-WP-Total": str(len(items)), "X-WP-TotalPages": str(pages)}
    return 200, "application/json", content.dumps(chosen), headers


def _utc(value: str) -> str:
    """An ISO date as the naive UTC text the items' `*_gmt` fields are compared with."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return _stamp(moment)


def latency(base: str, target: str) -> float:
    """50-200 ms, fixed per URL."""
    return (50 + zlib.crc32(f"{base}{target}".encode()) % 151) / 1000


@dataclass
class ManySites:
    """`count` sites on their own loopback addresses at `port`; `log` holds (url, seconds) of
    every request answered, in order; `delay` scales the latency (0: answer at once)."""

    count: int
    port: int = 8080
    max_comments: int = 20
    delay: float = 1.0
    log: list[tuple[str, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._servers: list[asyncio.Server] = []
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def urls(self) -> list[str]:
        return [f"http://{site_host(n)}:{self.port}" for n in range(self.count)]

    def totals(self) -> dict[str, int]:
        """How many posts and pages, and how many comments, all the sites hold."""
        sites = [build_site(url, self.max_comments) for url in self.urls]
        return {
            "posts": sum(s.count("posts") + s.count("pages") for s in sites),
            "comments": sum(s.count("comments") for s in sites),
        }

    def __enter__(self) -> ManySites:
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    async def _listen(self) -> None:
        for n in range(self.count):
            server = await asyncio.start_server(
                self._serve, site_host(n), self.port, reuse_address=True
            )
            self._servers.append(server)

    async def _close(self) -> None:
        for server in self._servers:
            server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        host, port = writer.get_extra_info("sockname")[:2]
        base = f"http://{host}:{port}"
        try:
            while request := await reader.readline():
                method, target = request.decode("latin-1").split()[:2]
                close = False
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    close = close or line.lower().startswith(b"connection: close")
                await asyncio.sleep(latency(base, target) * self.delay)
                status, ctype, body, headers = answer(base, target, self.max_comments)
                self.log.append((base + target, time.monotonic()))
                head = [f"HTTP/1.1 {status} X", f"Content-Type: {ctype}"]
                head += [f"Content-Length: {len(body)}"]
                head += [f"{key}: {value}" for key, value in headers.items()]
                writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
                if method != "HEAD":
                    writer.write(body)
                await writer.drain()
                if close:
                    break
        except (ConnectionError, ValueError):
            pass  # the client hung up, or sent what is not HTTP
        finally:
            self._connections.discard(task)
            writer.close()
