"""The HTTP client on a real loopback server: size caps (plain and gzip bombs), deadlines, exchange hooks."""

from __future__ import annotations

import itertools
import json
import logging
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from scraper.errors import DeadlineExceededError, ResponseTooLargeError
from scraper.exchange import Exchange
from scraper.http import HttpClient, HttpSettings
from tests.scraper.loopback import Handler, LoopbackServer, Reply, gzip_of_zeros, gzipped

CAP = 1 << 20  # 1 MiB
INFLATED = 1 << 30  # what the bomb would become: 1 GiB
# VmHWM, not ru_maxrss: ru_maxrss keeps the forking test process's high-water mark across exec.
REPORT_PEAK_RSS = """
import runpy, sys
sys.argv = ["wparchive", *sys.argv[1:]]
try:
    runpy.run_module("scraper", run_name="__main__")
finally:
    with open("/proc/self/status") as status:
        print(next(l.split()[1] for l in status if l.startswith("VmHWM:")), file=sys.stderr)
"""
HTML = {"Content-Type": "text/html; charset=UTF-8"}


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip_of_zeros(INFLATED)


def make_client(**settings: object) -> HttpClient:
    values: dict[str, object] = {
        "respect_robots": False,
        "rate_limit": 0.0,
        "max_retries": 2,
        "max_response_bytes": CAP,
        **settings,
    }
    return HttpClient(HttpSettings(**values), sleep=lambda s: None)  # type: ignore[arg-type]


def post_page(wp_id: int) -> bytes:
    return (
        f'<html><head><link rel="stylesheet" href="/wp-content/themes/t/style.css"></head>'
        f'<body class="single postid-{wp_id}"><article id="post-{wp_id}" class="post">'
        f'<h1 class="entry-title">Post {wp_id}</h1><div class="entry-content"><p>Body</p></div>'
        "</article></body></html>"
    ).encode()


