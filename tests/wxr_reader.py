"""Reads a WXR file (ours or WordPress core's) into plain dicts, for tests that compare the two."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

WP = "http://wordpress.org/export/1.2/"
NS = {
    "wp": WP,
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
ITEM_FIELDS = [
    "title",
    "link",
    "pubDate",
    "dc:creator",
    "guid",
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
KEYS = {"content:encoded": "content", "excerpt:encoded": "excerpt"}
COMMENT_FIELDS = [
    "comment_id",
    "comment_author",
    "comment_author_email",
    "comment_author_url",
    "comment_author_IP",
    "comment_date",
    "comment_date_gmt",
    "comment_content",
    "comment_approved",
    "comment_type",
    "comment_parent",
    "comment_user_id",
]


def read_wxr(source: bytes | Path) -> dict[str, Any]:
    """Channel, authors, categories (in file order), tags and items by post id, all as strings."""
    data = source.read_bytes() if isinstance(source, Path) else source
    # The importer refuses a DOCTYPE; so does this reader (no entity expansion either).
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    root = etree.fromstring(data, parser)
    assert root.tag == "rss" and root.getroottree().docinfo.doctype == ""
    channel = root.find("channel")
    assert channel is not None
    return {
        "channel": {
            _prefixed(c): c.text or "" for c in channel if isinstance(c.tag, str) and not len(c)
        },
        "authors": [_fields(a) for a in channel.iterfind("wp:author", NS)],
        "categories": [_fields(c) for c in channel.iterfind("wp:category", NS)],
        "tags": [_fields(t) for t in channel.iterfind("wp:tag", NS)],
        "items": {item["post_id"]: item for item in map(_item, channel.iterfind("item"))},
    }


def _prefixed(node: Any) -> str:
    """`wp:wxr_version` for a namespaced element, `title` for a plain one."""
    qname = etree.QName(node)
    prefix = {uri: prefix for prefix, uri in NS.items()}.get(qname.namespace or "")
    return f"{prefix}:{qname.localname}" if prefix else qname.localname


def _fields(node: Any) -> dict[str, str]:
    """Child elements by local name -> text."""
    return {etree.QName(child).localname: child.text or "" for child in node}


def _item(node: Any) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for name in ITEM_FIELDS:
        found = node.find(name, NS)
        assert found is not None, f"item without {name}"
        item[KEYS.get(name, name.split(":")[-1])] = found.text or ""
    item["terms"] = {
        (c.get("domain"), c.get("nicename"), c.text or "") for c in node.iterfind("category")
    }
    item["comments"] = [
        {name: _text(c, f"wp:{name}") for name in COMMENT_FIELDS}
        for c in node.iterfind("wp:comment", NS)
    ]
    return item


def _text(node: Any, path: str) -> str:
    found = node.find(path, NS)
    assert found is not None, f"no {path}"
    return found.text or ""


def element_names(data: bytes, path: str) -> list[list[str]]:
    """The child element names (prefixed) of every node at `path`, to check their order."""
    root = etree.fromstring(data)
    return [[_prefixed(child) for child in node] for node in root.iterfind(path, NS)]
