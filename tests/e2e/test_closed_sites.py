"""End to end with the REST API closed: feeds + post HTML on a classic and a block theme, against the truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.helpers import (
    crawl_args,
    export_rows,
    iso_z,
    rethread_changes,
    run_cli,
    truth_depths,
)

pytestmark = pytest.mark.wordpress

# Each closed site, and the open site with the same content and permalink structure.
# Each closed site, and the open site with the same content and permalink structure.
CLOSED_SITES = {"wp_closed_classic": "wp_plain", "wp_closed_block": "wp_rest"}
SEED_COMMENT_FIELDS = (
    "id",
    "post_id",
    "parent_id",
    "depth",
    "root_id",
    "author_name",
    "author_url",
    "published_at",
    "content_text",
)
SEED_POST_FIELDS = (
    "id",
    "type",
    "title",
    "author",
    "published_at",
    "categories",
    "tags",
    "content_text",
    "rating_value",
    "rating_scale",
    "rating_normalized",
)


def crawl_and_export(site: Any, work: Path, *extra: str) -> dict[str, Any]:
    db = f"sqlite:///{work / 'archive.db'}"
    output = run_cli(*crawl_args(site.url, db, *extra))
    posts, comments = export_rows(db, work / "export")
    return {
        "db": db,
        "output": output,
        "posts": {p["id"]: p for p in posts},
        "comments": {c["id"]: c for c in comments},
        "truth": site.truth(),
    }


@pytest.fixture(scope="module", params=sorted(CLOSED_SITES))
def closed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    site = request.getfixturevalue(request.param)
    crawled = crawl_and_export(site, tmp_path_factory.mktemp(request.param))
    crawled["name"] = request.param
    return crawled


@pytest.fixture(scope="module")
def through_rest(
    closed: dict[str, Any], request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The same content crawled through REST on the open site with the same permalinks."""
    name = CLOSED_SITES[closed["name"]]
    return crawl_and_export(request.getfixturevalue(name), tmp_path_factory.mktemp(name))


def path_of(url: str) -> str:
    """A URL without scheme and host: the closed and open sites differ only there."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def test_the_fallback_explains_itself(closed: dict[str, Any]) -> None:
    assert "401 rest_login_required" in closed["output"]
    assert "using feeds + HTML" in closed["output"]
    assert {p["source"] for p in closed["posts"].values()} <= {"feed", "html"}


def test_every_public_post_and_page_and_nothing_hidden(closed: dict[str, Any]) -> None:
    truth = closed["truth"]
    expected = {p["id"]: p for p in truth["posts"]}
    assert set(closed["posts"]) == set(expected)
    assert not set(closed["posts"]) & set(truth["hidden_post_ids"])
    for wp_id, want in expected.items():
        got = closed["posts"][wp_id]
        assert (got["type"], got["url"], got["title"]) == (
            want["type"],
            want["link"],
            want["title"],
        )
        if want["type"] == "post":
            assert got["author"] == want["author_name"]
            assert got["published_at"] == iso_z(want["date_gmt"])
        else:  # block themes print no byline or date on pages
            assert got["author"] in (None, want["author_name"])


def test_approved_comments_with_author_date_and_text(closed: dict[str, Any]) -> None:
    truth = closed["truth"]
    # Orphans (replies to a pending or spam comment) are not in WordPress's threaded HTML.
    visible = {c["id"]: c for c in truth["comments"] if c["id"] not in truth["orphan_comment_ids"]}
    assert not set(closed["comments"]) & set(truth["hidden_comment_ids"])
    assert set(closed["comments"]) <= set(visible) | set(truth["orphan_comment_ids"])
    complete = [
        wp_id
        for wp_id, want in visible.items()
        if (got := closed["comments"].get(wp_id)) is not None
        and got["author_name"] == want["author_name"]
        and got["published_at"] == iso_z(want["date_gmt"])
        and got["content_text"]
    ]
    assert len(complete) >= 0.99 * len(visible), len(visible) - len(complete)


def test_parents_exact_or_flagged_inferred(closed: dict[str, Any]) -> None:
    truth = closed["truth"]
    want = {c["id"]: c for c in truth["comments"]}
    depth_limit = truth["settings"]["thread_comments_depth"]
    depths = truth_depths(truth["comments"])
    wrong_unflagged = []
    for wp_id, got in closed["comments"].items():
        true_parent = want[wp_id]["parent"] or None
        if got["parent_id"] != true_parent and not got["parent_inferred"]:
            wrong_unflagged.append(wp_id)
        true_depth = depths[wp_id][0]
        if true_depth is not None and true_depth < depth_limit:
            assert got["parent_id"] == true_parent, wp_id  # within the thread depth: exact
    assert wrong_unflagged == []


def test_the_batches_threaded_every_comment_as_a_full_pass_would(closed: dict[str, Any]) -> None:
    """Post pages come in any order, and replies before their parents: the crawl's batches
    still leave a full threading pass nothing to change (the crawl runs none at its end)."""
    assert rethread_changes(closed["db"]) == 0


def test_the_seed_review_matches_the_rest_archive(
    closed: dict[str, Any], through_rest: dict[str, Any]
) -> None:
    (her,) = [p for p in through_rest["posts"].values() if p["title"] == "Her"]
    got = closed["posts"][her["id"]]
    assert {f: got[f] for f in SEED_POST_FIELDS} == {f: her[f] for f in SEED_POST_FIELDS}
    assert path_of(got["url"]) == path_of(her["url"])
    if "?p=" not in her["url"]:  # plain permalinks show the slug nowhere a visitor can see
        assert got["slug"] == her["slug"]
    rest_thread = {
        c["id"]: c for c in through_rest["comments"].values() if c["post_id"] == her["id"]
    }
    html_thread = {c["id"]: c for c in closed["comments"].values() if c["post_id"] == her["id"]}
    assert set(html_thread) == set(rest_thread) and len(rest_thread) == 3
    for wp_id, reference in rest_thread.items():
        assert {f: html_thread[wp_id][f] for f in SEED_COMMENT_FIELDS} == {
            f: reference[f] for f in SEED_COMMENT_FIELDS
        }


def test_json_ld_ratings_are_found_in_the_page_head(closed: dict[str, Any]) -> None:
    checked = 0
    for want in closed["truth"]["posts"]:
        expected = want.get("expected_rating")
        got = closed["posts"][want["id"]]
        if expected == "none":
            assert got["rating_value"] is None, want["title"]
        elif isinstance(expected, dict):
            assert (got["rating_value"], got["rating_scale"]) == (
                expected["value"],
                expected["scale"],
            )
            checked += 1
    assert checked >= 15


def test_forced_html_source_reads_the_site_from_its_sitemap(
    wp_closed_block: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    crawled = crawl_and_export(
        wp_closed_block, tmp_path_factory.mktemp("html-only"), "--source", "html"
    )
    truth = crawled["truth"]
    assert "via html (full)" in crawled["output"]
    assert set(crawled["posts"]) == {p["id"] for p in truth["posts"]}
    want = {c["id"]: c for c in truth["comments"]}
    visible = set(want) - set(truth["orphan_comment_ids"])
    assert set(crawled["comments"]) == visible
    for wp_id, got in crawled["comments"].items():
        assert got["source"] == "html"
        assert got["parent_id"] == (want[wp_id]["parent"] or None) or got["parent_inferred"]
