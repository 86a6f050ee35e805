"""The root of wparchive's one exception tree, and the archive's own error.

The archive is the lower layer, so the root lives here; scraper.errors builds the rest of the
tree on it (see its docstring for the whole drawing).
"""

from __future__ import annotations


class WparchiveError(Exception):
    """Base of every error wparchive raises on purpose."""


class ArchiveError(WparchiveError):
    """The database could not be opened, is not a wparchive database, or could not be written."""
