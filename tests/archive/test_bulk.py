"""archive.bulk: `among` (one parameter for any number of values, the same rows as an IN list),
`select_site_rows` (the same rows, by index probes on PostgreSQL), the bulk writes storing what
SQLAlchemy's own writes store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, MetaData, Table, select, text

from archive.bulk import among, copy_rows, execute_rows, select_site_rows
from archive.models import COMMENTS, POSTS, SITES
from archive.records import SentJson

SITES = SITES
POSTS = POSTS


def test_among_matches_what_an_in_list_matches(engine: Engine) -> None:
    names = ["Ann's blog", "b\u00e9b\u00e9", "plain", "100%_sure", "[]{}\"'"]
    created = datetime(2024, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        rows = [
            {"url": f"https://s{i}.test", "name": name, "created_at": created}
            for i, name in enumerate(names)
        ]
        conn.execute(SITES.insert(), rows)
    with engine.connect() as conn:
        ids = sorted(conn.scalars(select(SITES.c.id)))
        cases = (
            (SITES.c.id, [ids[0], ids[2], ids[-1] + 100], 2),
            (SITES.c.name, [names[1], names[4], "absent"], 2),
            (SITES.c.id, [], 0),
        )
        for column, values, count in cases:
            got = sorted(conn.scalars(select(SITES.c.id).where(among(conn, column, values))))
            want = sorted(conn.scalars(select(SITES.c.id).where(column.in_(values))))
            assert got == want
            assert len(got) == count
        # One statement text for any number of values, as the driver gets it (an IN list is
        # rendered anew for each length when the statement runs).
        texts = {
            str(
                select(SITES.c.id)
                .where(among(conn, SITES.c.id, ids[:n]))
                .compile(conn, compile_kwargs={"render_postcompile": True})
            )
            for n in (1, len(ids))
        }
        assert len(texts) == 1


def test_select_site_rows_matches_an_in_list(engine: Engine) -> None:
    """The rows of one site among the values (each once, given twice or not), filtered by
    `where`, as a plain IN list finds them; another site's rows with the same key are not."""
    created = datetime(2024, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        site_ids = [
            conn.execute(
                SITES.insert().values(url=f"https://s{n}.test", name="s", created_at=created)
            ).inserted_primary_key[0]
            for n in range(2)
        ]
        conn.execute(
            POSTS.insert(),
            [
                post_row(site_id, wp_id, raw={}, status="draft" if wp_id % 3 else "publish")
                for site_id in site_ids
                for wp_id in range(1, 10)
            ],
        )
    site_id = site_ids[0]
    with engine.connect() as conn:
        for values in ([2, 3, 5, 3, 40], [], [7]):
            for where in ((), (POSTS.c.status == "publish",)):
                columns = [POSTS.c.wp_id, POSTS.c.site_id, POSTS.c.status]
                stmt = select_site_rows(
                    conn, columns, POSTS, site_id, POSTS.c.wp_id, values, *where
                )
                want = select(*columns).where(
                    POSTS.c.site_id == site_id, POSTS.c.wp_id.in_(values), *where
                )
                got = sorted(tuple(row) for row in conn.execute(stmt))
                assert got == sorted(tuple(row) for row in conn.execute(want))
                published_only = bool(where)
                assert [wp_id for wp_id, *_ in got] == sorted(
                    {v for v in values if v < 10 and (v % 3 == 0 or not published_only)}
                )


def _scans(plan: dict[str, Any], relation: str) -> list[dict[str, Any]]:
    """The nodes of an EXPLAIN (FORMAT JSON) plan that read `relation`."""
    found = [plan] if plan.get("Relation Name") == relation else []
    for child in plan.get("Plans", []):
        found += _scans(child, relation)
    return found


def _explain(conn: Connection, stmt: Any) -> dict[str, Any]:
    compiled = stmt.compile(dialect=conn.dialect)
    result = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params)
    plan: dict[str, Any] = result.scalar_one()[0]["Plan"]
    return plan


@pytest.mark.postgres
@pytest.mark.parametrize("archive_url", ["postgres"], indirect=True)
def test_site_lookups_probe_the_index_on_a_table_without_statistics(engine: Engine) -> None:
    """A first crawl writes into tables PostgreSQL has no statistics for yet: `site_id = s AND
    wp_id = ANY(...)` was then planned as a scan of every row of the site. select_site_rows
    probes the (site_id, key) index once per value, statistics or not. A temporary table (never
    analyzed: autovacuum does not see it) with the comments table's columns and indexes holds a
    site's comments; the lookups by wp_id and by parent must read it by index only."""
    with engine.connect() as conn:
        conn.execute(text("CREATE TEMP TABLE probed (LIKE comments INCLUDING ALL)"))
        conn.execute(
            text(
                "INSERT INTO probed (site_id, wp_id, post_wp_id, parent_wp_id, is_orphan,"
                " parent_inferred, author_name, author_url, content_html, content_text, url,"
                " type, source, raw, record_hash, first_seen_at, last_seen_at)"
                " SELECT 1, n, n / 10, NULLIF(n - 1, 0), false, false, 'a', '', 'x', 'x', '',"
                " 'comment', 'rest', '{}', 'h', now(), now() FROM generate_series(1, 20000) n"
            )
        )
        probed = Table("probed", MetaData(), *(c._copy() for c in COMMENTS.c))
        for key in (probed.c.wp_id, probed.c.parent_wp_id):
            stmt = select_site_rows(
                conn, [probed.c.wp_id, probed.c.id], probed, 1, key, list(range(500, 1000))
            )
            scans = _scans(_explain(conn, stmt), "probed")
            assert scans, "the plan reads the table"
            for scan in scans:
                assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), scan
                assert key.name in scan["Index Cond"], scan
            assert len(conn.execute(stmt).all()) == 500
            # What the lookup replaced: the same condition in a WHERE clause reads the site.
            plain = select(probed.c.wp_id).where(
                probed.c.site_id == 1, among(conn, key, list(range(500, 1000)))
            )
            assert any(
                key.name not in scan.get("Index Cond", "")
                for scan in _scans(_explain(conn, plain), "probed")
            )
        conn.rollback()


