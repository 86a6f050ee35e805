"""PostPages (`--with-pages`): each unrated post's page read for its head JSON-LD rating, one
request per such post, every record kept in its place, a failed page a recorded problem."""

from __future__ import annotations

import json
from collections.abc import Iterator

import responses

from archive.records import (
    CommentRecord,
    CrawlState,
    PostRecord,
    ProblemRecord,
    RatingRecord,
    Record,
)
from scraper.http import HttpClient, HttpSettings
from scraper.sources.pages import PostPages

BASE = "http://blog.test"
REVIEW = {
    "@context": "https://schema.org",
    "@type": "Review",
    "reviewRating": {"@type": "Rating", "ratingValue": 4, "bestRating": 5},
}


class Listed:
    """A source of the test's own: two posts, a comment of the first, a post already rated."""

    name = "rest"

    def fetch_records(self, state: CrawlState) -> Iterator[Record]:
        del state
        yield PostRecord(wp_id=1, type="post", url=f"{BASE}/one/", title="One")
        yield CommentRecord(wp_id=10, post_wp_id=1, parent_wp_id=None, author_name="a")
        yield PostRecord(wp_id=2, type="post", url=f"{BASE}/two/", title="Two")
        rated = RatingRecord(value=8, scale=10, worst=0, normalized=0.8, found_in="text")
        yield PostRecord(wp_id=3, type="post", url=f"{BASE}/three/", title="Three", rating=rated)


@responses.activate
def test_unrated_posts_get_their_head_rating_in_order_and_failures_are_problems() -> None:
    head = f'<script type="application/ld+json">{json.dumps(REVIEW)}</script>'
    responses.get(f"{BASE}/one/", body=f"<html><head>{head}</head><body>x</body></html>")
    responses.get(f"{BASE}/two/", status=404, body="gone")
    client = HttpClient(HttpSettings(respect_robots=False, max_retries=0), sleep=lambda s: None)
    out = list(PostPages(Listed(), client, workers=2).fetch_records(CrawlState()))
    kinds = [(type(r).__name__, getattr(r, "wp_id", None)) for r in out]
    assert kinds == [
        ("PostRecord", 1),
        ("CommentRecord", 10),
        ("ProblemRecord", None),
        ("PostRecord", 2),
        ("PostRecord", 3),
    ]
    one, two, three = (r for r in out if isinstance(r, PostRecord))
    assert one.rating is not None and (one.rating.value, one.rating.scale) == (4, 5)
    assert two.rating is None and three.rating is not None and three.rating.found_in == "text"
    (problem,) = [r for r in out if isinstance(r, ProblemRecord)]
    assert "404" in problem.message and problem.url == f"{BASE}/two/"
    # One request per unrated post; the rated one was not fetched.
    assert sorted(call.request.url for call in responses.calls) == [f"{BASE}/one/", f"{BASE}/two/"]
