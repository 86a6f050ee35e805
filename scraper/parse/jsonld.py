"""JSON-LD, read in one place: every `<script type="application/ld+json">` block of a tree."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from typing import Any

from scraper.parse.tree import HtmlElement

LOGGER = logging.getLogger(__name__)

JSON_LD_TYPE = "application/ld+json"
# Old themes and plugins wrap the block in an HTML comment or a CDATA comment.
_WRAPPER = re.compile(r"^\s*(?:<!--|/\*\s*<!\[CDATA\[\s*\*/)|(?:-->|/\*\s*\]\]>\s*\*/)\s*$")


def read_jsonld(root: HtmlElement | None) -> list[Any]:
    """The parsed document of each JSON-LD block under `root`, in page order; bad JSON skipped."""
    if root is None:
        return []
    documents = []
    for script in root.iter("script"):
        if str(script.get("type") or "").strip().lower() != JSON_LD_TYPE:
            continue
        document = _load(script.text or "")
        if document is not None:
            documents.append(document)
    return documents


def _load(text: str) -> Any:
    try:
        return json.loads(_WRAPPER.sub("", text), strict=False)
    except (ValueError, RecursionError):
        LOGGER.debug("invalid JSON-LD ignored: %.80s", text)
        return None


def jsonld_objects(documents: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """Top-level objects of the documents: lists unrolled, `@graph` (Yoast, Rank Math) flattened."""
    for data in documents:
        if isinstance(data, list):
            yield from jsonld_objects(data)
        elif isinstance(data, dict):
            yield data
            yield from jsonld_objects([data.get("@graph")])


def has_type(obj: dict[str, Any], names: Iterable[str]) -> bool:
    """Whether the object's `@type` (a string or a list) is one of `names`."""
    kinds = obj.get("@type")
    wanted = set(names)
    return any(str(kind) in wanted for kind in (kinds if isinstance(kinds, list) else [kinds]))
