"""The archive's one exception: the scraper re-exports it as part of its own error tree."""

from __future__ import annotations


class ArchiveError(Exception):
    """The database could not be opened, is not a wparchive database, or could not be written."""
