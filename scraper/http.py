"""The only module that talks to the network: one session, timeouts, caps, retries, rate limits, robots.txt."""

from __future__ import annotations

import dataclasses
import functools
import logging
import random
import threading
import time
import urllib.robotparser
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import requote_uri

from archive.records import Capture
from scraper.errors import (
    BlockedError,
    DeadlineExceededError,
    FetchError,
    HttpStatusError,
    NotJsonError,
    RateLimitedError,
    RedirectRefusedError,
    RobotsDisallowedError,
    StoppedError,
    UndecodableError,
)
from scraper.exchange import (
    NOT_JSON,
    Body,
    Exchange,
    ExchangeHook,
    Headers,
    Response,
    decode_json,
    parse_retry_after,
    read_body,
)
from scraper.throttle import SLOW_DOWN_STATUSES, HostThrottle, Pacing, SleptClock
from scraper.wire import (
    TRANSPORT_ERRORS,
    TransportFailure,
    cut_socket,
    host_of,
    limit_read_wait,
    netloc_of,
)

LOGGER = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "wparchive/0.1 (+https://github.com/wparchive/wparchive; archiving bot)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Browsers give up after 20; WordPress moves a site with one or two (http -> https, a new domain).
MAX_REDIRECTS = 10
# Only what we decode ourselves, incrementally and within max_response_bytes.
ACCEPT_ENCODING = "gzip, deflate"
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
    # Politeness per host (scraper/throttle.py): requests in flight, and a delay between request
    # starts that follows the host's latency, within [min_delay, max_delay]; rate_limit caps it.
    concurrency: int = 2
    target_concurrency: float = 1.0
    min_delay: float = 0.0
    max_delay: float = 60.0
    rate_limit: float = 0.0  # requests per second per host at most; 0 = no cap
    max_in_flight: int = 32  # requests in flight at once in all, whatever the hosts and sites
    # Hosts many sites share, paced as one across every worker (with a `shared` pacer).
    shared_hosts: tuple[str, ...] = ("public-api.wordpress.com",)
    respect_robots: bool = True
    max_response_bytes: int = 50_000_000  # decoded body; larger ones are cut off and refused
    request_deadline: float = 120.0  # seconds for connect + all reads of one attempt


@dataclass
class RequestTally:
    """The requests sent for one piece of work (a site's crawl), counted as requests_made is."""

    made: int = 0


# The tally of the work running in this context: sites crawled at once share one client, and
# each counts only its own requests (their fetch threads inherit it, see scraper.pool).
_TALLY: ContextVar[RequestTally | None] = ContextVar("wparchive_request_tally", default=None)


@contextmanager
def counting_requests(tally: RequestTally | None = None) -> Iterator[RequestTally]:
    """Count the requests sent from this context (and the pools it starts) until the end, into
    `tally` when given (work begun elsewhere, see scraper/crawl/head_start.py), else a new one."""
    if tally is None:
        tally = RequestTally()
    token = _TALLY.set(tally)
    try:
        yield tally
    finally:
        _TALLY.reset(token)


