"""Review ratings: JSON-LD first, then review plugins' markup, then rating text in the body.

Scales and worst values, so analysts can audit `normalized = (value - worst) / (scale - worst)`:
- JSON-LD: schema.org defaults, bestRating 5 and worstRating 1 when missing (worst 0 instead when
  worstRating is missing and the value is below 1). A value outside worst..best is rejected.
- Plugins: worst 0, as their widgets draw a fill from empty to full. Yasr and Site Reviews are
  out of 5 and print 0 for "not rated yet", so 0 is no rating there; WP Review's total box says
  its own scale ("8.5/10", "85%", stars); WP Product Review stores 0..100 and shows it out of 10.
  Visitor averages (Yasr visitor votes, comment averages) are readers' votes, not the review's.
  On a whole page, sidebars, widgets, navigation and the comments area are not searched.
- Text: see `scraper.parse.rating_text`.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from lxml import html as lxml_html

from archive.records import RatingRecord
from scraper.parse.body import parse_fragment, tree_text
from scraper.parse.jsonld import read_jsonld
from scraper.parse.rating_text import Score, checked, find_text_rating
from scraper.parse.tree import HtmlElement, ParsedPage, as_page

LOGGER = logging.getLogger(__name__)


def parse_rating(
    content_html: str,
    page: ParsedPage | str | None = None,
    *,
    content_tree: HtmlElement | None = None,
) -> RatingRecord | None:
    """The review rating of a post, or None. Never raises on malformed input.

    `content_html` is the post body (REST `content.rendered` or a page's entry content);
    `page`, when given, is the whole rendered page, head included (its tree is only read);
    `content_tree`, when given, is the body already parsed, a copy this function may change.
    """
    if content_tree is None:
        content_tree = parse_fragment(content_html)
    page = as_page(page, "") if page is not None else None
    score = (
        (_find_json_ld(page.root) if page else None)
        or _find_json_ld(content_tree)
        or _find_plugin(content_html, content_tree)
        or (_find_plugin_in_page(page) if page else None)
        or _find_text(content_html, content_tree)
    )
    return _to_record(score) if score else None


def _to_record(score: Score) -> RatingRecord:
    span = score.scale - score.worst
    normalized = min(1.0, max(0.0, (score.value - score.worst) / span))
    return RatingRecord(
        value=score.value,
        scale=score.scale,
        worst=score.worst,
        normalized=round(normalized, 6),
        found_in=score.found_in,
        text=score.text,
    )


_NUMBER_RE = re.compile(r"-?\d+(?:[.,]\d+)?")


def _to_float(raw: object) -> float | None:
    """A number from JSON or markup: 4, "4", "4.5", "4,5", "4.5 Stars"; None otherwise."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        match = _NUMBER_RE.search(raw)
        if match:
            return float(match.group(0).replace(",", "."))
    return None


# ---------------------------------------------------------------- JSON-LD


def _find_json_ld(root: HtmlElement | None) -> Score | None:
    """The first reviewRating, in document order, of the JSON-LD blocks under `root`."""
    return _first_json_ld_score(read_jsonld(root))


def _first_json_ld_score(documents: Iterable[Any]) -> Score | None:
    for document in documents:
        for rating in _iter_review_ratings(document):
            score = _json_ld_score(rating)
            if score:
                return score
    return None


def parse_jsonld_rating(documents: Iterable[Any]) -> RatingRecord | None:
    """The first reviewRating of already-decoded JSON-LD documents (e.g. Yoast SEO's
    `yoast_head_json.schema` in REST responses), or None."""
    score = _first_json_ld_score(documents)
    return _to_record(score) if score else None


def _iter_review_ratings(data: Any) -> Iterator[dict[str, Any]]:
    """Every `reviewRating` object, depth first: top-level lists, @graph, Product.review, ..."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ratings = node.get("reviewRating")
            for rating in ratings if isinstance(ratings, list) else [ratings]:
                if isinstance(rating, dict):
                    yield rating
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))


def _json_ld_score(rating: dict[str, Any]) -> Score | None:
    value = _to_float(rating.get("ratingValue"))
    if value is None:
        return None
    best = _to_float(rating.get("bestRating"))
    worst = _to_float(rating.get("worstRating"))
    if worst is None:
        worst = 1.0 if value >= 1 else 0.0
    snippet = json.dumps(rating, ensure_ascii=False, separators=(",", ":"))[:300]
    return checked(Score(value, 5.0 if best is None else best, worst, "json-ld", snippet))


# ---------------------------------------------------------------- review plugins

Extractor = Callable[[lxml_html.HtmlElement], Score | None]


class PluginRule(NamedTuple):
    """One way a review plugin prints its rating: tried only when `marker` is in the HTML."""

    name: str
    marker: str
    xpath: str
    extract: Extractor


def _cls(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def _yasr(el: lxml_html.HtmlElement) -> Score | None:
    value = _to_float(el.get("data-rating"))
    if value is None or value <= 0:  # Yasr prints 0 for a post nobody rated
        return None
    return checked(Score(value, 5.0, 0.0, "yasr", f'data-rating="{el.get("data-rating")}"'))


_WP_REVIEW_SCALES = {"star": 5.0, "point": 10.0, "percentage": 100.0, "circle": 100.0}
_WP_REVIEW_TYPE_RE = re.compile(r"\bwp-review-(\w+)-type\b")
_FRACTION_TEXT_RE = re.compile(r"(\d+(?:[.,]\d+)?)\s*/\s*(\d+)")


def _wp_review_total(el: lxml_html.HtmlElement) -> Score | None:
    text = " ".join(el.text_content().split())
    fraction = _FRACTION_TEXT_RE.search(text)
    value = _to_float(fraction.group(1) if fraction else text)
    if value is None:
        return None
    if fraction:
        scale = float(fraction.group(2))
    elif "%" in text:
        scale = 100.0
    else:
        wrapper = el.xpath(f"ancestor::*[{_cls('review-wrapper')}][1]/@class")
        kind = _WP_REVIEW_TYPE_RE.search(wrapper[0] if wrapper else "")
        scale = _WP_REVIEW_SCALES.get(kind.group(1) if kind else "star", 5.0)
    return checked(Score(value, scale, 0.0, "wp-review", text))


_WIDTH_RE = re.compile(r"width\s*:\s*(\d+(?:\.\d+)?)\s*%")


def _wp_review_width(el: lxml_html.HtmlElement) -> Score | None:
    width = _WIDTH_RE.search(el.get("style") or "")
    if not width:
        return None
    value = round(float(width.group(1)) / 20, 2)
    return checked(Score(value, 5.0, 0.0, "wp-review", f"width:{width.group(1)}%"))


def _site_reviews(el: lxml_html.HtmlElement) -> Score | None:
    # "Rated 4 out of 5 stars [based on N ratings]", translated: the first two numbers.
    label = el.get("aria-label") or el.get("title") or " ".join(el.text_content().split())
    numbers = [_to_float(n) for n in _NUMBER_RE.findall(label)[:2]]
    full = len(el.xpath(f".//*[{_cls('glsr-star-full')}]"))
    half = len(el.xpath(f".//*[{_cls('glsr-star-half')}]"))
    empty = len(el.xpath(f".//*[{_cls('glsr-star-empty')}]"))
    data_rating = _to_float(el.get("data-rating"))
    if len(numbers) == 2 and numbers[0] is not None and numbers[1] is not None:
        value, scale, text = numbers[0], numbers[1], label
    elif data_rating is not None:
        value, scale, text = data_rating, 5.0, f'data-rating="{el.get("data-rating")}"'
    elif full + half + empty:
        value, scale, text = full + half / 2, float(full + half + empty), "stars"
    else:
        return None
    if value <= 0:  # Site Reviews ratings start at 1; 0 is a summary with no reviews
        return None
    return checked(Score(value, scale, 0.0, "site-reviews", text))


def _wppr_percent(el: lxml_html.HtmlElement) -> Score | None:
    percent = _to_float(el.get("data-percent"))
    if percent is None:
        return None
    snippet = f'data-percent="{el.get("data-percent")}"'
    return checked(Score(percent / 10, 10.0, 0.0, "wp-product-review", snippet))


def _wppr_grade(el: lxml_html.HtmlElement) -> Score | None:
    text = " ".join(el.text_content().split())
    value = _to_float(text)
    if value is None:
        return None
    # Version 3 prints the stored 0..100 score here and its script redraws it out of 10.
    return checked(Score(value / 10 if value > 10 else value, 10.0, 0.0, "wp-product-review", text))


def _wppr_chart(el: lxml_html.HtmlElement) -> Score | None:
    # Version 3's default template: <div class="wppr-c100 wppr-p82"><span>8.2</span>: the class
    # carries the 0..100 score, which survives the stray tags wpautop adds around the span.
    match = re.search(r"\bwppr-p(\d{1,3})\b", el.get("class") or "")
    if match is None:
        return None
    percent = float(match.group(1))
    return checked(Score(percent / 10, 10.0, 0.0, "wp-product-review", f"wppr-p{match.group(1)}"))


_YASR_STARS = f"*[{_cls('yasr-rater-stars')}][@data-rating]"
# Ordered: the reviewer's own rating before fallbacks. Markup as the plugins print it (see the
# fixtures in tests/fixtures/ratings/, each naming the plugin source it follows).
PLUGIN_RULES: tuple[PluginRule, ...] = (
    PluginRule("yasr", "yasr-", f"//*[{_cls('yasr-overall-rating')}]//{_YASR_STARS}", _yasr),
    PluginRule(
        "yasr", "yasr-", f"//{_YASR_STARS}[starts-with(@id, 'yasr-overall-rating-rater')]", _yasr
    ),
    PluginRule(
        "yasr",
        "yasr-",
        f"//{_YASR_STARS}[not(starts-with(@id, 'yasr-visitor-votes'))]"
        f"[not(starts-with(@id, 'yasr-pro-average-comments'))][not({_cls('yasr-stars-title')})]"
        f"[not(ancestor::*[{_cls('yasr-visitor-votes')}])]",
        _yasr,
    ),
    PluginRule(
        "wp-review",
        "review-total-box",
        f"//*[{_cls('review-total-wrapper')}]/*[{_cls('review-total-box')}]",
        _wp_review_total,
    ),
    PluginRule(
        "wp-review",
        "review-result",
        f"//*[{_cls('review-total-wrapper')}]//*[{_cls('review-result')}][@style]",
        _wp_review_width,
    ),
    PluginRule(
        "site-reviews",
        "glsr-",
        f"//*[self::div or self::span][{_cls('glsr-star-rating')} or {_cls('glsr-stars')}]"
        "[not(ancestor::form)]",
        _site_reviews,
    ),
    PluginRule(
        "wp-product-review",
        "wppr-review-container",
        f"//*[{_cls('wppr-review-container')}]//*[{_cls('cwp-review-percentage')}][@data-percent]",
        _wppr_percent,
    ),
    PluginRule(
        "wp-product-review",
        "wppr-review-container",
        f"//*[{_cls('wppr-review-container')}]//*[{_cls('wppr-review-grade-number')}]",
        _wppr_grade,
    ),
    PluginRule(
        "wp-product-review",
        "review-wu-grade",
        f"//*[{_cls('review-wu-grade')}]//*[{_cls('cwp-review-rating')}]",
        _wppr_grade,
    ),
    PluginRule(
        "wp-product-review",
        "wppr-c100",
        f"//*[{_cls('review-wu-grade')}]//*[{_cls('wppr-c100')}]",
        _wppr_chart,
    ),
)

# Parts of a whole page that hold other posts' ratings or readers' ones, never this review's.
_PAGE_NOISE_XPATH = (
    "//aside | //nav | //*[@id='comments' or @id='secondary' or @id='sidebar'] | "
    f"//*[{_cls('widget')} or {_cls('sidebar')} or {_cls('comments-area')}]"
)


# Plugin boxes and readers' areas inside a body: their fractions are per-feature scores and
# readers' averages ("Story 9/10", "User rating 6.2/10"), never the text verdict.
_TEXT_NOISE_XPATH = (
    f"//*[{_cls('user-review-area')} or {_cls('wppr-review-container')} or {_cls('glsr')}"
    f" or {_cls('yasr-visitor-votes')} or ({_cls('review-wrapper')} and contains(@class, 'wp-review-'))"
    " or @id='comments']"
)
_TEXT_NOISE_MARKERS = ("user-review-area", "wppr-review-container", "glsr", "yasr-", "wp-review-")


def _find_text(html: str, tree: lxml_html.HtmlElement | None) -> Score | None:
    """A rating in the body's clean text, plugin boxes and readers' areas left out."""
    if tree is None:
        return None
    if "comments" in html or any(marker in html for marker in _TEXT_NOISE_MARKERS):
        _drop(tree, _TEXT_NOISE_XPATH)
    return find_text_rating(tree_text(tree))


def _drop(tree: lxml_html.HtmlElement, xpath: str) -> None:
    for el in tree.xpath(xpath):
        if el.getparent() is not None:
            el.drop_tree()


def _find_plugin(html: str, tree: lxml_html.HtmlElement | None) -> Score | None:
    if tree is None:
        return None
    for rule in PLUGIN_RULES:
        if rule.marker not in html:
            continue
        for el in tree.xpath(rule.xpath):
            score = rule.extract(el)
            if score:
                return score
    return None


def _find_plugin_in_page(page: ParsedPage) -> Score | None:
    if not any(rule.marker in page.html for rule in PLUGIN_RULES):
        return None
    tree = copy.deepcopy(page.root)  # the page's tree is shared: noise is dropped from a copy
    _drop(tree, _PAGE_NOISE_XPATH)
    return _find_plugin(page.html, tree)
