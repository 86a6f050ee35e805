"""The archive's schema as SQLAlchemy Core tables: sites, authors, terms, posts, comments, crawl runs.

Core, not ORM models: nothing maps rows to objects, and the ORM's import and mapping were a
fifth of every command's start-up (about 0.1 s of the 0.47 s before a crawl's first request)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects import sqlite

URL_LENGTH = 2000
METADATA = MetaData()


class _SqliteIsoDateTime(sqlite.DATETIME):
    """SQLite's DATETIME column holding `datetime.isoformat(" ")` text, what sqlite3's default
    adapter wrote (deprecated since Python 3.12) and every archive holds: UtcDateTime makes the
    text, and it is read back by `datetime.fromisoformat` (both in C)."""

    def bind_processor(self, dialect: Dialect) -> None:
        return None

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        return _from_iso_text


def _from_iso_text(value: str | datetime | None) -> datetime | None:
    # Text is what the archive stores; a datetime comes from an expression SQLite typed itself.
    return datetime.fromisoformat(value) if isinstance(value, str) else value


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SqliteIsoDateTime())  # type: ignore[no-untyped-call]
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | str | None:
        if value is None:
            return None
        # Naive datetimes are taken as UTC: records promise UTC, so this only guards stray callers.
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        # One text form on SQLite on every path (bulk writes hand values to the driver
        # themselves), so stored times compare as text with the times a query binds.
        return value.replace(tzinfo=None).isoformat(" ") if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JsonType(TypeDecorator[Any]):
    """JSON on every backend, stored as jsonb on PostgreSQL. The PostgreSQL type is imported
    when a PostgreSQL archive is opened: its dialect package adds ~17 ms to every start-up."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


def _item_columns() -> list[Column[Any]]:
    """The columns posts and comments share after their own: where the row came from, its
    fingerprints, and when crawls saw it (new Column objects for each table)."""
    return [
        Column("source", String(20), nullable=False),
        Column("raw", JsonType, nullable=False),
        # The WARC capture (file name, response record offset) the row was last written from.
        Column("warc_file", String(255)),
        Column("warc_offset", BigInteger),
        Column("record_hash", String(64), nullable=False),
        Column("content_hash", String(64)),
        Column("field_sources", JsonType),
        Column("first_seen_at", UtcDateTime, nullable=False),
        Column("last_seen_at", UtcDateTime, nullable=False),
        Column("last_seen_run_id", Integer),
        Column("deleted_at", UtcDateTime),
        Column("deleted_reason", String(20)),
    ]


def _versions_table(name: str, owner: str) -> Table:
    """The versions of one kind of item (`owner`: its table), with the same columns for both."""
    owner_id = f"{owner.removesuffix('s')}_id"
    return Table(
        name,
        METADATA,
        Column("id", Integer, primary_key=True),
        Column(owner_id, Integer, ForeignKey(f"{owner}.id", ondelete="CASCADE"), nullable=False),
        # No foreign key: the owner's (cascading from its site) covers it (revision 0010).
        Column("site_id", Integer, nullable=False, index=True),
        Column("wp_id", BigInteger, nullable=False),
        Column("content_hash", String(64), nullable=False),
        Column("fields", JsonType, nullable=False),
        Column("deleted_reason", String(20)),
        Column("is_current", Boolean, nullable=False, default=True),
        Column("first_seen_run_id", Integer),
        Column("last_seen_run_id", Integer),
        Column("first_seen_at", UtcDateTime, nullable=False),
        Column("last_seen_at", UtcDateTime, nullable=False),
        Index(f"ix_{name}_{owner_id.removesuffix('_id')}_current", owner_id, "is_current"),
    )


# Key-value facts about the archive. Before migrations it held `schema_version` = 1, which
# marks such archives for archive.migrations; revisions now live in Alembic's alembic_version.
META = Table(
    "wparchive_meta",
    METADATA,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)


