"""Categories and tags: save TermRecords and resolve a post's TermRefs to term rows.

A TermRecord matches a stored term by (taxonomy, slug), else by WordPress id (the slug was renamed),
else by name when the stored term has no id yet (a feed named it first). A TermRef matches by id,
else slug, else name; an unknown ref creates a term, since feeds give names only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Connection, select, update

from archive.bulk import among, chunked
from archive.columns import Row, term_row
from archive.identity import slugify
from archive.models import TERMS
from archive.records import TermRecord, TermRef
from archive.upsert import KindCounts, dialect_insert

COMPARED = ("taxonomy", "slug", "name", "wp_id", "source", "raw")


@dataclass
class TermIndex:
    """Stored terms of one site, by id, by (taxonomy, wp_id), (taxonomy, slug) and (taxonomy, name)."""

    rows: dict[int, Row] = field(default_factory=dict)
    by_wp_id: dict[tuple[str, int], int] = field(default_factory=dict)
    by_slug: dict[tuple[str, str], int] = field(default_factory=dict)
    by_name: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, row: Row) -> None:
        term_id, taxonomy = row["id"], row["taxonomy"]
        self.rows[term_id] = row
        if row["wp_id"] is not None:
            self.by_wp_id.setdefault((taxonomy, row["wp_id"]), term_id)
        self.by_slug[(taxonomy, row["slug"])] = term_id
        # Lowest id wins a shared name, so resolution does not depend on load order.
        key = (taxonomy, row["name"])
        self.by_name[key] = min(term_id, self.by_name.get(key, term_id))

    def find_record(self, row: Row) -> int | None:
        """The stored term a TermRecord's row updates, if any."""
        taxonomy = row["taxonomy"]
        found = self.by_slug.get((taxonomy, row["slug"]))
        if found is None and row["wp_id"] is not None:
            found = self.by_wp_id.get((taxonomy, row["wp_id"]))
        if found is None:
            named = self.by_name.get((taxonomy, row["name"]))
            found = named if named is not None and self.rows[named]["wp_id"] is None else None
        return found

    def find_ref(self, ref: TermRef) -> int | None:
        """The stored term a post's TermRef points at, if any."""
        found = None
        if ref.wp_id is not None:
            found = self.by_wp_id.get((ref.taxonomy, ref.wp_id))
        if found is None and ref.slug:
            found = self.by_slug.get((ref.taxonomy, ref.slug))
        if found is None and ref.name:
            found = self.by_name.get((ref.taxonomy, ref.name))
        if found is None and ref.name:
            found = self.by_slug.get((ref.taxonomy, slugify(ref.name)))
        return found


def load_terms(
    conn: Connection,
    site_id: int,
    wp_ids: Iterable[int | None],
    slugs: Iterable[str],
    names: Iterable[str],
) -> TermIndex:
    """Only the site's terms that one of the given ids, slugs or names could match."""
    index = TermIndex()
    columns = [TERMS.c[name] for name in ("id", *COMPARED)]
    wanted = (
        (TERMS.c.wp_id, sorted({w for w in wp_ids if w is not None})),
        (TERMS.c.slug, sorted(set(slugs))),
        (TERMS.c.name, sorted(set(names))),
    )
    for column, values in wanted:
        for chunk in chunked(values):
            stmt = select(*columns).where(TERMS.c.site_id == site_id, among(conn, column, chunk))
            for row in conn.execute(stmt).mappings():
                index.add(dict(row))
    return index


