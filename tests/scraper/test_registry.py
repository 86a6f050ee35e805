"""The source registry: a source registered from outside reaches the CLI, config and auto chain."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses

from archive.records import CrawlState, PostRecord, Record, SiteRecord
from scraper.config import load_config
from scraper.crawl.plan import plan_sources
from scraper.discover import Discovery
from scraper.errors import ConfigError
from scraper.http import HttpClient
from scraper.sources.registry import SOURCES, SourceSpec, Verdict, register_source
from tests.scraper.test_crawl import HOME_PAGE, run
from tests.scraper.test_rest_source import HOME, ROOT

TITLES = ("Remembered", "Also remembered")


class MemorySource:
    """Two posts from memory, no network."""

    name = "memory"

    def fetch_records(self, state: CrawlState) -> Iterator[Record]:
        for wp_id, title in enumerate(TITLES, start=1):
            yield PostRecord(wp_id, "post", f"{HOME}/?p={wp_id}", title, source=self.name)


def build_memory(client: HttpClient, found: Discovery, workers: int) -> MemorySource:
    return MemorySource()


def memory_usable(found: Discovery) -> Verdict:
    """Usable only where discovery found a feed, to show the predicate decides."""
    return Verdict(found.feed_url is not None, "memory: no feed to remember")


@pytest.fixture
def memory() -> Iterator[SourceSpec]:
    spec = register_source(SourceSpec("memory", "from memory", build_memory, memory_usable))
    yield spec
    del SOURCES["memory"]


def discovery(feed_url: str | None) -> Discovery:
    return Discovery(home=HOME, site=SiteRecord(url=HOME), feed_url=feed_url)


def test_a_registered_source_is_in_the_crawl_help(memory: SourceSpec) -> None:
    result = run("crawl", "--help")
    assert result.exit_code == 0
    assert "auto|rest|wpcom|feed|html|memory" in result.output


def test_config_accepts_a_registered_source_and_lists_the_registry_for_others(
    memory: SourceSpec, tmp_path: Path
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("crawl:\n  source: memory\n")
    assert load_config(config).crawl.source == "memory"
    config.write_text("crawl:\n  source: mem\n")
    with pytest.raises(ConfigError) as raised:
        load_config(config)
    assert str(raised.value) == (
        f"{config}: source must be one of auto, rest, wpcom, feed, html, memory, not 'mem'"
    )


def test_the_auto_chain_asks_the_registered_source(memory: SourceSpec) -> None:
    found = discovery(feed_url=f"{HOME}/feed/")
    assert plan_sources(found, "auto") == (["feed", "html", "memory"], ["REST: not found"])
    without_feed = discovery(feed_url=None)
    assert plan_sources(without_feed, "auto") == (
        ["feed", "html"],
        ["REST: not found", "memory: no feed to remember"],
    )


@responses.activate
def test_cli_crawls_through_a_registered_source(memory: SourceSpec, tmp_path: Path) -> None:
    responses.get(f"{HOME}/", body=HOME_PAGE, content_type="text/html")
    responses.get(ROOT, json={"name": "Blog", "home": HOME, "namespaces": ["wp/v2"]})
    responses.get(f"{HOME}/robots.txt", status=404)
    db = tmp_path / "a.db"
    args = ("crawl", HOME, "--db", str(db), "--source", "memory", "--rate-limit", "0")
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert "via memory (full) | 2 posts" in result.output
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT wp_id, title, source FROM posts ORDER BY wp_id").fetchall()
    assert rows == [(1, TITLES[0], "memory"), (2, TITLES[1], "memory")]


def test_an_unknown_source_is_refused_with_the_registry_names(tmp_path: Path) -> None:
    result = run("crawl", HOME, "--db", str(tmp_path / "a.db"), "--source", "memory")
    assert result.exit_code != 0
    assert "source must be one of auto, rest, wpcom, feed, html, not 'memory'" in result.output
