"""Small readers shared by the page parsers: element text, class lists, attributes, page numbers."""

from __future__ import annotations

from bs4 import Tag


def text_of(tag: Tag | None) -> str:
    """The element's text with whitespace collapsed; "" for None."""
    return " ".join(tag.get_text(" ").split()) if tag is not None else ""


def tokens_of(tag: Tag | None, attribute: str = "class") -> list[str]:
    """A space-separated attribute (class, rel) as a list; [] when absent."""
    value = tag.get(attribute) if tag is not None else None
    return [str(v) for v in value] if isinstance(value, list) else str(value or "").split()


def attr_of(tag: Tag | None, name: str) -> str:
    """An attribute's value, stripped; "" when the element or the attribute is absent."""
    value = tag.get(name) if tag is not None else None
    return str(value).strip() if value is not None else ""


def first_match(root: Tag, selectors: tuple[str, ...]) -> Tag | None:
    """The first element matching the first selector that matches anything."""
    for selector in selectors:
        found = root.select_one(selector)
        if found is not None:
            return found
    return None


def drop_matching(root: Tag, selectors: tuple[str, ...]) -> None:
    """Remove from `root` every element a selector matches (widgets, notices, reply links)."""
    for selector in selectors:
        for found in root.select(selector):
            found.decompose()
