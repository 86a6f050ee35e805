"""ArchiveStore: the one object the crawler talks to; every call is one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, case, func, or_, select

from archive import state
from archive.db import run_transaction
from archive.deletions import ItemKind, mark_deleted, replies_to_unseen, unseen_items
from archive.history import DeletedReason
from archive.history_view import history_lines
from archive.identity import normalize_site_url
from archive.models import SITES
from archive.raw_items import (
    RawItem,
    RawKind,
    SiteRow,
    archived_sites,
    author_names,
    raw_items_after,
)
from archive.records import CrawlState, Record, SiteRecord, SourceTraits
from archive.redact import redact_text
from archive.saving import save_batch
from archive.state import RunSummary, SaveCounts, SiteSummary
from archive.threads import rethread_site
from archive.upsert import dialect_insert

T = TypeVar("T")


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class ArchiveStore:
    """Stores a site's records, tracks its crawl runs and state, and leases it to one worker.

    `clock` is for tests; leases compare the workers' clocks, so machines sharing one PostgreSQL
    should keep them in sync (NTP).
    """

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime] = utc_now,
        traits: SourceTraits | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        # Which source may overwrite what: the scraper's source registry says (archive_traits).
        self.traits = traits or SourceTraits()

    def ensure_site(self, site: SiteRecord) -> int:
        """Insert or update the site by its normalized home URL; return its id.

        An empty field in `site` keeps the stored value: discovery paths know different things.
        """
        return run_transaction(self.engine, lambda conn: _upsert_site(conn, site, self.clock()))

    def load_state(self, site_id: int) -> CrawlState:
        """The site's high-water marks for an incremental crawl."""
        return self._read(lambda conn: state.load_state(conn, site_id))

    def start_run(self, site_id: int, source: str, mode: str) -> int:
        """Open a crawl run ("full" or "incremental") and return its id."""
        now = self.clock()
        return run_transaction(
            self.engine, lambda conn: state.start_run(conn, site_id, source, mode, now)
        )

    def save_records(self, site_id: int, run_id: int, records: Sequence[Record]) -> SaveCounts:
        """Save a batch in one transaction: all of it, or (on any error) none of it."""
        now = self.clock()
        return run_transaction(
            self.engine, lambda conn: save_batch(conn, site_id, run_id, records, now, self.traits)
        )

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
        summary = redact_text(summary)
        fields = {"status": status, "source": source, "summary": summary, "requests": requests}
        now = self.clock()
        return run_transaction(
            self.engine, lambda conn: state.finish_run(conn, run_id, fields, advance_state, now)
        )

    def unseen_items(
        self, site_id: int, run_id: int, kinds: tuple[ItemKind, ...]
    ) -> dict[ItemKind, dict[int, int | None]]:
        """Undeleted items of `kinds` the run did not see: kind -> {wp_id: comment's post}."""
        return self._read(lambda conn: unseen_items(conn, site_id, run_id, kinds))

    def replies_to_unseen(self, site_id: int, run_id: int, wp_ids: Iterable[int]) -> set[int]:
        """Those of the given comments that reply to a comment the run did not see."""
        wanted = list(wp_ids)
        return self._read(lambda conn: replies_to_unseen(conn, site_id, run_id, wanted))

    def mark_deleted(
        self,
        site_id: int,
        run_id: int,
        reasons: dict[ItemKind, dict[int, DeletedReason]],
    ) -> dict[ItemKind, int]:
        """Mark items deleted (a complete sweep did not see them), count them on the run,
        rethread; one transaction."""
        now = self.clock()

        def work(conn: Connection) -> dict[ItemKind, int]:
            counted = mark_deleted(conn, site_id, run_id, reasons, now)
            state.add_deleted(conn, run_id, {str(k): n for k, n in counted.items()})
            return counted

        return run_transaction(self.engine, work)

    def history_lines(
        self, site: str, post: int | None = None, comment: int | None = None
    ) -> list[str]:
        """What changed, when: one line per version (see archive.history_view)."""
        return self._read(lambda conn: history_lines(conn, site, post, comment))

    def known_site(self, url: str) -> state.KnownSite | None:
        """What the archive remembers of the site at `url` (any form of its home URL)."""
        normalized = normalize_site_url(url)
        return self._read(lambda conn: state.known_site(conn, normalized))

    def save_robots(self, site_id: int, rules: str) -> None:
        """Keep the site's robots.txt rules (read now) for the next crawls."""
        now = self.clock()
        run_transaction(self.engine, lambda conn: state.save_robots(conn, site_id, rules, now))

    def abandon_runs(self, site_id: int, holder: str) -> int:
        """The site's runs left running by `holder`, a worker found dead, become abandoned."""
        return run_transaction(self.engine, lambda conn: state.abandon_runs(conn, site_id, holder))

    def rethread(self, site_id: int) -> int:
        """Recompute threading for all the site's comments; return rows changed."""
        return run_transaction(self.engine, lambda conn: rethread_site(conn, site_id))

    def site_summaries(self) -> list[SiteSummary]:
        """One summary per archived site, ordered by URL."""
        return self._read(state.site_summaries)

    def claim_site(
        self, site_id: int, worker: str, lease_seconds: float, replacing: str | None = None
    ) -> bool:
        """Take (or renew) the site's lease for `worker`; False when another worker holds it.

        `replacing`: a holder known to be dead (a killed crawl), whose lease is taken over."""
        now = self.clock()
        return run_transaction(
            self.engine,
            lambda conn: state.claim_site(conn, site_id, worker, lease_seconds, now, replacing),
        )

    def lease_holder(self, site_id: int) -> str | None:
        """The worker holding the site's unexpired lease, if any."""
        now = self.clock()
        return self._read(lambda conn: state.lease_holder(conn, site_id, now))

    def release_site(self, site_id: int, worker: str) -> None:
        """Release the site's lease if `worker` holds it."""
        run_transaction(self.engine, lambda conn: state.release_site(conn, site_id, worker))

    def archived_sites(self, url: str | None = None) -> list[SiteRow]:
        """The archived sites (only `url`'s when given), by URL."""
        wanted = normalize_site_url(url) if url else None
        return self._read(lambda conn: archived_sites(conn, wanted))

    def author_names(self, site_id: int) -> dict[int, str]:
        """wp_id -> name of the site's archived authors."""
        return self._read(lambda conn: author_names(conn, site_id))

    def raw_items_after(
        self, site_id: int, kind: RawKind, sources: tuple[str, ...], after: int, batch: int = 500
    ) -> list[RawItem]:
        """The next batch of stored raw items (see archive.raw_items)."""
        return self._read(lambda conn: raw_items_after(conn, site_id, kind, sources, after, batch))

    def _read(self, work: Callable[[Connection], T]) -> T:
        return run_transaction(self.engine, work, write=False)


def _upsert_site(conn: Connection, site: SiteRecord, now: datetime) -> int:
    url = normalize_site_url(site.url)
    values = {
        "url": url,
        "name": site.name,
        "description": site.description,
        "api_root": site.api_root,
        "gmt_offset": site.gmt_offset,
        "timezone": site.timezone,
        "created_at": now,
    }
    stmt = dialect_insert(conn, SITES)
    keep = {
        name: _unless_empty(stmt.excluded[name], SITES.c[name])
        for name in ("name", "description", "api_root", "timezone")
    }
    keep["gmt_offset"] = func.coalesce(stmt.excluded.gmt_offset, SITES.c.gmt_offset)
    conn.execute(stmt.on_conflict_do_update(index_elements=["url"], set_=keep), values)
    site_id: int = conn.execute(select(SITES.c.id).where(SITES.c.url == url)).scalar_one()
    return site_id


def _unless_empty(new: Any, old: Any) -> Any:
    """The new value unless it is empty (NULL or '')."""
    return case((or_(new.is_(None), new == ""), old), else_=new)
