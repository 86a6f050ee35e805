"""WXR 1.2 (WordPress eXtended RSS): one archived site as a file WordPress's importer reads, streamed.

Element order and formats follow core's export_wp() (wp-admin/includes/export.php, WordPress 6.1).
What the archive cannot know is written empty (author emails, IPs, post passwords, logins: an
author's login is their public nicename). Comments are written by post and then by id, which puts
every parent before its replies; a comment's parent is written only where the importer will link
it to the right comment (see `wxr_parent`), else 0 (top level).
"""

from __future__ import annotations

import logging
import os
import secrets
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine, exists, select

from archive.db import run_transaction
from archive.errors import ArchiveError
from archive.export.wxr_items import (
    AnyRow,
    CommentStream,
    fetch_post_terms,
    item_head,
    iter_comments,
    iter_post_batches,
)
from archive.export.wxr_xml import cdata, element, rss_date, site_clock, xml_text
from archive.identity import normalize_site_url, slugify
from archive.models import AUTHORS, POSTS, SITES, TERMS

LOGGER = logging.getLogger(__name__)

WXR_VERSION = "1.2"
SITE_COLUMNS = (
    SITES.c.url,
    SITES.c.name,
    SITES.c.description,
    SITES.c.timezone,
    SITES.c.gmt_offset,
    SITES.c.last_complete_at,
    SITES.c.last_crawl_finished_at,
)
TERM_ELEMENTS = {"category": "wp:category", "post_tag": "wp:tag"}  # any other taxonomy: wp:term
HEAD = f"""<?xml version="1.0" encoding="UTF-8" ?>
<!-- WordPress eXtended RSS written by wparchive from its archive of the site. -->
<rss version="2.0"
\txmlns:excerpt="http://wordpress.org/export/{WXR_VERSION}/excerpt/"
\txmlns:content="http://purl.org/rss/1.0/modules/content/"
\txmlns:wfw="http://wellformedweb.org/CommentAPI/"
\txmlns:dc="http://purl.org/dc/elements/1.1/"
\txmlns:wp="http://wordpress.org/export/{WXR_VERSION}/"
>
<channel>
"""
TAIL = "</channel>\n</rss>\n"


@dataclass
class WxrCounts:
    """What one WXR document holds."""

    authors: int = 0
    terms: int = 0
    items: int = 0
    comments: int = 0


class WxrWriter:
    """The whole-document writer the export registry calls: one site, one file."""

    name = "wxr"
    extension = "xml"

    def write(self, conn: Connection, out: BinaryIO, site: str) -> WxrCounts:
        """Write the archived site `site` (its URL, in any spelling) as WXR to `out`."""
        return write_wxr(conn, out, find_site_id(conn, site))


def find_site_id(conn: Connection, site: str) -> int:
    """The archive's id of a site by URL; ArchiveError when it is not archived."""
    url = normalize_site_url(site)
    site_id = conn.scalar(select(SITES.c.id).where(SITES.c.url == url))
    if site_id is None:
        raise ArchiveError(f"no site {url} in the archive")
    return int(site_id)


def export_wxr(engine: Engine, path: Path, site_url: str) -> WxrCounts:
    """Write `path` from one read transaction, through a temporary file renamed at the end."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.part")

    def work(conn: Connection) -> WxrCounts:
        with temp.open("wb") as out:
            return WxrWriter().write(conn, out, site_url)

    try:
        counts = run_transaction(engine, work, write=False)
        os.replace(temp, path)
    except OSError as exc:
        raise ArchiveError(f"export failed writing {path}: {exc}") from exc
    finally:
        temp.unlink(missing_ok=True)
    LOGGER.info("wrote %s: %s", path, counts)
    return counts


def write_wxr(conn: Connection, out: BinaryIO, site_id: int) -> WxrCounts:
    """Stream the site's authors, terms, posts and pages (with their terms and comments) as WXR."""
    site = conn.execute(select(*SITE_COLUMNS).where(SITES.c.id == site_id)).one()
    counts = WxrCounts()
    clock = site_clock(site.timezone, site.gmt_offset)
    out.write((HEAD + _channel_head(site)).encode("utf-8"))
    logins = fetch_author_logins(conn, site_id)
    counts.authors = _write_authors(conn, out, site_id, logins)
    counts.terms = _write_terms(conn, out, site_id)
    comments = CommentStream(iter_comments(conn, site_id))
    for batch in iter_post_batches(conn, site_id):
        terms = fetch_post_terms(conn, [post.id for post in batch])
        for post in batch:
            item = item_head(post, site.url, logins, clock, terms.get(post.id, ()))
            out.write(item.encode("utf-8"))
            counts.comments += comments.write_for(out, post.wp_id, clock)
            out.write(b"\t</item>\n")
            counts.items += 1
    out.write(TAIL.encode("utf-8"))
    out.flush()
    return counts


# --- channel, authors, terms --------------------------------------------------------------


def _channel_head(site: AnyRow) -> str:
    url = xml_text(site.url)
    lines = [
        element("title", xml_text(site.name)),
        element("link", url),
        element("description", xml_text(site.description)),
    ]
    # The archive's own date keeps two exports of one archive identical; export_wp uses "now".
    archived_at = site.last_complete_at or site.last_crawl_finished_at
    if archived_at is not None:
        lines.append(element("pubDate", rss_date(archived_at)))
    lines += [
        element("wp:wxr_version", WXR_VERSION),
        element("wp:base_site_url", url),
        element("wp:base_blog_url", url),
    ]
    return "".join(f"\t{line}\n" for line in lines)


