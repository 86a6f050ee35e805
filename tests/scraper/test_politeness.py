"""Politeness against a loopback server of the test's own that records each request's start and
end: never more than `concurrency` in flight per host, whatever threads ask; the delay grows when
the server slows down or answers 429; Retry-After holds the host; Crawl-delay is honoured."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from scraper.http import HttpClient, HttpSettings


class Recorder:
    """Arrivals and departures, with how many requests were in the server at once."""

    def __init__(self, latency: float = 0.02) -> None:
        self.latency = latency
        self.in_flight = self.most_in_flight = 0
        self.starts: list[float] = []
        self.too_many = 0  # answer this many requests with 429 first
        self.retry_after = ""
        self.robots = "User-agent: *\nAllow: /\n"
        self.lock = threading.Lock()


@pytest.fixture
def server() -> Iterator[tuple[str, Recorder]]:
    record = Recorder()
    with serving(record, "127.0.0.1") as base:
        yield base, record


@contextmanager
def serving(record: Recorder, host: str) -> Iterator[str]:
    """A server on `host` that keeps its arrivals in `record` (which several may share)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            del args

        def do_GET(self) -> None:
            if self.path == "/robots.txt":
                self._send(200, record.robots.encode(), {})
                return
            with record.lock:
                record.starts.append(time.monotonic())
                record.in_flight += 1
                record.most_in_flight = max(record.most_in_flight, record.in_flight)
                limited = record.too_many > 0
                record.too_many -= 1
            time.sleep(record.latency)
            with record.lock:
                record.in_flight -= 1
            headers = {"Retry-After": record.retry_after} if limited and record.retry_after else {}
            self._send(429 if limited else 200, b"ok", headers)

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer((host, 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def fetch_all(client: HttpClient, base: str, count: int, threads: int = 8) -> None:
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda n: client.get(f"{base}/item/{n}"), range(count)))


def gaps(starts: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(starts)]


def test_never_more_than_concurrency_in_flight_per_host(server: tuple[str, Recorder]) -> None:
    base, record = server
    client = HttpClient(HttpSettings(concurrency=2, max_delay=0.0, max_retries=0))
    fetch_all(client, base, 24, threads=8)
    assert record.most_in_flight == 2
    assert len(record.starts) == 24


def test_the_delay_follows_the_servers_latency(server: tuple[str, Recorder]) -> None:
    base, record = server
    record.latency = 0.1
    client = HttpClient(HttpSettings(concurrency=4, target_concurrency=1.0, max_retries=0))
    fetch_all(client, base, 12, threads=4)
    # After a few answers the host is paced near one request in flight: starts ~latency apart.
    late = gaps(sorted(record.starts)[6:])
    assert min(late) > 0.05, late


def test_429_with_retry_after_holds_the_host_and_slows_it_down(
    server: tuple[str, Recorder],
) -> None:
    base, record = server
    record.latency, record.too_many, record.retry_after = 0.0, 1, "1"
    client = HttpClient(HttpSettings(concurrency=2, max_retries=2))
    started = time.monotonic()
    fetch_all(client, base, 4, threads=2)
    starts = sorted(record.starts)
    # The 429 came back at once: nothing else starts in the second Retry-After asked for (the
    # other thread's first request may have been on its way already).
    held = [t for t in starts[1:] if starts[0] + 0.1 < t < starts[0] + 0.95]
    assert held == [], [t - starts[0] for t in starts]
    assert time.monotonic() - started >= 1.0
    # And the host's delay grew (doubled to a second), coming back down by halves as fast
    # answers arrive: the starts after the hold are still spaced (none was before the 429;
    # answers this fast would bring the delay to nothing). When the other thread's first
    # request was held too, four starts follow the hold, 1, 0.5 and 0.25 s apart.
    after = [t for t in starts if t >= starts[0] + 0.95]
    assert len(after) >= 2 and min(gaps(after)) >= 0.2


def test_robots_crawl_delay_is_honoured(server: tuple[str, Recorder]) -> None:
    base, record = server
    # Python's robots.txt reader takes whole seconds only.
    record.latency, record.robots = 0.0, "User-agent: *\nCrawl-delay: 1\n"
    client = HttpClient(HttpSettings(concurrency=4, max_delay=0.0))
    fetch_all(client, base, 3, threads=3)
    assert min(gaps(sorted(record.starts))) >= 0.95


def test_max_in_flight_caps_all_hosts_together() -> None:
    record = Recorder()
    with serving(record, "127.0.0.1") as one, serving(record, "127.0.0.2") as two:
        client = HttpClient(HttpSettings(concurrency=3, max_delay=0.0, max_in_flight=2))
        with ThreadPoolExecutor(8) as pool:
            urls = [f"{base}/item/{n}" for n in range(8) for base in (one, two)]
            list(pool.map(client.get, urls))
    # Three allowed per host, six in all, yet never more than two at once across both.
    assert record.most_in_flight == 2 and len(record.starts) == 16
