"""Threaded comments read from theme markup: core walker, div-style, block themes, Jetpack, legacy."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from archive.records import CommentRecord
from scraper.parse.comments import CommentPage, parse_comments, parse_wp_date_text
from scraper.wpurls import comment_page_number, strip_comment_page
from tests.recorded import RECORDED, load_manifest, seed_lines

HTML = Path(__file__).resolve().parents[1] / "fixtures" / "html"


def _read(name: str) -> str:
    return (HTML / name).read_text(encoding="utf-8")


def _by_id(page: CommentPage) -> dict[int, CommentRecord]:
    return {c.wp_id: c for c in page.comments}


def _tree(page: CommentPage) -> dict[int, tuple[int | None, bool]]:
    return {c.wp_id: (c.parent_wp_id, c.parent_inferred) for c in page.comments}


def test_twentytwenty_div_style_nests_replies_without_children_wrapper() -> None:
    url = "http://127.0.0.5:8080/2019/07/notes-on-stalker/"
    page = parse_comments(_read("twentytwenty-div.html"), url, 21)
    assert [c.wp_id for c in page.comments] == [31, 32, 33, 34]
    assert _tree(page) == {31: (None, False), 32: (31, False), 33: (32, False), 34: (None, False)}
    ana, maria, _, bob = page.comments
    assert ana.author_name == "Ana Lima"  # the avatar and "says:" inside a.url are not the name
    assert ana.author_url == "https://ana.example/blog"
    assert ana.published_at == datetime(2019, 7, 15, 6, 30, tzinfo=UTC)
    assert (
        ana.content_text == "I fell asleep the first time and woke up in the Zone. That felt right."
    )
    assert ana.url == url + "#comment-31"
    assert "By Post Author" not in maria.content_text and maria.author_name == "Maria Kowalski"
    assert bob.author_url == ""
    assert bob.content_text == "Too slow for me.\nStill thinking about it a week later though."
    assert all(c.post_wp_id == 21 and c.source == "html" for c in page.comments)
    assert page.page_urls == [] and page.problems == []


def test_jetpack_iframe_form_is_ignored_and_the_theme_list_read() -> None:
    url = "https://kitchen.example/2021/02/sunday-ragu-revisited/"
    page = parse_comments(_read("jetpack-twentytwentyone.html"), url, 57)
    comments = _by_id(page)
    assert sorted(comments) == [88, 89, 90]
    assert _tree(page) == {88: (None, False), 89: (88, False), 90: (None, False)}
    giulia = comments[88]
    assert giulia.author_name == "Giulia"
    assert giulia.author_url == "http://giulia.wordpress.com"
    assert giulia.content_text == "My nonna adds a splash of milk at the end."
    assert "Like" not in giulia.content_html and "like_comment" not in giulia.content_html
    assert comments[89].published_at == datetime(2021, 2, 8, 7, 15, tzinfo=UTC)
    ping = comments[90]
    assert (ping.type, ping.author_name) == ("pingback", "Weekend links – Other Blog")
    assert ping.author_url == "https://other-blog.example/2021/02/weekend-links/"
    assert ping.content_text == "" and ping.published_at is None
    # The recent-comments widget links another post's comment page: not one of ours.
    assert page.page_urls == []
    assert page.problems == []


def test_legacy_xhtml_text_dates_flattened_replies_and_in_reply_to() -> None:
    url = "http://old.example/?p=7&cpage=2"
    page = parse_comments(_read("legacy-xhtml.html"), url, 7, utc_offset_hours=2)
    assert [c.wp_id for c in page.comments] == [201, 202, 203, 204, 205, 206, 207]
    # Depth 3 is the site's limit (no reply links there, reply links above): the walker printed
    # 204 (really a reply to 203) beside it, so depth-3 parents are inferred unless proven.
    assert _tree(page) == {
        201: (None, False),
        202: (201, False),
        203: (202, True),
        204: (202, True),
        205: (203, False),  # "in reply to <a href=#comment-203>" proves it
        206: (None, False),
        207: (None, False),
    }
    comments = _by_id(page)
    alice = comments[201]
    assert (alice.author_name, alice.author_url) == ("Alice", "http://alice.example")
    assert alice.published_at == datetime(2010, 3, 29, 8, 15, tzinfo=UTC)  # 10:15 at UTC+2
    assert alice.content_text == "De Niro and Pacino in the diner.\n\nThat’s the whole film."
    assert "says" not in alice.content_text and "Reply" not in alice.content_text
    assert comments[202].published_at == datetime(2010, 3, 29, 11, 5, tzinfo=UTC)
    assert comments[207].content_text == "Michael Mann forever."  # moderation note dropped
    assert comments[207].published_at is None
    assert [p.message for p in page.problems] == ["comment 207: no readable date"]
    assert page.page_urls == ["http://old.example/?p=7&cpage=1"]
    assert page.current_page == 2


def test_legacy_text_dates_without_offset_are_flagged_once() -> None:
    page = parse_comments(_read("legacy-xhtml.html"), "http://old.example/?p=7&cpage=2", 7)
    assert _by_id(page)[201].published_at == datetime(2010, 3, 29, 10, 15, tzinfo=UTC)
    messages = [p.message for p in page.problems]
    assert messages.count("comment dates shown only as text, without time zone: taken as UTC") == 1


def test_block_theme_keeps_replies_nested_past_the_depth_limit() -> None:
    url = "http://127.0.0.7:8080/2023/01/review-solaris/comment-page-2/"
    page = parse_comments(_read("twentytwentythree-block.html"), url, 44)
    # The block renders 404 (a reply to 403, beyond depth 3) inside 403's li: a true parent.
    assert _tree(page) == {
        401: (None, False),
        402: (401, False),
        403: (402, False),
        404: (403, False),
        405: (None, False),
    }
    comments = _by_id(page)
    assert (comments[401].author_name, comments[401].author_url) == (
        "Ines Duarte",
        "https://ines.example",
    )
    assert (comments[402].author_name, comments[402].author_url) == ("Tunde Okafor", "")
    assert comments[404].published_at == datetime(2023, 1, 12, 7, 15, tzinfo=UTC)
    assert comments[404].content_text == "Ines, have you heard the Artemyev version?"
    assert comments[401].url == url + "#comment-401"
    assert [c.raw["depth"] for c in page.comments] == [1, 2, 3, 3, 1]
    assert page.current_page == 2
    assert page.page_urls == ["http://127.0.0.7:8080/2023/01/review-solaris/comment-page-1/"]


def test_flattened_core_walker_at_default_depth_without_reply_links() -> None:
    """Comments closed (no reply links anywhere): the limit is WordPress's default depth, 5."""
    html = '<ol class="comment-list">' + _nested_li(1, 6) + "</ol>"
    page = parse_comments(html, "https://blog.example/p/", 3)
    assert _tree(page) == {
        1: (None, False),
        2: (1, False),
        3: (2, False),
        4: (3, False),
        5: (4, True),
        6: (4, True),  # printed beside 5 at depth 5, really its reply
    }


