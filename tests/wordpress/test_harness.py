"""Checks of the WordPress harness itself: seeded content, hidden items, REST open/closed, logging."""

from __future__ import annotations

import collections
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.recorded import SEED_FILE
from tests.wordpress.harness import HarnessUnavailable, WordPressSite
from tests.wordpress.pool import SitePool

SEED_TEXT = SEED_FILE
API_LINK = 'rel="https://api.w.org/"'


@pytest.fixture(scope="module")
def rest_truth(wp_rest: WordPressSite) -> dict[str, Any]:
    return wp_rest.truth()


def _post(truth: dict[str, Any], title: str) -> dict[str, Any]:
    return next(p for p in truth["posts"] if p["title"] == title)


def _paragraphs(html: str) -> list[str]:
    return [p.split("</p>")[0] for p in html.split("<p>")[1:]]


def test_seed_post_body_is_the_review_with_rating_first(rest_truth: dict[str, Any]) -> None:
    her = _post(rest_truth, "Her")
    paragraphs = _paragraphs(her["content_raw"])
    assert len(paragraphs) == 8
    assert paragraphs[0] == "10/10"
    assert paragraphs[1].startswith("From the mind of Spike Jonze.")
    assert "It’s one of those rare examples" in paragraphs[1]  # curly quote kept
    assert paragraphs[7].endswith("as much as I did.")
    assert her["expected_rating"] == {"value": 10, "scale": 10, "found_in": "text"}
    assert her["author_name"] == "Jordan Reeve"


def test_seed_post_text_is_the_shared_seed_file(rest_truth: dict[str, Any]) -> None:
    lines = SEED_TEXT.read_text().strip().split("\n")
    truth = rest_truth
    her = _post(truth, "Her")
    comments = sorted(
        (c for c in truth["comments"] if c["post"] == her["id"]), key=lambda c: c["id"]
    )
    assert _paragraphs(her["content_raw"]) == lines[:8]
    assert comments[0]["content_raw"].split("\n\n") == lines[8:12]
    assert [c["content_raw"] for c in comments[1:]] == lines[12:14]


def test_seed_post_has_one_reader_comment_and_two_author_replies(
    rest_truth: dict[str, Any],
) -> None:
    truth = rest_truth
    her = _post(truth, "Her")
    comments = sorted(
        (c for c in truth["comments"] if c["post"] == her["id"]), key=lambda c: c["id"]
    )
    reader, *replies = comments
    assert (reader["parent"], reader["author_name"], reader["user_id"]) == (0, "Manja Mexi", 0)
    assert reader["author_url"] == "https://manjameximovie3.wordpress.com"
    paragraphs = reader["content_raw"].split("\n\n")
    assert len(paragraphs) == 4
    assert (
        paragraphs[3]
        == "https://manjameximovie3.wordpress.com/2018/03/28/flash-mexi-movie-reviews/"
    )
    assert [r["parent"] for r in replies] == [reader["id"], reader["id"]]
    assert {(r["user_id"], r["author_name"]) for r in replies} == {(her["author"], "Jordan Reeve")}
    assert all(r["date_gmt"] > reader["date_gmt"] for r in replies)
    assert replies[1]["content_raw"].endswith("as well 🙂")


def test_rest_comments_of_seed_post_match_truth(
    wp_rest: WordPressSite, rest_truth: dict[str, Any]
) -> None:
    her = _post(rest_truth, "Her")
    got = requests.get(
        f"{wp_rest.url}/wp-json/wp/v2/comments", {"post": her["id"]}, timeout=30
    ).json()
    truth = [(c["id"], c["parent"]) for c in rest_truth["comments"] if c["post"] == her["id"]]
    assert sorted((c["id"], c["parent"]) for c in got) == sorted(truth)


def test_counts_meet_targets(rest_truth: dict[str, Any]) -> None:
    truth = rest_truth
    kinds = collections.Counter(p["type"] for p in truth["posts"])
    assert kinds["post"] >= 150
    assert kinds["page"] >= 10
    assert any(p["parent"] for p in truth["posts"] if p["type"] == "page")
    assert sum(p["password_protected"] for p in truth["posts"]) == 1
    comments = truth["comments"]
    assert len(comments) >= 1000
    assert max(c["depth"] for c in comments) >= 7
    per_post = collections.Counter(c["post"] for c in comments)
    assert sum(1 for n in per_post.values() if n >= 25) >= 5
    assert sum(1 for c in comments if c["user_id"]) >= 50
    assert 0 < sum(1 for c in comments if c["author_url"]) < len(comments)
    assert len(truth["orphan_comment_ids"]) >= 3
    assert len(truth["users"]) == 4
    taxonomies = collections.Counter(t["taxonomy"] for t in truth["terms"])
    assert taxonomies["category"] >= 8 and taxonomies["post_tag"] >= 20


