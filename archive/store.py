"""ArchiveStore: the one object the crawler talks to; every call is one transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, case, func, or_, select

from archive import state
from archive.columns import normalize_site_url
from archive.db import write_transaction
from archive.models import SITES, Site
from archive.records import (
    AuthorRecord,
    CommentRecord,
    CrawlState,
    PostRecord,
    ProblemRecord,
    Record,
    SiteRecord,
    TermRecord,
)
from archive.saving import (
    batch_marks,
    save_authors,
    save_comments,
    save_posts,
    save_problems,
)
from archive.state import RunSummary, SaveCounts, SiteSummary
from archive.terms import save_terms
from archive.threads import rethread_site
from archive.upsert import dialect_insert

LOGGER = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class ArchiveStore:
    """Stores a site's records, tracks its crawl runs and state, and leases it to one worker.

    `clock` is for tests; leases compare the workers' clocks, so machines sharing one PostgreSQL
    should keep them in sync (NTP).
    """

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine
        self.clock = clock

    def ensure_site(self, site: SiteRecord) -> int:
        """Insert or update the site by its normalized home URL; return its id.

        An empty field in `site` keeps the stored value: discovery paths know different things.
        """
        url = normalize_site_url(site.url)
        values = {
            "url": url,
            "name": site.name,
            "description": site.description,
            "api_root": site.api_root,
            "gmt_offset": site.gmt_offset,
            "timezone": site.timezone,
            "created_at": self.clock(),
        }
        with write_transaction(self.engine) as conn:
            stmt = dialect_insert(conn, SITES)
            keep = {
                name: _unless_empty(stmt.excluded[name], SITES.c[name])
                for name in ("name", "description", "api_root", "timezone")
            }
            keep["gmt_offset"] = func.coalesce(stmt.excluded.gmt_offset, SITES.c.gmt_offset)
            conn.execute(stmt.on_conflict_do_update(index_elements=["url"], set_=keep), values)
            site_id: int = conn.execute(select(Site.id).where(Site.url == url)).scalar_one()
        return site_id

    def load_state(self, site_id: int) -> CrawlState:
        """The site's high-water marks for an incremental crawl."""
        with self.engine.connect() as conn:
            return state.load_state(conn, site_id)

    def start_run(self, site_id: int, source: str, mode: str) -> int:
        """Open a crawl run ("full" or "incremental") and return its id."""
        with write_transaction(self.engine) as conn:
            return state.start_run(conn, site_id, source, mode, self.clock())

    def save_records(self, site_id: int, run_id: int, records: Sequence[Record]) -> SaveCounts:
        """Save a batch in one transaction: all of it, or (on any error) none of it."""
        now = self.clock()
        counts = SaveCounts()
        posts = [r for r in records if isinstance(r, PostRecord)]
        comments = [r for r in records if isinstance(r, CommentRecord)]
        with write_transaction(self.engine) as conn:
            if state.run_site_id(conn, run_id) != site_id:
                raise ValueError(f"crawl run {run_id} does not belong to site {site_id}")
            authors = [r for r in records if isinstance(r, AuthorRecord)]
            counts.authors = save_authors(conn, site_id, authors, now)
            terms = [r for r in records if isinstance(r, TermRecord)]
            counts.terms = save_terms(conn, site_id, terms)
            counts.posts = save_posts(conn, site_id, posts, now)
            counts.comments = save_comments(conn, site_id, comments, now)
            problems = [r for r in records if isinstance(r, ProblemRecord)]
            counts.problems = save_problems(conn, run_id, problems, now)
            state.record_progress(conn, run_id, counts, batch_marks(posts, comments), now)
        return counts

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        source: str,
        summary: str,
        requests: int,
        advance_state: bool,
    ) -> RunSummary:
        """Close the run; with `advance_state` the site's high-water marks move to what it saw."""
        fields = {"status": status, "source": source, "summary": summary, "requests": requests}
        with write_transaction(self.engine) as conn:
            return state.finish_run(conn, run_id, fields, advance_state, self.clock())

    def rethread(self, site_id: int) -> int:
        """Recompute threading for all the site's comments; return rows changed."""
        with write_transaction(self.engine) as conn:
            return rethread_site(conn, site_id)

    def site_summaries(self) -> list[SiteSummary]:
        """One summary per archived site, ordered by URL."""
        with self.engine.connect() as conn:
            return state.site_summaries(conn)

    def claim_site(self, site_id: int, worker: str, lease_seconds: float) -> bool:
        """Take (or renew) the site's lease for `worker`; False when another worker holds it."""
        with write_transaction(self.engine) as conn:
            return state.claim_site(conn, site_id, worker, lease_seconds, self.clock())

    def release_site(self, site_id: int, worker: str) -> None:
        """Release the site's lease if `worker` holds it."""
        with write_transaction(self.engine) as conn:
            state.release_site(conn, site_id, worker)


def _unless_empty(new: Any, old: Any) -> Any:
    """The new value unless it is empty (NULL or '')."""
    return case((or_(new.is_(None), new == ""), old), else_=new)
