"""Post and comment bodies: sanitized HTML for the archive and clean text for analysis."""

from __future__ import annotations

import functools
import html as htmllib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nh3
from lxml import etree
from lxml import html as lxml_html

# Semantic content an archive keeps; everything else is unwrapped (its text kept).
ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "div", "span", "h1", "h2", "h3", "h4", "h5", "h6",
        "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "a", "img", "figure", "figcaption",
        "em", "strong", "b", "i", "u", "s", "del", "ins", "mark", "small", "code", "pre", "kbd",
        "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "colgroup", "col",
        "sup", "sub", "cite", "q", "abbr", "time",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "time": {"datetime"},
    "abbr": {"title"},
    "ol": {"start", "reversed"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "blockquote": {"cite"},
    "q": {"cite"},
}
# WordPress prints emoji and smilies as <img class="wp-smiley" alt="🙂">: the class tells
# clean_text to read the alt text, so it survives sanitizing.
ALLOWED_CLASSES = {"img": {"wp-smiley", "emoji"}}
# Dropped with their content: code, chrome and widgets, never part of what the author wrote.
# noscript is here because html5ever reads its content as raw text and would print it escaped.
DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "iframe", "form", "noscript", "template", "object", "embed",
        "svg", "math", "textarea", "select", "button", "head", "title", "frame", "frameset",
    }
)  # fmt: skip
# Links and images keep only what a reader can follow safely; anything else (javascript:, data:,
# vbscript:, file:) loses its href or src.
URL_SCHEMES = frozenset({"http", "https", "mailto"})

# clean_text: tags whose content is never text, paragraph-level blocks, and line-level blocks.
_SKIPPED_TAGS = DROPPED_WITH_CONTENT
_PARAGRAPH_TAGS = frozenset(
    {
        "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figure", "ul", "ol",
        "dl", "table", "hr", "section", "article", "header", "footer", "aside", "main",
        "nav", "address", "details", "center", "body",
    }
)  # fmt: skip
_LINE_TAGS = frozenset({"li", "tr", "dt", "dd", "figcaption", "caption", "summary", "br"})
_CELL_TAGS = frozenset({"td", "th"})
_SMILEY_CLASSES = ("wp-smiley", "emoji")

# Markers in the flattened text: control characters no HTML text can carry (lxml and
# html5ever replace them), so they cannot collide with content.
_PARA = "\x01"
_LINE = "\x02"
_VERBATIM = "\x03"
_TAG_RE = re.compile(r"<[^>]*>")
_MARKUP_RE = re.compile(r"[<&\x00-\x08\x0b\x0c\x0e-\x1f]")
_XML_DECLARATION_RE = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)
# A tag as html5ever serializes it: `<name attr="value">` or `</name>` (no comments survive nh3).
_SAFE_TAG_RE = re.compile(r"<(/?)([a-z][a-z0-9]*)([^>]*)>")
_ATTRIBUTE_RE = re.compile(r'([a-z-]+)="([^"]*)"')
# A link or image URL (the attributes nh3 resolves against a base; it leaves `cite` as it is)
# that does not start with a scheme: a relative URL, as html5ever serializes it. Anything odd
# matches too (then the base is used, as before).
_RELATIVE_URL_RE = re.compile(r' (?:href|src)="(?![a-zA-Z][a-zA-Z0-9+.\-]*:)')


@dataclass(frozen=True)
class Body:
    """A body as archived: sanitized HTML and its clean text."""

    html: str
    text: str


def parse_body(html: str, base_url: str = "") -> Body:
    """Sanitize `html` (links made absolute against `base_url`) and read its clean text."""
    safe = sanitize_html(html, base_url)
    return Body(html=safe, text=sanitized_text(safe))


def sanitize_html(html: str, base_url: str = "") -> str:
    """Keep semantic content; drop scripts, styles, iframes, forms, handlers and comments.

    Relative `href`/`src` values are made absolute against `base_url` when it is given; links
    get `rel="noopener noreferrer"`; a `base_url` that is not absolute leaves them relative.
    Never raises: html5ever (inside nh3) reads any string, as a browser would.
    """
    if not html:
        return ""
    safe = str(_cleaner("").clean(html))
    # WordPress writes absolute links, so the base rarely matters: only a body left with a
    # relative URL is cleaned again against it. (One Cleaner per post would be built for
    # nearly every comment: a site's comments come in id order, across all its posts.) A
    # fragment never changes how relative URLs resolve.
    base = base_url.partition("#")[0]
    if base and _RELATIVE_URL_RE.search(safe):
        safe = str(_cleaner(base).clean(html))
    return safe


# Building a Cleaner costs more than cleaning a comment with it: a small memo of immutable
# Cleaners, the plain one and those of the few bases that relative links need.
@functools.lru_cache(maxsize=64)
def _cleaner(base_url: str) -> Any:
    url_relative: Any = ("rewrite_with_base", base_url) if base_url else "pass_through"
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=set(URL_SCHEMES),
        url_relative=url_relative,
        strip_comments=True,
    )


