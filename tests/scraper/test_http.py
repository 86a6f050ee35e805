"""HttpClient against `responses`: retries, Retry-After, challenges, robots.txt, JSON checks."""

from __future__ import annotations

import email.utils
import time

import pytest
import responses

from scraper.errors import (
    BlockedError,
    FetchError,
    HttpStatusError,
    NotJsonError,
    RateLimitedError,
    RobotsDisallowedError,
)
from scraper.http import HttpClient, HttpSettings, parse_retry_after

BASE = "http://blog.test"


def make_client(sleeps: list[float], **settings: object) -> HttpClient:
    values: dict[str, object] = {"respect_robots": False, "rate_limit": 0.0, **settings}
    return HttpClient(HttpSettings(**values), sleep=sleeps.append)  # type: ignore[arg-type]


@responses.activate
def test_retries_429_honouring_retry_after_then_succeeds() -> None:
    responses.get(f"{BASE}/x", status=429, headers={"Retry-After": "7"})
    responses.get(f"{BASE}/x", status=503, headers={"Retry-After": "3"})
    responses.get(f"{BASE}/x", json={"ok": True})
    sleeps: list[float] = []
    client = make_client(sleeps)
    data, _ = client.get_json(f"{BASE}/x")
    assert data == {"ok": True}
    assert sleeps == [7.0, 3.0]
    assert client.requests_made == 3


@responses.activate
def test_storm_of_503_ends_in_rate_limited_error_with_url() -> None:
    for _ in range(5):
        responses.get(f"{BASE}/x", status=503)
    sleeps: list[float] = []
    client = make_client(sleeps, max_retries=4)
    with pytest.raises(RateLimitedError) as caught:
        client.get(f"{BASE}/x")
    assert caught.value.url == f"{BASE}/x" and caught.value.status == 503
    assert len(sleeps) == 4
    assert all(0 < s <= 60 for s in sleeps)
    assert client.requests_made == 5


@responses.activate
def test_retry_after_beyond_the_cap_stops_at_once() -> None:
    responses.get(f"{BASE}/x", status=429, headers={"Retry-After": "3600"})
    client = make_client([], max_retry_after=300.0)
    with pytest.raises(RateLimitedError, match="3600s"):
        client.get(f"{BASE}/x")
    assert client.requests_made == 1


@responses.activate
def test_cloudflare_challenge_is_blocked_not_content() -> None:
    responses.get(
        f"{BASE}/",
        status=403,
        body="<title>Just a moment...</title>",
        headers={"cf-mitigated": "challenge"},
    )
    with pytest.raises(BlockedError, match="Cloudflare"):
        make_client([]).get(f"{BASE}/")


@responses.activate
def test_html_where_json_was_promised() -> None:
    responses.get(
        f"{BASE}/wp-json/", body="<html><body>home</body></html>", content_type="text/html"
    )
    with pytest.raises(NotJsonError, match="text/html"):
        make_client([]).get_json(f"{BASE}/wp-json/")


@responses.activate
def test_truncated_json_is_not_json() -> None:
    responses.get(f"{BASE}/p", body='[{"id": 1, "title": {"rend', content_type="application/json")
    with pytest.raises(NotJsonError):
        make_client([]).get_json(f"{BASE}/p")


@responses.activate
def test_wordpress_error_body_gives_code() -> None:
    responses.get(
        f"{BASE}/wp-json/wp/v2/posts",
        status=401,
        json={"code": "rest_login_required", "message": "Log in", "data": {"status": 401}},
    )
    with pytest.raises(HttpStatusError) as caught:
        make_client([]).get_json(f"{BASE}/wp-json/wp/v2/posts")
    assert caught.value.status == 401 and caught.value.code == "rest_login_required"


@responses.activate
def test_connection_errors_are_retried_then_reported() -> None:
    sleeps: list[float] = []
    with pytest.raises(FetchError, match="could not reach"):
        make_client(sleeps, max_retries=2).get(f"{BASE}/none")
    assert len(sleeps) == 2


@responses.activate
def test_robots_disallow_and_crawl_delay() -> None:
    responses.get(f"{BASE}/robots.txt", body="User-agent: *\nDisallow: /private/\nCrawl-delay: 5\n")
    responses.get(f"{BASE}/public/", body="ok")
    sleeps: list[float] = []
    client = HttpClient(HttpSettings(rate_limit=0.0), sleep=sleeps.append)
    with pytest.raises(RobotsDisallowedError):
        client.get(f"{BASE}/private/page")
    assert client.get(f"{BASE}/public/").text == "ok"
    assert client.get(f"{BASE}/public/").text == "ok"
    # The second request to the host waits for the robots.txt Crawl-delay.
    assert any(4.0 < s <= 5.0 for s in sleeps)


@responses.activate
def test_robots_401_means_disallow_all() -> None:
    responses.get(f"{BASE}/robots.txt", status=401)
    client = HttpClient(HttpSettings(rate_limit=0.0), sleep=lambda s: None)
    with pytest.raises(RobotsDisallowedError):
        client.get(f"{BASE}/")


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    future = email.utils.formatdate(time.time() + 90, usegmt=True)
    parsed = parse_retry_after(future)
    assert parsed is not None and 85 <= parsed <= 91