def test_hidden_statuses_are_seeded(wp_rest: WordPressSite, rest_truth: dict[str, Any]) -> None:
    out = wp_rest.php(
        "global $wpdb; echo wp_json_encode(array("
        "'posts' => $wpdb->get_results(\"SELECT post_status s, COUNT(*) n FROM $wpdb->posts"
        " WHERE post_type IN ('post','page') GROUP BY post_status\", OBJECT_K),"
        "'comments' => $wpdb->get_results(\"SELECT CONCAT(comment_approved, '/', comment_type) s,"
        ' COUNT(*) n FROM $wpdb->comments GROUP BY s", OBJECT_K)));'
    )
    counts = {
        kind: {k: int(v["n"]) for k, v in rows.items()} for kind, rows in json.loads(out).items()
    }
    assert {k: counts["posts"][k] for k in ("draft", "private", "pending", "future", "trash")} == {
        "draft": 6,
        "private": 6,
        "pending": 3,
        "future": 2,
        "trash": 2,
    }
    comments = counts["comments"]
    assert comments["0/comment"] == 20 and comments["spam/comment"] == 20
    assert comments["trash/comment"] == 5 and comments["1/pingback"] == 5
    assert comments["post-trashed/comment"] == 3
    assert len(rest_truth["hidden_comment_ids"]) == sum(comments.values()) - len(
        rest_truth["comments"]
    )


def test_hidden_posts_are_404_and_orphans_hang_on_hidden_parents(
    wp_rest: WordPressSite, rest_truth: dict[str, Any]
) -> None:
    truth = rest_truth
    for post_id in truth["hidden_post_ids"][:6]:
        assert requests.get(wp_rest.url + "/", {"p": post_id}, timeout=30).status_code == 404
    visible = {c["id"] for c in truth["comments"]}
    hidden = set(truth["hidden_comment_ids"])
    parents = {c["id"]: c["parent"] for c in truth["comments"]}
    assert all(
        parents[o] in hidden and parents[o] not in visible for o in truth["orphan_comment_ids"]
    )


def test_orphans_are_in_rest_but_not_in_the_threaded_html(
    wp_rest: WordPressSite, rest_truth: dict[str, Any]
) -> None:
    """WordPress's walker drops approved replies to hidden parents; REST still lists them."""
    parents = {c["id"]: c for c in rest_truth["comments"]}
    orphan = parents[rest_truth["orphan_comment_ids"][0]]
    post = next(p for p in rest_truth["posts"] if p["id"] == orphan["post"])
    html = requests.get(post["link"], timeout=30).text
    rest = requests.get(
        f"{wp_rest.url}/wp-json/wp/v2/comments", {"post": post["id"], "per_page": 100}, timeout=30
    ).json()
    assert f'id="comment-{orphan["id"]}"' not in html
    assert f'id="comment-{orphan["parent"]}"' not in html
    rest_ids = {c["id"] for c in rest}
    assert orphan["id"] in rest_ids and orphan["parent"] not in rest_ids


def test_posts_total_in_rest_agrees_with_truth(
    wp_rest: WordPressSite, rest_truth: dict[str, Any]
) -> None:
    resp = requests.get(f"{wp_rest.url}/wp-json/wp/v2/posts", {"per_page": 1}, timeout=30)
    assert int(resp.headers["X-WP-Total"]) == sum(
        1 for p in rest_truth["posts"] if p["type"] == "post"
    )


def test_ratings_and_decoys_are_seeded(rest_truth: dict[str, Any]) -> None:
    expected = [p["expected_rating"] for p in rest_truth["posts"] if p["expected_rating"]]
    found_in = collections.Counter(r["found_in"] for r in expected if r != "none")
    assert found_in == {
        "text": 7,
        "stars": 1,
        "percent": 1,
        "yasr": 1,
        "wp-review": 1,
        "site-reviews": 1,
        "wp-product-review": 1,
        "json-ld": 3,
    }
    assert expected.count("none") == 6


