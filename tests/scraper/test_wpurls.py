"""WordPress URL shapes under pretty and plain permalinks."""

from __future__ import annotations

import pytest

from scraper.wpurls import (
    atom_of_rss_feed,
    comment_page_number,
    feed_page_url,
    is_post_comment_feed,
    listing_page_number,
    post_id_in,
    rest_route_url,
    slug_in_permalink,
)


@pytest.mark.parametrize(
    ("root", "expected"),
    [
        ("https://a.test/wp-json/", "https://a.test/wp-json/wp/v2/posts"),
        ("https://a.test/api", "https://a.test/api/wp/v2/posts"),
        ("https://a.test/?rest_route=/", "https://a.test/?rest_route=/wp/v2/posts"),
        (
            "https://a.test/index.php?rest_route=/&lang=en",
            "https://a.test/index.php?rest_route=/wp/v2/posts&lang=en",
        ),
    ],
)
def test_rest_route_url_under_both_root_styles(root: str, expected: str) -> None:
    assert rest_route_url(root, "/wp/v2/posts/") == expected


@pytest.mark.parametrize(
    ("url", "listing", "comments"),
    [
        ("https://a.test/page/3/", 3, None),
        ("https://a.test/?paged=4", 4, None),
        ("https://a.test/her/comment-page-2/#comments", None, 2),
        ("https://a.test/?p=7&cpage=5", None, 5),
        ("https://a.test/her/", None, None),
    ],
)
def test_page_numbers(url: str, listing: int | None, comments: int | None) -> None:
    assert listing_page_number(url) == listing
    assert comment_page_number(url) == comments


def test_post_shapes() -> None:
    assert post_id_in("https://a.test/?p=42") == 42
    assert post_id_in("https://a.test/?page_id=9#x") == 9
    assert post_id_in("https://a.test/her/") is None
    assert slug_in_permalink("https://a.test/2024/01/Her/") == "her"
    assert slug_in_permalink("https://a.test/her/2/") == ""
    assert feed_page_url("https://a.test/?feed=rss2", 2) == "https://a.test/?feed=rss2&paged=2"
    assert atom_of_rss_feed("https://a.test/?feed=rss2&p=7") == "https://a.test/?feed=atom&p=7"
    assert atom_of_rss_feed("https://a.test/her/feed/") == "https://a.test/her/feed/atom/"
    assert is_post_comment_feed("https://a.test/her/feed/", "https://a.test/her", 7)
    assert is_post_comment_feed("https://a.test/?feed=rss2&p=7", "https://a.test/?p=7", 7)
    assert not is_post_comment_feed("https://a.test/comments/feed/", "https://a.test/her", 7)
