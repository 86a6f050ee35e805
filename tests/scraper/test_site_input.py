"""Site URLs as people type them: checked in one line, credentials split off, scheme noted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archive.columns import web_link
from archive.redact import redact_text, redact_url
from scraper.config import load_config
from scraper.errors import ConfigError
from scraper.site_input import parse_site_input


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("not a url", "is not a URL"),
        ("http://bad host/", "is not a URL"),
        ("", "is not a URL"),
        ("http://127.0.0.1:99999", "invalid port"),
        ("ftp://blog.example.org/", "not an http(s) URL"),
        ("http://", "no host name"),
        ("http://a..b/", "invalid host name"),
        ("http://user:pw@exa mple.org/", "is not a URL"),
    ],
)
def test_a_malformed_url_is_one_config_error(typed: str, says: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(says)) as caught:
        parse_site_input(typed)
    assert caught.value.exit_code == 2
    assert "pw" not in str(caught.value)


def test_credentials_are_split_off_and_the_url_keeps_its_path() -> None:
    site = parse_site_input("HTTP://reader:s%3Acret@Blog.Example.org:8080/news/")
    assert site.url == "http://blog.example.org:8080/news/"
    assert site.auth == ("reader", "s:cret")
    assert site.candidates() == [site.url]


def test_a_url_without_scheme_tries_https_then_http() -> None:
    site = parse_site_input("127.0.0.1:8081/blog")
    assert not site.scheme_given and site.auth is None
    assert site.candidates() == ["https://127.0.0.1:8081/blog", "http://127.0.0.1:8081/blog"]
    assert parse_site_input("bücher.example").url == "https://xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("http://user:secret@host/x", "http://***@host/x"),
        (
            "see https://a@b.example/ and postgresql+psycopg://u:pw@db/x",
            "see https://***@b.example/ and postgresql+psycopg://***@db/x",
        ),
        ("http://host/@name?mail=a@b", "http://host/@name?mail=a@b"),
    ],
)
def test_redaction_hides_every_credential_and_nothing_else(text: str, shown: str) -> None:
    assert redact_text(text) == shown
    if " " not in text:
        assert redact_url(text) == shown


@pytest.mark.parametrize(
    ("link", "kept"),
    [
        ("https://reader.example/", "https://reader.example/"),
        ("javascript:alert(1)", ""),
        (" JavaScript:alert(1)", ""),
        ("data:text/html,<script>", ""),
        ("mailto:a@b.example", ""),
        ("//cdn.example/x", ""),
        ("http:///nohost", ""),
    ],
)
def test_author_links_keep_only_http_urls(link: str, kept: str) -> None:
    assert web_link(link) == kept


@pytest.mark.parametrize(
    ("yaml", "says"),
    [
        ("http:\n  connect_timeout: -1\n", "connect_timeout must be more than 0"),
        ("http:\n  concurrency: 2.9\n", "expected a whole number, not 2.9"),
        ("http:\n  concurrency: true\n", "expected a whole number"),
        ("http:\n  max_retries: -3\n", "max_retries must be at least 0"),
        ("http:\n  rate_limit: .nan\n", "rate_limit must be at least 0"),
        ("crawl:\n  batch_size: 0\n", "batch_size must be at least 1"),
    ],
)
def test_a_config_value_out_of_range_is_one_error(yaml: str, says: str, tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml)
    with pytest.raises(ConfigError, match=says):
        load_config(path)


def test_whole_floats_are_accepted_where_numbers_are_whole(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("http:\n  concurrency: 3.0\n  read_timeout: 5\n")
    config = load_config(path)
    assert (config.http.concurrency, config.http.read_timeout) == (3, 5.0)
