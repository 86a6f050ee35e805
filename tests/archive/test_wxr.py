"""The WXR writer on archives built through ArchiveStore: format, order, parents, text and dates."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import Engine

from archive.errors import ArchiveError
from archive.export.wxr import WxrCounts, WxrWriter, export_wxr, write_wxr
from archive.export.wxr_items import manual_excerpt
from archive.records import AuthorRecord, Record, SiteRecord, TermRecord, TermRef
from archive.store import ArchiveStore
from tests.archive.samples import COMMENT_ID, POST_ID, REPLY_IDS, comment, her_post, her_records
from tests.wxr_reader import NS, element_names, read_wxr

ROME = SiteRecord(url="https://rome.example.org", name="Blog & <Co>", timezone="Europe/Rome")
# export_wp's order (wp-admin/includes/export.php, WordPress 6.1) for an item without postmeta.
ITEM_ORDER = [
    "title",
    "link",
    "pubDate",
    "dc:creator",
    "guid",
    "description",
    "content:encoded",
    "excerpt:encoded",
    "wp:post_id",
    "wp:post_date",
    "wp:post_date_gmt",
    "wp:post_modified",
    "wp:post_modified_gmt",
    "wp:comment_status",
    "wp:ping_status",
    "wp:post_name",
    "wp:status",
    "wp:post_parent",
    "wp:menu_order",
    "wp:post_type",
    "wp:post_password",
    "wp:is_sticky",
]
COMMENT_ORDER = [
    f"wp:comment_{name}"
    for name in [
        "id",
        "author",
        "author_email",
        "author_url",
        "author_IP",
        "date",
        "date_gmt",
        "content",
        "approved",
        "type",
        "parent",
        "user_id",
    ]
]


def save(store: ArchiveStore, records: list[Record], site: SiteRecord = ROME) -> int:
    site_id = store.ensure_site(site)
    store.save_records(site_id, store.start_run(site_id, "rest", "full"), records)
    return site_id


def wxr_of(engine: Engine, site_id: int) -> tuple[bytes, WxrCounts]:
    out = io.BytesIO()
    with engine.connect() as conn:
        counts = write_wxr(conn, out, site_id)
    return out.getvalue(), counts


def test_the_document_parses_with_wxr_namespaces_and_counts(
    store: ArchiveStore, engine: Engine
) -> None:
    data, counts = wxr_of(engine, save(store, her_records()))
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8" ?>')
    wxr = read_wxr(data)
    assert wxr["channel"]["wp:wxr_version"] == "1.2"
    assert wxr["channel"]["title"] == "Blog & <Co>"
    assert wxr["channel"]["wp:base_site_url"] == "https://rome.example.org"
    assert counts == WxrCounts(authors=1, terms=2, items=1, comments=3)
    item = wxr["items"][str(POST_ID)]
    assert [c["comment_id"] for c in item["comments"]] == [str(COMMENT_ID), *map(str, REPLY_IDS)]
    assert item["terms"] == {
        ("category", "film", "Film"),
        ("post_tag", "spike-jonze", "Spike Jonze"),
    }
    assert (item["creator"], wxr["authors"][0]["author_login"]) == ("filmreviews", "filmreviews")


def test_elements_come_in_export_wp_order(store: ArchiveStore, engine: Engine) -> None:
    data, _ = wxr_of(engine, save(store, her_records()))
    (item,) = element_names(data, "channel/item")
    assert item[: len(ITEM_ORDER)] == ITEM_ORDER
    assert item[len(ITEM_ORDER) :] == ["category"] * 2 + ["wp:comment"] * 3
    assert element_names(data, "channel/item/wp:comment") == [COMMENT_ORDER] * 3
    channel = [n for n in element_names(data, "channel")[0] if n != "item"]
    assert channel[:3] == ["title", "link", "description"]
    assert channel.index("wp:wxr_version") < channel.index("wp:author") < channel.index("wp:tag")


def test_comments_come_parents_first_and_no_reply_points_at_a_wrong_parent(
    store: ArchiveStore, engine: Engine
) -> None:
    other = replace(her_post(), wp_id=POST_ID + 1, url="https://rome.example.org/other/")
    comments = [
        comment(900, None),
        comment(905, 900),
        comment(903, 900),
        comment(901, 99),  # orphan: its parent is not archived
        comment(902, 901),  # reply to the orphan: its parent is archived
        comment(910, 900, parent_inferred=True),  # 903 and 905 came first: not certain
        comment(920, 930),  # parent with a higher id: the importer could not link it
        comment(930, None),
        comment(940, 900, post=POST_ID + 1),  # parent under another post
    ]
    data, counts = wxr_of(engine, save(store, [her_post(), other, *reversed(comments)]))
    items = read_wxr(data)["items"]
    parents = {c["comment_id"]: c["comment_parent"] for i in items.values() for c in i["comments"]}
    order = [c["comment_id"] for c in items[str(POST_ID)]["comments"]]
    assert order == sorted(order, key=int)
    assert parents == {
        "900": "0",
        "901": "0",
        "902": "901",
        "903": "900",
        "905": "900",
        "910": "0",
        "920": "0",
        "930": "0",
        "940": "0",
    }
    assert counts.comments == len(comments)


def test_an_inferred_parent_is_kept_only_where_it_is_certain(
    store: ArchiveStore, engine: Engine
) -> None:
    # Page markup flattened 5 and 6 under 4: the lowest id under 4 must be 4's own reply.
    chain = [
        comment(1, None),
        comment(4, 1),
        comment(5, 4, parent_inferred=True),
        comment(6, 4, parent_inferred=True),
        comment(7, 6),
    ]
    data, _ = wxr_of(engine, save(store, [her_post(), *chain]))
    got = {
        c["comment_id"]: c["comment_parent"]
        for c in read_wxr(data)["items"][str(POST_ID)]["comments"]
    }
    assert got == {"1": "0", "4": "1", "5": "4", "6": "0", "7": "6"}


def test_text_survives_cdata_ends_and_characters_xml_forbids(
    store: ArchiveStore, engine: Engine
) -> None:
    nasty = "a ]]> b\x01\x0b\x1f\ufffe c ]]]]> é 🎬"
    post = her_post(title=nasty, content_html=f"<p>{nasty}</p>", slug="s]]>")
    # (NUL cannot reach the archive: PostgreSQL refuses it in text.)
    data, _ = wxr_of(engine, save(store, [post, comment(1, None, author_name=nasty)]))
    item = read_wxr(data)["items"][str(POST_ID)]
    clean = "a ]]> b c ]]]]> é 🎬"
    assert item["title"] == clean
    assert item["content"] == f"<p>{clean}</p>"
    assert item["post_name"] == "s]]>"
    assert item["comments"][0]["comment_author"] == clean


@pytest.mark.parametrize(
    ("site", "utc", "local"),
    [
        (ROME, datetime(2018, 3, 25, 0, 30, tzinfo=UTC), "2018-03-25 01:30:00"),  # CET, +1
        (ROME, datetime(2018, 3, 25, 1, 30, tzinfo=UTC), "2018-03-25 03:30:00"),  # CEST, +2
        (ROME, datetime(2018, 10, 28, 0, 30, tzinfo=UTC), "2018-10-28 02:30:00"),  # still +2
        (ROME, datetime(2018, 10, 28, 1, 30, tzinfo=UTC), "2018-10-28 02:30:00"),  # +1 again
        (replace(ROME, timezone=None, gmt_offset=5.5), datetime(2018, 3, 25, 1, 30, tzinfo=UTC), "2018-03-25 07:00:00"),
        (replace(ROME, timezone=None), datetime(2018, 3, 25, 1, 30, tzinfo=UTC), "2018-03-25 01:30:00"),
    ],
)  # fmt: skip
def test_dates_are_written_in_site_time_and_gmt(
    store: ArchiveStore, engine: Engine, site: SiteRecord, utc: datetime, local: str
) -> None:
    post = her_post(published_at=utc, modified_at=None)
    data, _ = wxr_of(engine, save(store, [post, comment(1, None, published_at=utc)], site))
    item = read_wxr(data)["items"][str(POST_ID)]
    gmt = utc.strftime("%Y-%m-%d %H:%M:%S")
    assert (item["post_date"], item["post_date_gmt"]) == (local, gmt)
    assert (item["post_modified"], item["post_modified_gmt"]) == (local, gmt)
    assert item["pubDate"] == utc.strftime("%a, %d %b %Y %H:%M:%S +0000")
    (written,) = item["comments"]
    assert (written["comment_date"], written["comment_date_gmt"]) == (local, gmt)


def test_categories_come_parents_first_with_their_descriptions(
    store: ArchiveStore, engine: Engine
) -> None:
    terms: list[Record] = [
        TermRecord("category", "sci-fi", "Sci-Fi", 3, raw={"parent": 2, "description": "Space"}),
        TermRecord("category", "films", "Films", 2, raw={"parent": 1}),
        TermRecord("category", "reviews", "Reviews", 1, raw={"parent": 0}),
        TermRecord("category", "lost", "Lost", 4, raw={"parent": 77}),  # parent not archived
    ]
    data, counts = wxr_of(engine, save(store, terms))
    categories = {c["category_nicename"]: c for c in read_wxr(data)["categories"]}
    parents = {slug: c["category_parent"] for slug, c in categories.items()}
    assert parents == {"reviews": "", "lost": "", "films": "reviews", "sci-fi": "films"}
    order = list(categories)
    assert order.index("reviews") < order.index("films") < order.index("sci-fi")
    assert categories["sci-fi"]["category_description"] == "Space"
    assert "category_description" not in categories["reviews"]
    assert counts.terms == 4


def test_pages_keep_parent_order_sticky_and_guid_from_the_rest_item(
    store: ArchiveStore, engine: Engine
) -> None:
    raw = {"parent": 41, "menu_order": 3, "guid": {"rendered": "http://x/?page_id=42&#038;a=1"}}
    page = her_post(wp_id=42, type="page", raw={**raw, "sticky": True, "ping_status": "open"})
    plain = her_post(source="feed", raw={})
    data, _ = wxr_of(engine, save(store, [page, plain]))
    items = read_wxr(data)["items"]
    got = items["42"]
    assert (got["post_parent"], got["menu_order"], got["is_sticky"]) == ("41", "3", "1")
    assert (got["guid"], got["ping_status"], got["post_type"]) == (
        "http://x/?page_id=42&a=1",
        "open",
        "page",
    )
    fallback = items[str(POST_ID)]
    assert (fallback["post_parent"], fallback["guid"]) == (
        "0",
        f"https://rome.example.org/?p={POST_ID}",
    )


def test_an_author_known_only_by_name_gets_a_login(store: ArchiveStore, engine: Engine) -> None:
    post = her_post(author_wp_id=None, author_name="Jane Q. Public", source="feed")
    records: list[Record] = [AuthorRecord(wp_id=9, name="No Slug"), post]
    data, counts = wxr_of(engine, save(store, records))
    wxr = read_wxr(data)
    logins = {a["author_login"]: a["author_display_name"] for a in wxr["authors"]}
    assert logins == {"no-slug": "No Slug", "jane-q-public": "Jane Q. Public"}
    assert wxr["items"][str(POST_ID)]["creator"] == "jane-q-public"
    assert counts.authors == 2


BODY = "One two three. Four five six seven eight nine ten eleven twelve."


@pytest.mark.parametrize(
    ("excerpt", "body", "kept"),
    [
        ("One two three. Four five six seven eight nine ten […]", BODY, False),  # core's default
        ("One two three. Four five six seven… Continue reading Title", BODY, False),  # a theme's
        (BODY, BODY, False),  # all of a short body
        ("Teaser words.", f"Teaser words.\n\n{BODY}", False),  # the text before <!--more-->
        ("A summary in my own words.", BODY, True),
        ("One two three.", BODY, True),  # the author's excerpt is the first sentence: theirs
        ("Anything.", "", True),  # no body (password-protected): nothing to judge by
    ],
)
def test_automatic_excerpts_are_left_out_and_the_authors_kept(
    excerpt: str, body: str, kept: bool
) -> None:
    assert manual_excerpt(excerpt, body) == (excerpt if kept else "")


def test_export_wxr_writes_the_file_or_names_the_missing_site(
    store: ArchiveStore, engine: Engine, tmp_path: Path
) -> None:
    site_id = save(store, her_records())
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "site.wxr"
    counts = export_wxr(engine, target, "HTTPS://Rome.Example.org/")
    assert target.read_bytes() == wxr_of(engine, site_id)[0]
    assert counts.items == 1 and list(target.parent.iterdir()) == [target]
    with pytest.raises(ArchiveError, match=r"no site https://nowhere\.example"):
        export_wxr(engine, target.parent / "other.wxr", "nowhere.example")
    assert list(target.parent.iterdir()) == [target]
    with engine.connect() as conn:
        assert WxrWriter().write(conn, io.BytesIO(), "rome.example.org") == counts


def test_terms_without_a_wordpress_id_still_link_by_slug(
    store: ArchiveStore, engine: Engine
) -> None:
    post = her_post(source="feed", terms=(TermRef("category", name="Feed Only"),))
    data, _ = wxr_of(engine, save(store, [post]))
    wxr = read_wxr(data)
    assert wxr["items"][str(POST_ID)]["terms"] == {("category", "feed-only", "Feed Only")}
    assert [(c["term_id"], c["category_nicename"]) for c in wxr["categories"]] == [
        ("0", "feed-only")
    ]


def test_namespaces_are_wordpress_ones(store: ArchiveStore, engine: Engine) -> None:
    data, _ = wxr_of(engine, save(store, her_records()))
    assert {k: v for k, v in etree.fromstring(data).nsmap.items() if k in NS} == NS
