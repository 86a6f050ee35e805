"""`wparchive reparse`: today's parsers over the stored raw items, no network, through the save
path: a parser change updates the rows it affects and adds one version each, once."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from archive.db import open_archive
from archive.store import ArchiveStore
from scraper import reparse
from scraper.sources.registry import archive_traits
from tests.hostile import content
from tests.hostile.runner import FAST_CONFIG, run_wparchive
from tests.hostile.server import HostileSite


@pytest.fixture
def archived(tmp_path: Path) -> Path:
    """A REST crawl of a loopback site, after which the site is gone (no network to reparse)."""
    (tmp_path / "config.yaml").write_text(FAST_CONFIG)
    db = tmp_path / "archive.db"
    with HostileSite() as site:
        run = run_wparchive(
            tmp_path, "crawl", site.url, "--db", str(db), "--config", str(tmp_path / "config.yaml")
        )
    assert run.exit == 0, run.stderr
    return db


def rows(db: Path, sql: str) -> list[Any]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_a_parser_change_reaches_old_rows_once_with_a_version_each(
    archived: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ArchiveStore(open_archive(f"sqlite:///{archived}"), traits=archive_traits())
    versions = rows(archived, "SELECT count(*) FROM post_versions")[0][0]
    comments_before = rows(archived, "SELECT wp_id, content_text FROM comments ORDER BY wp_id")
    stored = "SELECT wp_id, raw, record_hash FROM comments ORDER BY wp_id"
    raw_before = rows(archived, stored)
    original = reparse.parse_rest_post

    def shouting(*args: Any, **kwargs: Any) -> Any:  # a "fixed" parser: titles upper-cased
        record = original(*args, **kwargs)
        return dataclasses.replace(record, title=record.title.upper())

    monkeypatch.setattr(reparse, "parse_rest_post", shouting)
    (first,) = reparse.reparse_sites(store)
    assert first.read == {"post": content.POSTS, "comment": content.COMMENTS}
    assert first.changed == {"post": content.POSTS, "comment": 0}
    titles = [title for (title,) in rows(archived, "SELECT title FROM posts")]
    assert titles and all(title == title.upper() for title in titles)
    assert rows(archived, "SELECT count(*) FROM post_versions")[0][0] == versions + content.POSTS
    # The same parser again: nothing changes, no version.
    (again,) = reparse.reparse_sites(store)
    # Comments, parsed alike both times, keep the text their responses sent, and their
    # fingerprints: a reparse rewrites no unchanged row.
    assert rows(archived, stored) == raw_before
    assert again.changed == {"post": 0, "comment": 0}
    assert rows(archived, "SELECT count(*) FROM post_versions")[0][0] == versions + content.POSTS
    assert rows(archived, "SELECT wp_id, content_text FROM comments ORDER BY wp_id") == (
        comments_before
    )
    # A reparse is a run of its own that moves no high-water mark.
    runs = rows(archived, "SELECT mode, status, requests FROM crawl_runs ORDER BY id")
    assert runs[1:] == [("reparse", "ok", 0), ("reparse", "ok", 0)]


def test_the_command_reparses_with_no_network(archived: Path, tmp_path: Path) -> None:
    run = run_wparchive(tmp_path, "reparse", "--db", str(archived))
    assert run.exit == 0, run.stderr
    (line,) = run.stdout.strip().splitlines()
    assert f"reparsed {content.POSTS} posts and pages, {content.COMMENTS} comments" in line
    assert "| 0 changed" in line
    missing = run_wparchive(tmp_path, "reparse", "--db", str(archived), "--site", "http://x.test")
    assert missing.exit == 2 and "no archived site" in missing.stderr
