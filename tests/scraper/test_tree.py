"""One tree per page: what html.parser keeps, what lxml needs, and the selectors run on it."""

from __future__ import annotations

from lxml import etree

from scraper.parse.jsonld import jsonld_objects, read_jsonld
from scraper.parse.markup import inner_html, text_of
from scraper.parse.tree import parse_page, select, select_one


def test_an_li_opened_inside_an_li_stays_nested_as_block_themes_mean_it() -> None:
    page = parse_page("<ol><li id=a>one<li id=b>two</li></li></ol>", "https://a.test/")
    inner = select_one(page.root, "#b")
    assert inner is not None and inner.getparent() is select_one(page.root, "#a")


def test_any_markup_gives_a_tree() -> None:
    for markup in ("", "plain text", "<p>unclosed <b>bold", "</div></p>", "<o:p @click=x>w</o:p>",
                   "<p title='\x01'>ctl\x0b</p>", "<!-- a -- b --><br/><br></br>"):  # fmt: skip
        root = parse_page(markup, "https://a.test/").root
        assert root.tag == "html"
        assert isinstance(etree.tostring(root), bytes)


def test_a_page_keeps_its_own_html_element_and_body() -> None:
    page = parse_page(
        "<!DOCTYPE html>\n<html lang=en><body class='single postid-3'><p>x</p></body></html>", "u"
    )
    assert page.root.get("lang") == "en"
    assert page.body is not None and page.body.get("class") == "single postid-3"


def test_selectors_text_and_inner_html() -> None:
    page = parse_page(
        "<div class='c x'>a <b>b</b><script>no()</script> &amp; <!-- c -->d</div>", "u"
    )
    div = select_one(page.root, "div.c")
    assert text_of(div) == "a b & d"
    assert (
        div is not None and inner_html(div) == "a <b>b</b><script>no()</script> &amp; <!-- c -->d"
    )
    assert select(div, "div") == []


def test_jsonld_blocks_are_read_once_with_graph_flattened() -> None:
    page = parse_page(
        """<script type="application/ld+json"><!--
        {"@graph": [{"@type": "Article", "datePublished": "2024"}, {"@type": "Person"}]}
        --></script><script type='Application/LD+JSON'>[{"@type": "Review"}]</script>
        <script type="application/ld+json">{broken</script>""",
        "u",
    )
    kinds = [obj.get("@type") for obj in jsonld_objects(read_jsonld(page.root))]
    assert kinds == [None, "Article", "Person", "Review"]
