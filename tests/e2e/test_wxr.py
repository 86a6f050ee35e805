"""WXR against WordPress itself: crawl the `rest` site, write our WXR, compare it item by item with
the file core's own export_wp() makes of the same site.

Differences accepted, because the public site cannot show them: author emails, first and last
names, logins (ours are the public nicenames, which equal the logins here), comment author emails
and IPs, post passwords, the content of password-protected posts, and hidden posts and comments
(drafts, pending, trash) that core exports and no visitor can see. Texts are compared as text:
ours come from the rendered page (texturized quotes, sanitized HTML), core's are the raw source.
"""

from __future__ import annotations

import html
from typing import Any

import pytest

from archive.db import open_archive
from archive.export.wxr import export_wxr
from tests.e2e.helpers import as_text, crawl_args, run_cli
from tests.wordpress.harness import HERE
from tests.wxr_reader import read_wxr

pytestmark = pytest.mark.wordpress

SAME_ITEM_FIELDS = [
    "link",
    "post_name",
    "status",
    "post_type",
    "post_date",
    "post_date_gmt",
    "post_modified",
    "post_modified_gmt",
    "pubDate",
    "post_parent",
    "menu_order",
    "is_sticky",
    "comment_status",
    "ping_status",
    "guid",
    "creator",
]
SAME_COMMENT_FIELDS = [
    "comment_author",
    "comment_author_url",
    "comment_date",
    "comment_date_gmt",
    "comment_approved",
    "comment_type",
    "comment_user_id",
]


@pytest.fixture(scope="module")
def exports(wp_rest: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Our WXR of a fresh crawl of the `rest` site, core's export_wp() of it, and the truth."""
    work = tmp_path_factory.mktemp("wxr")
    db = f"sqlite:///{work / 'archive.db'}"
    run_cli(*crawl_args(wp_rest.url, db))
    engine = open_archive(db)
    try:
        counts = export_wxr(engine, work / "site.wxr", wp_rest.url)
    finally:
        engine.dispose()
    core = wp_rest.php(f"require {str(HERE / 'export_wp.php')!r};")
    return {
        "ours": read_wxr(work / "site.wxr"),
        "core": read_wxr(core.encode("utf-8")),
        "counts": counts,
        "truth": wp_rest.truth(),
    }


def public_core_items(exports: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Core's items an anonymous visitor can see: published posts, pages and public custom
    types (core exports menu items and attachments too, which no crawl reads)."""
    public = {p["type"] for p in exports["truth"]["posts"]}
    return {
        post_id: item
        for post_id, item in exports["core"]["items"].items()
        if item["status"] == "publish" and item["post_type"] in public
    }


def test_the_same_posts_and_pages_with_the_same_fields(exports: dict[str, Any]) -> None:
    core, ours = public_core_items(exports), exports["ours"]["items"]
    assert set(ours) == set(core)
    assert exports["counts"].items == len(core)
    for post_id, want in core.items():
        got = ours[post_id]
        assert {f: got[f] for f in SAME_ITEM_FIELDS} == {f: want[f] for f in SAME_ITEM_FIELDS}
        assert as_text(got["title"]) == as_text(want["title"])
        assert got["terms"] == {(d, s, html.unescape(n)) for d, s, n in want["terms"]}
        assert got["post_password"] == ""
        if not want["post_password"]:  # REST does not show a protected post's content
            assert as_text(got["content"]) == as_text(want["content"]), post_id
    pages = [item for item in core.values() if item["post_type"] == "page"]
    assert any(item["post_parent"] != "0" for item in pages)  # the parent links were compared


def test_excerpts_are_the_authors_own(exports: dict[str, Any]) -> None:
    """WordPress's automatic excerpts are left out, as core leaves them out (post_excerpt empty)."""
    ours = exports["ours"]["items"]
    written = 0
    for post_id, want in public_core_items(exports).items():
        got = ours[post_id]["excerpt"]
        assert as_text(got) == as_text(want["excerpt"]), post_id
        written += bool(got)
    assert written > 0


def test_the_same_terms_with_parents_before_children(exports: dict[str, Any]) -> None:
    ours, core = exports["ours"], exports["core"]
    assert _terms(ours["categories"]) == _terms(core["categories"])
    assert _terms(ours["tags"]) == _terms(core["tags"])
    seen: set[str] = set()
    for category in ours["categories"]:
        assert not category["category_parent"] or category["category_parent"] in seen
        seen.add(category["category_nicename"])
    assert any(c["category_parent"] for c in ours["categories"])


def _terms(rows: list[dict[str, str]]) -> set[tuple[tuple[str, str], ...]]:
    return {tuple(sorted((k, html.unescape(v)) for k, v in row.items())) for row in rows}


def test_the_same_authors_of_public_posts(exports: dict[str, Any]) -> None:
    creators = {item["creator"] for item in public_core_items(exports).values()}
    core = [a for a in exports["core"]["authors"] if a["author_login"] in creators]
    keys = ("author_id", "author_login", "author_display_name")
    assert sorted(tuple(a[k] for k in keys) for a in exports["ours"]["authors"]) == sorted(
        tuple(a[k] for k in keys) for a in core
    )


def test_the_same_approved_comments_with_parents_written_first(exports: dict[str, Any]) -> None:
    truth, ours = exports["truth"], exports["ours"]["items"]
    orphans = set(map(str, truth["orphan_comment_ids"]))
    compared = 0
    for post_id, item in public_core_items(exports).items():
        if item["post_password"]:
            continue  # WordPress hides these comments from visitors
        core = {
            c["comment_id"]: c
            for c in item["comments"]
            if c["comment_approved"] == "1" and c["comment_type"] == "comment"  # no pings
        }
        got = ours[post_id]["comments"]
        assert [c["comment_id"] for c in got] == sorted(core, key=int)
        written: set[str] = set()
        for comment in got:
            want = core[comment["comment_id"]]
            assert {f: comment[f] for f in SAME_COMMENT_FIELDS} == {
                f: want[f] for f in SAME_COMMENT_FIELDS
            }
            expected_parent = "0" if comment["comment_id"] in orphans else want["comment_parent"]
            assert comment["comment_parent"] == expected_parent
            assert comment["comment_parent"] == "0" or comment["comment_parent"] in written
            assert as_text(comment["comment_content"]) == as_text(want["comment_content"])
            assert (comment["comment_author_email"], comment["comment_author_IP"]) == ("", "")
            written.add(comment["comment_id"])
            compared += 1
    assert compared == len(truth["comments"]) == exports["counts"].comments
    assert orphans and any(c["comment_parent"] != "0" for i in ours.values() for c in i["comments"])


def test_the_channel_names_the_site(exports: dict[str, Any]) -> None:
    ours, core = exports["ours"]["channel"], exports["core"]["channel"]
    keys = (
        "title",
        "link",
        "description",
        "wp:wxr_version",
        "wp:base_site_url",
        "wp:base_blog_url",
    )
    assert {k: ours[k] for k in keys} == {k: core[k] for k in keys}
