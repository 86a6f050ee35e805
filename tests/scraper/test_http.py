"""HttpClient against `responses`: retries, Retry-After, challenges, robots.txt, JSON, redirects, limits."""

from __future__ import annotations

import email.utils
import gzip
import json
import socket
import time
from pathlib import Path

import pytest
import responses
import yaml

from archive.records import SentJson
from scraper.config import load_config
from scraper.errors import (
    BlockedError,
    ConfigError,
    FetchError,
    HttpStatusError,
    NotJsonError,
    RateLimitedError,
    RedirectRefusedError,
    RobotsDisallowedError,
    StoppedError,
    UndecodableError,
)
from scraper.exchange import Exchange, parse_retry_after
from scraper.http import HttpClient, HttpSettings

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
    # Each Retry-After holds the host at least that long (the 429 also doubled its delay).
    assert len(sleeps) == 2 and sleeps[0] == pytest.approx(7.0, abs=0.1) and sleeps[1] >= 3.0
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


@responses.activate
def test_redirect_hops_are_followed_and_each_is_an_exchange() -> None:
    responses.get(f"{BASE}/old", status=301, headers={"Location": "/new?x=1"})
    responses.get(f"{BASE}/new", status=302, headers={"Location": f"{BASE}/final"})
    responses.get(f"{BASE}/final", body="here", content_type="text/plain; charset=utf-8")
    seen: list[Exchange] = []
    client = make_client([])
    client.add_exchange_hook(seen.append)
    response = client.get(f"{BASE}/old")
    assert (response.url, response.status, response.text) == (f"{BASE}/final", 200, "here")
    assert [(e.url, e.response.status if e.response else None) for e in seen] == [
        (f"{BASE}/old", 301),
        (f"{BASE}/new?x=1", 302),
        (f"{BASE}/final", 200),
    ]
    assert client.requests_made == 3  # each hop is a request the server sees, and counted


@responses.activate
def test_a_redirect_loop_is_a_fetch_error() -> None:
    responses.get(f"{BASE}/a", status=302, headers={"Location": f"{BASE}/a"})
    with pytest.raises(RedirectRefusedError, match="redirect loop"):
        make_client([]).get(f"{BASE}/a")


@responses.activate
def test_failed_connections_are_exchanges_without_a_response() -> None:
    seen: list[Exchange] = []
    client = make_client([], max_retries=1)
    client.add_exchange_hook(seen.append)
    with pytest.raises(FetchError):
        client.get(f"{BASE}/none")
    assert [(e.url, e.response) for e in seen] == [(f"{BASE}/none", None)] * 2
    assert all(isinstance(e.error, FetchError) for e in seen)


@responses.activate
def test_gzip_is_asked_for_and_undone() -> None:
    payload = json.dumps({"ok": "café"}).encode()
    responses.get(
        f"{BASE}/j",
        body=gzip.compress(payload),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    data, response = make_client([]).get_json(f"{BASE}/j")
    assert data == {"ok": "café"} and response.body == payload
    assert responses.calls[0].request.headers["Accept-Encoding"] == "gzip, deflate"


@pytest.mark.parametrize(
    ("key", "value", "complaint"),
    [
        ("max_response_bytes", 0, "max_response_bytes must be at least 1"),
        ("request_deadline", 0, "request_deadline must be more than 0"),
        ("max_response_bytes", "lots", "max_response_bytes"),
    ],
)
def test_config_checks_the_new_limits(
    tmp_path: Path, key: str, value: object, complaint: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"http": {key: value}}))
    with pytest.raises(ConfigError, match=complaint):
        load_config(path)


