"""Crawl runs, high-water marks, site leases and the per-site overview `wparchive sites` prints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update

from archive.errors import ArchiveError
from archive.models import AUTHORS, COMMENTS, CRAWL_RUNS, POSTS, PROBLEMS, SITES, TERMS
from archive.records import CrawlState, SiteRecord
from archive.upsert import KindCounts

# reparse: stored raw items run through the parsers again, no network (scraper/reparse.py).
RUN_MODES = ("full", "incremental", "reparse")
FINISHED_STATUSES = ("ok", "partial", "failed", "interrupted")
RUNNING, ABANDONED = "running", "abandoned"
# A run that made no progress for this long was killed; the next run of its site says so.
ABANDON_AFTER = timedelta(hours=1)
KINDS = ("authors", "terms", "posts", "comments")


@dataclass
class SaveCounts:
    """Per kind of record, how many were inserted, updated or unchanged; and problems recorded."""

    authors: KindCounts = field(default_factory=KindCounts)
    terms: KindCounts = field(default_factory=KindCounts)
    posts: KindCounts = field(default_factory=KindCounts)
    comments: KindCounts = field(default_factory=KindCounts)
    problems: int = 0

    def add(self, other: SaveCounts) -> None:
        for kind in KINDS:
            getattr(self, kind).add(getattr(other, kind))
        self.problems += other.problems

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {kind: vars(getattr(self, kind)).copy() for kind in KINDS}
        data["problems"] = self.problems
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> SaveCounts:
        data = data or {}
        kinds = {kind: KindCounts(**data.get(kind, {})) for kind in KINDS}
        return cls(**kinds, problems=int(data.get("problems", 0)))


@dataclass(frozen=True)
class RunMarks:
    """The newest post modification and comment seen by a batch or a run."""

    post_modified_at: datetime | None = None
    comment_published_at: datetime | None = None
    comment_wp_id: int | None = None

    def merge(self, other: RunMarks) -> RunMarks:
        return RunMarks(
            _newest(self.post_modified_at, other.post_modified_at),
            _newest(self.comment_published_at, other.comment_published_at),
            _newest(self.comment_wp_id, other.comment_wp_id),
        )


@dataclass(frozen=True)
class RunSummary:
    """A finished crawl run as the CLI reports it."""

    run_id: int
    site_id: int
    status: str
    source: str
    mode: str
    started_at: datetime
    finished_at: datetime | None
    requests: int
    counts: SaveCounts
    problems: int
    summary: str


@dataclass(frozen=True)
class SiteSummary:
    """One line of `wparchive sites`: what is archived and how the last finished crawl went."""

    site_id: int
    url: str
    name: str
    posts: int
    pages: int
    comments: int
    last_status: str | None
    last_finished_at: datetime | None
    last_source: str | None
    last_problems: int


def _newest(a: Any, b: Any) -> Any:
    if a is None:
        return b
    return a if b is None else max(a, b)


def load_state(conn: Connection, site_id: int) -> CrawlState:
    """The site's high-water marks for an incremental crawl."""
    site = conn.execute(select(SITES).where(SITES.c.id == site_id)).mappings().first()
    if site is None:
        raise ArchiveError(f"no site with id {site_id} in the archive")
    return CrawlState(
        site_id=site_id,
        last_complete_at=site["last_complete_at"],
        posts_modified_after=site["posts_modified_after"],
        comments_after=site["comments_after"],
        max_comment_wp_id=site["max_comment_wp_id"],
        last_sweep_at=site["last_sweep_at"],
        known_authors={
            wp_id: name
            for wp_id, name in conn.execute(
                select(AUTHORS.c.wp_id, AUTHORS.c.name).where(AUTHORS.c.site_id == site_id)
            )
        },
        known_terms=frozenset(
            conn.scalars(
                select(TERMS.c.wp_id).where(TERMS.c.site_id == site_id, TERMS.c.wp_id.is_not(None))
            )
        ),
    )


def start_run(conn: Connection, site_id: int, source: str, mode: str, now: datetime) -> int:
    """Open a run; earlier runs of the site stuck in "running" for over an hour become abandoned."""
    if mode not in RUN_MODES:
        raise ValueError(f"run mode must be one of {RUN_MODES}, not {mode!r}")
    conn.execute(
        update(CRAWL_RUNS)
        .where(
            CRAWL_RUNS.c.site_id == site_id,
            CRAWL_RUNS.c.status == RUNNING,
            CRAWL_RUNS.c.progress_at < now - ABANDON_AFTER,
        )
        .values(status=ABANDONED, summary="abandoned: no progress for over an hour")
    )
    values = {
        "site_id": site_id,
        "source": source,
        "mode": mode,
        "status": RUNNING,
        "started_at": now,
        "progress_at": now,
        "requests": 0,
        "counts": SaveCounts().to_json(),
        "summary": "",
    }
    run_id: int = conn.execute(insert(CRAWL_RUNS).returning(CRAWL_RUNS.c.id), values).scalar_one()
    return run_id


