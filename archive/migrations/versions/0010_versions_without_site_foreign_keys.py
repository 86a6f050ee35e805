"""Versions lose their foreign key to sites. A version belongs to its post or comment (whose
foreign key cascades a site's deletion to it); the second key to the same site checked every
inserted version again, a third of the cost of loading versions on PostgreSQL. The site_id
column and its index stay."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

VERSION_TABLES = ("post_versions", "comment_versions")
# SQLite's keys have no names: batch mode reflects them under these, so one can be dropped.
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _site_key(table: str) -> str | None:
    """The name of `table`'s foreign key on site_id, None if it has none. SQLite's key may have
    no name: it then gets the one batch mode reflects it under (NAMING)."""
    for key in sa.inspect(op.get_bind()).get_foreign_keys(table):
        if key["referred_table"] == "sites" and key["constrained_columns"] == ["site_id"]:
            return key["name"] or f"fk_{table}_site_id_sites"
    return None


def upgrade() -> None:
    """Drop the site_id foreign key of both versions tables (SQLite copies each table)."""
    for table in VERSION_TABLES:
        if (name := _site_key(table)) is not None:
            with op.batch_alter_table(table, naming_convention=NAMING) as batch:
                batch.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    """Add the keys again."""
    for table in VERSION_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(
                f"{table}_site_id_fkey", "sites", ["site_id"], ["id"], ondelete="CASCADE"
            )
