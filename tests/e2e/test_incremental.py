"""The hourly cron job: a second crawl asks only for what changed, and the archive follows the site."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.helpers import crawl_args, export_rows, iso_z, minimal_requests, run_cli

pytestmark = pytest.mark.wordpress

# Changes a visitor would see, made through WordPress's own functions. The post and comment ids
# come from the seeded content: post 15 is the 67-comment "Review: Zodiac", comment 485 the reader
# comment on "Her" (post 56).
CHANGES = r"""
kses_remove_filters();
$edited = wp_update_post(array('ID' => 15, 'post_title' => 'Review: Zodiac (director\'s cut)'), true);
$new_post = wp_insert_post(array(
    'post_title' => 'Fresh review: Past Lives', 'post_status' => 'publish', 'post_author' => 2,
    'post_content' => '<p>Rating: 9/10</p><p>Quietly devastating.</p>',
), true);
$reply = wp_insert_comment(array(
    'comment_post_ID' => 56, 'comment_parent' => 485, 'comment_approved' => 1,
    'comment_author' => 'Late Reader', 'comment_author_url' => 'https://late.example',
    'comment_content' => 'Coming back to this years later.',
));
$pending = wp_insert_comment(array(
    'comment_post_ID' => 56, 'comment_approved' => 0, 'comment_author' => 'Spammy',
    'comment_content' => 'Not yet approved.',
));
echo json_encode(array('post' => $new_post, 'reply' => $reply, 'pending' => $pending));
"""


@pytest.fixture(scope="module")
def changed_site(
    wp_plain: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """Crawl, change the site, crawl again; put the seeded content back afterwards."""
    work = tmp_path_factory.mktemp("incremental")
    db = f"sqlite:///{work / 'archive.db'}"
    wp_plain.mark_log()
    first = run_cli(*crawl_args(wp_plain.url, db))
    full_requests = len(wp_plain.requests())
    try:
        ids = json.loads(wp_plain.php(CHANGES))
        wp_plain.mark_log()
        second = run_cli(*crawl_args(wp_plain.url, db))
        posts, comments = export_rows(db, work / "export")
        yield {
            "first": first,
            "second": second,
            "full_requests": full_requests,
            "requests": wp_plain.requests(),
            "ids": ids,
            "posts": {p["id"]: p for p in posts},
            "comments": {c["id"]: c for c in comments},
            "truth": wp_plain.truth(),
            "sites": run_cli("sites", "--db", db),
        }
    finally:
        wp_plain.reseed()


def test_second_crawl_is_incremental_and_cheap(changed_site: dict[str, Any]) -> None:
    assert "(full)" in changed_site["first"] and "(incremental)" in changed_site["second"]
    api = [
        r
        for r in changed_site["requests"]
        if "rest_route=%2Fwp%2Fv2%2F" in r.path or "rest_route=/wp/v2/" in r.path
    ]
    # One page each: posts modified since the mark, posts published since it (the scheduler),
    # pages, comments. No users or terms (the new post names none the archive lacks), no custom
    # types (sweeps read those), and no discovery or robots.txt (both remembered).
    assert len(api) == 4, [r.path for r in api]
    assert len(changed_site["requests"]) == len(api)
    assert changed_site["full_requests"] >= minimal_requests(changed_site["truth"])


def test_incremental_crawl_sees_new_and_edited_items(changed_site: dict[str, Any]) -> None:
    ids = changed_site["ids"]
    truth_posts = {p["id"]: p for p in changed_site["truth"]["posts"]}
    assert changed_site["posts"][15]["title"] == "Review: Zodiac (director\u2019s cut)"
    assert changed_site["posts"][15]["modified_at"] == iso_z(truth_posts[15]["modified_gmt"])
    new = changed_site["posts"][ids["post"]]
    assert (new["title"], new["rating_value"], new["rating_scale"]) == (
        "Fresh review: Past Lives",
        9,
        10,
    )
    reply = changed_site["comments"][ids["reply"]]
    assert (reply["parent_id"], reply["depth"], reply["root_id"]) == (485, 2, 485)
    assert reply["author_name"] == "Late Reader"
    assert ids["pending"] not in changed_site["comments"]
    assert changed_site["posts"][56]["comment_count"] == 4


def test_the_archive_equals_the_site_after_the_incremental_crawl(
    changed_site: dict[str, Any],
) -> None:
    truth = changed_site["truth"]
    assert set(changed_site["posts"]) == {p["id"] for p in truth["posts"]}
    assert set(changed_site["comments"]) == {c["id"] for c in truth["comments"]}


def test_sites_lists_the_archive(changed_site: dict[str, Any]) -> None:
    lines = changed_site["sites"].splitlines()
    assert len(lines) == 2  # header + one site (not a terminal: tab-separated)
    header, row = (line.split("\t") for line in lines)
    fields = dict(zip(header, row, strict=True))
    truth = changed_site["truth"]
    assert int(fields["posts"]) == sum(p["type"] == "post" for p in truth["posts"])
    assert int(fields["comments"]) == len(truth["comments"])
    assert fields["last_status"] == "ok"
