"""One normal form per identity: slugs as WordPress saves them, site URLs as one row."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from archive.identity import normalize_site_url, remove_accents, slugify

SLUGS = Path(__file__).parent.parent / "fixtures" / "slugs"


def _load(name: str) -> Any:
    return json.loads((SLUGS / name).read_text(encoding="utf-8"))


SANITIZED = [(pair["name"], pair["slug"]) for pair in _load("sanitize_title.json")["pairs"]]
ACCENTS = _load("remove_accents.json")


@pytest.mark.parametrize(("name", "slug"), SANITIZED)
def test_slugify_gives_what_wordpress_sanitize_title_saved(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_remove_accents_changes_the_letters_wordpress_changes_and_no_other() -> None:
    changed: dict[str, str] = ACCENTS["changed"]
    for first, last in ACCENTS["ranges"]:
        for point in range(first, last + 1):
            ch = chr(point)
            if unicodedata.normalize("NFC", ch) != ch:
                continue  # the fixture's PHP lacks intl, which WordPress uses to compose first
            assert remove_accents(ch) == changed.get(ch, ch), f"U+{point:04X}"


def test_remove_accents_composes_decomposed_input_first() -> None:
    # WordPress normalizes to NFC (with intl) before its table lookup.
    assert remove_accents("Cafe\u0301") == "Cafe"


def test_slugify_lowercases_non_latin_letters_before_encoding() -> None:
    # WordPress with mbstring (every usual install) lower-cases before percent-encoding.
    assert slugify("Кино") == "%d0%ba%d0%b8%d0%bd%d0%be"


def test_slugify_is_idempotent_on_slugs() -> None:
    for _, slug in SANITIZED:
        assert slugify(slug) == slug


def test_slugify_caps_the_encoded_slug_at_a_whole_character() -> None:
    slug = slugify("東" * 100)
    assert len(slug) == 198
    assert slug == "%e6%9d%b1" * 22


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("HTTPS://Example.COM:443/blog/", "https://example.com/blog"),
        ("https://Example.org:443/", "https://example.org"),
        ("https://user:pass@EXAMPLE.org/", "https://example.org"),
        ("http://example.org:80/", "http://example.org"),
        ("http://example.org:443/", "http://example.org:443"),
        ("https://example.org:80/", "https://example.org:80"),
        ("http://example.com:8080/?p=1#top", "http://example.com:8080"),
        ("example.com/", "https://example.com"),
        ("http://[::1]:8080/wp/", "http://[::1]:8080/wp"),
    ],
)
def test_site_url_identity(given: str, expected: str) -> None:
    assert normalize_site_url(given) == expected
