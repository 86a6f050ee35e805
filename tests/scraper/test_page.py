"""A post's own page -> PostRecord: identity, title, author, dates, terms, body without chrome, rating."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from archive.records import TermRef
from scraper.parse.page import ParsedPost, parse_post_page
from tests.recorded import RECORDED, load_manifest, seed_lines

HTML = Path(__file__).resolve().parents[1] / "fixtures" / "html"


def _read(name: str) -> str:
    return (HTML / name).read_text(encoding="utf-8")


def test_jetpack_twentytwentyone_post() -> None:
    parsed = parse_post_page(_read("jetpack-twentytwentyone.html"), "https://kitchen.example/?p=57")
    post = parsed.post
    assert post is not None
    assert (post.wp_id, post.type, post.source) == (57, "post", "html")
    assert post.url == "https://kitchen.example/2021/02/sunday-ragu-revisited/"  # canonical
    assert (post.title, post.slug) == ("Sunday ragù, revisited", "sunday-ragu-revisited")
    assert (post.author_name, post.author_wp_id) == ("Li Chen", None)
    assert post.raw["author_slug"] == "lchen"
    assert post.published_at == datetime(2021, 2, 7, 11, 20, tzinfo=UTC)
    assert post.modified_at == datetime(2021, 2, 9, 8, 0, 12, tzinfo=UTC)
    assert post.terms == (
        TermRef("category", "food-drink", "Food & Drink"),
        TermRef("post_tag", "italy", "Italy"),
        TermRef("post_tag", "recipes", "recipes"),
    )
    assert post.content_text == (
        "Rating: 4/5\n\nSlow, patient and worth it. Brown the meat in batches & don’t rush "
        "the soffritto.\n\nServe with pappardelle."
    )
    for chrome in ("Share this", "Like this", "Related", "Giulia", "Leave a comment"):
        assert chrome not in post.content_html
    assert post.rating is not None and (post.rating.value, post.rating.scale) == (4.0, 5.0)
    assert post.comment_status == "open"
    assert parsed.comment_feed_url == "https://kitchen.example/2021/02/sunday-ragu-revisited/feed/"
    assert parsed.atom_comments_url == parsed.comment_feed_url + "atom/"
    assert parsed.problems == []


def test_twentytwenty_post_without_machine_readable_date() -> None:
    url = "http://127.0.0.5:8080/2019/07/notes-on-stalker/"
    post = parse_post_page(_read("twentytwenty-div.html"), url, utc_offset_hours=2.0).post
    assert post is not None
    assert (post.wp_id, post.title, post.author_name) == (21, "Notes on Stalker", "Maria Kowalski")
    # Twenty Twenty prints the date as text only ("July 14, 2019"): the day, at site midnight.
    assert post.published_at == datetime(2019, 7, 13, 22, 0, tzinfo=UTC)
    assert post.raw["date_source"] == "text"
    assert post.terms == (
        TermRef("category", "essays", "Essays"),
        TermRef("post_tag", "slow-cinema", "slow cinema"),
        TermRef("post_tag", "classic", "classic"),
    )  # the footer tag cloud's "drama" is not the post's
    assert post.content_text == (
        "The Zone is a room you walk into and cannot leave unchanged.\n\n"
        "Tarkovsky lets every shot run until it becomes a place."
    )
    assert post.rating is None


def test_block_theme_comment_page_points_back_to_the_post() -> None:
    url = "http://127.0.0.7:8080/2023/01/review-solaris/comment-page-2/"
    parsed = parse_post_page(_read("twentytwentythree-block.html"), url)
    post = parsed.post
    assert post is not None
    assert post.url == "http://127.0.0.7:8080/2023/01/review-solaris/"
    assert (post.slug, post.title, post.author_name) == (
        "review-solaris",
        "Review: Solaris",
        "Tunde Okafor",
    )
    assert post.published_at == datetime(2023, 1, 10, 12, 0, tzinfo=UTC)
    assert [(t.taxonomy, t.slug) for t in post.terms] == [
        ("category", "film-reviews"),
        ("post_tag", "sci-fi"),
        ("post_tag", "classic"),
    ]
    assert (
        post.content_text == "★★★★☆\n\nA space station, a grieving man, and an ocean that thinks."
    )
    assert post.rating is not None and post.rating.normalized == pytest.approx(0.8)
    assert "Ines" not in post.content_text


def test_legacy_plain_permalinks() -> None:
    parsed = parse_post_page(_read("legacy-xhtml.html"), "http://old.example/?p=7&cpage=2")
    post = parsed.post
    assert post is not None
    assert (post.wp_id, post.url, post.slug) == (7, "http://old.example/?p=7", "")
    assert post.title == "Rewatching Heat"  # from <title>, without the site name
    assert set(post.terms) == {
        TermRef("category", "", "Film", 3),
        TermRef("post_tag", "thriller", "thriller"),
    }
    assert post.content_text == "Score: 7.5/10\n\nThe bank heist still plays like a war film."
    assert post.rating is not None and post.rating.value == 7.5
    assert parsed.comment_feed_url == "http://old.example/?feed=rss2&p=7"
    assert parsed.atom_comments_url == "http://old.example/?feed=atom&p=7"


def _page(head: str = "", body_class: str = "", body: str = "") -> str:
    return f'<html><head>{head}</head><body class="{body_class}">{body}</body></html>'


def test_page_type_author_id_and_json_ld() -> None:
    html = _page(
        head=(
            "<title>About us | Site</title>"
            '<script type="application/ld+json">{"@context":"https://schema.org","@graph":['
            '{"@type":"WebPage","datePublished":"2020-05-01T10:00:00+02:00",'
            '"dateModified":"2021-01-01T00:00:00Z"}]}</script>'
        ),
        body_class="page-template-default page page-id-12",
        body=(
            '<article id="post-12" class="post-12 page type-page">'
            '<div class="entry-content"><p>Hello.</p></div>'
            '<span class="byline"><span class="author vcard">'
            '<a class="url fn n" href="https://s.example/?author=4">Ann</a></span></span>'
            "</article>"
        ),
    )
    parsed = parse_post_page(html, "https://s.example/?page_id=12")
    post = parsed.post
    assert post is not None
    assert (post.wp_id, post.type, post.title) == (12, "page", "About us")
    assert (post.author_name, post.author_wp_id) == ("Ann", 4)
    assert parsed.author is not None and (parsed.author.wp_id, parsed.author.name) == (4, "Ann")
    assert post.published_at == datetime(2020, 5, 1, 8, 0, tzinfo=UTC)
    assert post.modified_at == datetime(2021, 1, 1, tzinfo=UTC)
    assert post.content_text == "Hello."


def test_ids_from_rest_link_and_terms_under_a_custom_base() -> None:
    html = _page(
        head='<link rel="alternate" type="application/json" href="/wp-json/wp/v2/pages/33">',
        body=(
            '<article class="post type-post category-essays tag-long-read">'
            '<div class="entry-content"><p>x</p><a href="/topics/music/" rel="tag">inline</a></div>'
            '<span class="cat-links"><a href="/topics/essays/" rel="tag">Essays</a></span>'
            '<span class="tags-links"><a href="/labels/long-read/" rel="tag">long read</a></span>'
            "</article>"
        ),
    )
    post = parse_post_page(html, "https://s.example/essay/").post
    assert post is not None
    assert (post.wp_id, post.type) == (33, "page")
    assert post.terms == (
        TermRef("category", "essays", "Essays"),
        TermRef("post_tag", "long-read", "long read"),
    )  # the link inside the content is prose, not a term


def test_a_page_without_post_id_is_a_problem() -> None:
    parsed = parse_post_page(_page(body="<h1>Archives</h1>"), "https://s.example/category/x/")
    assert parsed.post is None
    assert [p.message for p in parsed.problems] == ["no WordPress post id on the page"]


def test_missing_content_is_reported_not_raised() -> None:
    parsed = parse_post_page(_page(body_class="single postid-5"), "https://s.example/?p=5")
    assert parsed.post is not None and parsed.post.content_html == ""
    assert [p.message for p in parsed.problems] == ["no entry content found on the page"]


def test_truncated_page_keeps_the_post() -> None:
    html = _read("jetpack-twentytwentyone.html")
    cut = html[: html.index("Serve with pappardelle")]
    post = parse_post_page(cut, "https://kitchen.example/2021/02/sunday-ragu-revisited/").post
    assert post is not None and post.wp_id == 57
    assert post.content_text.startswith("Rating: 4/5\n\nSlow, patient and worth it.")


# ---- pages recorded from the real WordPress harness (tests/fixtures/recorded) ---------------------

MANIFEST = load_manifest()
SEED = seed_lines()


def recorded(name: str) -> tuple[ParsedPost, dict[str, Any], str]:
    meta = MANIFEST["files"][f"html/{name}"]
    url = MANIFEST["sites"][meta["site"]]["home"] + meta["path"]
    html = (RECORDED / "html" / name).read_text(encoding="utf-8")
    return parse_post_page(html, url), MANIFEST["posts"][meta["post"]], url


@pytest.mark.parametrize(
    ("name", "permalink"),
    [
        ("tt1-her.html", "http://127.0.0.2:8000/2018/03/her/"),
        ("tt1-closed-her.html", "http://127.0.0.4:8000/?p=56"),
        ("tt2-her.html", "http://127.0.0.5:8000/2018/03/her/"),
        ("tt3-her.html", "http://127.0.0.5:8000/2018/03/her/"),
    ],
)
def test_seed_post_on_each_theme(name: str, permalink: str) -> None:
    parsed, truth, _ = recorded(name)
    post = parsed.post
    assert post is not None
    assert (post.wp_id, post.type, post.title, post.url) == (truth["id"], "post", "Her", permalink)
    assert post.author_name == truth["author_name"] == "Jordan Reeve"
    assert post.published_at is not None
    assert post.published_at.isoformat() == truth["date_gmt"]
    assert sorted(t.name for t in post.terms if t.taxonomy == "category") == truth["categories"]
    tags = {t.name for t in post.terms if t.taxonomy == "post_tag"}
    assert tags == set(truth["tags"])
    assert all(t.slug for t in post.terms)
    assert post.content_text.split("\n\n") == SEED[:8]  # rating line + seven paragraphs
    assert post.content_html.startswith("<p>10/10</p>")
    assert post.rating is not None
    assert (post.rating.value, post.rating.scale, post.rating.normalized) == (10.0, 10.0, 1.0)
    assert post.comment_status == "open"
    plain = f"{permalink.split('?')[0]}?feed=rss2&p=56"
    assert parsed.comment_feed_url == (plain if "?" in permalink else f"{permalink}feed/")
    assert parsed.problems == []


def test_plain_permalink_terms_merge_the_category_id_with_its_slug() -> None:
    parsed, _, _ = recorded("tt1-closed-her.html")
    assert parsed.post is not None
    [category] = [t for t in parsed.post.terms if t.taxonomy == "category"]
    assert (category.slug, category.name) == ("film-reviews", "Film Reviews")
    assert category.wp_id is not None


def test_rating_only_in_head_json_ld() -> None:
    parsed, truth, _ = recorded("tt1-jsonld-graph.html")
    post = parsed.post
    assert post is not None and (post.wp_id, post.title) == (110, "Parasite")
    assert post.rating is not None
    assert (post.rating.value, post.rating.scale, post.rating.found_in) == (4.0, 5.0, "json-ld")
    assert post.author_name == truth["author_name"]


@pytest.mark.parametrize("name", ["tt1-heavy-cpage2.html", "tt3-heavy-page2.html"])
def test_a_comment_page_is_read_as_its_post(name: str) -> None:
    parsed, truth, url = recorded(name)
    post = parsed.post
    assert post is not None and (post.wp_id, post.title) == (15, truth["title"])
    assert "cpage" not in post.url and "comment-page" not in post.url
    assert url.startswith(post.url.rstrip("/"))
    assert sorted(t.name for t in post.terms if t.taxonomy == "category") == truth["categories"]
    assert post.rating is None
