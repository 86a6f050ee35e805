"""Where the shared test fixtures live, and the seed review's text, for every test package."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RECORDED = FIXTURES / "recorded"
SEED_FILE = FIXTURES / "seed" / "her-review.txt"


def load_manifest() -> dict[str, Any]:
    """What each recorded page and feed is, with the site's truth for it (see record_fixtures.py)."""
    return json.loads((RECORDED / "manifest.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def seed_lines() -> list[str]:
    """The example review as non-empty lines: 10/10, seven body paragraphs, the reader's four
    paragraphs, the author's two replies."""
    return [line for line in SEED_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