def parse_fragment(html: str) -> lxml_html.HtmlElement | None:
    """Parse an HTML fragment or page with lxml; None when there is nothing to read."""
    if not html or not html.strip():
        return None
    text = _XML_DECLARATION_RE.sub("", html, count=1)
    try:
        return lxml_html.document_fromstring(text)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None


def clean_text(html: str) -> str:
    """Plain text of an HTML body, paragraphs separated by exactly one blank line.

    Entities are decoded (`&#8217;` gives ’; `&nbsp;` counts as a space and is collapsed
    like other whitespace); paragraph-level blocks (p, div, headings, blockquote, figure,
    lists, tables) are separated by a blank line; br, li, tr, dt/dd and figcaption start a
    new line; whitespace within a line is collapsed; pre keeps its lines; script, style and
    form content never appear; smiley images give their alt text. Never raises.
    """
    if not _MARKUP_RE.search(html or ""):
        # No tag, entity or control character: what lxml would give is the collapsed text,
        # and most author names, titles and short comments are just that.
        return " ".join((html or "").split())
    root = parse_fragment(html)
    if root is None:
        # Nothing lxml would read (empty, or a lone comment): fall back to a tag strip.
        return _join_paragraphs(htmllib.unescape(_TAG_RE.sub(" ", html or "")))
    return tree_text(root)


def sanitized_text(safe: str) -> str:
    """`clean_text` of what `sanitize_html` wrote, read without building a tree: html5ever's
    serialization is well-formed (lowercase tags, quoted attributes, escaped text, no comments,
    scripts or styles), so one pass over its tags gives the same text at a fraction of the CPU."""
    if not _MARKUP_RE.search(safe):
        return " ".join(safe.split())
    in_pre = 0

    def marker(tag: re.Match[str]) -> str:
        nonlocal in_pre
        closing, name = tag.group(1), tag.group(2)
        if name == "pre":
            in_pre += -1 if closing else 1
            return _PARA if closing else _PARA + _VERBATIM
        if in_pre:
            return ""  # a pre is read verbatim: its tags mark nothing (text_content)
        if name in _PARAGRAPH_TAGS:
            return _PARA
        if name in _LINE_TAGS:
            return _LINE
        if name in _CELL_TAGS:
            return "" if closing else " "
        if name == "img":
            attributes: dict[str, str] = dict(_ATTRIBUTE_RE.findall(tag.group(3)))
            if any(c in attributes.get("class", "") for c in _SMILEY_CLASSES):
                return attributes.get("alt", "")  # still escaped, like the text around it
        return ""

    # Markers are control characters: unescaping the whole never joins them into an entity.
    return _join_paragraphs(htmllib.unescape(_SAFE_TAG_RE.sub(marker, safe)))


def tree_text(root: lxml_html.HtmlElement) -> str:
    """Clean text of an already parsed tree (see `clean_text`)."""
    parts: list[str] = []
    _flatten(root, parts.append)
    return _join_paragraphs("".join(parts))


def _flatten(el: Any, emit: Callable[[str], None]) -> None:
    """Append el's text to `emit`, with paragraph and line markers where blocks start and end."""
    tag = el.tag
    if not isinstance(tag, str) or tag in _SKIPPED_TAGS:
        # Comments, processing instructions and skipped elements: only the tail is text.
        if el.tail:
            emit(el.tail)
        return
    marker = _PARA if tag in _PARAGRAPH_TAGS else _LINE if tag in _LINE_TAGS else ""
    if marker:
        emit(marker)
    elif tag in _CELL_TAGS:
        emit(" ")
    if tag == "pre":
        emit(_PARA + _VERBATIM + el.text_content() + _PARA)
    elif tag == "img":
        if any(c in (el.get("class") or "") for c in _SMILEY_CLASSES):
            emit(el.get("alt") or "")
    else:
        if el.text:
            emit(el.text)
        for child in el:
            _flatten(child, emit)
    if marker:
        emit(marker)
    if el.tail:
        emit(el.tail)


def _join_paragraphs(flat: str) -> str:
    """Turn marked-up flat text into paragraphs of collapsed lines joined by blank lines."""
    paragraphs: list[str] = []
    for block in flat.split(_PARA):
        if not block or block.isspace():
            continue
        if block[0] == _VERBATIM:
            verbatim = block[1:].strip("\n").rstrip()
            if verbatim.strip():
                paragraphs.append(verbatim)
        elif _LINE in block:
            lines = [" ".join(line.split()) for line in block.split(_LINE)]
            paragraphs.append("\n".join(line for line in lines if line))
        else:
            paragraphs.append(" ".join(block.split()))
    return "\n\n".join(p for p in paragraphs if p)