@dataclass(frozen=True)
class KnownSite:
    """What the archive remembers of a site between crawls: its record (with the API root it
    answered on), the source of its last crawl, and its robots.txt rules and when they were read."""

    site_id: int
    record: SiteRecord
    last_source: str | None
    robots_txt: str | None
    robots_fetched_at: datetime | None


def known_site(conn: Connection, url: str) -> KnownSite | None:
    """The archived site at normalized `url`, if any."""
    site = conn.execute(select(SITES).where(SITES.c.url == url)).mappings().first()
    if site is None:
        return None
    fields = ("url", "name", "description", "api_root", "gmt_offset", "timezone")
    return KnownSite(
        site_id=site["id"],
        record=SiteRecord(**{name: site[name] for name in fields}),
        last_source=site["last_crawl_source"],
        robots_txt=site["robots_txt"],
        robots_fetched_at=site["robots_fetched_at"],
    )


def save_robots(conn: Connection, site_id: int, rules: str, now: datetime) -> None:
    """Keep the site's robots.txt rules for the next crawls."""
    stmt = (
        update(SITES).where(SITES.c.id == site_id).values(robots_txt=rules, robots_fetched_at=now)
    )
    conn.execute(stmt)


def abandon_runs(conn: Connection, site_id: int, holder: str) -> int:
    """Mark the site's running runs abandoned: their worker (`holder`) was found dead when its
    lease was taken over. Returns how many."""
    stmt = (
        update(CRAWL_RUNS)
        .where(CRAWL_RUNS.c.site_id == site_id, CRAWL_RUNS.c.status == RUNNING)
        .values(status=ABANDONED, summary=f"abandoned: {holder} stopped before finishing")
    )
    return conn.execute(stmt).rowcount


def add_deleted(conn: Connection, run_id: int, deleted: Mapping[str, int]) -> None:
    """Add a sweep's deletion counts (per kind: post, page, comment) to its run."""
    run_counts = conn.scalar(select(CRAWL_RUNS.c.counts).where(CRAWL_RUNS.c.id == run_id))
    total = SaveCounts.from_json(run_counts)
    for kind, count in deleted.items():
        getattr(total, "comments" if kind == "comment" else "posts").deleted += count
    conn.execute(update(CRAWL_RUNS).where(CRAWL_RUNS.c.id == run_id).values(counts=total.to_json()))


@dataclass(frozen=True)
class RunProgress:
    """What a running crawl run has saved so far: its site, counts and marks."""

    run_id: int
    site_id: int
    counts: SaveCounts
    marks: RunMarks


def read_progress(conn: Connection, run_id: int) -> RunProgress:
    """A run's progress so far; ArchiveError for an unknown run."""
    row = conn.execute(
        select(
            CRAWL_RUNS.c.site_id,
            CRAWL_RUNS.c.counts,
            CRAWL_RUNS.c.seen_post_modified_at,
            CRAWL_RUNS.c.seen_comment_published_at,
            CRAWL_RUNS.c.seen_comment_wp_id,
        ).where(CRAWL_RUNS.c.id == run_id)
    ).first()
    if row is None:
        raise ArchiveError(f"no crawl run with id {run_id} in the archive")
    site_id, counts, *marks = row
    return RunProgress(run_id, site_id, SaveCounts.from_json(counts), RunMarks(*marks))


def record_progress(
    conn: Connection, progress: RunProgress, counts: SaveCounts, marks: RunMarks, now: datetime
) -> None:
    """Add a saved batch's counts and marks to its run's `progress`, read in the same
    transaction (inside the batch's transaction, the site's writes locked)."""
    total = SaveCounts()
    for part in (progress.counts, counts):
        total.add(part)
    seen = progress.marks.merge(marks)
    conn.execute(
        update(CRAWL_RUNS)
        .where(CRAWL_RUNS.c.id == progress.run_id)
        .values(
            counts=total.to_json(),
            progress_at=now,
            seen_post_modified_at=seen.post_modified_at,
            seen_comment_published_at=seen.comment_published_at,
            seen_comment_wp_id=seen.comment_wp_id,
        )
    )