def _nested_li(first: int, last: int) -> str:
    """Core html5 markup for a chain first..last, flattened at depth 5 as wp_list_comments does."""

    def li(n: int, depth: int, inner: str = "") -> str:
        return (
            f'<li id="comment-{n}" class="comment depth-{depth}">'
            f'<article id="div-comment-{n}" class="comment-body"><footer class="comment-meta">'
            f'<div class="comment-author vcard"><b class="fn">User {n}</b></div>'
            f'<div class="comment-metadata"><a href="#comment-{n}">'
            f'<time datetime="2020-01-0{n}T10:00:00+00:00">x</time></a></div></footer>'
            f'<div class="comment-content"><p>Text {n}</p></div></article>{inner}</li>'
        )

    chain = li(5, 5) + li(6, 5)
    for n in range(4, first - 1, -1):
        chain = li(n, n, f'<ol class="children">{chain}</ol>')
    assert last == 6
    return chain


def test_truncated_page_returns_what_was_read() -> None:
    html = _read("jetpack-twentytwentyone.html")
    cut = html[: html.index("Trying that next Sunday!")]
    page = parse_comments(cut, "https://kitchen.example/2021/02/sunday-ragu-revisited/", 57)
    assert [c.wp_id for c in page.comments] == [88, 89]
    assert page.comments[0].content_text == "My nonna adds a splash of milk at the end."
    assert page.comments[1].parent_wp_id == 88
    assert "page ends before </html>: truncated?" in [p.message for p in page.problems]