def save_terms(conn: Connection, site_id: int, records: Sequence[TermRecord]) -> KindCounts:
    """Insert or update the site's terms; return counts."""
    counts = KindCounts()
    rows = sorted(
        {(r["taxonomy"], r["slug"]): r for r in (term_row(site_id, t) for t in records)}.items()
    )
    index = load_terms(
        conn,
        site_id,
        (row["wp_id"] for _, row in rows),
        (row["slug"] for _, row in rows),
        (row["name"] for _, row in rows),
    )
    new_rows = []
    for _, row in rows:
        term_id = index.find_record(row)
        if term_id is None:
            new_rows.append(row)
        elif all(index.rows[term_id][name] == row[name] for name in COMPARED):
            counts.unchanged += 1
        else:
            counts.updated += 1
            _update_term(conn, term_id, row)
    if new_rows:
        counts.inserted += len(new_rows)
        _insert_terms(conn, new_rows, update_existing=True)
    return counts


def _update_term(conn: Connection, term_id: int, row: Row) -> None:
    if row["wp_id"] is not None:
        # The id moves to this row: an older row holding it (before a rename) lets go.
        conn.execute(
            update(TERMS)
            .where(
                TERMS.c.site_id == row["site_id"],
                TERMS.c.taxonomy == row["taxonomy"],
                TERMS.c.wp_id == row["wp_id"],
                TERMS.c.id != term_id,
            )
            .values(wp_id=None)
        )
    values = {name: row[name] for name in COMPARED}
    conn.execute(update(TERMS).where(TERMS.c.id == term_id).values(**values))


def _insert_terms(conn: Connection, rows: Sequence[Row], *, update_existing: bool) -> None:
    """INSERT ... ON CONFLICT (site, taxonomy, slug): another worker may have just added it."""
    stmt = dialect_insert(conn, TERMS)
    if update_existing:
        changes = {name: stmt.excluded[name] for name in ("name", "wp_id", "source", "raw")}
        upsert: Any = stmt.on_conflict_do_update(
            index_elements=["site_id", "taxonomy", "slug"], set_=changes
        )
    else:
        upsert = stmt.on_conflict_do_nothing(index_elements=["site_id", "taxonomy", "slug"])
    conn.execute(upsert, list(rows))


class ResolvedTerm(NamedTuple):
    """The stored term a post's TermRef points at."""

    id: int
    taxonomy: str
    name: str


def resolve_term_refs(
    conn: Connection, site_id: int, refs: Sequence[tuple[TermRef, str]]
) -> dict[TermRef, ResolvedTerm]:
    """Map each (ref, source of the post naming it) to its stored term, creating unknown terms."""
    unique = dict(refs)
    index = _load_for_refs(conn, site_id, unique)
    missing = sorted(
        {
            (ref.taxonomy, _ref_slug(ref)): _ref_row(site_id, ref, source)
            for ref, source in unique.items()
            if index.find_ref(ref) is None
        }.items()
    )
    if missing:
        _insert_terms(conn, [row for _, row in missing], update_existing=False)
        index = _load_for_refs(conn, site_id, unique)
    resolved = {ref: index.find_ref(ref) for ref in unique}
    return {
        ref: ResolvedTerm(term_id, index.rows[term_id]["taxonomy"], index.rows[term_id]["name"])
        for ref, term_id in resolved.items()
        if term_id is not None
    }


def _load_for_refs(conn: Connection, site_id: int, refs: Iterable[TermRef]) -> TermIndex:
    refs = list(refs)
    slugs = [ref.slug for ref in refs if ref.slug] + [_ref_slug(ref) for ref in refs]
    return load_terms(
        conn, site_id, (ref.wp_id for ref in refs), slugs, (ref.name for ref in refs if ref.name)
    )


def _ref_slug(ref: TermRef) -> str:
    """The slug a term created from a ref gets; its id stands in when it has nothing else."""
    return ref.slug or slugify(ref.name) or str(ref.wp_id or "")


def _ref_row(site_id: int, ref: TermRef, source: str) -> Row:
    return {
        "site_id": site_id,
        "taxonomy": ref.taxonomy,
        "slug": _ref_slug(ref),
        "name": ref.name or ref.slug,
        "wp_id": ref.wp_id,
        "source": source,
        "raw": {},
    }
