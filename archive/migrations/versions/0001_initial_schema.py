"""The first revision: the schema of wparchive 0.1 (schema_version 1 in wparchive_meta).

Archives made before migrations hold exactly this schema; archive.db stamps them with this revision.
Its DDL is written out here, not read from archive.models, so later model changes cannot alter it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TABLES = (
    "wparchive_meta",
    "sites",
    "authors",
    "crawl_runs",
    "posts",
    "terms",
    "comments",
    "post_terms",
    "problems",
)


def upgrade() -> None:
    """Create every table of the first schema."""
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("api_root", sa.Text(), nullable=True),
        sa.Column("gmt_offset", sa.Float(), nullable=True),
        sa.Column("timezone", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.Column("last_crawl_status", sa.String(length=20), nullable=True),
        sa.Column("last_crawl_source", sa.String(length=20), nullable=True),
        sa.Column("last_crawl_finished_at", UTC_DATETIME, nullable=True),
        sa.Column("last_complete_at", UTC_DATETIME, nullable=True),
        sa.Column("posts_modified_after", UTC_DATETIME, nullable=True),
        sa.Column("comments_after", UTC_DATETIME, nullable=True),
        sa.Column("max_comment_wp_id", sa.BigInteger(), nullable=True),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_until", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url"),
    )
    op.create_table(
        "wparchive_meta",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "authors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("wp_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("raw", JSON, nullable=False),
        sa.Column("record_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", UTC_DATETIME, nullable=False),
        sa.Column("last_seen_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "wp_id", name="uq_authors_site_wp_id"),
    )
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("progress_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("counts", JSON, nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("seen_post_modified_at", UTC_DATETIME, nullable=True),
        sa.Column("seen_comment_published_at", UTC_DATETIME, nullable=True),
        sa.Column("seen_comment_wp_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_crawl_runs_site_status", "crawl_runs", ["site_id", "status"], unique=False)
    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("wp_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("author_wp_id", sa.BigInteger(), nullable=True),
        sa.Column("author_name", sa.Text(), nullable=True),
        sa.Column("published_at", UTC_DATETIME, nullable=True),
        sa.Column("modified_at", UTC_DATETIME, nullable=True),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("content_html", sa.Text(), nullable=False),
        sa.Column("content_text", sa.Text(), nullable=False),
        sa.Column("rating_value", sa.Float(), nullable=True),
        sa.Column("rating_scale", sa.Float(), nullable=True),
        sa.Column("rating_worst", sa.Float(), nullable=True),
        sa.Column("rating_normalized", sa.Float(), nullable=True),
        sa.Column("rating_source", sa.String(length=50), nullable=True),
        sa.Column("rating_text", sa.Text(), nullable=True),
        sa.Column("comment_status", sa.String(length=20), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("raw", JSON, nullable=False),
        sa.Column("record_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", UTC_DATETIME, nullable=False),
        sa.Column("last_seen_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "wp_id", name="uq_posts_site_wp_id"),
    )
    op.create_index("ix_posts_site_published", "posts", ["site_id", "published_at"], unique=False)
    op.create_table(
        "terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("taxonomy", sa.String(length=50), nullable=False),
        sa.Column("slug", sa.String(length=2000), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("wp_id", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("raw", JSON, nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "taxonomy", "slug", name="uq_terms_site_taxonomy_slug"),
    )
    op.create_index("ix_terms_site_wp_id", "terms", ["site_id", "wp_id"], unique=False)
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("wp_id", sa.BigInteger(), nullable=False),
        sa.Column("post_wp_id", sa.BigInteger(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("parent_wp_id", sa.BigInteger(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("depth", sa.Integer(), nullable=True),
        sa.Column("root_wp_id", sa.BigInteger(), nullable=True),
        sa.Column("is_orphan", sa.Boolean(), nullable=False),
        sa.Column("parent_inferred", sa.Boolean(), nullable=False),
        sa.Column("author_name", sa.Text(), nullable=False),
        sa.Column("author_url", sa.Text(), nullable=False),
        sa.Column("author_wp_id", sa.BigInteger(), nullable=True),
        sa.Column("published_at", UTC_DATETIME, nullable=True),
        sa.Column("content_html", sa.Text(), nullable=False),
        sa.Column("content_text", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("raw", JSON, nullable=False),
        sa.Column("record_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", UTC_DATETIME, nullable=False),
        sa.Column("last_seen_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["comments.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "wp_id", name="uq_comments_site_wp_id"),
    )
    op.create_index("ix_comments_parent_id", "comments", ["parent_id"], unique=False)
    op.create_index("ix_comments_post_id", "comments", ["post_id"], unique=False)
    op.create_index(
        "ix_comments_site_parent", "comments", ["site_id", "parent_wp_id"], unique=False
    )
    op.create_index("ix_comments_site_post", "comments", ["site_id", "post_wp_id"], unique=False)
    op.create_table(
        "post_terms",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["term_id"], ["terms.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id", "term_id"),
    )
    op.create_index("ix_post_terms_term_id", "post_terms", ["term_id"], unique=False)
    op.create_table(
        "problems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_problems_run_id", "problems", ["run_id"], unique=False)


def downgrade() -> None:
    """Drop every table (children first)."""
    for name in reversed(TABLES):
        op.drop_table(name)