def test_times_are_stored_alike_by_bulk_and_by_sqlalchemy_writes(engine: Engine) -> None:
    """A time written by `execute_rows` (the driver gets the values) and by SQLAlchemy's own
    execution is stored in one form: a query's bound time finds both, and both read back as
    the same aware UTC time (whole seconds too, where two text forms once differed)."""
    whole, fraction = (
        datetime(2024, 1, 1, 12, 0, tzinfo=UTC),
        datetime(2024, 1, 1, 12, 0, 0, 5, UTC),
    )
    with engine.begin() as conn:
        bulk_rows = [
            {"url": f"https://bulk{i}.test", "name": "b", "created_at": when}
            for i, when in enumerate((whole, fraction))
        ]
        execute_rows(conn, SITES.insert(), bulk_rows)
        conn.execute(
            SITES.insert(),
            [
                {"url": f"https://core{i}.test", "name": "c", "created_at": when}
                for i, when in enumerate((whole, fraction))
            ],
        )
    with engine.connect() as conn:
        for when in (whole, fraction):
            urls = conn.scalars(
                select(SITES.c.url).where(SITES.c.created_at == when).order_by(SITES.c.url)
            ).all()
            index = (whole, fraction).index(when)
            assert urls == [f"https://bulk{index}.test", f"https://core{index}.test"]
        stored = {url: at for url, at in conn.execute(select(SITES.c.url, SITES.c.created_at))}
    assert stored == {
        "https://bulk0.test": whole,
        "https://bulk1.test": fraction,
        "https://core0.test": whole,
        "https://core1.test": fraction,
    }
    assert all(value.tzinfo is not None for value in stored.values())


def post_row(site_id: int, wp_id: int, **values: Any) -> dict[str, Any]:
    """A posts row with every kind of column the table has (ints, text, floats, times, JSON)."""
    return {
        "site_id": site_id,
        "wp_id": wp_id,
        "type": "post",
        "url": f"https://s.test/?p={wp_id}",
        "title": 'Caf\u00e9 \U0001f600 "quoted" back\\slash\ttab\nline',
        "status": "publish",
        "author_wp_id": 2**40,
        "author_name": None,
        "published_at": datetime(2024, 2, 29, 23, 59, 59, 999999, UTC),
        "modified_at": None,
        "excerpt": "",
        "content_html": "<p>\u00e9t\u00e9</p>",
        "content_text": "\u00e9t\u00e9",
        "rating_value": 4.5,
        "rating_scale": 5,
        "rating_normalized": 0.1 + 0.2,
        "source": "rest",
        "record_hash": "f" * 64,
        "first_seen_at": datetime(2024, 1, 1, tzinfo=UTC),
        "last_seen_at": datetime(2024, 1, 1, 12, tzinfo=UTC),
        "last_seen_run_id": None,
        **values,
    }


@pytest.mark.postgres
@pytest.mark.parametrize("archive_url", ["postgres"], indirect=True)
def test_copy_rows_stores_what_sqlalchemy_stores(engine: Engine) -> None:
    """COPY (binary) and SQLAlchemy's insert of the same rows read back alike, column by
    column: odd text, big ints, floats, NULLs, times to the microsecond, JSON given as a
    value, as the text it was sent in, and a JSON null."""
    raws: list[Any] = [
        {"id": 1, "nested": {"list": [1, 2.5, None, True]}, "text": '\u00e9 \\ "'},
        SentJson({"id": 2, "a": "b"}, text='{"id": 2,  "a":"b"}'),
        None,
    ]
    with engine.begin() as conn:
        site_id = conn.execute(
            SITES.insert().values(url="https://s.test", name="s", created_at=datetime.now(UTC))
        ).inserted_primary_key[0]
        copied = [
            post_row(site_id, n, raw=raw, field_sources={"body": "html"} if n else None)
            for n, raw in enumerate(raws)
        ]
        copy_rows(conn, POSTS, copied)
        conn.execute(
            POSTS.insert(),
            [{**row, "wp_id": row["wp_id"] + 100} for row in copied],
        )
    columns = [c for c in POSTS.c if c.name not in ("id", "wp_id", "url")]
    with engine.connect() as conn:
        stored = {
            wp_id: rest
            for wp_id, *rest in conn.execute(select(POSTS.c.wp_id, *columns).order_by("wp_id"))
        }
    assert sorted(stored) == [0, 1, 2, 100, 101, 102]
    for n in range(len(raws)):
        assert stored[n] == stored[n + 100]
    assert stored[0][columns.index(POSTS.c.raw)] == raws[0]
    assert stored[1][columns.index(POSTS.c.raw)] == {"id": 2, "a": "b"}
    assert stored[1][columns.index(POSTS.c.published_at)] == copied[0]["published_at"]
