"""End to end through the REST API: crawl the real WordPress, compare the export with its own database."""

from __future__ import annotations

import math
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import (
    crawl_args,
    export_rows,
    iso_z,
    minimal_requests,
    rethread_changes,
    run_cli,
    spawn_crawl,
    truth_depths,
)
from tests.recorded import seed_lines

pytestmark = pytest.mark.wordpress


@pytest.fixture(scope="module")
def crawled(wp_rest: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One full crawl of the `rest` site, its export, the server's log of it, and the truth."""
    work = tmp_path_factory.mktemp("rest")
    db = f"sqlite:///{work / 'archive.db'}"
    wp_rest.mark_log()
    output = run_cli(*crawl_args(wp_rest.url, db))
    logged = wp_rest.requests()
    posts, comments = export_rows(db, work / "export")
    return {
        "db": db,
        "work": work,
        "output": output,
        "requests": logged,
        "posts": {p["id"]: p for p in posts},
        "comments": {c["id"]: c for c in comments},
        "truth": wp_rest.truth(),
    }


def test_every_public_post_and_page_and_nothing_else(crawled: dict[str, Any]) -> None:
    truth = crawled["truth"]
    expected = {p["id"]: p for p in truth["posts"]}
    assert set(crawled["posts"]) == set(expected)
    assert not set(crawled["posts"]) & set(truth["hidden_post_ids"])
    for wp_id, want in expected.items():
        got = crawled["posts"][wp_id]
        assert (got["type"], got["slug"], got["url"]) == (want["type"], want["slug"], want["link"])
        assert got["title"] == want["title"]
        assert got["published_at"] == iso_z(want["date_gmt"])
        assert got["modified_at"] == iso_z(want["modified_gmt"])
        assert got["author"] == want["author_name"]
        assert sorted(got["categories"]) == sorted(want["categories"])
        assert sorted(got["tags"]) == sorted(want["tags"])
        assert "<script" not in got["content_html"]


def test_every_approved_comment_with_its_parent_depth_and_root(crawled: dict[str, Any]) -> None:
    truth = crawled["truth"]
    expected = {c["id"]: c for c in truth["comments"]}
    assert set(crawled["comments"]) == set(expected)
    assert not set(crawled["comments"]) & set(truth["hidden_comment_ids"])
    depths = truth_depths(truth["comments"])
    for wp_id, want in expected.items():
        got = crawled["comments"][wp_id]
        assert got["post_id"] == want["post"]
        assert got["parent_id"] == (want["parent"] or None)
        assert (got["depth"], got["root_id"]) == depths[wp_id]
        assert got["author_name"] == want["author_name"]
        assert got["author_url"] == want["author_url"]
        assert got["published_at"] == iso_z(want["date_gmt"])
        assert got["is_orphan"] == (wp_id in truth["orphan_comment_ids"])
        assert got["parent_inferred"] is False
    assert max(d for d, _ in depths.values() if d) >= 5
    assert len(truth["orphan_comment_ids"]) >= 3


def test_the_batches_threaded_every_comment_as_a_full_pass_would(crawled: dict[str, Any]) -> None:
    """The crawl runs no full threading pass at its end: its batches must leave none to do."""
    assert rethread_changes(crawled["db"]) == 0


def test_comment_counts_match(crawled: dict[str, Any]) -> None:
    per_post: dict[int, int] = {}
    for comment in crawled["truth"]["comments"]:
        per_post[comment["post"]] = per_post.get(comment["post"], 0) + 1
    for wp_id, post in crawled["posts"].items():
        assert post["comment_count"] == per_post.get(wp_id, 0)


def test_seeded_ratings_are_exact_and_decoys_have_none(crawled: dict[str, Any]) -> None:
    checked = decoys = 0
    for want in crawled["truth"]["posts"]:
        expected = want.get("expected_rating")
        got = crawled["posts"][want["id"]]
        if expected == "none":
            assert got["rating_value"] is None, (want["title"], got["rating_text"])
            decoys += 1
        elif isinstance(expected, dict) and not want.get("jsonld"):
            # JSON-LD lives in the page head, which the REST API does not serve.
            assert (got["rating_value"], got["rating_scale"]) == (
                expected["value"],
                expected["scale"],
            ), want["title"]
            checked += 1
    assert checked >= 12 and decoys >= 5


def test_the_seed_review_has_its_exact_shape(crawled: dict[str, Any]) -> None:
    lines = seed_lines()
    body, reader, replies = lines[:8], lines[8:12], lines[12:]
    (post,) = [p for p in crawled["posts"].values() if p["title"] == "Her"]
    assert post["content_text"] == "\n\n".join(body)
    assert "<p>10/10</p>" in post["content_html"]
    assert (post["rating_value"], post["rating_scale"], post["rating_normalized"]) == (10, 10, 1.0)
    thread = sorted(
        (c for c in crawled["comments"].values() if c["post_id"] == post["id"]),
        key=lambda c: (c["published_at"], c["id"]),
    )
    assert len(thread) == 3
    top, first, second = thread
    assert top["parent_id"] is None and top["depth"] == 1
    assert top["content_text"] == "\n\n".join(reader)
    assert top["author_url"].startswith("https://manjameximovie3.wordpress.com")
    for reply, text in ((first, replies[0]), (second, replies[1])):
        assert (
            reply["parent_id"] == top["id"]
            and reply["depth"] == 2
            and reply["root_id"] == top["id"]
        )
        assert reply["content_text"] == text
        assert reply["author_name"] == post["author"]


def test_the_crawl_made_only_the_minimal_requests(crawled: dict[str, Any]) -> None:
    logged = crawled["requests"]
    truth = crawled["truth"]
    api = [r for r in logged if "/wp-json/wp/v2/" in r.path]
    assert all(r.status == 200 for r in logged), [r for r in logged if r.status != 200]
    assert len(api) == minimal_requests(truth)
    assert len(logged) - len(api) <= 5  # discovery: robots.txt, home page, API index
    per_page = [r for r in api if "per_page=100" in r.path]
    assert len(per_page) == len(api) - 1  # all but /wp/v2/types, one document
    assert math.ceil(len(truth["comments"]) / 100) == sum("/comments" in r.path for r in api)


def test_crawling_twice_gives_an_identical_archive(crawled: dict[str, Any], wp_rest: Any) -> None:
    run_cli(*crawl_args(wp_rest.url, crawled["db"], "--full"))
    again = crawled["work"] / "again"
    export_rows(crawled["db"], again)
    for name in ("posts.jsonl", "comments.jsonl"):
        assert (again / name).read_bytes() == (crawled["work"] / "export" / name).read_bytes()


def test_a_killed_crawl_leaves_a_consistent_archive(
    crawled: dict[str, Any], wp_rest: Any, tmp_path: Path
) -> None:
    copy = tmp_path / "killed.db"
    # SQLite's backup API, not a file copy: the last writes may still be in the WAL file.
    with (
        sqlite3.connect(crawled["db"].removeprefix("sqlite:///")) as original,
        sqlite3.connect(copy) as target,
    ):
        original.backup(target)
    db = f"sqlite:///{copy}"
    # Rate-limited so that the kill lands midway: 5 requests a second over ~20 requests.
    wp_rest.mark_log()
    log = tmp_path / "killed.log"
    process = spawn_crawl(wp_rest.url, db, log, "--full", "--rate-limit", "5")
    deadline = time.monotonic() + 30
    while len(wp_rest.requests()) < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.kill()
    process.wait()
    made = len(wp_rest.requests())
    assert 8 <= made < minimal_requests(crawled["truth"]) + 3, log.read_text()
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    posts, comments = export_rows(db, tmp_path / "after-kill")
    assert {p["id"]: p for p in posts} == crawled["posts"]
    assert {c["id"]: c for c in comments} == crawled["comments"]
    # The next crawl takes over the dead crawl's lease at once and completes the job.
    output = run_cli(*crawl_args(wp_rest.url, db))
    assert ": ok |" in output, output
    posts, comments = export_rows(db, tmp_path / "resumed")
    assert {c["id"] for c in comments} == set(crawled["comments"])