@pytest.mark.parametrize("html", ["", "<html", "<<<>>>", "<li id='comment-x'>", "\x00\xff"])
def test_garbage_never_raises(html: str) -> None:
    page = parse_comments(html, "https://blog.example/p/", 1)
    assert page.comments == []


def test_a_comment_without_author_or_date_is_reported() -> None:
    html = '<ol><li id="comment-9" class="comment depth-1"><p>orphan text</p></li></ol>'
    page = parse_comments(html, "https://blog.example/p/", 1)
    assert page.comments[0].author_name == ""
    assert page.comments[0].content_text == "orphan text"
    assert sorted(p.message for p in page.problems) == [
        "comment 9: no author",
        "comment 9: no readable date",
    ]


@pytest.mark.parametrize(
    ("text", "offset", "expected"),
    [
        ("March 29, 2018 at 10:15 am", 0.0, datetime(2018, 3, 29, 10, 15, tzinfo=UTC)),
        ("March 29, 2018 at 10:15 pm", 1.0, datetime(2018, 3, 29, 21, 15, tzinfo=UTC)),
        ("29 March 2018 at 22:15", -5.0, datetime(2018, 3, 30, 3, 15, tzinfo=UTC)),
        ("2018-03-29 at 22:15", 0.0, datetime(2018, 3, 29, 22, 15, tzinfo=UTC)),
        ("3 days ago", 0.0, None),
        ("29/03/2018", 0.0, None),
    ],
)
def test_wordpress_text_dates(text: str, offset: float, expected: datetime | None) -> None:
    assert parse_wp_date_text(text, offset) == expected


@pytest.mark.parametrize(
    ("url", "number", "post"),
    [
        ("https://b.example/2020/01/x/comment-page-3/#comments", 3, "https://b.example/2020/01/x/"),
        ("https://b.example/?p=7&cpage=2#comments", 2, "https://b.example/?p=7"),
        ("https://b.example/2020/01/x/", None, "https://b.example/2020/01/x/"),
    ],
)
def test_comment_page_urls(url: str, number: int | None, post: str) -> None:
    assert comment_page_number(url) == number
    assert strip_comment_page(url) == post


# ---- pages recorded from the real WordPress harness (tests/fixtures/recorded) ---------------------

MANIFEST = load_manifest()
SEED = seed_lines()


def recorded(name: str) -> tuple[CommentPage, dict[int, dict[str, Any]]]:
    """Comments parsed from a recorded page and the harness's truth about that post's comments."""
    meta = MANIFEST["files"][f"html/{name}"]
    url = MANIFEST["sites"][meta["site"]]["home"] + meta["path"]
    post = MANIFEST["posts"][meta["post"]]
    html = (RECORDED / "html" / name).read_text(encoding="utf-8")
    truth = {c["id"]: c for c in post["comments"]}
    return parse_comments(html, url, post["id"]), truth


