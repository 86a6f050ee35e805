"""Alembic's entry point: run the revisions on the connection archive.migrations passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from archive.models import METADATA


def run_migrations(connection: Connection) -> None:
    """Run in the caller's transaction: Alembic neither commits nor opens one of its own."""
    context.configure(connection=connection, target_metadata=METADATA)
    with context.begin_transaction():
        context.run_migrations()


run_migrations(context.config.attributes["connection"])
