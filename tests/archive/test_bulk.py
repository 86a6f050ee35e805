"""archive.bulk.among: one parameter for any number of values, the same rows as an IN list."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select

from archive.bulk import among
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
