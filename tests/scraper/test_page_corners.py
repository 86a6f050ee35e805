"""Corners real sites showed: non-ASCII term slugs, `<!--nextpage-->` posts, custom post types,
ratings in Yoast's REST fields, custom types' sitemaps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from archive.records import TermRef
from scraper.parse.dates import parse_text_date
from scraper.parse.listing import parse_sitemap
from scraper.parse.page import body_page_urls, parse_post_page
from scraper.parse.rest import parse_rest_post, parse_rest_types
from scraper.parse.tree import parse_page

TOKYO = "%e6%9d%b1%e4%ba%ac"


def _post_html(article_class: str, content: str, after: str = "", body_class: str = "") -> str:
    return (
        f'<html><head></head><body class="single postid-9 {body_class}">'
        f'<article id="post-9" class="post-9 {article_class}">'
        f'<div class="entry-content">{content}</div>{after}</article></body></html>'
    )


def test_term_ids_in_post_classes_are_not_terms() -> None:
    # post_class() prints tag-ID for a slug that is not a valid class; the links name the terms.
    links = (
        '<footer><span class="cat-links"><a href="https://s.example/category/essays/" rel="category tag">'
        'Essays</a></span><span class="tags-links"><a href="https://s.example/tag/'
        f'{TOKYO.upper()}/" rel="tag">東京</a></span></footer>'
    )
    html = _post_html("post type-post category-essays tag-15 tag-27", "<p>x</p>", links)
    post = parse_post_page(html, "https://s.example/2020/01/x/").post
    assert post is not None
    assert post.terms == (
        TermRef("category", "essays", "Essays"),
        TermRef("post_tag", TOKYO, "東京"),
    )


def test_plain_permalink_tag_links_keep_the_encoded_slug() -> None:
    links = f'<span class="tags-links"><a href="https://s.example/?tag={TOKYO}" rel="tag">東京</a></span>'
    html = _post_html("post type-post tag-30", "<p>x</p>", links)
    post = parse_post_page(html, "https://s.example/?p=9").post
    assert post is not None and post.terms == (TermRef("post_tag", TOKYO, "東京"),)


def _paged(number: int, text: str) -> str:
    links = (
        '<p class="post-nav-links">Pages: '
        + " ".join(
            f'<span class="post-page-numbers current">{n}</span>'
            if n == number
            else f'<a href="https://s.example/2021/09/x/{n if n > 1 else ""}" class="post-page-numbers">{n}</a>'
            for n in (1, 2, 3)
        )
        + "</p>"
    )
    return _post_html("post type-post", f"<p>{text}</p>{links}")


def test_a_paged_post_links_its_other_pages_and_reads_whole() -> None:
    first = parse_page(_paged(1, "Night one."), "https://s.example/2021/09/x/")
    assert body_page_urls(first) == [
        "https://s.example/2021/09/x/2",
        "https://s.example/2021/09/x/3",
    ]
    more = [
        parse_page(_paged(2, "Night two."), "https://s.example/2021/09/x/2/"),
        parse_page(_paged(3, "Night three. Rating: 9/10"), "https://s.example/2021/09/x/3/"),
    ]
    post = parse_post_page(first, more_pages=more).post
    assert post is not None
    assert post.content_text == "Night one.\n\nNight two.\n\nNight three. Rating: 9/10"
    assert post.rating is not None and (post.rating.value, post.rating.scale) == (9, 10)
    assert "Pages:" not in post.content_html


def test_custom_post_types_are_named_by_their_classes() -> None:
    classic = _post_html("wpa_screening type-wpa_screening", "<p>x</p>")
    block = _post_html("", "<p>x</p>", body_class="single-wpa_screening wp-embed-responsive")
    for html in (classic, block):
        post = parse_post_page(html, "https://s.example/screenings/x/").post
        assert post is not None and post.type == "wpa_screening"
    html = _post_html("", "<p>x</p>", body_class="single-post single-format-standard")
    plain = parse_post_page(html, "https://s.example/x/").post
    assert plain is not None and plain.type == "post"


def _rest_item(**extra: Any) -> dict[str, Any]:
    return {
        "id": 5,
        "type": "post",
        "link": "https://s.example/roma/",
        "content": {"rendered": "<p>A long film.</p>"},
        **extra,
    }


def test_yoast_head_json_gives_the_head_rating() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "@id": "#webpage"},
            {
                "@type": "Review",
                "reviewRating": {"@type": "Rating", "ratingValue": "4", "bestRating": "5"},
            },
        ],
    }
    post = parse_rest_post(_rest_item(yoast_head_json={"schema": graph}), {})
    assert not isinstance(post, Exception) and post.rating is not None
    assert (post.rating.value, post.rating.scale, post.rating.found_in) == (4, 5, "json-ld")


def test_yoast_head_html_gives_the_head_rating() -> None:
    head = (
        '<meta name="robots" content="index"><script type="application/ld+json" class="yoast-schema-graph">'
        '{"@type":"Review","reviewRating":{"ratingValue":9,"bestRating":10}}</script>'
    )
    post = parse_rest_post(_rest_item(yoast_head=head), {})
    assert post.rating is not None and (post.rating.value, post.rating.scale) == (9, 10)  # type: ignore[union-attr]


def test_only_public_content_types_get_collections() -> None:
    types = {
        slug: {"slug": slug, "rest_base": base, "rest_namespace": "wp/v2"}
        for slug, base in (
            ("post", "posts"),
            ("page", "pages"),
            ("attachment", "media"),
            ("wp_block", "blocks"),
            ("wpa_screening", "screenings"),
        )
    }
    assert parse_rest_types(types) == ["wp/v2/screenings"]
    assert parse_rest_types([]) == []


def test_sitemap_index_lists_custom_types_not_taxonomies() -> None:
    index = (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(
            f"<sitemap><loc>https://s.example/wp-sitemap-{name}-1.xml</loc></sitemap>"
            for name in (
                "posts-post",
                "posts-page",
                "posts-wpa_screening",
                "taxonomies-category",
                "users",
            )
        )
        + "</sitemapindex>"
    )
    children = parse_sitemap(index.encode()).children
    assert [c.rsplit("/", 1)[1] for c in children] == [
        "wp-sitemap-posts-post-1.xml",
        "wp-sitemap-posts-page-1.xml",
        "wp-sitemap-posts-wpa_screening-1.xml",
    ]


def test_text_dates_in_common_formats_are_the_day_at_site_midnight() -> None:
    for text in ("January 5, 2019", "5 January 2019", "2019-01-05", "January  5 ,2019"):
        assert parse_text_date(text, 1.0) == datetime(2019, 1, 4, 23, 0, tzinfo=UTC), text
    assert parse_text_date("4 Comments", 1.0) is None
