"""SQLite: one text form for stored times. Bulk writes stored `2024-01-01 12:00:00` (sqlite3's
adapter) and SQLAlchemy's own writes `2024-01-01 12:00:00.000000` for a whole second; times now
always take the first form, and the second is rewritten to it, so stored times and the times a
query binds compare as text."""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Drop the `.000000` of whole-second times in every DATETIME column."""
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return  # PostgreSQL stores timestamps, not text
    tables = conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).scalars()
    for table in list(tables):
        columns = conn.exec_driver_sql(f'PRAGMA table_info("{table}")').all()
        for column in (c[1] for c in columns if str(c[2]).upper() == "DATETIME"):
            conn.exec_driver_sql(
                f'UPDATE "{table}" SET "{column}" = substr("{column}", 1, 19) '
                f"WHERE \"{column}\" LIKE '%.000000'"
            )


def downgrade() -> None:
    """Nothing to undo: earlier code reads either form."""
