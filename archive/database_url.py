"""An archive's database URL, read without SQLAlchemy: a crawl reads it before SQLAlchemy is
imported (see scraper/crawl/head_start.py), and archive.db reads it the same way."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

DRIVER_ALIASES = {
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
}


def normalize_database_url(url: str) -> str:
    """Turn a bare path into a SQLite URL and give PostgreSQL URLs the psycopg 3 driver."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    scheme, rest = url.split("://", 1)
    return f"{DRIVER_ALIASES.get(scheme, scheme)}://{rest}"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite), read as
    SQLAlchemy reads a URL: the database is what follows the first "/" after the host part, up
    to a query, percent-decoded."""
    scheme, rest = normalize_database_url(url).split("://", 1)
    if scheme.split("+", 1)[0] != "sqlite":
        return None
    _host, slash, database = rest.partition("/")
    database = unquote(database.split("?", 1)[0])
    if not slash or database in ("", ":memory:"):
        return None
    return Path(database).expanduser().resolve()
