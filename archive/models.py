"""The archive's schema as SQLAlchemy 2 models: sites, authors, terms, posts, comments, crawl runs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JsonType = JSON().with_variant(JSONB(), "postgresql")
URL_LENGTH = 2000


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


class Base(DeclarativeBase):
    """Declarative base of every wparchive table."""


class Meta(Base):
    """Key-value facts about the archive. Before migrations it held `schema_version` = 1, which
    marks such archives for archive.migrations; revisions now live in Alembic's alembic_version."""

    __tablename__ = "wparchive_meta"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Site(Base):
    """One WordPress site, its last crawl, its high-water marks and the lease of the worker on it."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(URL_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    api_root: Mapped[str | None] = mapped_column(Text)
    gmt_offset: Mapped[float | None] = mapped_column(Float)
    timezone: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_run_id: Mapped[int | None] = mapped_column(Integer)
    last_crawl_status: Mapped[str | None] = mapped_column(String(20))
    last_crawl_source: Mapped[str | None] = mapped_column(String(20))
    last_crawl_finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_complete_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    posts_modified_after: Mapped[datetime | None] = mapped_column(UtcDateTime)
    comments_after: Mapped[datetime | None] = mapped_column(UtcDateTime)
    max_comment_wp_id: Mapped[int | None] = mapped_column(BigInteger)
    last_sweep_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    robots_txt: Mapped[str | None] = mapped_column(Text)
    robots_fetched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SiteSchedule(Base):
    """A site that workers crawl on a schedule; removing the row unschedules it, data stays."""

    __tablename__ = "site_schedules"
    __table_args__ = (Index("ix_site_schedules_next_crawl_at", "next_crawl_at"),)

    site_id: Mapped[int] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )
    crawl_every: Mapped[int] = mapped_column(Integer)  # seconds
    sweep_every: Mapped[int] = mapped_column(Integer)  # seconds
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_crawl_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # NULL: due now
    last_sweep_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_status: Mapped[str | None] = mapped_column(String(20))
    last_finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_message: Mapped[str] = mapped_column(Text, default="")


class Author(Base):
    """A WordPress user who published on a site."""

    __tablename__ = "authors"
    __table_args__ = (UniqueConstraint("site_id", "wp_id", name="uq_authors_site_wp_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    wp_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(Text)
    slug: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20))
    raw: Mapped[dict[str, Any]] = mapped_column(JsonType)
    record_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Term(Base):
    """A category or tag; `wp_id` is NULL when only a feed or a page named it."""

    __tablename__ = "terms"
    __table_args__ = (
        UniqueConstraint("site_id", "taxonomy", "slug", name="uq_terms_site_taxonomy_slug"),
        Index("ix_terms_site_wp_id", "site_id", "wp_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    taxonomy: Mapped[str] = mapped_column(String(50))
    slug: Mapped[str] = mapped_column(String(URL_LENGTH))
    name: Mapped[str] = mapped_column(Text)
    wp_id: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(20))
    raw: Mapped[dict[str, Any]] = mapped_column(JsonType)


class Post(Base):
    """A post or page; `record_hash` fingerprints the last saved record to tell unchanged saves."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("site_id", "wp_id", name="uq_posts_site_wp_id"),
        Index("ix_posts_site_published", "site_id", "published_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    wp_id: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(Text)
    slug: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    author_wp_id: Mapped[int | None] = mapped_column(BigInteger)
    author_name: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    modified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    excerpt: Mapped[str] = mapped_column(Text)
    content_html: Mapped[str] = mapped_column(Text)
    content_text: Mapped[str] = mapped_column(Text)
    rating_value: Mapped[float | None] = mapped_column(Float)
    rating_scale: Mapped[float | None] = mapped_column(Float)
    rating_worst: Mapped[float | None] = mapped_column(Float)
    rating_normalized: Mapped[float | None] = mapped_column(Float)
    rating_source: Mapped[str | None] = mapped_column(String(50))
    rating_text: Mapped[str | None] = mapped_column(Text)
    comment_status: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))
    raw: Mapped[dict[str, Any]] = mapped_column(JsonType)
    # The WARC capture (file name, response record offset) the row was last written from.
    warc_file: Mapped[str | None] = mapped_column(String(255))
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    record_hash: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    field_sources: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_run_id: Mapped[int | None] = mapped_column(Integer)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deleted_reason: Mapped[str | None] = mapped_column(String(20))


