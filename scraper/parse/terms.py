"""A post's categories and tags from the term links its page shows a visitor.

Pretty permalinks name terms by slug (/category/x/, /tag/y/), plain ones by id (?cat=3) or slug
(?tag=y); a custom base (/topics/x/) is placed by post_class(), where the link sits, or its rel.
post_class() never adds a term: for a slug that is not a valid class (東京) it prints the term id
(`tag-15`), so it only names the slug of a link known by id when the link's name slugifies to it.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from archive.identity import slugify
from archive.records import TermRef
from scraper.parse import selectors as sel
from scraper.parse.markup import attr_of, text_of, tokens_of
from scraper.parse.tree import HtmlElement, select


def parse_terms(
    scope: HtmlElement, article: HtmlElement | None, base_url: str
) -> tuple[TermRef, ...]:
    """Terms linked inside `scope` (not in the content or comments); `article`'s post_class only
    completes links that name a term by id."""
    excluded = {tag for s in sel.POST_TERM_EXCLUDE for tag in select(scope, s)}
    post_classes = _post_class_terms(article)
    found: dict[tuple[str, str], TermRef] = {}
    for selector in sel.POST_TERM_LINKS:
        for link in select(scope, selector):
            if any(parent in excluded for parent in link.iterancestors()):
                continue
            ref = _term_ref(link, urljoin(base_url, attr_of(link, "href")), post_classes)
            if ref is not None:
                found.setdefault((ref.taxonomy, ref.slug or str(ref.wp_id)), ref)
    for taxonomy, slug in post_classes:
        _add_class_term(found, taxonomy, slug)
    return tuple(found.values())


def _add_class_term(found: dict[tuple[str, str], TermRef], taxonomy: str, slug: str) -> None:
    """A post_class() slug, given to the link naming its term only by id (plain permalinks'
    ?cat=ID) when the link's name slugifies to it; a class no link names is ignored."""
    if (taxonomy, slug) in found or slug.isdigit():
        return
    for key, ref in found.items():
        if ref.taxonomy == taxonomy and not ref.slug and slugify(ref.name) == slug:
            del found[key]
            found[(taxonomy, slug)] = TermRef(taxonomy, slug, ref.name, ref.wp_id)
            return


def _post_class_terms(article: HtmlElement | None) -> list[tuple[str, str]]:
    """(taxonomy, slug) from post_class() on the article: category-{slug}, tag-{slug}."""
    pairs = []
    for name in tokens_of(article):
        match = sel.POST_CLASS_TERM.match(name)
        if match:
            taxonomy = "category" if match.group(1) == "category" else "post_tag"
            pairs.append((taxonomy, match.group(2)))
    return pairs


def _term_ref(link: HtmlElement, href: str, post_classes: list[tuple[str, str]]) -> TermRef | None:
    name = text_of(link)
    category = sel.TERM_CATEGORY_PATH.search(href)
    tag = sel.TERM_TAG_PATH.search(href)
    if category:
        return TermRef("category", slugify(category.group(1)), name)
    if tag:
        return TermRef("post_tag", slugify(tag.group(1)), name)
    cat_id = sel.TERM_CATEGORY_ID.search(href)
    if cat_id:
        return TermRef("category", "", name, int(cat_id.group(1)))
    tag_param = sel.TERM_TAG_PARAM.search(href)
    if tag_param:
        return TermRef("post_tag", slugify(tag_param.group(1)), name)
    segments = [s for s in urlsplit(href).path.split("/") if s]
    if not segments:
        return None
    slug = slugify(segments[-1])
    return TermRef(_term_taxonomy(link, slug, post_classes), slug, name)


def _term_taxonomy(link: HtmlElement, slug: str, post_classes: list[tuple[str, str]]) -> str:
    """Taxonomy of a link under a custom base: post_class, then where it sits, then its rel."""
    for taxonomy, known in post_classes:
        if known == slug:
            return taxonomy
    ancestor_classes = {name for parent in link.iterancestors() for name in tokens_of(parent)}
    if any(s.lstrip(".") in ancestor_classes for s in sel.TERM_CATEGORY_CONTEXT):
        return "category"
    if any(s.lstrip(".") in ancestor_classes for s in sel.TERM_TAG_CONTEXT):
        return "post_tag"
    return "category" if "category" in tokens_of(link, "rel") else "post_tag"
