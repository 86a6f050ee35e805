"""The only module that talks to the network: one session, timeouts, retries, rate limits, robots.txt."""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import threading
import time
import urllib.robotparser
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from scraper.errors import (
    BlockedError,
    FetchError,
    HttpStatusError,
    NotJsonError,
    RateLimitedError,
    RobotsDisallowedError,
)

LOGGER = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "wparchive/0.1 (+https://github.com/wparchive/wparchive; archiving bot)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

Params = Mapping[str, str | int] | None


@dataclass(frozen=True)
class HttpSettings:
    """How politely and how persistently to fetch."""

    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_retries: int = 4
    backoff_base: float = 1.0  # seconds; doubles each retry, with jitter
    backoff_max: float = 60.0
    max_retry_after: float = 300.0  # a server asking us to wait longer than this stops the crawl
    rate_limit: float = 2.0  # requests per second per host; 0 = unlimited
    concurrency: int = 4
    respect_robots: bool = True


class _HostThrottle:
    """Spaces request starts to one host at least `interval` seconds apart, across threads."""

    def __init__(self, interval: float, sleep: Callable[[float], None]) -> None:
        self.interval = interval
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        if self.interval <= 0:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self._sleep(start - now)


class HttpClient:
    """A requests session with the project's politeness and retry rules; safe to share across threads."""

    def __init__(
        self,
        settings: HttpSettings | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings or HttpSettings()
        self._sleep = sleep
        self.session = requests.Session()
        self.session.headers["User-Agent"] = self.settings.user_agent
        pool = max(4, self.settings.concurrency)
        adapter = HTTPAdapter(pool_connections=pool, pool_maxsize=pool, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._lock = threading.Lock()
        # However many thread pools a source runs, at most `concurrency` requests are in flight.
        self._in_flight = threading.BoundedSemaphore(max(1, self.settings.concurrency))
        self._throttles: dict[str, _HostThrottle] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self.requests_made = 0

    def close(self) -> None:
        """Release pooled connections."""
        self.session.close()

    def get(self, url: str, params: Params = None, *, method: str = "GET") -> requests.Response:
        """Fetch `url`, retrying 429/5xx and connection errors; return the final response whatever its status.

        Raises RateLimitedError when retries run out on 429/503 (or Retry-After exceeds the cap),
        BlockedError on a CDN/firewall challenge, FetchError on connection failure after retries.
        """
        self._check_robots(url)
        attempt = 0
        while True:
            self._throttle(url).wait()
            try:
                response = self._send(method, url, params)
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt >= self.settings.max_retries:
                    raise FetchError(f"could not reach {url}: {_short(exc)}", url) from exc
                self._sleep(self._backoff(attempt))
                attempt += 1
                continue
            _raise_if_challenge(response)
            if response.status_code not in RETRY_STATUSES:
                return response
            if attempt >= self.settings.max_retries:
                if response.status_code in (429, 503):
                    raise RateLimitedError(
                        f"{url} still answered {response.status_code} after "
                        f"{attempt + 1} attempts; try again later or lower rate_limit",
                        url,
                        response.status_code,
                    )
                return response
            delay = self._retry_delay(response, attempt)
            LOGGER.info("%s answered %s; retrying in %.1fs", url, response.status_code, delay)
            response.close()
            self._sleep(delay)
            attempt += 1

    def get_json(self, url: str, params: Params = None) -> tuple[Any, requests.Response]:
        """Fetch JSON; raise HttpStatusError on a non-2xx status and NotJsonError on a non-JSON body."""
        response = self.get(url, params)
        data = _decode_json(response)
        if response.status_code >= 400:
            code = data.get("code") if isinstance(data, dict) else None
            message = data.get("message") if isinstance(data, dict) else None
            detail = f"{code}: {message}" if code else response.reason
            raise HttpStatusError(
                f"{response.url} answered {response.status_code} ({detail})",
                response.url,
                response.status_code,
                code if isinstance(code, str) else None,
            )
        if data is _NOT_JSON:
            ctype = response.headers.get("Content-Type", "?")
            raise NotJsonError(
                f"{response.url} promised JSON but sent {ctype} ({len(response.content)} bytes)",
                response.url,
                response.status_code,
            )
        return data, response

    def _send(self, method: str, url: str, params: Params) -> requests.Response:
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        with self._lock:
            self.requests_made += 1
        with self._in_flight:  # requests reads the whole body inside request(): the slot covers it
            return self.session.request(method, url, params=params, timeout=timeout)

    def _throttle(self, url: str) -> _HostThrottle:
        host = urlsplit(url).netloc.lower()
        with self._lock:
            throttle = self._throttles.get(host)
            if throttle is None:
                rate = self.settings.rate_limit
                interval = 1.0 / rate if rate > 0 else 0.0
                robots = self._robots.get(host)
                delay = robots.crawl_delay(self.settings.user_agent) if robots else None
                if delay is not None:
                    interval = max(interval, float(delay))
                throttle = _HostThrottle(interval, self._sleep)
                self._throttles[host] = throttle
            return throttle

    def _backoff(self, attempt: int) -> float:
        base = min(self.settings.backoff_max, self.settings.backoff_base * (2**attempt))
        return float(base * (0.5 + random.random() / 2))

    def _retry_delay(self, response: requests.Response, attempt: int) -> float:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if retry_after is None:
            return self._backoff(attempt)
        if retry_after > self.settings.max_retry_after:
            raise RateLimitedError(
                f"{response.url} asks us to wait {retry_after:.0f}s (Retry-After), more than "
                f"max_retry_after={self.settings.max_retry_after:.0f}s",
                response.url,
                response.status_code,
            )
        return retry_after

    def _check_robots(self, url: str) -> None:
        if not self.settings.respect_robots:
            return
        parts = urlsplit(url)
        host = parts.netloc.lower()
        if parts.path.endswith("/robots.txt"):
            return
        with self._lock:
            known = host in self._robots
        if not known:
            parser = self._fetch_robots(f"{parts.scheme}://{parts.netloc}/robots.txt")
            with self._lock:
                self._robots[host] = parser
                self._throttles.pop(host, None)  # rebuild with robots' Crawl-delay
        robots = self._robots[host]
        if robots is not None and not robots.can_fetch(self.settings.user_agent, url):
            raise RobotsDisallowedError(f"robots.txt disallows {url}", url)

    def _fetch_robots(self, robots_url: str) -> urllib.robotparser.RobotFileParser | None:
        try:
            response = self.get(robots_url)
        except FetchError:
            return None  # unreachable robots.txt: allow, as crawlers conventionally do
        parser = urllib.robotparser.RobotFileParser(robots_url)
        if response.status_code in (401, 403):
            parser.parse(
                ["User-agent: *", "Disallow: /"]
            )  # what robotparser itself does on 401/403
        elif response.status_code >= 400 or "html" in response.headers.get("Content-Type", ""):
            return None
        else:
            parser.parse(response.text.splitlines())
        return parser


class _NotJson:
    """Sentinel for a body that did not decode as JSON."""


_NOT_JSON: Any = _NotJson()


def _decode_json(response: requests.Response) -> Any:
    try:
        return json.loads(response.content.decode(response.encoding or "utf-8-sig", "replace"))
    except (ValueError, UnicodeDecodeError):
        return _NOT_JSON


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _raise_if_challenge(response: requests.Response) -> None:
    if response.headers.get("cf-mitigated", "").lower() == "challenge":
        raise BlockedError(
            f"{response.url} is behind a Cloudflare challenge; it cannot be crawled anonymously",
            response.url,
            response.status_code,
        )
    if response.status_code == 403 and "wordfence" in response.text[:20000].lower():
        raise BlockedError(
            f"{response.url}: Wordfence blocked this crawler (403)", response.url, 403
        )


_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def _short(exc: BaseException) -> str:
    """The cause a person can act on ("Connection refused", "timed out"), not urllib3's repr."""
    if isinstance(exc, requests.Timeout):
        return "timed out"
    match = _ERRNO_TEXT.search(str(exc))
    if match:
        return match.group(1).strip()
    text = str(exc)
    return text if len(text) <= 160 else text[:157] + "..."
