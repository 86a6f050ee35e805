"""One parsed tree per fetched page, shared by every reader of it (post, comments, rating, terms).

The page is tokenized by Python's html.parser and built into an lxml tree. libxml2's own HTML
parser would be faster still, but it closes an `li` when another opens inside it, and block
themes print replies beyond the thread depth exactly that way: html.parser keeps the nesting
that proves their parents. Selectors then run as compiled XPath (cssselect), not in Python.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from cssselect import HTMLTranslator
from lxml import etree
from lxml import html as lxml_html
from lxml.html import HtmlElement as HtmlElement  # re-exported: the one tree type

from archive.records import Capture

# Elements with no end tag (HTML's void elements and the obsolete ones parsers still know).
VOID_TAGS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
        "basefont",
        "bgsound",
        "command",
        "frame",
        "image",
        "isindex",
        "keygen",
        "menuitem",
        "nextid",
        "spacer",
    ]
)
# Characters XML (and so lxml) cannot hold in text or attribute values.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BAD_NAME = re.compile(r"[^\w.\-]|^[^A-Za-z_]")
_TRANSLATOR = HTMLTranslator()


@dataclass(frozen=True)
class ParsedPage:
    """A fetched page and its tree: `url` is where it was fetched, `html` its text, `capture`
    where its response was recorded (if it was)."""

    url: str
    html: str
    root: HtmlElement
    capture: Capture | None = None

    @property
    def body(self) -> HtmlElement | None:
        return body_of(self.root)


def parse_page(html: str, url: str, capture: Capture | None = None) -> ParsedPage:
    """Parse a page (or a fragment) once; never raises, whatever the markup."""
    builder = _TreeBuilder()
    builder.feed(html or "")
    builder.close()
    return ParsedPage(url, html or "", builder.root(), capture)


class _TreeBuilder(HTMLParser):
    """html.parser events -> an lxml tree of HtmlElements, closing tags as browsers' parsers of
    old did: an end tag closes up to its open element, a stray one is ignored."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._builder = etree.TreeBuilder(parser=lxml_html.html_parser)
        self._builder.start("html", {})
        self._open: list[str] = ["html"]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = _safe_name(tag)
        values: dict[str | bytes, str | bytes] = {
            _safe_name(k): _NOT_XML.sub("", v) if v else "" for k, v in attrs
        }
        self._builder.start(name, values)
        self._open.append(name)
        if name in VOID_TAGS:
            self._close_last()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if _safe_name(tag) not in VOID_TAGS:
            self._close_last()

    def handle_endtag(self, tag: str) -> None:
        name = _safe_name(tag)
        if name not in self._open[1:]:
            return
        while self._open[-1] != name:
            self._close_last()
        self._close_last()

    def handle_data(self, data: str) -> None:
        self._builder.data(_NOT_XML.sub("", data))

    def handle_comment(self, data: str) -> None:
        self._builder.comment(_NOT_XML.sub("", data).replace("--", "- -"))

    def _close_last(self) -> None:
        self._builder.end(self._open.pop())

    def root(self) -> HtmlElement:
        """The document element: the page's own `html`, or the wrapper when there is none."""
        while self._open:
            self._close_last()
        wrapper: HtmlElement = self._builder.close()
        children = [child for child in wrapper if isinstance(child.tag, str)]
        loose_text = (wrapper.text or "").strip() or any((c.tail or "").strip() for c in wrapper)
        if len(children) == 1 and children[0].tag == "html" and not loose_text:
            return children[0]
        return wrapper


@functools.lru_cache(maxsize=4096)
def _safe_name(name: str) -> str:
    """A tag or attribute name lxml accepts (`o:p` -> `o_p`, `@click` -> `_click`); pages repeat
    a few dozen names thousands of times, hence the memo."""
    return _BAD_NAME.sub("_", name) if _BAD_NAME.search(name) else name


def body_of(root: HtmlElement) -> HtmlElement | None:
    """The page's `body` element, if it has one."""
    found: HtmlElement | None = root.find(".//body")
    return found


def select(root: HtmlElement, selector: str) -> list[HtmlElement]:
    """Elements under `root` (not `root` itself) matching a CSS selector, in document order."""
    return [el for el in _compiled(selector)(root) if el is not root]


def select_within(root: HtmlElement, selector: str) -> list[HtmlElement]:
    """Like `select`, but `root` itself may match too."""
    return list(_compiled(selector)(root))


@functools.lru_cache(maxsize=512)
def _compiled(selector: str) -> Any:
    return etree.XPath(_TRANSLATOR.css_to_xpath(selector))


def select_one(root: HtmlElement | None, selector: str) -> HtmlElement | None:
    """The first element under `root` matching a CSS selector, or None."""
    if root is None:
        return None
    found = select(root, selector)
    return found[0] if found else None


def as_page(page: ParsedPage | str, url: str) -> ParsedPage:
    """A ParsedPage from a page already parsed, or from HTML text (tests, one-off callers)."""
    return page if isinstance(page, ParsedPage) else parse_page(page, url)