class PostTerm(Base):
    """Links a post to its categories and tags."""

    __tablename__ = "post_terms"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    term_id: Mapped[int] = mapped_column(
        ForeignKey("terms.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Comment(Base):
    """An approved comment; threading columns (parent_id, depth, root, orphan) are computed here."""

    __tablename__ = "comments"
    __table_args__ = (
        UniqueConstraint("site_id", "wp_id", name="uq_comments_site_wp_id"),
        Index("ix_comments_site_post", "site_id", "post_wp_id"),
        Index("ix_comments_site_parent", "site_id", "parent_wp_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    wp_id: Mapped[int] = mapped_column(BigInteger)
    post_wp_id: Mapped[int] = mapped_column(BigInteger)
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), index=True
    )
    parent_wp_id: Mapped[int | None] = mapped_column(BigInteger)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="SET NULL"), index=True
    )
    depth: Mapped[int | None] = mapped_column(Integer)
    root_wp_id: Mapped[int | None] = mapped_column(BigInteger)
    is_orphan: Mapped[bool] = mapped_column(Boolean, default=False)
    parent_inferred: Mapped[bool] = mapped_column(Boolean, default=False)
    author_name: Mapped[str] = mapped_column(Text)
    author_url: Mapped[str] = mapped_column(Text, default="")
    author_wp_id: Mapped[int | None] = mapped_column(BigInteger)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    content_html: Mapped[str] = mapped_column(Text)
    content_text: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))
    raw: Mapped[dict[str, Any]] = mapped_column(JsonType)
    # The WARC capture (file name, response record offset) the row was last written from.
    warc_file: Mapped[str | None] = mapped_column(String(255))
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    record_hash: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    field_sources: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_run_id: Mapped[int | None] = mapped_column(Integer)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deleted_reason: Mapped[str | None] = mapped_column(String(20))


class CrawlRun(Base):
    """One crawl of one site: status, counts, and the high-water marks it saw (applied on finish)."""

    __tablename__ = "crawl_runs"
    __table_args__ = (Index("ix_crawl_runs_site_status", "site_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    progress_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(JsonType)
    summary: Mapped[str] = mapped_column(Text, default="")
    seen_post_modified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    seen_comment_published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    seen_comment_wp_id: Mapped[int | None] = mapped_column(BigInteger)


class HostPacing(Base):
    """When the next request to a host shared by many sites may start, for every process that
    crawls it (public-api.wordpress.com serves every WordPress.com blog): one budget, not one a
    worker."""

    __tablename__ = "host_pacing"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    next_start_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Problem(Base):
    """Something a crawl run could not read."""

    __tablename__ = "problems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(50))
    message: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class PostVersion(Base):
    """One visible state of a post (title, body, excerpt, status, terms, rating, author) and the
    crawl runs that first and last saw it; `is_current` marks the state the post row holds.
    `deleted_reason` set: the post stopped being public then (a tombstone keeps the gap)."""

    __tablename__ = "post_versions"
    __table_args__ = (Index("ix_post_versions_post_current", "post_id", "is_current"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    # No foreign key: the owner's (cascading from its site) covers it (revision 0010).
    site_id: Mapped[int] = mapped_column(Integer, index=True)
    wp_id: Mapped[int] = mapped_column(BigInteger)
    content_hash: Mapped[str] = mapped_column(String(64))
    fields: Mapped[dict[str, Any]] = mapped_column(JsonType)
    deleted_reason: Mapped[str | None] = mapped_column(String(20))
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    first_seen_run_id: Mapped[int | None] = mapped_column(Integer)
    last_seen_run_id: Mapped[int | None] = mapped_column(Integer)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CommentVersion(Base):
    """One visible state of a comment (author name and URL, text), as PostVersion for posts."""

    __tablename__ = "comment_versions"
    __table_args__ = (Index("ix_comment_versions_comment_current", "comment_id", "is_current"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    # No foreign key: the owner's (cascading from its site) covers it (revision 0010).
    site_id: Mapped[int] = mapped_column(Integer, index=True)
    wp_id: Mapped[int] = mapped_column(BigInteger)
    content_hash: Mapped[str] = mapped_column(String(64))
    fields: Mapped[dict[str, Any]] = mapped_column(JsonType)
    deleted_reason: Mapped[str | None] = mapped_column(String(20))
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    first_seen_run_id: Mapped[int | None] = mapped_column(Integer)
    last_seen_run_id: Mapped[int | None] = mapped_column(Integer)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Media(Base):
    """An image a backup downloaded (`backup --media`), or tried to: its file is
    `media/<sha256>.<ext>` in the backup folder; a refused one keeps its problem and no file."""

    __tablename__ = "media"
    __table_args__ = (UniqueConstraint("site_id", "url", name="uq_media_site_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(BigInteger)
    file: Mapped[str | None] = mapped_column(Text)
    problem: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PostMedia(Base):
    """Which posts show which media, and how: `featured` or in the `body`."""

    __tablename__ = "post_media"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    media_id: Mapped[int] = mapped_column(
        ForeignKey("media.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


def table_of(model: type[Base]) -> Table:
    """The Core table behind a model, typed as a Table (for INSERT ... ON CONFLICT and UPDATE)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


SITES = table_of(Site)
SITE_SCHEDULES = table_of(SiteSchedule)
AUTHORS = table_of(Author)
TERMS = table_of(Term)
POSTS = table_of(Post)
POST_TERMS = table_of(PostTerm)
COMMENTS = table_of(Comment)
POST_VERSIONS = table_of(PostVersion)
COMMENT_VERSIONS = table_of(CommentVersion)
HOST_PACING = table_of(HostPacing)
MEDIA = table_of(Media)
POST_MEDIA = table_of(PostMedia)
