"""The media a backup keeps: which images the archived posts show, and the media rows (no fetching).

A media row is one URL of a site: with its file (`media/<sha256>.<ext>`, shared by every URL with
the same bytes) once downloaded, or with the problem that made it refused. post_media says which
posts show it, as their featured image or in their body; it is rewritten whole for a site on
each run, so an image an edit took out of a post is no longer linked to it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from sqlalchemy import Connection, delete, select

from archive.bulk import chunked
from archive.models import MEDIA, POST_MEDIA, POSTS, SITES
from archive.upsert import dialect_insert

Role = Literal["featured", "body"]
# The stored body is sanitized HTML (nh3): attributes are always double-quoted.
_IMG_SRC = re.compile(r'<img\b[^>]*?\ssrc="([^"]+)"', re.IGNORECASE)


@dataclass(frozen=True)
class WantedMedia:
    """One image a post shows: the post's row id, how it shows it, and its absolute URL; a
    featured image known only by its media id (REST) has `media_id` and no URL yet."""

    post_id: int
    role: Role
    url: str = ""
    media_id: int | None = None


@dataclass(frozen=True)
class StoredMedia:
    """What the archive holds for one media URL."""

    id: int
    sha256: str | None
    file: str | None
    size: int | None
    problem: str | None


@dataclass(frozen=True)
class SiteMediaFacts:
    """What finding a site's media needs: its row id, home URL and REST API root."""

    id: int
    url: str
    api_root: str | None


def site_media_facts(conn: Connection, site_url: str) -> SiteMediaFacts | None:
    """The archived site at `site_url`, if any."""
    row = conn.execute(
        select(SITES.c.id, SITES.c.url, SITES.c.api_root).where(SITES.c.url == site_url)
    ).first()
    return SiteMediaFacts(row.id, row.url, row.api_root) if row else None


def wanted_media(conn: Connection, site_id: int) -> list[WantedMedia]:
    """Every image the site's live posts and pages show, in post order."""
    stmt = (
        select(POSTS.c.id, POSTS.c.url, POSTS.c.content_html, POSTS.c.raw)
        .where(POSTS.c.site_id == site_id, POSTS.c.deleted_at.is_(None))
        .order_by(POSTS.c.id)
    )
    found: list[WantedMedia] = []
    for post_id, post_url, body, raw in conn.execute(stmt):
        found.extend(_featured(post_id, raw or {}))
        found.extend(WantedMedia(post_id, "body", url) for url in body_images(body, post_url))
    return found


def body_images(body: str, base: str) -> Iterator[str]:
    """The absolute http(s) URLs of a stored body's `<img src>`, each once, in order."""
    seen: set[str] = set()
    for src in _IMG_SRC.findall(body or ""):
        url = urljoin(base, html.unescape(src).strip())
        if urlsplit(url).scheme in ("http", "https") and url not in seen:
            seen.add(url)
            yield url


def _featured(post_id: int, raw: dict[str, Any]) -> list[WantedMedia]:
    """The featured image as the source named it: a URL (Jetpack's field on REST, WordPress.com's
    `featured_image`), else REST's media id, resolved later through the API."""
    for key in ("jetpack_featured_media_url", "featured_image"):
        url = raw.get(key)
        if isinstance(url, str) and urlsplit(url).scheme in ("http", "https"):
            return [WantedMedia(post_id, "featured", url)]
    media_id = raw.get("featured_media")
    if isinstance(media_id, int) and not isinstance(media_id, bool) and media_id > 0:
        return [WantedMedia(post_id, "featured", media_id=media_id)]
    return []


def stored_media(conn: Connection, site_id: int) -> dict[str, StoredMedia]:
    """url -> what the archive holds of it, for the site."""
    stmt = select(
        MEDIA.c.url, MEDIA.c.id, MEDIA.c.sha256, MEDIA.c.file, MEDIA.c.size, MEDIA.c.problem
    ).where(MEDIA.c.site_id == site_id)
    return {url: StoredMedia(*rest) for url, *rest in conn.execute(stmt)}


def save_media(
    conn: Connection, site_id: int, rows: Sequence[dict[str, Any]], now: datetime
) -> None:
    """Insert or update media rows (url, sha256, content_type, size, file, problem) of a site."""
    if not rows:
        return
    stmt = dialect_insert(conn, MEDIA)
    stmt = stmt.on_conflict_do_update(
        index_elements=["site_id", "url"],
        set_={name: stmt.excluded[name] for name in (*rows[0], "fetched_at") if name != "url"},
    )
    conn.execute(stmt, [{"site_id": site_id, "fetched_at": now, **row} for row in rows])


def link_post_media(conn: Connection, site_id: int, links: Sequence[tuple[int, str, Role]]) -> int:
    """Replace the site's post_media links with `links` (post row id, media URL, role); links to
    URLs without a media row are left out. Returns the links written."""
    ids = {url: media.id for url, media in stored_media(conn, site_id).items()}
    posts = select(POSTS.c.id).where(POSTS.c.site_id == site_id).scalar_subquery()
    conn.execute(delete(POST_MEDIA).where(POST_MEDIA.c.post_id.in_(posts)))
    rows = sorted({(post_id, ids[url], role) for post_id, url, role in links if url in ids})
    for chunk in chunked(rows):
        conn.execute(
            dialect_insert(conn, POST_MEDIA).on_conflict_do_nothing(),
            [{"post_id": p, "media_id": m, "role": r} for p, m, r in chunk],
        )
    return len(rows)
