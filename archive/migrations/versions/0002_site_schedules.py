"""Sites that workers crawl on a schedule: their periods, next crawl and last result.

A site leaves the schedule by losing its row here; its archived data stays.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the site_schedules table."""
    op.create_table(
        "site_schedules",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("crawl_every", sa.Integer(), nullable=False),
        sa.Column("sweep_every", sa.Integer(), nullable=False),
        sa.Column("added_at", UTC_DATETIME, nullable=False),
        sa.Column("next_crawl_at", UTC_DATETIME, nullable=True),
        sa.Column("last_sweep_at", UTC_DATETIME, nullable=True),
        sa.Column("last_status", sa.String(length=20), nullable=True),
        sa.Column("last_finished_at", UTC_DATETIME, nullable=True),
        sa.Column("last_message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("site_id"),
    )
    op.create_index("ix_site_schedules_next_crawl_at", "site_schedules", ["next_crawl_at"])


def downgrade() -> None:
    """Drop the site_schedules table."""
    op.drop_index("ix_site_schedules_next_crawl_at", table_name="site_schedules")
    op.drop_table("site_schedules")