def test_jsonld_is_printed_in_the_head(rest_truth: dict[str, Any]) -> None:
    post = _post(rest_truth, "Parasite")
    head = requests.get(post["link"], timeout=30).text.split("</head>")[0]
    assert '<script type="application/ld+json">' in head and '"ratingValue":"4"' in head


@pytest.mark.parametrize(
    ("name", "path"),
    [("closed-classic", "/?rest_route=/wp/v2/posts"), ("closed-block", "/wp-json/wp/v2/posts")],
)
def test_closed_sites_refuse_rest_and_hide_discovery(
    wp_sites: dict[str, WordPressSite], name: str, path: str
) -> None:
    site = wp_sites[name]
    resp = requests.get(site.url + path, timeout=30)
    assert resp.status_code == 401
    assert resp.json() == {
        "code": "rest_login_required",
        "message": "REST API restricted to authenticated users.",
        "data": {"status": 401},
    }
    page = requests.get(_post(site.truth(), "Her")["link"], timeout=30)
    assert page.status_code == 200 and "Manja Mexi" in page.text
    assert API_LINK not in page.headers.get("Link", "") and API_LINK not in page.text
    assert 'type="application/json"' not in page.text


def test_plain_site_has_no_wp_json_but_answers_rest_route(wp_plain: WordPressSite) -> None:
    assert requests.get(wp_plain.url + "/wp-json/", timeout=30).status_code == 404
    index = requests.get(wp_plain.url + "/", {"rest_route": "/"}, timeout=30).json()
    assert "wp/v2" in index["namespaces"] and index["home"] == wp_plain.url
    assert wp_plain.truth()["settings"]["permalink_structure"] == ""


def test_all_sites_hold_the_same_content(wp_sites: dict[str, WordPressSite]) -> None:
    def shape(site: WordPressSite) -> tuple[object, ...]:
        truth = site.truth()
        return (
            [(p["id"], p["title"], p["date_gmt"], p["content_raw"]) for p in truth["posts"]],
            [(c["id"], c["post"], c["parent"], c["content_raw"]) for c in truth["comments"]],
            truth["hidden_post_ids"],
            truth["hidden_comment_ids"],
        )

    shapes = {name: shape(site) for name, site in wp_sites.items()}
    assert all(s == shapes["rest"] for s in shapes.values())
    assert wp_sites["closed-block"].truth()["settings"]["rss_use_excerpt"] == 1


def test_requests_are_logged_since_mark(wp_rest: WordPressSite) -> None:
    requests.get(wp_rest.url + "/", timeout=30)
    wp_rest.mark_log()
    requests.get(wp_rest.url + "/?p=999999&x=1", timeout=30)
    requests.get(wp_rest.url + "/wp-includes/images/blank.gif", timeout=30)
    got = [(r.method, r.path, r.status) for r in wp_rest.requests()]
    assert got == [("GET", "/?p=999999&x=1", 404), ("GET", "/wp-includes/images/blank.gif", 200)]


def test_php_runs_with_the_sites_wordpress(wp_rest: WordPressSite) -> None:
    assert wp_rest.php("echo get_option('blogname'), '|', home_url();") == (
        f"wparchive test blog (rest)|{wp_rest.url}"
    )


def test_php_changes_are_seen_by_truth(wp_plain: WordPressSite) -> None:
    # Undone by hand, not by reseed(): other sessions may be using the shared database right now.
    before = wp_plain.truth()
    post_id = before["posts"][0]["id"]
    new_id = int(
        wp_plain.php(
            f"echo wp_insert_comment(array('comment_post_ID' => {post_id}, 'comment_author' => 'T',"
            " 'comment_content' => 'added by a test', 'comment_approved' => 1));"
        )
    )
    try:
        changed = wp_plain.truth()
    finally:
        wp_plain.php(f"wp_delete_comment({new_id}, true);")
    assert [c["content_raw"] for c in changed["comments"] if c["id"] == new_id] == [
        "added by a test"
    ]
    assert wp_plain.truth()["comments"] == before["comments"]
    assert wp_plain.reseed() is False  # the fingerprint sees the seeded content again


def _unavailable(names: Iterable[str], workdir: Path) -> dict[str, WordPressSite]:
    raise HarnessUnavailable("not root")


def test_pool_skips_outside_ci_and_fails_in_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not root"):
        SitePool(tmp_path, _unavailable).get(("rest",))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="cannot start: not root"):
        SitePool(tmp_path, _unavailable).get(("rest",))