@pytest.mark.parametrize(
    "name", ["tt1-her.html", "tt1-closed-her.html", "tt2-her.html", "tt3-her.html"]
)
def test_seed_post_one_comment_and_two_replies(name: str) -> None:
    page, truth = recorded(name)
    assert [(c.wp_id, c.parent_wp_id, c.parent_inferred) for c in page.comments] == [
        (485, None, False),
        (486, 485, False),
        (487, 485, False),
    ]
    reader, first, second = page.comments
    assert (reader.author_name, reader.author_url) == (
        "Manja Mexi",
        "https://manjameximovie3.wordpress.com",
    )
    assert (first.author_name, first.author_url) == (
        "Jordan Reeve",
        "https://cinemaverdict.example",
    )
    for comment in page.comments:
        assert comment.published_at is not None
        assert comment.published_at.isoformat() == truth[comment.wp_id]["date_gmt"]
    assert reader.content_text.split("\n\n") == SEED[8:12]
    assert first.content_text == SEED[12] and second.content_text == SEED[13]
    assert reader.content_html.startswith("<p>Oh, I’m so glad you reminded me of this film.")
    assert page.page_urls == [] and page.problems == []


@pytest.mark.parametrize(
    ("name", "count", "current"),
    [
        ("tt1-heavy-all.html", 67, None),
        ("tt1-heavy-cpage1.html", 44, 1),
        ("tt1-heavy-cpage2.html", 14, 2),
        ("tt2-heavy-default.html", 9, 3),
        ("tt2-heavy-page1.html", 44, 1),
        ("tt2-heavy-page2.html", 14, 2),
        ("tt3-heavy-default.html", 9, 3),
        ("tt3-heavy-page1.html", 44, 1),
        ("tt3-heavy-page2.html", 14, 2),
    ],
)
def test_deep_threads_every_uninferred_parent_is_true(name: str, count: int, current: int) -> None:
    """67 comments nested 7 deep on a site threading 5 deep: wherever the markup could have
    put a reply under the wrong parent, the parent is marked inferred."""
    page, truth = recorded(name)
    assert len(page.comments) == count and page.current_page == current
    for comment in page.comments:
        true = truth[comment.wp_id]
        assert comment.author_name == true["author_name"]
        assert comment.author_url == true["author_url"]
        assert comment.published_at is not None
        assert comment.published_at.isoformat() == true["date_gmt"]
        if not comment.parent_inferred:
            assert comment.parent_wp_id == (true["parent"] or None), comment.wp_id
        if comment.parent_wp_id != (true["parent"] or None):
            assert comment.parent_inferred, comment.wp_id
    assert page.problems == []


def test_classic_flattening_marks_exactly_the_last_level() -> None:
    page, truth = recorded("tt1-heavy-all.html")
    inferred = {c.wp_id for c in page.comments if c.parent_inferred}
    assert inferred == {c for c, t in truth.items() if t["depth"] >= 5}
    wrong = {c.wp_id for c in page.comments if c.parent_wp_id != (truth[c.wp_id]["parent"] or None)}
    assert wrong == {c for c, t in truth.items() if t["depth"] > 5} == {186, 188}


def test_block_theme_nesting_is_true_at_every_depth() -> None:
    page, truth = recorded("tt3-heavy-default.html")  # the thread that goes 7 deep
    assert not any(c.parent_inferred for c in page.comments)
    assert max(truth[c.wp_id]["depth"] for c in page.comments) == 7
    assert all(c.parent_wp_id == (truth[c.wp_id]["parent"] or None) for c in page.comments)


def test_recorded_comment_page_links() -> None:
    page, _ = recorded("tt3-heavy-default.html")
    base = "http://127.0.0.5:8000/2015/09/review-zodiac/"
    assert page.page_urls == [f"{base}comment-page-2/", f"{base}comment-page-1/"]
    classic, _ = recorded("tt1-heavy-cpage2.html")
    assert classic.page_urls == [
        "http://127.0.0.4:8000/?p=15&cpage=1",
        "http://127.0.0.4:8000/?p=15&cpage=3",
    ]
