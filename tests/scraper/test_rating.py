"""Tests for scraper.parse.rating: JSON-LD, review plugins' markup and rating text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import html as lxml_html

from archive.records import RatingRecord
from scraper.parse.rating import parse_rating

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RECORDED = FIXTURES / "recorded"


def _fixture(*parts: str) -> str:
    return FIXTURES.joinpath(*parts).read_text(encoding="utf-8")


def _ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


# ---------------------------------------------------------------- the seed post


def test_seed_review_is_ten_out_of_ten() -> None:
    rating = parse_rating(_fixture("bodies", "her-review.html"))
    assert rating == RatingRecord(
        value=10.0, scale=10.0, worst=0.0, normalized=1.0, found_in="text", text="10/10"
    )


def test_seed_comment_has_no_rating() -> None:
    # Its only digits and slashes are a WordPress.com URL with a date path.
    assert parse_rating(_fixture("bodies", "her-review-comment.html")) is None


# ---------------------------------------------------------------- text formats

TEXT_CASES: list[tuple[str, tuple[float, float, str] | None]] = [
    # every format: (value, scale, found_in)
    ("<p>10/10</p>", (10, 10, "text")),
    ("<p>Rating: 4/5</p>", (4, 5, "text")),
    ("<p>8.5/10</p>", (8.5, 10, "text")),
    ("<p>4.5 out of 5</p>", (4.5, 5, "text")),
    ("<p>3/5 stars</p>", (3, 5, "text")),
    ("<p>★★★★☆</p>", (4, 5, "stars")),
    ("<p>★★★½</p>", (3.5, 5, "stars")),
    ("<p>★★★★★★★☆☆☆</p>", (7, 10, "stars")),
    ("<p>★ ★ ★ ☆ ☆</p>", (3, 5, "stars")),
    ("<p>Score: 7.5/10</p>", (7.5, 10, "text")),
    ("<p>Score: 85%</p>", (85, 100, "percent")),
    ("<p>Rating: 85%</p>", (85, 100, "percent")),
    ("<p>9 / 10</p>", (9, 10, "text")),
    ("<p>Verdict: 8/10</p>", (8, 10, "text")),
    ("<p>Overall: 4/5</p>", (4, 5, "text")),
    ("<p>My rating: 4.5 out of 5</p>", (4.5, 5, "text")),
    ("<p>Final score &#8211; 9/10</p>", (9, 10, "text")),
    ("<p>Grade: 16/20</p>", (16, 20, "text")),
    ("<p>Overall rating of 8/10.</p>", (8, 10, "text")),
    ("<p><strong>Rating:</strong> 3/4</p>", (3, 4, "text")),
    ("<p>Rating: ★★★☆☆</p>", (3, 5, "stars")),
    ("<p>My rating: 4,5/5</p>", (4.5, 5, "text")),
    ("<p>I rated it 7/10 on my phone.</p>", (7, 10, "text")),
    ("<p>0/10</p>", (0, 10, "text")),
    ("<p>75/100</p>", (75, 100, "text")),
    ("<p>I give it 8/10 for the acting.</p>", (8, 10, "text")),
    ("<p>A solid 4/5, really.</p>", (4, 5, "text")),
    ("<p>It is one of the few films I&#8217;d call 10/10 and mean it.</p>", (10, 10, "text")),
    # priority: labelled beats a standalone line, which beats prose
    ("<p>Story 9/10 and more.</p><p>7/10</p><p>Rating: 8/10</p>", (8, 10, "text")),
    ("<p>The story is 9/10 and more.</p><p>7/10</p>", (7, 10, "text")),
    # decoys
    ("<p>We are open 24/7.</p>", None),
    ("<p>24/7</p>", None),
    ("<p>Seen on 10/12/2019 at the Odeon.</p>", None),
    ("<p>10/12/2019</p>", None),
    ("<p>Released 5/10/2019 in cinemas.</p>", None),
    ("<p>Released 10/12/19.</p>", None),
    ("<p>12/25</p>", None),
    ("<p>About 2/3 of the audience left.</p>", None),
    ("<p>Add 1/2 cup of sugar and ½ cup of milk.</p>", None),
    ("<p>Chapter 3/4 is the best.</p>", None),
    ("<p>It was 50/50 whether I would like it.</p>", None),
    ("<p>50/50</p>", None),
    ("<p>A film about 9/11.</p>", None),
    (
        '<p>See <a href="/2019/05/10/older-post/">https://slowframes.example/2019/05/10/x/</a></p>',
        None,
    ),
    ("<p>It cost 1/10th of the budget.</p>", None),
    ("<p>It cost 1/10 of the budget.</p>", None),
    ("<p>The team won 3/5 matches.</p>", None),  # sports prose counts, it does not rate
    ("<p>4 out of 5 dentists agree.</p>", None),
    ("<p>Read page 2/5 of the script.</p>", None),
    ("<p>Day 3/10 of my challenge.</p>", None),
    ("<p>85% of people liked it.</p>", None),
    ("<p>85%</p>", None),  # a percentage only counts when labelled
    ("<p>Rating: 11/10</p>", None),  # numerator above denominator: rejected, not clamped
    ("<p>11/10</p>", None),
    ("<p>Grade: B+</p>", None),  # letter grades are not read
    ("<p>Score: 8</p>", None),  # a bare number has no scale
    ("<p>3/4</p>", None),  # unlabelled denominators are 5, 10 or 100 only
    ("<p>The score of the film is by Arcade Fire.</p>", None),
    ("", None),
    ("<p></p>", None),
]


@pytest.mark.parametrize(("content", "expected"), TEXT_CASES)
def test_text_ratings(content: str, expected: tuple[float, float, str] | None) -> None:
    rating = parse_rating(content)
    if expected is None:
        assert rating is None
        return
    assert rating is not None
    value, scale, found_in = expected
    assert (rating.value, rating.scale, rating.worst, rating.found_in) == (
        value,
        scale,
        0.0,
        found_in,
    )
    assert rating.normalized == pytest.approx(value / scale)
    assert rating.text  # the snippet is kept for audit


def test_text_snippets_hold_the_match() -> None:
    assert parse_rating("<p>Verdict: 8/10 &#8211; go</p>") == RatingRecord(
        8.0, 10.0, 0.0, 0.8, "text", "Verdict: 8/10"
    )
    rating = parse_rating("<p>So. My rating: 4.5 out of 5 stars</p>")
    assert rating is not None and rating.text == "My rating: 4.5 out of 5"
    rating = parse_rating("<p>I give it 4/5 for the acting.</p>")
    assert rating is not None and rating.text == "4/5"


def test_script_content_is_not_rating_text() -> None:
    assert parse_rating("<p>Nice.</p><script>var score = '9/10';</script>") is None


# ---------------------------------------------------------------- JSON-LD


def test_yoast_graph_review_beats_body_text() -> None:
    page = _fixture("ratings", "yoast-graph-review.html")
    rating = parse_rating("<p>10/10</p>", page)
    assert rating is not None
    assert (rating.value, rating.scale, rating.worst, rating.found_in) == (9, 10, 1, "json-ld")
    assert rating.normalized == pytest.approx(8 / 9, abs=1e-6)
    assert '"ratingValue":"9"' in rating.text


def test_yoast_graph_without_review_falls_back_to_text() -> None:
    page = _fixture("ratings", "yoast-graph-review.html").replace('"reviewRating"', '"other"')
    rating = parse_rating("<p>10/10</p>", page)
    assert rating is not None and (rating.value, rating.found_in) == (10, "text")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # missing bestRating means 5 and missing worstRating 1: normalized (v - 1) / (5 - 1)
        ({"@type": "Review", "reviewRating": {"ratingValue": 4}}, (4, 5, 1, 0.75)),
        ({"@type": "Review", "reviewRating": {"ratingValue": "4,5"}}, (4.5, 5, 1, 0.875)),
        (
            {"@type": "Review", "reviewRating": {"ratingValue": "8", "bestRating": "10"}},
            (8, 10, 1, 7 / 9),
        ),
        (
            {"reviewRating": {"ratingValue": 3, "bestRating": 10, "worstRating": 0}},
            (3, 10, 0, 0.3),
        ),
        # a value below the default worst of 1, with no worstRating given, is on 0..best
        ({"@type": "Review", "reviewRating": {"ratingValue": "0.5"}}, (0.5, 5, 0, 0.1)),
        # nested: Product.review, a top-level list, a list of reviewRating
        (
            {
                "@type": "Product",
                "name": "Deck",
                "aggregateRating": {"ratingValue": 2, "reviewCount": 9},
                "review": {
                    "@type": "Review",
                    "reviewRating": {"ratingValue": "4", "bestRating": "5"},
                },
            },
            (4, 5, 1, 0.75),
        ),
        (
            [{"@type": "WebPage"}, {"@type": "Review", "reviewRating": [{"ratingValue": 5}]}],
            (5, 5, 1, 1.0),
        ),
        # Yasr's own JSON-LD shape (capitalized "Review" key inside a Product)
        (
            {
                "@context": "https://schema.org/",
                "@type": "Product",
                "name": "Her",
                "Review": {
                    "@type": "Review",
                    "reviewRating": {
                        "@type": "Rating",
                        "ratingValue": 4.5,
                        "bestRating": 5,
                        "worstRating": 1,
                    },
                },
            },
            (4.5, 5, 1, 0.875),
        ),
    ],
)
def test_json_ld_shapes(data: object, expected: tuple[float, float, float, float]) -> None:
    rating = parse_rating("<p>No text rating here.</p>", f"<head>{_ld(data)}</head>")
    assert rating is not None and rating.found_in == "json-ld"
    value, scale, worst, normalized = expected
    assert (rating.value, rating.scale, rating.worst) == (value, scale, worst)
    assert rating.normalized == pytest.approx(normalized, abs=1e-6)


def test_json_ld_in_content_when_no_page() -> None:
    content = _ld({"@type": "Review", "reviewRating": {"ratingValue": 3}}) + "<p>text</p>"
    rating = parse_rating(content)
    assert rating is not None and (rating.value, rating.found_in) == (3, "json-ld")


@pytest.mark.parametrize(
    "script",
    [
        '<script type="application/ld+json">{"@type": "Review", "reviewRating": {</script>',
        '<script type="application/ld+json"></script>',
        '<script type="application/ld+json">[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[</script>',
        '<script type="application/ld+json">' + "[" * 100_000 + "]" * 100_000 + "</script>",
        '<script type="application/ld+json">{"reviewRating": {"ratingValue": "n/a"}}</script>',
        '<script type="application/ld+json">{"reviewRating": {"ratingValue": 7}}</script>',
        '<script type="application/ld+json">{"reviewRating": {"ratingValue": true}}</script>',
        '<script type="application/ld+json">{"reviewRating": "4"}</script>',
        '<script type="application/ld+json">{"reviewRating": {"ratingValue": NaN}}</script>',
        '<script type="application/ld+json">'
        '{"reviewRating": {"ratingValue": 3, "bestRating": Infinity}}</script>',
        '<script type="application/ld+json">'
        '{"reviewRating": {"ratingValue": 3, "bestRating": 1, "worstRating": 1}}</script>',
    ],
)
def test_invalid_json_ld_is_skipped_and_text_wins(script: str) -> None:
    # Invalid JSON, a value above the default best of 5, a degenerate scale: all ignored.
    rating = parse_rating("<p>Rating: 3/5</p>", f"<html><head>{script}</head></html>")
    assert rating is not None and (rating.value, rating.found_in) == (3, "text")


def test_json_ld_wrapped_in_html_comment_markers() -> None:
    script = (
        '<script type=\'application/ld+json\'><!--\n{"reviewRating": {"ratingValue": 2}}\n-->'
        "</script>"
    )
    rating = parse_rating("", script)
    assert rating is not None and (rating.value, rating.found_in) == (2, "json-ld")


# ---------------------------------------------------------------- review plugins

PLUGIN_CASES = [
    ("yasr-overall.html", (4.5, 5, "yasr", 0.9)),
    ("wp-review-point.html", (8.5, 10, "wp-review", 0.85)),
    ("wp-review-star.html", (4.5, 5, "wp-review", 0.9)),
    ("site-reviews.html", (4, 5, "site-reviews", 0.8)),
    ("wp-product-review-default.html", (8.5, 10, "wp-product-review", 0.85)),
    ("wp-product-review-style1.html", (7, 10, "wp-product-review", 0.7)),
]


@pytest.mark.parametrize(("name", "expected"), PLUGIN_CASES)
def test_plugin_markup(name: str, expected: tuple[float, float, str, float]) -> None:
    rating = parse_rating(_fixture("ratings", name))
    assert rating is not None
    value, scale, found_in, normalized = expected
    assert (rating.value, rating.scale, rating.worst, rating.found_in) == (
        value,
        scale,
        0.0,
        found_in,
    )
    assert rating.normalized == pytest.approx(normalized)


def test_yasr_visitor_votes_and_unrated_posts_are_not_ratings() -> None:
    assert parse_rating(_fixture("ratings", "yasr-visitors-only.html")) is None


def test_plugin_found_in_the_page_when_the_content_lacks_it() -> None:
    box = _fixture("ratings", "wp-review-point.html")
    page = (
        "<html><body><article><div class='entry-content'><p>Text.</p></div>"
        f"{box}</article></body></html>"
    )
    rating = parse_rating("<p>Text.</p>", page)
    assert rating is not None and (rating.value, rating.found_in) == (8.5, "wp-review")


def test_sidebar_widgets_on_the_page_are_ignored() -> None:
    stars = "<div class='yasr-overall-rating'><div class='yasr-rater-stars' data-rating='5'></div></div>"
    page = (
        "<html><body><main><p>Just a post.</p></main>"
        f"<aside id='secondary'><section class='widget'>{stars}</section></aside>"
        f"<div id='comments' class='comments-area'>{stars}</div></body></html>"
    )
    assert parse_rating("<p>Just a post.</p>", page) is None


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        # WP Review percentage type: value_text "%s%%"
        (
            '<div class="review-wrapper wp-review-9 wp-review-percentage-type">'
            '<div class="review-total-wrapper"><span class="review-total-box">85%</span></div></div>',
            (85, 100, "wp-review"),
        ),
        # WP Review star total drawn only as a width: X/20 of 5
        (
            '<div class="review-wrapper wp-review-9 wp-review-star-type"><div class="review-total-wrapper">'
            '<div class="review-star review-total"><div class="review-result-wrapper">'
            '<div class="review-result" style="width:70%; color:#1e73be;"></div></div></div></div></div>',
            (3.5, 5, "wp-review"),
        ),
        # Site Reviews' older stars template: screen-reader text, div stars
        (
            '<div class="glsr-star-rating glsr-stars"><span class="screen-reader-text">'
            'Rated 3 out of 5 stars</span><div class="glsr-star glsr-star-full" aria-hidden="true">'
            "</div></div>",
            (3, 5, "site-reviews"),
        ),
        # Site Reviews with only data-rating, and with only star spans
        ('<div class="glsr-star-rating glsr-stars" data-rating="2"></div>', (2, 5, "site-reviews")),
        (
            '<div class="glsr-stars"><span class="glsr-star glsr-star-full"></span>'
            '<span class="glsr-star glsr-star-half"></span>'
            '<span class="glsr-star glsr-star-empty"></span></div>',
            (1.5, 3, "site-reviews"),
        ),
        # Yasr overall stars whose container a site filter removed: found by id
        (
            "<div class='yasr-rater-stars' id='yasr-overall-rating-rater-1a2b' data-rating='3.5'"
            " data-rater-starsize='16'></div>",
            (3.5, 5, "yasr"),
        ),
        # WP Product Review's grade text as version 3 prints it before its script runs
        (
            '<div class="review-wu-grade"><div class="cwp-review-chart"><span>'
            '<span class="cwp-review-rating">72</span></span></div></div>',
            (7.2, 10, "wp-product-review"),
        ),
    ],
)
def test_plugin_variants(markup: str, expected: tuple[float, float, str]) -> None:
    rating = parse_rating(markup)
    assert rating is not None
    assert (rating.value, rating.scale, rating.found_in) == expected


@pytest.mark.parametrize(
    "markup",
    [
        # Site Reviews summary of a post without reviews, and the review form's select
        '<div aria-label="Rated 0 out of 5 stars" class="glsr-star-rating glsr-stars"'
        ' data-rating="0" data-reviews="0" role="img"></div>',
        '<form><select class="glsr-star-rating"><option value="5">5 Stars</option></select></form>',
        # Yasr title widget (visitor average) and comment average
        "<div class='yasr-stars-title yasr-rater-stars' id='yasr-visitor-votes-readonly-rater-x'"
        " data-rating='4.1'></div>",
        "<div class='yasr-rater-stars' id='yasr-pro-average-comments-ratings-x' data-rating='4'></div>",
        # WP Review readers' rating only (not even read as text)
        '<div class="user-review-area visitors-review-area"><div class="user-total-wrapper">'
        '<span class="review-total-box">6/10</span></div></div>',
        # out-of-range plugin values
        '<div class="wppr-review-container"><div class="cwp-review-percentage" data-percent="130">'
        "</div></div>",
        "<div class='yasr-overall-rating'><div class='yasr-rater-stars' data-rating='7'></div></div>",
    ],
)
def test_plugin_non_ratings(markup: str) -> None:
    assert parse_rating(markup) is None


def test_plugin_box_fractions_are_not_text_verdicts() -> None:
    # A WP Review box without its total: per-feature "9/10" rows must not become the rating.
    box = _fixture("ratings", "wp-review-point.html")
    box = box.replace('<span class="review-total-box">8.5/10</span>', "")
    assert parse_rating(box) is None
    assert parse_rating(box + "<p>Verdict: 7/10</p>") == RatingRecord(
        7.0, 10.0, 0.0, 0.7, "text", "Verdict: 7/10"
    )


def test_json_ld_beats_plugins_and_plugins_beat_text() -> None:
    box = _fixture("ratings", "yasr-overall.html")  # also says "a 10/10 soundtrack"
    rating = parse_rating(box)
    assert rating is not None and rating.found_in == "yasr"
    page = _ld({"@type": "Review", "reviewRating": {"ratingValue": 2}})
    rating = parse_rating(box, page)
    assert rating is not None and (rating.value, rating.found_in) == (2, "json-ld")


# ---------------------------------------------------------------- recorded real pages
# Pages and REST answers recorded from the project's WordPress harness; the manifest names the
# post each page shows and the rating the archive must find for it.

_MANIFEST = json.loads((RECORDED / "manifest.json").read_text(encoding="utf-8"))
_RECORDED_PAGES = [
    (name, info["post"])
    for name, info in _MANIFEST.get("files", {}).items()
    if name.startswith("html/") and info.get("post")
]
_CONTENT_XPATH = (
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' entry-content ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' wp-block-post-content ')]"
)


@pytest.mark.parametrize(("name", "post"), _RECORDED_PAGES)
def test_recorded_pages_give_the_expected_rating(name: str, post: str) -> None:
    page = (RECORDED / name).read_text(encoding="utf-8")
    entry = lxml_html.document_fromstring(page).xpath(_CONTENT_XPATH)
    assert entry, "the theme's entry content is on the page"
    rating = parse_rating(lxml_html.tostring(entry[0], encoding="unicode"), page)
    expected = _MANIFEST["posts"][post].get("expected_rating")
    if expected is None:
        assert rating is None
    else:
        assert rating is not None
        got = (rating.value, rating.scale, rating.found_in)
        assert got == (expected["value"], expected["scale"], expected["found_in"])


def test_recorded_rest_seed_post_is_ten_out_of_ten() -> None:
    post = json.loads((RECORDED / "rest" / "post-her.json").read_text(encoding="utf-8"))["body"]
    rating = parse_rating(post["content"]["rendered"])
    assert rating == RatingRecord(10.0, 10.0, 0.0, 1.0, "text", "10/10")


def test_wp_product_review_chart_class_survives_wpautop() -> None:
    html = (FIXTURES / "ratings" / "wp-product-review-wpautop.html").read_text(encoding="utf-8")
    rating = parse_rating(html)
    assert rating is not None
    assert (rating.value, rating.scale, rating.found_in) == (8.2, 10.0, "wp-product-review")
    # The per-feature scores (Sound 9, Comfort 7) are not the verdict.
    assert rating.text == "wppr-p82"