def test_config_reads_the_new_limits(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("http:\n  max_response_bytes: 2_000_000\n  request_deadline: 30\n")
    http = load_config(path).http
    assert (http.max_response_bytes, http.request_deadline) == (2_000_000, 30.0)


@responses.activate
def test_a_redirect_to_another_host_is_refused_unless_the_site_moved() -> None:
    responses.get(f"{BASE}/", status=301, headers={"Location": "http://other.test/"})
    responses.get("http://other.test/", body="moved here", content_type="text/plain")
    client = make_client([])
    with pytest.raises(RedirectRefusedError, match=r"another host \(other.test\)"):
        client.get(f"{BASE}/")
    assert client.get(f"{BASE}/", follow_off_host=True).text == "moved here"


@responses.activate
def test_credentials_go_to_their_host_only_and_never_to_hooks() -> None:
    responses.get(f"{BASE}/a", status=302, headers={"Location": "http://other.test/b"})
    responses.get("http://other.test/b", body="b")
    seen: list[Exchange] = []
    client = make_client([])
    client.add_credentials(f"{BASE}/", ("reader", "s3cret"))
    client.add_exchange_hook(seen.append)
    client.get(f"{BASE}/a", follow_off_host=True)
    sent = [call.request.headers.get("Authorization") for call in responses.calls]
    assert sent[0] is not None and sent[0].startswith("Basic ") and sent[1] is None
    assert all(dict(e.request_headers).get("Authorization") in (None, "***") for e in seen)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"title": "Caf\xe9"}', "not valid UTF-8 at byte 14"),
        (b'{"title": "\\ud800 alone"}', "lone surrogate"),
        (b'{"title": "\\uDC00 alone"}', "lone surrogate"),
        (b'{"title": "\\ud83d\\ude00 then \\ud83d"}', "lone surrogate"),
        (b'{"title": "\\ude00\\ud83d the wrong way round"}', "lone surrogate"),
    ],
)
@responses.activate
def test_undecodable_json_is_an_error_never_replacement_characters(body: bytes, says: str) -> None:
    responses.get(f"{BASE}/j", body=body, content_type="application/json")
    with pytest.raises(UndecodableError, match=says):
        make_client([]).get_json(f"{BASE}/j")
    assert len(responses.calls) == 2  # a garbled body is fetched once more first


@responses.activate
def test_json_keeps_surrogate_pairs_and_drops_nul() -> None:
    body = b'{"a": "\\ud83d\\ude00 x\\u0000y", "b": "\\\\u0000 is text"}'
    responses.get(f"{BASE}/j", body=body, content_type="application/json")
    data, _ = make_client([]).get_json(f"{BASE}/j")
    assert data == {"a": "\U0001f600 xy", "b": "\\u0000 is text"}


@pytest.mark.parametrize(
    "body",
    [
        '[{"id":1,"title":{"rendered":"Caf\\u00e9 \\/ \\"q\\""}},{"id":2,"tags":[3,4]}]',
        ' \n[ {"id": 1, "a": [ {"b": 2} ]} ,\r\n\t{"id": 2} , 7 , [1] ] \n',
        "[]",
        " [ ] ",
    ],
)
@responses.activate
def test_the_objects_of_a_json_list_keep_the_text_they_came_in(body: str) -> None:
    """A REST collection's items come as the dicts json.loads gives, each knowing its exact text
    in the body (stored as the item's raw document), whatever the whitespace around them."""
    responses.get(f"{BASE}/j", body=body, content_type="application/json")
    data, _ = make_client([]).get_json(f"{BASE}/j")
    assert data == json.loads(body)
    objects = [item for item in data if isinstance(item, dict)]
    assert all(isinstance(item, SentJson) for item in objects)
    texts = [item.text for item in objects]
    assert all(text is not None and text in body for text in texts)
    assert [json.loads(text) for text in texts if text] == objects
    assert all(text.startswith("{") and text.endswith("}") for text in texts if text)


@pytest.mark.parametrize(
    "body", ['[{"id": 1}] x', '[{"id": 1} {"id": 2}]', '[{"id": 1},]', "[", '[{"id": 1}']
)
@responses.activate
def test_a_broken_json_list_is_not_json(body: str) -> None:
    responses.get(f"{BASE}/j", body=body, content_type="application/json")
    with pytest.raises(NotJsonError):
        make_client([]).get_json(f"{BASE}/j")


def test_an_unknown_host_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_host(*args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    sleeps: list[float] = []
    client = make_client(sleeps, max_retries=4)
    with pytest.raises(FetchError, match=r"unknown host nowhere\.invalid"):
        client.get("http://nowhere.invalid/")
    assert sleeps == [] and client.requests_made == 1


@responses.activate
def test_a_stopped_client_fetches_nothing_more() -> None:
    responses.get(f"{BASE}/x", body="x")
    client = make_client([])
    client.stop()
    with pytest.raises(StoppedError):
        client.get(f"{BASE}/x")
    assert not responses.calls
