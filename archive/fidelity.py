"""Never a worse copy: which source may overwrite which stored field, and the merge that obeys it.

Each post and comment row keeps `field_sources` ({group: source}): the source that wrote each group
of columns. A record from a poorer source (feeds, post HTML) never overwrites a group that a richer
one (REST, WordPress.com) wrote; it only fills a group that is still empty. Between sources of equal
rank the newest record wins, as before. The ranks come from the scraper's source registry, per
field group ("text", "dates", "authors", "threads"), as SourceTraits.fidelity. Rows saved before
field_sources existed count as written, every group, by their `source` column. The `source` column
itself still names the source of the last record saved (the rating rule reads it); the "record"
group says whose raw item the row keeps. Ratings follow their own rule (archive.saving).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

from sqlalchemy import Connection, Table

from archive.columns import EncodedJson, Row, encode_json
from archive.records import SourceTraits
from archive.upsert import select_by_wp_id


class Group(NamedTuple):
    """Columns written together, and the registry's field group that ranks their sources."""

    ranked_by: str
    columns: tuple[str, ...]


# "terms" has no column (the post_terms links).
POST_GROUPS: Mapping[str, Group] = MappingProxyType(
    {
        "title": Group("text", ("title",)),
        "slug": Group("text", ("slug",)),
        "url": Group("text", ("url",)),
        "status": Group("text", ("status",)),
        "excerpt": Group("text", ("excerpt",)),
        "content": Group("text", ("content_html", "content_text")),
        "comment_status": Group("text", ("comment_status",)),
        "terms": Group("text", ()),
        "dates": Group("dates", ("published_at", "modified_at")),
        "author": Group("authors", ("author_wp_id", "author_name")),
        "record": Group("text", ("raw",)),
    }
)
COMMENT_GROUPS: Mapping[str, Group] = MappingProxyType(
    {
        "parent": Group("threads", ("parent_wp_id", "parent_inferred")),
        "author": Group("authors", ("author_name", "author_url", "author_wp_id")),
        "dates": Group("dates", ("published_at",)),
        "content": Group("text", ("content_html", "content_text")),
        "url": Group("text", ("url",)),
        "record": Group("text", ("raw",)),
    }
)
# Groups whose empty value is an answer (top level; no terms), not a gap a poorer source may fill.
ALWAYS_SET = frozenset({"parent", "record", "terms"})


def source_rank(traits: SourceTraits, group: Group, source: str) -> int:
    """How rich `source` is for `group` (0 for a source the registry did not rank)."""
    return traits.fidelity.get(source, {}).get(group.ranked_by, 0)


def merge_rows(
    conn: Connection,
    table: Table,
    site_id: int,
    rows: Sequence[Row],
    groups: Mapping[str, Group],
    traits: SourceTraits,
) -> set[int]:
    """Give each row its field_sources, keeping stored groups a richer source wrote (in place).

    One batched read, only for rows from a source below the top rank of some group. Returns the
    wp_ids whose "terms" group is kept (their term links must not be replaced)."""
    for row in rows:
        row["field_sources"] = dict.fromkeys(groups, row["source"])
    top = {
        name: max((source_rank(traits, g, s) for s in traits.fidelity), default=0)
        for name, g in groups.items()
    }
    # Whether a source is below the top rank of some group: once per source, not per row.
    below = {
        source: any(source_rank(traits, g, source) < top[n] for n, g in groups.items())
        for source in {r["source"] for r in rows}
    }
    poorer = [r for r in rows if below[r["source"]]]
    if not poorer:
        _encode_field_sources(rows)
        return set()
    columns = [c for group in groups.values() for c in group.columns]
    wp_ids = (r["wp_id"] for r in poorer)
    stored = select_by_wp_id(conn, table, site_id, wp_ids, "field_sources", "source", *columns)
    names = ("field_sources", "source", *columns)
    kept_terms: set[int] = set()
    for row in poorer:
        found = stored.get(row["wp_id"])
        if found is not None:
            values = dict(zip(names, found, strict=True))
            if _merge_row(row, values, groups, traits):
                kept_terms.add(row["wp_id"])
    _encode_field_sources(rows)
    return kept_terms


def _encode_field_sources(rows: Sequence[Row]) -> None:
    """Each row's field_sources as the JSON the archive stores, encoded once per distinct value
    (a batch holds a handful), not once per row by the engine."""
    encoded: dict[tuple[tuple[str, Any], ...], EncodedJson] = {}
    for row in rows:
        key = tuple(row["field_sources"].items())
        if key not in encoded:
            encoded[key] = encode_json(row["field_sources"])
        row["field_sources"] = encoded[key]


def _merge_row(
    row: Row, stored: dict[str, Any], groups: Mapping[str, Group], traits: SourceTraits
) -> bool:
    """Merge one row over its stored values; True when the stored terms are kept."""
    written = stored["field_sources"] or dict.fromkeys(groups, stored["source"])
    kept_terms = False
    for name, group in groups.items():
        previous = written.get(name)
        if previous is None:
            continue
        if source_rank(traits, group, row["source"]) >= source_rank(traits, group, previous):
            continue
        if name not in ALWAYS_SET and all(stored[c] in (None, "") for c in group.columns):
            continue  # a richer source left it empty: the poorer one may fill it
        for column in group.columns:
            row[column] = stored[column]
        row["field_sources"][name] = previous
        kept_terms = kept_terms or name == "terms"
    return kept_terms
