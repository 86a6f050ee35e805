"""The archive's schema revisions (Alembic, run in code: no alembic.ini), and what a database holds.

Revisions live in versions/; env.py runs them on the connection archive.db hands over. A new
schema change is one new revision file there (write it by hand or start from
`alembic.autogenerate.produce_migrations` against Base.metadata).
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, select

from archive.models import Meta

LOGGER = logging.getLogger(__name__)

SCRIPT_LOCATION = str(Path(__file__).resolve().parent)
# The schema wparchive had before migrations; such archives carry schema_version 1 in wparchive_meta.
FIRST_REVISION = "0001"
LEGACY_SCHEMA_VERSION = "1"
VERSION_TABLE = "alembic_version"

SchemaStatus = Literal["empty", "legacy", "outdated", "current", "unknown", "foreign"]


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory(SCRIPT_LOCATION)


def head_revision() -> str:
    """The revision this wparchive's code expects."""
    head = _script().get_current_head()
    assert head is not None, "archive/migrations/versions holds no revision"
    return head


def current_revision(conn: Connection) -> str | None:
    """The revision stamped in the database, if any."""
    return MigrationContext.configure(conn).get_current_revision()


def schema_status(conn: Connection) -> SchemaStatus:
    """What the database holds: nothing, a pre-migrations archive, an archive at some revision
    (older than, equal to, or unknown to this code), or someone else's tables."""
    tables = set(inspect(conn).get_table_names())
    if not tables:
        return "empty"
    if VERSION_TABLE in tables:
        revision = current_revision(conn)
        if revision == head_revision():
            return "current"
        known = {script.revision for script in _script().walk_revisions()}
        return "outdated" if revision in known else "unknown"
    if Meta.__tablename__ in tables:
        version = conn.scalar(select(Meta.value).where(Meta.key == "schema_version"))
        if version == LEGACY_SCHEMA_VERSION:
            return "legacy"
    return "foreign"


def alembic_config(conn: Connection) -> Config:
    """An Alembic Config made in code, running its commands on `conn`."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = conn
    return config


def upgrade_schema(conn: Connection, status: SchemaStatus) -> None:
    """Bring an empty, legacy or outdated archive to the head revision, in the caller's
    transaction (which holds the migration lock). A legacy archive is stamped as the first
    revision: it holds exactly that schema."""
    config = alembic_config(conn)
    if status == "legacy":
        command.stamp(config, FIRST_REVISION)
    LOGGER.info("upgrading archive schema (%s) to %s", status, head_revision())
    command.upgrade(config, "head")
