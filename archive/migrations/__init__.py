"""The archive's schema revisions (Alembic, run in code: no alembic.ini), and what a database holds.

Revisions live in versions/; env.py runs them on the connection archive.db hands over. A new
schema change is one new revision file there (write it by hand or start from
`alembic.autogenerate.produce_migrations` against METADATA).
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Column, Connection, MetaData, String, Table, inspect, select, text

from archive.models import META, METADATA
from archive.search import create_search_objects

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

LOGGER = logging.getLogger(__name__)

SCRIPT_LOCATION = str(Path(__file__).resolve().parent)
# The schema wparchive had before migrations; such archives carry schema_version 1 in wparchive_meta.
FIRST_REVISION = "0001"
LEGACY_SCHEMA_VERSION = "1"
VERSION_TABLE = "alembic_version"
# The newest revision in versions/ (a test checks it against Alembic's own view). Knowing it
# without Alembic keeps Alembic's import (~0.3 s) off every crawl of an up-to-date archive.
HEAD_REVISION = "0010"

SchemaStatus = Literal["empty", "legacy", "outdated", "current", "unknown", "foreign"]


@cache
def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(SCRIPT_LOCATION)


def head_revision() -> str:
    """The revision this wparchive's code expects."""
    return HEAD_REVISION


def script_head_revision() -> str | None:
    """The head revision as Alembic reads it from versions/ (HEAD_REVISION must equal it)."""
    return _script().get_current_head()


def current_revision(conn: Connection) -> str | None:
    """The revision stamped in the database, if any (its alembic_version table must exist)."""
    revision = conn.scalar(text(f"SELECT version_num FROM {VERSION_TABLE}"))
    return None if revision is None else str(revision)


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
    if META.name in tables:
        version = conn.scalar(select(META.c.value).where(META.c.key == "schema_version"))
        if version == LEGACY_SCHEMA_VERSION:
            return "legacy"
    return "foreign"


def alembic_config(conn: Connection) -> Config:
    """An Alembic Config made in code, running its commands on `conn`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = conn
    return config


def upgrade_schema(conn: Connection, status: SchemaStatus) -> None:
    """Bring an empty, legacy or outdated archive to the head revision, in the caller's
    transaction (which holds the migration lock). A legacy archive is stamped as the first
    revision: it holds exactly that schema."""
    if status == "empty":
        create_at_head(conn)
        return
    from alembic import command

    config = alembic_config(conn)
    if status == "legacy":
        command.stamp(config, FIRST_REVISION)
    LOGGER.info("upgrading archive schema (%s) to %s", status, head_revision())
    command.upgrade(config, "head")


def create_at_head(conn: Connection) -> None:
    """Give an empty database the models' schema stamped at the head revision: Alembic's own
    recipe for a new database (create_all and the search objects, then stamp head), with the stamp written as Alembic
    writes it, so a new archive does not pay for importing Alembic. A test checks that this and
    the revisions give the same schema."""
    METADATA.create_all(conn)
    create_search_objects(conn)
    version = Table(
        VERSION_TABLE,
        MetaData(),
        Column("version_num", String(32), primary_key=True),
    )
    version.create(conn)
    conn.execute(version.insert(), {"version_num": HEAD_REVISION})
