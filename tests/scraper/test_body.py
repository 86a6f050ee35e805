"""Tests for scraper.parse.body: sanitized HTML and clean text of post and comment bodies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scraper.parse.body import Body, clean_text, parse_body, sanitize_html

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RECORDED_REST = FIXTURES / "recorded" / "rest"
SEED_LINES = [
    line
    for line in (FIXTURES / "seed" / "her-review.txt").read_text(encoding="utf-8").splitlines()
    if line
]
SEED_BODY_LINES = SEED_LINES[:8]  # "10/10" and the seven paragraphs of the review
SEED_COMMENT_LINES = SEED_LINES[8:12]  # the reader's comment, four paragraphs
BASE = "https://slowframes.example/2014/02/her-review/"


def _fixture(name: str) -> str:
    return (FIXTURES / "bodies" / name).read_text(encoding="utf-8")


# ---------------------------------------------------------------- the seed post


def test_seed_review_text_equals_the_seed_paragraphs() -> None:
    assert clean_text(_fixture("her-review.html")) == "\n\n".join(SEED_BODY_LINES)


def test_seed_review_parse_body_keeps_eight_paragraphs_with_curly_apostrophes() -> None:
    body = parse_body(_fixture("her-review.html"), BASE)
    assert isinstance(body, Body)
    assert body.text == "\n\n".join(SEED_BODY_LINES)
    assert body.html.count("<p>") == 8
    assert "&#8217;" not in body.html and "It’s one of those rare examples" in body.html
    assert body.html.startswith("<p>10/10</p>")


def test_seed_comment_text_and_link() -> None:
    body = parse_body(_fixture("her-review-comment.html"), BASE)
    assert body.text == "\n\n".join(SEED_COMMENT_LINES)
    assert (
        '<a href="https://manjameximovie3.wordpress.com/2018/03/28/flash-mexi-movie-reviews/"'
        ' rel="noopener noreferrer">'
    ) in body.html


def test_recorded_rest_seed_post_and_comments_give_the_seed_text() -> None:
    post = json.loads((RECORDED_REST / "post-her.json").read_text(encoding="utf-8"))["body"]
    body = parse_body(post["content"]["rendered"], post["link"])
    assert body.text == "\n\n".join(SEED_BODY_LINES)
    comments = json.loads((RECORDED_REST / "comments-her.json").read_text(encoding="utf-8"))
    by_parent = sorted(
        (c["parent"], parse_body(c["content"]["rendered"], c["link"]).text)
        for c in comments["body"]
    )
    assert by_parent[0] == (0, "\n\n".join(SEED_COMMENT_LINES))
    assert sorted(text for _, text in by_parent[1:]) == sorted(SEED_LINES[12:14])


# ---------------------------------------------------------------- sanitize_html


def test_sanitize_drops_scripts_styles_iframes_forms_handlers_and_comments() -> None:
    dirty = (
        '<p onclick="steal()" style="color:red" class="x" id="y">Hi<!-- secret --></p>'
        "<script>alert(1)</script><style>p{color:red}</style>"
        '<iframe src="https://evil.example/">frame text</iframe>'
        '<form action="/x"><label>Name</label><input name="n"><button>Send</button></form>'
        '<noscript><img src="/lazy.jpg"></noscript>'
        '<img src="/a.png" onerror="steal()" srcset="/b.png 2x" loading="lazy">'
    )
    assert sanitize_html(dirty) == '<p>Hi</p><img src="/a.png">'


def test_sanitize_keeps_semantic_content_and_allowed_attributes() -> None:
    html = (
        "<h2>Cast</h2><blockquote><p><em>I</em> <strong>love</strong> <q>you</q></p></blockquote>"
        '<figure><img src="https://cdn.example/a.jpg" alt="A still" title="t" width="640"'
        ' height="360"><figcaption>Still</figcaption></figure>'
        '<ul><li><a href="https://imdb.example/her" title="IMDb">IMDb</a></li></ul>'
        '<table><tbody><tr><th colspan="2">Score</th></tr><tr><td>Story</td><td>9</td></tr></tbody>'
        '</table><p><time datetime="2014-02-20">Feb 20</time> <abbr title="Director">Dir.</abbr>'
        " x<sup>2</sup> H<sub>2</sub>O <code>a</code> <cite>Her</cite> <s>old</s></p><hr><pre>x</pre>"
    )
    expected = html.replace('title="IMDb">', 'title="IMDb" rel="noopener noreferrer">')
    assert sanitize_html(html) == expected


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ('<a href="/about/">a</a>', '<a href="https://slowframes.example/about/"'),
        ('<a href="../older/">a</a>', '<a href="https://slowframes.example/2014/02/older/"'),
        ('<a href="#comments">a</a>', f'<a href="{BASE}#comments"'),
        ('<img src="uploads/x.jpg">', f'<img src="{BASE}uploads/x.jpg">'),
        ('<img src="//cdn.example/x.jpg">', '<img src="https://cdn.example/x.jpg">'),
        ('<a href="https://other.example/">a</a>', '<a href="https://other.example/"'),
        ('<a href="mailto:jo@example.com">a</a>', '<a href="mailto:jo@example.com"'),
        # Only a body left with a relative URL is cleaned against the base: one among
        # absolute ones, in any case, is found.
        (
            '<a href="https://other.example/">a</a> <A HREF="/up/">b</A>',
            '<a href="https://slowframes.example/up/"',
        ),
        (
            '<a title=\'href="https://x.example/"\' href="/t/">t</a>',
            'href="https://slowframes.example/t/"',
        ),
    ],
)
def test_sanitize_makes_links_absolute(markup: str, expected: str) -> None:
    assert expected in sanitize_html(markup, BASE)


def test_sanitize_without_base_keeps_relative_links() -> None:
    assert sanitize_html('<a href="/about/">a</a>') == (
        '<a href="/about/" rel="noopener noreferrer">a</a>'
    )


@pytest.mark.parametrize(
    "markup",
    ['<a href="javascript:alert(1)">x</a>', '<a href="data:text/html,<b>x</b>">x</a>'],
)
def test_sanitize_drops_dangerous_urls(markup: str) -> None:
    assert sanitize_html(markup, BASE) == '<a rel="noopener noreferrer">x</a>'


def test_sanitize_keeps_smiley_class_only() -> None:
    html = '<img class="wp-smiley big" alt="🙂" src="/s.png" style="height:1em">'
    assert sanitize_html(html, BASE) == (
        '<img class="wp-smiley" alt="🙂" src="https://slowframes.example/s.png">'
    )


MALFORMED = [
    "",
    "   ",
    "<!-- only a comment -->",
    "<p",
    "</div></p>",
    "<p>unclosed <b>bold <i>both",
    "&",
    "&#xZZZ; &bogus; &#99999999;",
    "\x00<p>nul\x01</p>",
    '<?xml version="1.0" encoding="utf-8"?><p>x</p>',
    "<html><head><title>T</title></head><body><p>doc</p></body></html>",
    "<" * 50 + ">" * 50,
    "<table><td>cell without row</table>",
]


@pytest.mark.parametrize("markup", MALFORMED)
def test_malformed_input_never_raises(markup: str) -> None:
    body = parse_body(markup, BASE)
    assert isinstance(body.html, str) and isinstance(body.text, str)
    assert isinstance(clean_text(markup), str)


def test_malformed_input_keeps_what_it_can() -> None:
    assert clean_text("<p>unclosed <b>bold <i>both") == "unclosed bold both"
    assert clean_text('<?xml version="1.0" encoding="utf-8"?><p>x</p>') == "x"
    assert clean_text("<html><head><title>T</title></head><body><p>doc</p></body></html>") == "doc"
    assert clean_text("<!-- only a comment -->") == ""
    assert clean_text("") == ""


# ---------------------------------------------------------------- clean_text


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<p>Tom &amp; Jerry</p>", "Tom & Jerry"),
        ("<p>It&#8217;s &#8220;fine&#8221; &#8211; really&#8230;</p>", "It’s “fine” – really…"),
        ("<p>a&nbsp;b &nbsp; c</p>", "a b c"),
        ("<p>&nbsp;</p><p>kept</p><p> </p>", "kept"),
        ("<p>one</p>\n\n\n<p>two</p>", "one\n\ntwo"),
        ("<p>  lots   of\n\t space  </p>", "lots of space"),
        ("<p>line one<br />\nline two</p>", "line one\nline two"),
        ("<ul><li>first</li><li>second <em>item</em></li></ul>", "first\nsecond item"),
        ("<p>Intro</p><ol><li>a</li><li>b</li></ol><p>After</p>", "Intro\n\na\nb\n\nAfter"),
        ("<h2>Title</h2><p>Text</p>", "Title\n\nText"),
        ("<blockquote><p>q1</p><p>q2</p></blockquote>", "q1\n\nq2"),
        ("<div>a</div><div><div>b</div></div>", "a\n\nb"),
        ("<figure><img src='x'><figcaption>Cap</figcaption></figure>", "Cap"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"),
        ("<pre>  keep\n    indents\n</pre>", "  keep\n    indents"),
        ("<p>a<script>var x = '<p>no</p>';</script>b<style>p{}</style></p>", "ab"),
        ("<p>x<!-- hidden -->y</p>", "xy"),
        ('<p>thanks <img class="wp-smiley" alt="🙂" src="s.png"></p>', "thanks 🙂"),
        ('<p>photo <img alt="not text" src="p.jpg"> here</p>', "photo here"),
        ("plain text, no tags", "plain text, no tags"),
        ("<p>a</p>tail text", "a\n\ntail text"),
        ("<p><em>in</em><strong>line</strong></p>", "inline"),
        ("<dl><dt>Term</dt><dd>Def</dd></dl>", "Term\nDef"),
    ],
)
def test_clean_text(markup: str, expected: str) -> None:
    assert clean_text(markup) == expected


def test_clean_text_of_sanitized_and_raw_html_agree() -> None:
    raw = '<p onclick="x()">A <a href="/x">link</a></p><script>no()</script><p>B&#8217;s</p>'
    assert parse_body(raw, BASE).text == clean_text(raw) == "A link\n\nB’s"
