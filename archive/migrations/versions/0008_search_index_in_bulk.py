"""SQLite: inserted posts and comments are added to the search index in bulk by the store
(archive.search.index_rows), not by a trigger per row."""

from __future__ import annotations

from alembic import op

from archive.search import SEARCHED, insert_trigger_ddl

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Drop the per-row insert triggers of the search tables."""
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        for fts, _ in SEARCHED.values():
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {fts}_insert")


def downgrade() -> None:
    """Restore them (code before this revision relies on them)."""
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        for table in SEARCHED:
            conn.exec_driver_sql(insert_trigger_ddl(table))
