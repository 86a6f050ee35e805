"""Pacing of hosts shared by many sites (see archive.pacing): when the next request may start."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the host_pacing table."""
    op.create_table(
        "host_pacing",
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("next_start_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("host"),
    )


def downgrade() -> None:
    """Drop the host_pacing table."""
    op.drop_table("host_pacing")