# One WordPress site, its last crawl, its high-water marks and the lease of the worker on it.
SITES = Table(
    "sites",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("url", String(URL_LENGTH), nullable=False, unique=True),
    Column("name", Text, nullable=False, default=""),
    Column("description", Text, nullable=False, default=""),
    Column("api_root", Text),
    Column("gmt_offset", Float),
    Column("timezone", String(100)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_run_id", Integer),
    Column("last_crawl_status", String(20)),
    Column("last_crawl_source", String(20)),
    Column("last_crawl_finished_at", UtcDateTime),
    Column("last_complete_at", UtcDateTime),
    Column("posts_modified_after", UtcDateTime),
    Column("comments_after", UtcDateTime),
    Column("max_comment_wp_id", BigInteger),
    Column("last_sweep_at", UtcDateTime),
    Column("robots_txt", Text),
    Column("robots_fetched_at", UtcDateTime),
    Column("claimed_by", String(200)),
    Column("claimed_until", UtcDateTime),
)


# A site that workers crawl on a schedule; removing the row unschedules it, data stays.
SITE_SCHEDULES = Table(
    "site_schedules",
    METADATA,
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    Column("crawl_every", Integer, nullable=False),  # seconds
    Column("sweep_every", Integer, nullable=False),  # seconds
    Column("added_at", UtcDateTime, nullable=False),
    Column("next_crawl_at", UtcDateTime),  # NULL: due now
    Column("last_sweep_at", UtcDateTime),
    Column("last_status", String(20)),
    Column("last_finished_at", UtcDateTime),
    Column("last_message", Text, nullable=False, default=""),
    Index("ix_site_schedules_next_crawl_at", "next_crawl_at"),
)


# A WordPress user who published on a site.
AUTHORS = Table(
    "authors",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("wp_id", BigInteger, nullable=False),
    Column("name", Text, nullable=False),
    Column("slug", Text, nullable=False, default=""),
    Column("url", Text, nullable=False, default=""),
    Column("source", String(20), nullable=False),
    Column("raw", JsonType, nullable=False),
    Column("record_hash", String(64), nullable=False),
    Column("first_seen_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    UniqueConstraint("site_id", "wp_id", name="uq_authors_site_wp_id"),
)


# A category or tag; `wp_id` is NULL when only a feed or a page named it.
TERMS = Table(
    "terms",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("taxonomy", String(50), nullable=False),
    Column("slug", String(URL_LENGTH), nullable=False),
    Column("name", Text, nullable=False),
    Column("wp_id", BigInteger),
    Column("source", String(20), nullable=False),
    Column("raw", JsonType, nullable=False),
    UniqueConstraint("site_id", "taxonomy", "slug", name="uq_terms_site_taxonomy_slug"),
    Index("ix_terms_site_wp_id", "site_id", "wp_id"),
)


# A post or page; `record_hash` fingerprints the last saved record to tell unchanged saves.
POSTS = Table(
    "posts",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("wp_id", BigInteger, nullable=False),
    Column("type", String(20), nullable=False),
    Column("url", Text, nullable=False),
    Column("slug", Text, nullable=False, default=""),
    Column("title", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("author_wp_id", BigInteger),
    Column("author_name", Text),
    Column("published_at", UtcDateTime),
    Column("modified_at", UtcDateTime),
    Column("excerpt", Text, nullable=False),
    Column("content_html", Text, nullable=False),
    Column("content_text", Text, nullable=False),
    Column("rating_value", Float),
    Column("rating_scale", Float),
    Column("rating_worst", Float),
    Column("rating_normalized", Float),
    Column("rating_source", String(50)),
    Column("rating_text", Text),
    Column("comment_status", String(20)),
    *_item_columns(),
    UniqueConstraint("site_id", "wp_id", name="uq_posts_site_wp_id"),
    Index("ix_posts_site_published", "site_id", "published_at"),
)


# Links a post to its categories and tags.
POST_TERMS = Table(
    "post_terms",
    METADATA,
    Column("post_id", Integer, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "term_id", Integer, ForeignKey("terms.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


# An approved comment; threading columns (parent_id, depth, root, orphan) are computed here.
COMMENTS = Table(
    "comments",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("wp_id", BigInteger, nullable=False),
    Column("post_wp_id", BigInteger, nullable=False),
    Column("post_id", Integer, ForeignKey("posts.id", ondelete="SET NULL"), index=True),
    Column("parent_wp_id", BigInteger),
    Column("parent_id", Integer, ForeignKey("comments.id", ondelete="SET NULL"), index=True),
    Column("depth", Integer),
    Column("root_wp_id", BigInteger),
    Column("is_orphan", Boolean, nullable=False, default=False),
    Column("parent_inferred", Boolean, nullable=False, default=False),
    Column("author_name", Text, nullable=False),
    Column("author_url", Text, nullable=False, default=""),
    Column("author_wp_id", BigInteger),
    Column("published_at", UtcDateTime),
    Column("content_html", Text, nullable=False),
    Column("content_text", Text, nullable=False),
    Column("url", Text, nullable=False, default=""),
    Column("type", String(20), nullable=False),
    *_item_columns(),
    UniqueConstraint("site_id", "wp_id", name="uq_comments_site_wp_id"),
    Index("ix_comments_site_parent", "site_id", "parent_wp_id"),
    Index("ix_comments_site_post", "site_id", "post_wp_id"),
)


# One crawl of one site: status, counts, and the high-water marks it saw (applied on finish).
CRAWL_RUNS = Table(
    "crawl_runs",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("source", String(20), nullable=False),
    Column("mode", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("progress_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("requests", Integer, nullable=False, default=0),
    Column("counts", JsonType, nullable=False),
    Column("summary", Text, nullable=False, default=""),
    Column("seen_post_modified_at", UtcDateTime),
    Column("seen_comment_published_at", UtcDateTime),
    Column("seen_comment_wp_id", BigInteger),
    Index("ix_crawl_runs_site_status", "site_id", "status"),
)


# When the next request to a host shared by many sites may start, for every process that
# crawls it (public-api.wordpress.com serves every WordPress.com blog): one budget, not one a
# worker.
HOST_PACING = Table(
    "host_pacing",
    METADATA,
    Column("host", String(255), primary_key=True),
    Column("next_start_at", UtcDateTime, nullable=False),
)


# Something a crawl run could not read.
PROBLEMS = Table(
    "problems",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column(
        "run_id",
        Integer,
        ForeignKey("crawl_runs.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("kind", String(50), nullable=False),
    Column("message", Text, nullable=False),
    Column("url", Text, nullable=False, default=""),
    Column("at", UtcDateTime, nullable=False),
)


# One visible state of a post (title, body, excerpt, status, terms, rating, author) and the
# crawl runs that first and last saw it; `is_current` marks the state the post row holds.
# `deleted_reason` set: the post stopped being public then (a tombstone keeps the gap).
POST_VERSIONS = _versions_table("post_versions", "posts")


# One visible state of a comment (author name and URL, text), as POST_VERSIONS for posts.
COMMENT_VERSIONS = _versions_table("comment_versions", "comments")


# An image a backup downloaded (`backup --media`), or tried to: its file is
# `media/<sha256>.<ext>` in the backup folder; a refused one keeps its problem and no file.
MEDIA = Table(
    "media",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("url", Text, nullable=False),
    Column("sha256", String(64), index=True),
    Column("content_type", String(100)),
    Column("size", BigInteger),
    Column("file", Text),
    Column("problem", Text),
    Column("fetched_at", UtcDateTime, nullable=False),
    UniqueConstraint("site_id", "url", name="uq_media_site_url"),
)


# Which posts show which media, and how: `featured` or in the `body`.
POST_MEDIA = Table(
    "post_media",
    METADATA,
    Column("post_id", Integer, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "media_id",
        Integer,
        ForeignKey("media.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    Column("role", String(20), primary_key=True),
)
