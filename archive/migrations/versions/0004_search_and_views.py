"""Full-text search and reading views (see archive.search): FTS5 tables over posts and comments
kept in sync by triggers (SQLite), and the views comment_threads and post_ratings (both backends).
"""

from __future__ import annotations

from alembic import op

from archive.search import create_search_objects, drop_search_objects

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the search tables (SQLite) and the views, and index the rows already there."""
    create_search_objects(op.get_bind())


def downgrade() -> None:
    """Drop the views, then the search tables and their triggers."""
    drop_search_objects(op.get_bind())
