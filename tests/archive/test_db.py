"""open_archive: URL handling, schema creation, and one clear error for what is not an archive."""

from __future__ import annotations
