"""Records for the archive tests, built from the seed review post (tests/fixtures/seed/her-review.txt)."""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from archive.records import (
    AuthorRecord,
    CommentRecord,
    PostRecord,
    RatingRecord,
    Record,
    SiteRecord,
    TermRecord,
    TermRef,
)

SEED = Path(__file__).parents[1] / "fixtures" / "seed" / "her-review.txt"
SITE = SiteRecord(url="https://Reviews.Example.com/", name="Film Reviews", api_root=None)
SITE_URL = "https://reviews.example.com"
POST_ID = 1984
COMMENT_ID, REPLY_IDS = 310, (311, 312)


def seed_paragraphs() -> list[str]:
    """The seed's lines: rating, 7 body paragraphs, 4 comment paragraphs, 2 replies."""
    return [line for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]


def as_html(paragraphs: list[str]) -> str:
    return "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)


def when(day: int, hour: int = 10) -> datetime:
    return datetime(2018, 3, day, hour, 0, tzinfo=UTC)


def her_post(**changes: object) -> PostRecord:
    """The review as REST gives it: rating 10/10 found in the text, a category and a tag."""
    lines = seed_paragraphs()
    body = lines[1:8]
    post = PostRecord(
        wp_id=POST_ID,
        type="post",
        url=f"{SITE_URL}/2018/03/29/her/",
        title="Her",
        slug="her",
        author_wp_id=2,
        published_at=when(29),
        modified_at=when(29, 12),
        excerpt=body[0][:80],
        content_html=as_html([lines[0], *body]),
        content_text="\n\n".join([lines[0], *body]),
        rating=RatingRecord(10, 10, 0, 1.0, "text", "10/10"),
        terms=(TermRef("category", slug="film", wp_id=7), TermRef("post_tag", slug="spike-jonze")),
        comment_status="open",
        source="rest",
        raw={"id": POST_ID, "title": {"rendered": "Her"}},
    )
    return replace(post, **changes)  # type: ignore[arg-type]


def her_comments() -> list[CommentRecord]:
    """The reader's comment (4 paragraphs, a link last) and the author's two replies to it."""
    lines = seed_paragraphs()
    reader = CommentRecord(
        wp_id=COMMENT_ID,
        post_wp_id=POST_ID,
        parent_wp_id=None,
        author_name="Manja Mexi Movie",
        author_url="https://manjameximovie3.wordpress.com",
        published_at=when(30, 9),
        content_html=as_html(lines[8:12]),
        content_text="\n\n".join(lines[8:12]),
        url=f"{SITE_URL}/2018/03/29/her/#comment-{COMMENT_ID}",
    )
    replies = [
        CommentRecord(
            wp_id=wp_id,
            post_wp_id=POST_ID,
            parent_wp_id=COMMENT_ID,
            author_name="Film Reviews",
            author_wp_id=2,
            published_at=when(30, 11 + n),
            content_html=as_html([text]),
            content_text=text,
            url=f"{SITE_URL}/2018/03/29/her/#comment-{wp_id}",
        )
        for n, (wp_id, text) in enumerate(zip(REPLY_IDS, lines[12:14], strict=True))
    ]
    return [reader, *replies]


def her_records() -> list[Record]:
    """A whole crawl of the seed site, in the order sources yield it."""
    return [
        AuthorRecord(wp_id=2, name="Film Reviews", slug="filmreviews"),
        TermRecord("category", "film", "Film", wp_id=7),
        TermRecord("post_tag", "spike-jonze", "Spike Jonze", wp_id=11),
        her_post(),
        *her_comments(),
    ]


def comment(
    wp_id: int, parent: int | None, post: int = POST_ID, **changes: object
) -> CommentRecord:
    """A short comment for threading tests."""
    record = CommentRecord(
        wp_id=wp_id,
        post_wp_id=post,
        parent_wp_id=parent,
        author_name=f"reader {wp_id}",
        published_at=when(1, 0).replace(minute=wp_id % 60),
        content_text=f"comment {wp_id}",
    )
    return replace(record, **changes)  # type: ignore[arg-type]