def finish_run(
    conn: Connection,
    run_id: int,
    fields: dict[str, Any],
    advance_state: bool,
    now: datetime,
) -> RunSummary:
    """Close a run with `fields` (status, source, summary, requests); maybe advance the site's marks."""
    if fields["status"] not in FINISHED_STATUSES:
        raise ValueError(f"run status must be one of {FINISHED_STATUSES}, not {fields['status']!r}")
    run = conn.execute(select(CRAWL_RUNS).where(CRAWL_RUNS.c.id == run_id)).mappings().first()
    if run is None:
        raise ArchiveError(f"no crawl run with id {run_id} in the archive")
    if run["status"] not in (RUNNING, ABANDONED):
        raise ArchiveError(f"crawl run {run_id} is already finished ({run['status']})")
    conn.execute(
        update(CRAWL_RUNS).where(CRAWL_RUNS.c.id == run_id).values(finished_at=now, **fields)
    )
    site_values: dict[str, Any] = {
        "last_run_id": run_id,
        "last_crawl_status": fields["status"],
        "last_crawl_source": fields["source"],
        "last_crawl_finished_at": now,
    }
    if advance_state:
        site_values.update(_advanced_marks(conn, run))
    conn.execute(update(SITES).where(SITES.c.id == run["site_id"]).values(**site_values))
    problems = conn.scalar(select(func.count()).where(PROBLEMS.c.run_id == run_id)) or 0
    return RunSummary(
        run_id=run_id,
        site_id=run["site_id"],
        mode=run["mode"],
        started_at=run["started_at"],
        finished_at=now,
        counts=SaveCounts.from_json(run["counts"]),
        problems=problems,
        **fields,
    )


def _advanced_marks(conn: Connection, run: Any) -> dict[str, Any]:
    """New site marks: the newest of stored and seen; complete as of the run's start, since
    anything changed while it ran may have been missed."""
    site = conn.execute(select(SITES).where(SITES.c.id == run["site_id"])).mappings().one()
    sweep = {"last_sweep_at": run["started_at"]} if run["mode"] == "full" else {}
    return {
        **sweep,
        "last_complete_at": run["started_at"],
        "posts_modified_after": _newest(site["posts_modified_after"], run["seen_post_modified_at"]),
        "comments_after": _newest(site["comments_after"], run["seen_comment_published_at"]),
        "max_comment_wp_id": _newest(site["max_comment_wp_id"], run["seen_comment_wp_id"]),
    }


def claim_site(
    conn: Connection,
    site_id: int,
    worker: str,
    lease_seconds: float,
    now: datetime,
    replacing: str | None = None,
) -> bool:
    """Take or renew the site's lease; one UPDATE, so two workers can never both win.

    `replacing` names a holder the caller knows is dead: its lease is taken over at once."""
    holders = [worker] if replacing is None else [worker, replacing]
    stmt = (
        update(SITES)
        .where(
            SITES.c.id == site_id,
            or_(
                SITES.c.claimed_until.is_(None),
                SITES.c.claimed_until < now,
                SITES.c.claimed_by.in_(holders),
            ),
        )
        .values(claimed_by=worker, claimed_until=now + timedelta(seconds=lease_seconds))
    )
    return conn.execute(stmt).rowcount == 1


def lease_holder(conn: Connection, site_id: int, now: datetime) -> str | None:
    """Who holds the site's lease now (None when free or expired)."""
    row = conn.execute(
        select(SITES.c.claimed_by, SITES.c.claimed_until).where(SITES.c.id == site_id)
    ).one_or_none()
    if row is None or row.claimed_until is None or row.claimed_until < now:
        return None
    return str(row.claimed_by) if row.claimed_by else None


def release_site(conn: Connection, site_id: int, worker: str) -> None:
    """Give up the lease if this worker holds it."""
    conn.execute(
        update(SITES)
        .where(SITES.c.id == site_id, SITES.c.claimed_by == worker)
        .values(claimed_by=None, claimed_until=None)
    )


def site_summaries(conn: Connection) -> list[SiteSummary]:
    """Every site with its archived counts and last finished crawl, ordered by URL."""

    def count(table: Any, *where: Any) -> Any:
        return select(func.count()).select_from(table).where(*where).scalar_subquery()

    stmt = select(
        SITES.c.id,
        SITES.c.url,
        SITES.c.name,
        count(
            POSTS,
            POSTS.c.site_id == SITES.c.id,
            POSTS.c.type == "post",
            POSTS.c.deleted_at.is_(None),
        ),
        count(
            POSTS,
            POSTS.c.site_id == SITES.c.id,
            POSTS.c.type == "page",
            POSTS.c.deleted_at.is_(None),
        ),
        count(COMMENTS, COMMENTS.c.site_id == SITES.c.id, COMMENTS.c.deleted_at.is_(None)),
        SITES.c.last_crawl_status,
        SITES.c.last_crawl_finished_at,
        SITES.c.last_crawl_source,
        count(PROBLEMS, PROBLEMS.c.run_id == SITES.c.last_run_id),
    ).order_by(SITES.c.url)
    return [SiteSummary(*tuple(row)) for row in conn.execute(stmt)]
