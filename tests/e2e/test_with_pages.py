"""`--with-pages` on the REST site: each post's page is read for a rating only its head's JSON-LD
holds (the REST API serves no head), at one request per post that REST gave no rating."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import crawl_args, export_rows, run_cli

pytestmark = pytest.mark.wordpress


def crawl(site: Any, work: Path, *extra: str) -> tuple[dict[int, dict[str, Any]], int]:
    """A first crawl into a fresh archive: exported posts by id, and the requests it made."""
    work.mkdir()
    db = f"sqlite:///{work / 'archive.db'}"
    site.mark_log()
    run_cli(*crawl_args(site.url, db, *extra))
    requests = len(site.requests())
    posts, _ = export_rows(db, work / "export")
    return {p["id"]: p for p in posts}, requests


def test_with_pages_finds_head_ratings_for_one_request_per_unrated_post(
    wp_rest: Any, tmp_path: Path
) -> None:
    truth = {p["id"]: p for p in wp_rest.truth()["posts"]}
    plain, plain_requests = crawl(wp_rest, tmp_path / "plain")
    paged, paged_requests = crawl(wp_rest, tmp_path / "paged", "--with-pages")
    head_only = [i for i, p in truth.items() if p.get("jsonld")]
    assert len(head_only) >= 3
    for wp_id in head_only:
        want = truth[wp_id]["expected_rating"]
        assert plain[wp_id]["rating_value"] is None  # REST cannot see the head
        got = paged[wp_id]
        assert (got["rating_value"], got["rating_scale"], got["rating_source"]) == (
            want["value"],
            want["scale"],
            "json-ld",
        ), truth[wp_id]["title"]
    # Every other rating is the same either way, and nothing else changes.
    for wp_id, row in plain.items():
        if wp_id not in head_only:
            assert paged[wp_id] == row, wp_id
    unrated = sum(1 for row in plain.values() if row["rating_value"] is None)
    assert paged_requests - plain_requests == unrated
