"""`wparchive history`: what changed, when, read from the versions tables as plain lines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from archive.errors import ArchiveError
from archive.history import COMMENT_HISTORY, POST_HISTORY, VersionedKind
from archive.identity import normalize_site_url
from archive.models import SITES

SITE_LINES = 100  # newest changes shown for a whole site


def history_lines(
    conn: Connection, site: str, post: int | None = None, comment: int | None = None
) -> list[str]:
    """One line per version: of one post or comment (oldest first), else the site's newest."""
    url = normalize_site_url(site)
    site_id = conn.scalar(select(SITES.c.id).where(SITES.c.url == url))
    if site_id is None:
        raise ArchiveError(f"no site {url} in the archive")
    if post is not None or comment is not None:
        kind, wp_id = (POST_HISTORY, post) if post is not None else (COMMENT_HISTORY, comment)
        lines = list(_item_lines(conn, kind, site_id, wp_id or 0))
        if not lines:
            raise ArchiveError(f"no {_label(kind)} {wp_id} archived for {url}")
        return lines
    changes = [
        (version["first_seen_at"], f"{_label(kind)} {version['wp_id']}", line)
        for kind in (POST_HISTORY, COMMENT_HISTORY)
        for version, line in _described(conn, kind, site_id, None)
    ]
    changes.sort(key=lambda change: change[0], reverse=True)
    return [f"{_when(at)}  {label}  {line}" for at, label, line in changes[:SITE_LINES]]


def _item_lines(conn: Connection, kind: VersionedKind, site_id: int, wp_id: int) -> Iterator[str]:
    for version, line in _described(conn, kind, site_id, wp_id):
        yield f"{_when(version['first_seen_at'])}  {line}"


def _described(
    conn: Connection, kind: VersionedKind, site_id: int, wp_id: int | None
) -> Iterator[tuple[Any, str]]:
    """Each version with its description: new, changed fields, deleted (why), back."""
    versions = kind.versions
    stmt = select(versions).where(versions.c.site_id == site_id)
    if wp_id is not None:
        stmt = stmt.where(versions.c.wp_id == wp_id)
    previous: dict[int, Any] = {}
    for version in conn.execute(stmt.order_by(versions.c.wp_id, versions.c.id)).mappings():
        before = previous.get(version["wp_id"])
        previous[version["wp_id"]] = version
        yield version, _describe(version, before)


def _describe(version: Any, before: Any) -> str:
    runs = f"runs {version['first_seen_run_id']}-{version['last_seen_run_id']}"
    current = " (current)" if version["is_current"] else ""
    title = version["fields"].get("title") or version["fields"].get("author_name") or ""
    if version["deleted_reason"]:
        what = f"no longer public: {version['deleted_reason']}"
    elif before is None:
        what = f"first seen: {title!r}"
    elif before["deleted_reason"]:
        what = f"public again: {title!r}"
    else:
        fields = version["fields"]
        changed = [name for name in fields if fields[name] != before["fields"].get(name)]
        what = "changed: " + ", ".join(changed)
    return f"{runs}{current}  {what}"


def _label(kind: VersionedKind) -> str:
    return "post" if kind is POST_HISTORY else "comment"


def _when(at: datetime | str) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(at, datetime) else str(at)
