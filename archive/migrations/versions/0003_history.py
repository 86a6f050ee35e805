"""History, deletions and field sources (issue 7).

posts and comments: content_hash (of the visible fields), field_sources (which source wrote each
group of columns), last_seen_run_id, deleted_at, deleted_reason. sites: last_sweep_at, robots_txt,
robots_fetched_at. New tables post_versions and comment_versions. Existing rows get no version
until a crawl sees them again (their content_hash is NULL, so the next save writes one).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _tracked_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("field_sources", JSON, nullable=True),
        sa.Column("last_seen_run_id", sa.Integer(), nullable=True),
        sa.Column("deleted_at", UTC_DATETIME, nullable=True),
        sa.Column("deleted_reason", sa.String(length=20), nullable=True),
    ]


def _versions_table(name: str, owner: str, owner_table: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(owner, sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("wp_id", sa.BigInteger(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("fields", JSON, nullable=False),
        sa.Column("deleted_reason", sa.String(length=20), nullable=True),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("first_seen_run_id", sa.Integer(), nullable=True),
        sa.Column("last_seen_run_id", sa.Integer(), nullable=True),
        sa.Column("first_seen_at", UTC_DATETIME, nullable=False),
        sa.Column("last_seen_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint([owner], [f"{owner_table}.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(f"ix_{name}_site_id", name, ["site_id"])
    op.create_index(f"ix_{name}_{owner.removesuffix('_id')}_current", name, [owner, "is_current"])


def upgrade() -> None:
    """Add the columns and the versions tables."""
    for table in ("posts", "comments"):
        for column in _tracked_columns():
            op.add_column(table, column)
    op.add_column("sites", sa.Column("last_sweep_at", UTC_DATETIME, nullable=True))
    op.add_column("sites", sa.Column("robots_txt", sa.Text(), nullable=True))
    op.add_column("sites", sa.Column("robots_fetched_at", UTC_DATETIME, nullable=True))
    _versions_table("post_versions", "post_id", "posts")
    _versions_table("comment_versions", "comment_id", "comments")


def downgrade() -> None:
    """Drop them again (history is lost)."""
    op.drop_table("comment_versions")
    op.drop_table("post_versions")
    with op.batch_alter_table("sites") as batch:
        for name in ("robots_fetched_at", "robots_txt", "last_sweep_at"):
            batch.drop_column(name)
    for table in ("posts", "comments"):
        with op.batch_alter_table(table) as batch:
            for column in reversed(_tracked_columns()):
                batch.drop_column(column.name)
