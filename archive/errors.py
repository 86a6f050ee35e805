"""The root of wparchive's one exception tree, and the archive's own error.

The archive is the lower layer, so the root lives here; scraper.errors builds the rest of the
tree on it (see its docstring for the whole drawing).
"""

from __future__ import annotations


class WparchiveError(Exception):
    """Base of every error wparchive raises on purpose; `exit_code` is what the CLI exits with."""

    exit_code = 1  # a site or the archive could not be read or written


class ArchiveError(WparchiveError):
    """The database could not be opened, is not a wparchive database, or could not be written."""


class UnsupportedDatabaseError(ArchiveError):
    """`--db` names a database wparchive does not support (only SQLite and PostgreSQL)."""

    exit_code = 2  # a usage error: the command line or config asks for something impossible