class HttpClient:
    """A requests session with the project's politeness, caps and retry rules; safe to share across
    threads. It answers with its own Response, and shows every exchange to its hooks."""

    def __init__(
        self,
        settings: HttpSettings | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.settings = settings or HttpSettings()
        self._shared: Callable[[str, float], float] | None = None  # see share_pacing
        self._stopped = threading.Event()
        # Waits (backoff, Retry-After, throttling) end at once when the run is stopped. A sleep
        # given by the caller (a test's) brings its own time: it passes only when slept.
        self._clock: Callable[[], float] = time.monotonic
        self._sleep = self._wait_unless_stopped
        if sleep is not None:
            slept = SleptClock(sleep)
            self._clock, self._sleep = slept, slept.sleep
        self.session = requests.Session()
        self.session.headers["User-Agent"] = self.settings.user_agent
        self.session.headers["Accept-Encoding"] = ACCEPT_ENCODING
        pool = max(4, self.settings.concurrency)
        hosts = max(10, self.settings.max_in_flight)  # many sites at once: keep their connections
        adapter = HTTPAdapter(pool_connections=hosts, pool_maxsize=pool, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._lock = threading.Lock()
        # One budget per host, whatever thread pools or sites share this client; one cap on all.
        self._throttles: dict[str, HostThrottle] = {}
        self._gate = threading.BoundedSemaphore(max(1, self.settings.max_in_flight))
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        # host -> the robots.txt rules in force, as text ("" allows all), for callers that keep
        # them between runs (use_robots); only hosts whose robots.txt this client fetched.
        self._robots_fetched: dict[str, str] = {}
        self._hooks: tuple[ExchangeHook, ...] = ()
        self._credentials: dict[str, tuple[str, str]] = {}
        self._open: set[Any] = set()  # bodies being read, to cut when the run stops
        self._hook_lock = threading.Lock()
        self.requests_made = 0

    def close(self) -> None:
        """Release pooled connections."""
        self.session.close()

    def add_credentials(self, url: str, auth: tuple[str, str]) -> None:
        """Send `auth` (user, password) as HTTP Basic auth to `url`'s host and port only: never to
        another host, not even one a redirect leads to."""
        with self._lock:
            self._credentials[netloc_of(url)] = auth

    def stop(self) -> None:
        """Stop fetching at once (Ctrl-C, SIGTERM): bodies being read are cut, waits end, and every
        later request raises StoppedError. Safe to call from a signal handler."""
        self._stopped.set()
        for raw in list(self._open):
            cut_socket(raw)

    def share_pacing(self, shared: Callable[[str, float], float]) -> None:
        """Pace the hosts many sites share (`shared_hosts`) with `shared(host, interval)`, which
        reserves a start for every process (the archive's host_pacing); without it those hosts
        are paced per process like the rest. Set before any shared host is asked."""
        with self._lock:
            self._shared = shared

    def add_exchange_hook(self, hook: ExchangeHook) -> None:
        """Call `hook` with every Exchange from now on, one call at a time whatever the threads
        (so a hook needs no lock of its own); a hook that raises is logged, never fatal."""
        with self._lock:
            self._hooks = (*self._hooks, hook)

    def get(
        self, url: str, params: Params = None, *, method: str = "GET", follow_off_host: bool = False
    ) -> Response:
        """Fetch `url`, retrying 429/5xx and connection errors; return the final response whatever its status.

        Raises RateLimitedError when retries run out on 429/503 (or Retry-After exceeds the cap),
        BlockedError on a CDN/firewall challenge, ResponseTooLargeError past max_response_bytes,
        DeadlineExceededError past request_deadline, RedirectRefusedError on a redirect loop or to
        another host (unless `follow_off_host`: discovery lets a whole site move), FetchError on
        connection failure after retries (at once for an unknown host or a failed TLS handshake).
        """
        self._check_robots(url)
        attempt = 0
        while True:
            self._raise_if_stopped(url)
            throttle = self._throttle(url)
            try:
                response = self._paced(throttle, method, url, params, follow_off_host)
            except TransportFailure as failure:
                self._raise_if_stopped(url)
                if not failure.transient or attempt >= self.settings.max_retries:
                    raise FetchError(
                        f"could not reach {url}: {failure}", url
                    ) from failure.__cause__
                self._sleep(self._backoff(attempt))
                attempt += 1
                continue
            _raise_if_challenge(response)
            if response.status not in RETRY_STATUSES:
                return response
            if attempt >= self.settings.max_retries:
                if response.status in (429, 503):
                    raise RateLimitedError(
                        f"{url} still answered {response.status} after "
                        f"{attempt + 1} attempts; try again later or lower rate_limit",
                        url,
                        response.status,
                    )
                return response
            delay = self._retry_delay(response, attempt)
            LOGGER.info("%s answered %s; retrying in %.1fs", url, response.status, delay)
            if response.status in SLOW_DOWN_STATUSES:
                throttle.hold(delay)  # the whole host waits; this retry too, in its next turn
            else:
                self._sleep(delay)
            attempt += 1

    def get_json(self, url: str, params: Params = None) -> tuple[Any, Response]:
        """Fetch JSON; raise HttpStatusError on a non-2xx status and NotJsonError on a non-JSON body
        (UndecodableError on bytes that are not text). A body that is not JSON (an error page in
        place of the answer, bytes a proxy garbled) is usually transient: fetched once more first."""
        try:
            return self._fetch_json(url, params)
        except NotJsonError as exc:
            LOGGER.info("%s; fetching it once more", exc)
            return self._fetch_json(url, params)

    def _fetch_json(self, url: str, params: Params) -> tuple[Any, Response]:
        response = self.get(url, params)
        try:
            data = decode_json(response)
        except UndecodableError:
            if response.status < 400:
                raise
            data = NOT_JSON  # an error page's text does not matter: its status says it all
        if response.status >= 400:
            code = data.get("code") if isinstance(data, dict) else None
            message = data.get("message") if isinstance(data, dict) else None
            detail = f"{code}: {message}" if code else response.reason
            raise HttpStatusError(
                f"{response.url} answered {response.status} ({detail})",
                response.url,
                response.status,
                code if isinstance(code, str) else None,
            )
        if data is NOT_JSON:
            ctype = response.headers.get("Content-Type", "?")
            raise NotJsonError(
                f"{response.url} promised JSON but sent {ctype} ({len(response.body)} bytes)",
                response.url,
                response.status,
            )
        return data, response

    def _paced(
        self, throttle: HostThrottle, method: str, url: str, params: Params, off_host: bool
    ) -> Response:
        """One attempt in the host's turn: its latency (or failure) paces the host's next ones."""
        with throttle.turn() as done, self._gate:  # the gate's wait is no part of the latency
            self._raise_if_stopped(url)  # stopped while this thread waited for its turn
            started = self._clock()
            try:
                response = self._follow(method, url, params, off_host)
            except TransportFailure:
                done(self._clock() - started, None)
                raise
            done(self._clock() - started, response.status)
            return response

    def _follow(self, method: str, url: str, params: Params, off_host: bool) -> Response:
        """One attempt: the request and its redirects (each hop an exchange), within one deadline.
        A redirect to another host would hand that host's content over as this site's: refused."""
        deadline = time.monotonic() + self.settings.request_deadline
        first, seen = url, set()
        for _ in range(MAX_REDIRECTS + 1):
            response = self._exchange(method, url, params, deadline)
            location = response.headers.get("Location")
            if response.status not in REDIRECT_STATUSES or not location:
                return response
            seen.add(response.url)
            url, params = requote_uri(urljoin(response.url, location)), None
            if url in seen:
                raise RedirectRefusedError(
                    f"{first}: redirect loop at {url}", first, response.status
                )
            if not off_host and host_of(url) != host_of(response.url):
                raise RedirectRefusedError(
                    f"{response.url} redirects to another host ({host_of(url)}); refused",
                    first,
                    response.status,
                )
            if response.status == 303 and method != "HEAD":
                method = "GET"
        raise RedirectRefusedError(f"{first}: more than {MAX_REDIRECTS} redirects", first)

    def _exchange(self, method: str, url: str, params: Params, deadline: float) -> Response:
        """One request and its body; the hooks see it whatever happened; raise on failure."""
        started, start = datetime.now(UTC), time.monotonic()
        try:
            sent, body = self._transfer(method, url, params, deadline)
        except (TransportFailure, DeadlineExceededError) as exc:
            error = (
                exc
                if isinstance(exc, FetchError)
                else FetchError(f"could not reach {url}: {exc}", url)
            )
            elapsed = time.monotonic() - start
            self._notify(Exchange(method, url, (), started, elapsed, None, error=error))
            raise
        response = _own_response(sent, body.decoded, time.monotonic() - start)
        if body.error is not None:
            body.error.status = response.status
        headers, elapsed = _request_headers(sent.request), response.elapsed
        capture = self._notify(
            Exchange(method, sent.url, headers, started, elapsed, response, body.raw, body.error)
        )
        if capture is not None:
            response = dataclasses.replace(response, capture=capture)
        if body.error is not None:
            raise body.error
        return response

    def _transfer(
        self, method: str, url: str, params: Params, deadline: float
    ) -> tuple[requests.Response, Body]:
        """Send the request and read its body within the caps (in the host's turn: see _paced)."""
        left = max(0.001, deadline - time.monotonic())
        timeout = (min(self.settings.connect_timeout, left), min(self.settings.read_timeout, left))
        # Counted as it is sent, each redirect hop too: what the server's log shows.
        tally = _TALLY.get()
        with self._lock:
            self.requests_made += 1
            if tally is not None:
                tally.made += 1
        try:
            sent = self.session.request(
                method,
                url,
                params=params,
                timeout=timeout,
                stream=True,
                allow_redirects=False,
                auth=self._credentials.get(netloc_of(url)),
            )
        except TRANSPORT_ERRORS as exc:
            raise TransportFailure.of(url, exc) from exc
        self._open.add(sent.raw)
        try:
            # stop() sets the flag, then cuts what is open: a body opened meanwhile is cut here.
            self._raise_if_stopped(url)
            return sent, read_body(
                sent.url,
                lambda size: sent.raw.read1(size, decode_content=False),
                sent.headers.get("Content-Encoding", ""),
                self.settings.max_response_bytes,
                deadline,
                lambda left: self._before_read(url, sent.raw, left),
            )
        except TRANSPORT_ERRORS as exc:
            if time.monotonic() >= deadline:  # the read we limited to the deadline timed out
                message = f"{url}: request_deadline passed while reading"
                raise DeadlineExceededError(message, url) from exc
            raise TransportFailure.of(url, exc) from exc
        finally:
            self._open.discard(sent.raw)
            sent.close()
            # A body cut by stop() may look complete: it must never be parsed as one.
            self._raise_if_stopped(url)

    def _before_read(self, url: str, raw: Any, seconds_left: float) -> None:
        """Before each read of a body: stop if the run was stopped; wait no longer than allowed."""
        self._raise_if_stopped(url)
        limit_read_wait(raw, min(seconds_left, self.settings.read_timeout))

    @property
    def stopped(self) -> bool:
        """Whether stop() was called: nothing more will be fetched."""
        return self._stopped.is_set()

    def _wait_unless_stopped(self, seconds: float) -> None:
        self._stopped.wait(seconds)

    def _raise_if_stopped(self, url: str) -> None:
        if self._stopped.is_set():
            raise StoppedError(f"{url}: not fetched, the run was stopped", url)

    def _notify(self, exchange: Exchange) -> Capture | None:
        """Show `exchange` to the hooks; return where one that records exchanges recorded it."""
        hooks, capture = self._hooks, None
        if not hooks:
            return None
        with self._hook_lock:
            for hook in hooks:
                try:
                    capture = hook(exchange) or capture
                except Exception:  # an observer's bug must not stop the crawl it observes
                    LOGGER.exception("exchange hook %r failed on %s", hook, exchange.url)
        return capture

    def _throttle(self, url: str) -> HostThrottle:
        host = urlsplit(url).netloc.lower()
        with self._lock:
            throttle = self._throttles.get(host)
            if throttle is None:
                settings = self.settings
                pacing = Pacing(
                    settings.concurrency,
                    settings.target_concurrency,
                    settings.min_delay,
                    settings.max_delay,
                    settings.rate_limit,
                )
                delay = self._crawl_delay(host)
                shared = None
                if self._shared is not None and _is_shared(host, settings.shared_hosts):
                    shared = functools.partial(self._shared, host)
                throttle = HostThrottle(
                    pacing, delay, clock=self._clock, sleep=self._sleep, shared=shared
                )
                self._throttles[host] = throttle
            return throttle

    def _crawl_delay(self, host: str) -> float | None:
        """robots.txt's Crawl-delay for this host, if its rules are known and set one."""
        robots = self._robots.get(host)
        delay = robots.crawl_delay(self.settings.user_agent) if robots else None
        return float(delay) if delay is not None else None

    def _robots_known(self, host: str, parser: urllib.robotparser.RobotFileParser | None) -> None:
        """Keep `host`'s rules; a throttle made before them takes their Crawl-delay (it is never
        replaced: threads in its turns hold its slots)."""
        with self._lock:
            self._robots[host] = parser
            throttle = self._throttles.get(host)
            if throttle is not None:
                throttle.obey_crawl_delay(self._crawl_delay(host))

    def _backoff(self, attempt: int) -> float:
        base = min(self.settings.backoff_max, self.settings.backoff_base * (2**attempt))
        return float(base * (0.5 + random.random() / 2))

    def _retry_delay(self, response: Response, attempt: int) -> float:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if retry_after is None:
            return self._backoff(attempt)
        if retry_after > self.settings.max_retry_after:
            raise RateLimitedError(
                f"{response.url} asks us to wait {retry_after:.0f}s (Retry-After), more than "
                f"max_retry_after={self.settings.max_retry_after:.0f}s",
                response.url,
                response.status,
            )
        return retry_after

    def use_robots(self, site_url: str, rules: str) -> None:
        """Obey `rules` (robots.txt text a caller kept from an earlier run) for the host of
        `site_url` instead of fetching its robots.txt again."""
        parts = urlsplit(site_url)
        parser = urllib.robotparser.RobotFileParser(f"{parts.scheme}://{parts.netloc}/robots.txt")
        parser.parse(rules.splitlines())
        self._robots_known(parts.netloc.lower(), parser if rules.strip() else None)

    def fetched_robots(self, site_url: str) -> str | None:
        """The robots.txt rules this client fetched for the host of `site_url`, if it did."""
        with self._lock:
            return self._robots_fetched.get(urlsplit(site_url).netloc.lower())

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
            self._robots_known(host, parser)
        robots = self._robots[host]
        if robots is not None and not robots.can_fetch(self.settings.user_agent, url):
            raise RobotsDisallowedError(f"robots.txt disallows {url}", url)

    def _fetch_robots(self, robots_url: str) -> urllib.robotparser.RobotFileParser | None:
        try:
            response = self.get(robots_url)
        except FetchError:
            return None  # unreachable robots.txt: allow, as crawlers conventionally do
        parser = urllib.robotparser.RobotFileParser(robots_url)
        if response.status in (401, 403):
            lines = ["User-agent: *", "Disallow: /"]  # what robotparser itself does on 401/403
        elif response.status >= 400 or "html" in response.headers.get("Content-Type", ""):
            lines = []  # no robots.txt: everything allowed
        else:
            lines = response.text.splitlines()
        with self._lock:
            self._robots_fetched[urlsplit(robots_url).netloc.lower()] = "\n".join(lines)
        if not lines:
            return None
        parser.parse(lines)
        return parser


def _is_shared(netloc: str, shared_hosts: tuple[str, ...]) -> bool:
    """Whether `netloc` (host or host:port) is one of the hosts many sites share."""
    return netloc in shared_hosts or netloc.rsplit(":", 1)[0] in shared_hosts


def _raise_if_challenge(response: Response) -> None:
    if response.headers.get("cf-mitigated", "").lower() == "challenge":
        raise BlockedError(
            f"{response.url} is behind a Cloudflare challenge; it cannot be crawled anonymously",
            response.url,
            response.status,
        )
    if response.status == 403 and b"wordfence" in response.body[:20000].lower():
        raise BlockedError(
            f"{response.url}: Wordfence blocked this crawler (403)", response.url, 403
        )


def _own_response(sent: requests.Response, body: bytes, elapsed: float) -> Response:
    """Our Response from requests': headers as the server sent them (order, case, repeats)."""
    raw = sent.raw
    original = getattr(raw, "_original_response", None)
    pairs = original.msg.items() if original is not None else raw.headers.items()
    version = getattr(raw, "version_string", "") or "HTTP/1.1"
    return Response(
        sent.url, sent.status_code, sent.reason or "", Headers(pairs), body, elapsed, version
    )


def _request_headers(request: requests.PreparedRequest) -> tuple[tuple[str, str], ...]:
    """The request's headers as sent; http.client adds Host itself, so it is named here too."""
    # Credentials never reach an observer (a WARC file is an export too).
    pairs = [
        (str(k), "***" if str(k).lower() == "authorization" else str(v))
        for k, v in request.headers.items()
    ]
    if not any(name.lower() == "host" for name, _ in pairs):
        pairs.insert(0, ("Host", urlsplit(request.url or "").netloc))
    return tuple(pairs)
