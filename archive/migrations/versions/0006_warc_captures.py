"""Where each post, page and comment was recorded: its WARC file and response record offset."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

TABLES = ("posts", "comments")


def upgrade() -> None:
    """Add warc_file and warc_offset to posts and comments (empty for what was not recorded)."""
    for table in TABLES:  # plain ADD COLUMN: SQLite keeps the table, its triggers and views
        op.add_column(table, sa.Column("warc_file", sa.String(length=255), nullable=True))
        op.add_column(table, sa.Column("warc_offset", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    """Drop the capture columns."""
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("warc_offset")
            batch.drop_column("warc_file")