def author_login(slug: str, name: str, wp_id: int | None = None) -> str:
    """The login an author gets: the public nicename, else one made from the display name."""
    return slug or slugify(name) or (f"author-{wp_id}" if wp_id else "")


def fetch_author_logins(conn: Connection, site_id: int) -> dict[int, str]:
    """wp user id -> login, for every archived author of the site."""
    stmt = select(AUTHORS.c.wp_id, AUTHORS.c.slug, AUTHORS.c.name).where(
        AUTHORS.c.site_id == site_id
    )
    return {wp_id: author_login(slug, name, wp_id) for wp_id, slug, name in conn.execute(stmt)}


def _write_authors(conn: Connection, out: BinaryIO, site_id: int, logins: Mapping[int, str]) -> int:
    stmt = (
        select(AUTHORS.c.wp_id, AUTHORS.c.name)
        .where(AUTHORS.c.site_id == site_id)
        .order_by(AUTHORS.c.wp_id)
    )
    authors: list[tuple[int, str, str]] = [
        (wp_id, logins[wp_id], name) for wp_id, name in conn.execute(stmt)
    ]
    # Posts whose author is known only by name (feeds, HTML) still need a wp:author to map.
    unnamed = (
        select(POSTS.c.author_name)
        .where(
            POSTS.c.site_id == site_id, POSTS.c.author_name.is_not(None), POSTS.c.author_name != ""
        )
        .where(
            ~exists().where(AUTHORS.c.site_id == site_id, AUTHORS.c.wp_id == POSTS.c.author_wp_id)
        )
        .distinct()
        .order_by(POSTS.c.author_name)
    )
    authors += [(0, author_login("", name), name) for (name,) in conn.execute(unnamed) if name]
    for wp_id, login, name in authors:
        fields = (
            element("wp:author_id", str(wp_id)),
            element("wp:author_login", cdata(login)),
            element("wp:author_email", cdata("")),
            element("wp:author_display_name", cdata(name)),
            element("wp:author_first_name", cdata("")),
            element("wp:author_last_name", cdata("")),
        )
        out.write(f"\t<wp:author>{''.join(fields)}</wp:author>\n".encode())
    return len(authors)


def _write_terms(conn: Connection, out: BinaryIO, site_id: int) -> int:
    """Categories (parents first), then tags, then other taxonomies' terms, as export_wp orders them."""
    stmt = (
        select(TERMS.c.taxonomy, TERMS.c.slug, TERMS.c.name, TERMS.c.wp_id, TERMS.c.raw)
        .where(TERMS.c.site_id == site_id)
        .order_by(
            TERMS.c.taxonomy != "category",
            TERMS.c.taxonomy != "post_tag",
            TERMS.c.taxonomy,
            TERMS.c.id,
        )
    )
    count = 0
    categories: list[AnyRow] = []
    for row in conn.execute(stmt.execution_options(yield_per=1000)):
        if row.taxonomy == "category":
            categories.append(row)  # few, and their parents may come later
            continue
        if categories:
            count += _write_categories(out, categories)
            categories = []
        out.write(_term_element(row, "").encode("utf-8"))
        count += 1
    return count + _write_categories(out, categories)


def _write_categories(out: BinaryIO, rows: Sequence[AnyRow]) -> int:
    """export_wp's rule: a category waits until its parent is written; an unknown parent is none."""
    slugs = {row.wp_id: row.slug for row in rows if row.wp_id is not None}
    waiting = deque((row, slugs.get(term_parent(row.raw), "")) for row in rows)
    written: set[str] = set()
    stalled = 0
    while waiting:
        row, parent = waiting.popleft()
        if parent and parent not in written and stalled <= len(waiting):
            waiting.append((row, parent))
            stalled += 1
            continue
        # Past a full round without progress only a parent cycle (bad data) is left: break it.
        out.write(_term_element(row, parent if parent in written else "").encode("utf-8"))
        written.add(row.slug)
        stalled = 0
    return len(rows)


def _term_element(row: AnyRow, parent_slug: str) -> str:
    """A wp:category, wp:tag or wp:term in export_wp's order (a description only when there is one)."""
    tag = TERM_ELEMENTS.get(row.taxonomy, "wp:term")
    fields = [element("wp:term_id", str(row.wp_id or 0))]
    if tag == "wp:category":
        fields += [
            element("wp:category_nicename", cdata(row.slug)),
            element("wp:category_parent", cdata(parent_slug)),
            element("wp:cat_name", cdata(row.name)),
        ]
    elif tag == "wp:tag":
        fields += [element("wp:tag_slug", cdata(row.slug)), element("wp:tag_name", cdata(row.name))]
    else:
        fields += [
            element("wp:term_taxonomy", cdata(row.taxonomy)),
            element("wp:term_slug", cdata(row.slug)),
            element("wp:term_parent", cdata("")),
            element("wp:term_name", cdata(row.name)),
        ]
    description = term_description(row.raw)
    if description:
        name = {"wp:category": "wp:category_description", "wp:tag": "wp:tag_description"}
        fields.append(element(name.get(tag, "wp:term_description"), cdata(description)))
    body = "".join(f"\t\t{field}\n" for field in fields)
    return f"\t<{tag}>\n{body}\t</{tag}>\n"


def term_parent(raw: Mapping[str, Any] | None) -> int:
    """The parent term's WordPress id, from a REST or WordPress.com term item (0: none known)."""
    parent = (raw or {}).get("parent")
    return parent if isinstance(parent, int) and parent > 0 else 0


def term_description(raw: Mapping[str, Any] | None) -> str:
    """The term's description, from a REST or WordPress.com term item."""
    description = (raw or {}).get("description")
    return description if isinstance(description, str) else ""