def huge_site(server_url: str, bomb: bytes) -> dict[str, Handler]:
    """A WordPress-looking site without REST whose sitemap lists a good post, a gzip bomb and an
    endless plain page."""
    urls = "".join(f"<url><loc>{server_url}/{p}/</loc></url>" for p in ("good", "bomb", "plain"))
    sitemap = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    zeros = itertools.repeat(bytes(64 * 1024), INFLATED // (64 * 1024))
    return {
        "/": lambda r: r.send(200, post_page(0), HTML),
        "/wp-sitemap.xml": lambda r: r.send(200, sitemap.encode(), {"Content-Type": "text/xml"}),
        "/good/": lambda r: r.send(200, post_page(1), HTML),
        "/bomb/": lambda r: r.send(200, bomb, {**HTML, "Content-Encoding": "gzip"}),
        "/plain/": lambda r: r.stream(zeros, INFLATED, HTML),
    }


def test_a_gzip_bomb_and_an_oversize_page_are_recorded_problems_in_bounded_memory(
    tmp_path: Path, bomb: bytes
) -> None:
    """`wparchive crawl` in a child process, which reports its own peak RSS."""
    config = tmp_path / "config.yaml"
    config.write_text(
        f"http:\n  max_response_bytes: {CAP}\n  rate_limit: 0\n  respect_robots: false\n"
    )
    db = tmp_path / "a.db"
    with LoopbackServer({}) as server:
        server.routes.update(huge_site(server.url, bomb))
        argv = ["crawl", server.url, "--source", "html", "--db", str(db), "--config", str(config)]
        done = subprocess.run(
            [sys.executable, "-c", REPORT_PEAK_RSS, *argv],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    peak = int(done.stderr.strip().splitlines()[-1]) * 1024  # VmHWM is in kB
    print(f"peak RSS {peak >> 20} MiB; bomb {len(bomb)} bytes inflating to {INFLATED >> 20} MiB")
    assert len(bomb) < INFLATED // 100  # small on the wire...
    assert peak < INFLATED // 4  # ...and never inflated: a fraction of what the bomb would become
    with sqlite3.connect(db) as conn:
        titles = conn.execute("SELECT title FROM posts").fetchall()
        problems = conn.execute("SELECT kind, url, message FROM problems ORDER BY url").fetchall()
    assert titles == [("Post 1",)]  # the crawl went on past both
    assert [(kind, url) for kind, url, _ in problems] == [
        ("http", f"{server.url}/bomb/"),
        ("http", f"{server.url}/plain/"),
    ]
    assert all(f"max_response_bytes={CAP}" in message for *_, message in problems)


@pytest.mark.parametrize("encoded", [False, True])
def test_a_body_over_the_cap_raises_with_the_url_and_status(encoded: bool, bomb: bytes) -> None:
    body, headers = (bomb, {"Content-Encoding": "gzip"}) if encoded else (bytes(CAP + 1), {})
    with LoopbackServer({"/x": lambda r: r.send(200, body, headers)}) as server:
        with pytest.raises(ResponseTooLargeError) as caught:
            make_client().get(f"{server.url}/x")
        assert caught.value.url == f"{server.url}/x" and caught.value.status == 200
        assert len(server.sent) == 1  # never retried


def test_a_body_exactly_at_the_cap_is_read_whole() -> None:
    body = gzipped(bytes(CAP))
    headers = {"Content-Encoding": "gzip"}
    with LoopbackServer({"/x": lambda r: r.send(200, body, headers, chunked=True)}) as server:
        assert make_client().get(f"{server.url}/x").body == bytes(CAP)


def test_a_slow_drip_is_cut_off_at_the_deadline() -> None:
    drip = itertools.repeat(b"x", 500)  # a byte every 0.2 s: 100 s in all
    route = {"/drip": lambda r: r.stream(drip, 500, HTML, pause=0.2)}
    with LoopbackServer(route) as server:  # type: ignore[arg-type]
        client = make_client(request_deadline=1.5, read_timeout=5.0)
        start = time.monotonic()
        with pytest.raises(DeadlineExceededError) as caught:
            client.get(f"{server.url}/drip")
        took = time.monotonic() - start
        assert 1.4 <= took < 3.0
        assert caught.value.url == f"{server.url}/drip"
        assert len(server.sent) == 1  # a drip is not retried


def test_hooks_see_every_exchange_with_the_bytes_sent_under_concurrency() -> None:
    """8 threads, gzip bodies (half chunked), each path failing once with 503 before it answers."""
    answered: set[str] = set()
    lock = threading.Lock()

    def route(reply: Reply) -> None:
        with lock:
            first = reply.path not in answered
            answered.add(reply.path)
        if first:
            reply.send(503, b"busy", {"Content-Type": "text/plain"})
            return
        data = json.dumps({"path": reply.path, "pad": "z" * 5000}).encode()
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        reply.send(200, gzipped(data), headers, chunked=reply.path.endswith(("0", "2", "4")))

    paths = [f"/p{n}" for n in range(40)]
    seen: list[Exchange] = []
    with LoopbackServer(dict.fromkeys(paths, route)) as server:
        client = make_client()
        client.add_exchange_hook(seen.append)
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda p: client.get_json(server.url + p)[0], paths))
    assert [r["path"] for r in results] == paths
    assert len(seen) == len(server.sent) == 2 * len(paths)
    for path in paths:
        sent = [s for s in server.sent if s.path == path]
        got = [e for e in seen if e.url == server.url + path]
        assert [e.response.status for e in got if e.response] == [s.status for s in sent]
        assert [e.raw_body for e in got] == [s.body for s in sent]
        final = got[-1]
        assert final.response is not None
        assert json.loads(final.response.body)["path"] == path
        assert final.response.headers["content-encoding"] == "gzip"
        assert ("Accept-Encoding", "gzip, deflate") in final.request_headers


def test_a_failing_hook_is_logged_and_the_fetch_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    def broken(exchange: Exchange) -> None:
        raise RuntimeError("observer bug")

    seen: list[Exchange] = []
    with LoopbackServer({"/x": lambda r: r.send(200, b"ok", HTML)}) as server:
        client = make_client()
        client.add_exchange_hook(broken)
        client.add_exchange_hook(seen.append)
        with caplog.at_level(logging.ERROR, logger="scraper.http"):
            assert client.get(f"{server.url}/x").text == "ok"
    assert [e.raw_body for e in seen] == [b"ok"]
    assert "exchange hook" in caplog.text and "observer bug" in caplog.text
