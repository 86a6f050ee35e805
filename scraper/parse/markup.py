"""Small readers shared by the page parsers: element text, class lists, attributes, inner HTML."""

from __future__ import annotations

import copy
import html as htmllib

from lxml import etree

from scraper.parse.tree import HtmlElement, select

# Text no reader sees: get_text() never counted these either.
_HIDDEN_TEXT = frozenset({"script", "style", "template"})


def text_of(tag: HtmlElement | None) -> str:
    """The element's text with whitespace collapsed (scripts, styles, comments left out); "" for None."""
    if tag is None:
        return ""
    parts: list[str] = []
    _collect_text(tag, parts)
    return " ".join(" ".join(parts).split())


def _collect_text(el: HtmlElement, parts: list[str]) -> None:
    if not isinstance(el.tag, str) or el.tag in _HIDDEN_TEXT:
        return
    if el.text:
        parts.append(el.text)
    for child in el:
        _collect_text(child, parts)
        if child.tail:
            parts.append(child.tail)


def tokens_of(tag: HtmlElement | None, attribute: str = "class") -> list[str]:
    """A space-separated attribute (class, rel) as a list; [] when absent."""
    return str(tag.get(attribute) or "").split() if tag is not None else []


def attr_of(tag: HtmlElement | None, name: str) -> str:
    """An attribute's value, stripped; "" when the element or the attribute is absent."""
    value = tag.get(name) if tag is not None else None
    return str(value).strip() if value is not None else ""


def first_match(root: HtmlElement, selectors: tuple[str, ...]) -> HtmlElement | None:
    """The first element matching the first selector that matches anything."""
    for selector in selectors:
        found = select(root, selector)
        if found:
            return found[0]
    return None


def drop_matching(root: HtmlElement, selectors: tuple[str, ...]) -> None:
    """Remove from `root` every element a selector matches (widgets, notices, reply links)."""
    for selector in selectors:
        for found in select(root, selector):
            if found.getparent() is not None:
                found.drop_tree()


def cleaned_copy(root: HtmlElement, selectors: tuple[str, ...]) -> HtmlElement:
    """A copy of `root` without what `selectors` match: the page's own tree stays shared."""
    cleaned: HtmlElement = copy.deepcopy(root)
    cleaned.tail = None
    drop_matching(cleaned, selectors)
    return cleaned


def inner_html(el: HtmlElement) -> str:
    """The element's content as HTML, without its own tag."""
    parts = [htmllib.escape(el.text, quote=False)] if el.text else []
    parts += [etree.tostring(child, encoding="unicode", method="html") for child in el]
    return "".join(parts)
