"""archive.bulk.among: one parameter for any number of values, the same rows as an IN list."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select

from archive.bulk import among, execute_rows
from archive.models import Site

SITES = Site.__table__


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
