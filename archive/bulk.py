"""Batched statements, each in the form its backend runs fastest: chunks that keep IN lists under
driver limits, `= ANY(array)` lookups and unnest() arrays in psycopg's binary format on
PostgreSQL, and the driver's own executemany on SQLite."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    ARRAY,
    Column,
    ColumnElement,
    Connection,
    Dialect,
    Select,
    String,
    Table,
    any_,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    true,
)
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from archive.columns import Row, dump_json

IN_CHUNK = 500
UNNEST_CHUNK = 5000  # rows per UPDATE ... FROM unnest(): arrays have no parameter limit
T = TypeVar("T")


def chunked(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items (keeps IN lists under driver limits)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def among(
    conn: Connection, column: ColumnElement[Any], values: Sequence[Any]
) -> ColumnElement[bool]:
    """`column IN values` with one parameter however many the values: on PostgreSQL `column =
    ANY(array)`, on SQLite `column IN (SELECT value FROM json_each(json))`. The statement's text
    is the same for every chunk, where an IN list is a new statement of each length that
    SQLAlchemy renders (a name per value), and the driver and the database parse, anew. The
    values are ids, numbers or strings."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    if conn.dialect.name == "sqlite":
        listed = func.json_each(bindparam(None, json.dumps(list(values)), type_=String()))
        return column.in_(select(literal_column("value")).select_from(listed))
    return column.in_(values)


def select_site_rows(
    conn: Connection,
    columns: Sequence[ColumnElement[Any]],
    table: Table,
    site_id: int,
    key: Column[Any],
    values: Sequence[Any],
    *where: ColumnElement[bool],
) -> Select[Any]:
    """SELECT `columns` of `table`'s rows of one site whose `key` is among `values` (and that
    meet `where`), each row once: a lookup through the table's (site_id, key) index.

    PostgreSQL runs one index probe per value, whatever it knows of the table: a subquery per
    element of unnest(values), kept apart by OFFSET 0 so the planner cannot turn it into a
    join. As `site_id = s AND key = ANY(values)`, a table with no statistics yet (a first
    crawl, before autovacuum's ANALYZE) had `site_id = s` estimated at a few rows, so the
    planner read every row of the site and filtered them: a cost that grew with each batch.
    Elsewhere: `among`."""
    if conn.dialect.name != "postgresql":
        return select(*columns).where(table.c.site_id == site_id, among(conn, key, values), *where)
    array = bindparam(None, list(dict.fromkeys(values)), type_=ARRAY(key.type))
    keys = func.unnest(array).table_valued("value").render_derived(name="given")
    probe = (
        select(*columns)
        .where(table.c.site_id == site_id, key == keys.c.value, *where)
        .offset(literal_column("0"))
        .lateral("found")
    )
    return select(*probe.c).select_from(keys).join(probe, true())


def update_by_id(conn: Connection, table: Table, rows: Sequence[Row]) -> None:
    """Set columns of `table`'s rows by row id: each of `rows` is {"id": ..., column: value, ...},
    all with the same columns.

    PostgreSQL gets one UPDATE ... FROM unnest(arrays) per chunk, each column's values bound as
    one array (an executemany there is a statement per row, and a VALUES list is compiled anew
    for every chunk). SQLite, in process, runs an executemany as fast. The values must be plain
    (numbers, strings, flags, None): no column type processes them."""
    if not rows:
        return
    columns = [name for name in rows[0] if name != "id"]
    if conn.dialect.name != "postgresql":
        # Plain values (ids, hashes, numbers, flags) that need no type processing: straight to
        # the driver, which spares SQLAlchemy's per-row parameter handling.
        sets = ", ".join(f"{name} = ?" for name in columns)
        conn.exec_driver_sql(
            f"UPDATE {table.name} SET {sets} WHERE id = ?",  # our own names only
            [(*(row[name] for name in columns), row["id"]) for row in rows],
        )
        return
    names = ["id", *columns]
    arrays = ", ".join(
        f"CAST({_array_param(conn, name)} AS {table.c[name].type.compile(dialect=conn.dialect)}[])"
        for name in names
    )
    sets = ", ".join(f"{name} = given.{name}" for name in columns)
    # Our own table and column names only: nothing here comes from a site.
    by_arrays = (
        f"UPDATE {table.name} SET {sets} FROM unnest({arrays}) AS given({', '.join(names)})"
        f" WHERE {table.name}.id = given.id"
    )
    for chunk in chunked(rows, UNNEST_CHUNK):
        conn.exec_driver_sql(by_arrays, {name: [row[name] for row in chunk] for name in names})


def insert_rows(conn: Connection, table: Table, rows: Sequence[Row]) -> None:
    """Insert `rows` (all with the same columns): on PostgreSQL by COPY (see copy_rows),
    elsewhere as an executemany."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        copy_rows(conn, table, rows)
    else:
        execute_rows(conn, _insert(table), rows)


@functools.lru_cache(maxsize=32)
def _insert(table: Table) -> Any:
    return insert(table)


def execute_rows(conn: Connection, stmt: Any, rows: Sequence[Row]) -> None:
    """Run `stmt`, an INSERT (or upsert) of one table's rows, once for each of `rows` (all with
    the same columns).

    SQLite: by the driver's own executemany, each value run through its column type's bind
    processor, so the driver gets what SQLAlchemy would send, without SQLAlchemy's per-row
    parameter handling (a third of a batch's save time). Elsewhere: SQLAlchemy's executemany."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(stmt, rows)
        return
    sql, binds = _compiled(stmt, tuple(rows[0]), conn.dialect)
    defaults = _python_defaults(stmt.table, rows[0])
    # Column by column (a list comprehension each), then zipped into rows: a generator per
    # row and column costs a third again.
    columns: list[list[Any]] = []
    for name, processor, literal in binds:
        if name in rows[0]:
            values = [row[name] for row in rows]
        elif name in defaults:
            values = [defaults[name]] * len(rows)
        else:  # a literal of the statement itself (the rating rule's source names)
            values = [literal] * len(rows)
        if processor:
            # One object shared by every row (the batch's seen time, a flag, a default) is
            # processed once. Identity, not equality: {"a": 1} == {"a": True} in Python.
            shared = len(set(map(id, values))) == 1
            values = (
                [processor(values[0])] * len(values) if shared else list(map(processor, values))
            )
        columns.append(values)
    params = list(zip(*columns, strict=True)) if columns else [()] * len(rows)
    conn.exec_driver_sql(sql, params)


@functools.lru_cache(maxsize=64)
def _compiled(
    stmt: Any, names: tuple[str, ...], dialect: Dialect
) -> tuple[str, list[tuple[str, Any, Any]]]:
    """`stmt` compiled for rows of `names`: its SQL and, per placeholder in order, the name, the
    type's bind processor and the literal value (for the statement's own literals). Once per
    statement: the callers hand over the same statement object batch after batch."""
    compiled = stmt.compile(dialect=dialect, column_keys=list(names))
    binds = []
    for name in compiled.positiontup or ():
        bind = compiled.binds[name]
        binds.append((name, bind.type.bind_processor(dialect), bind.effective_value))
    return compiled.string, binds


def _python_defaults(table: Table, row: Row) -> dict[str, Any]:
    """The scalar Python-side defaults of the columns `row` leaves out: what SQLAlchemy fills in
    for an insert of its own, and these statements must too."""
    return {
        c.name: c.default.arg
        for c in table.columns
        if c.name not in row and isinstance(c.default, ScalarElementColumnDefault)
    }


def _array_param(conn: Connection, name: str) -> str:
    """The driver's placeholder for one column's values as an array: psycopg 3's binary format
    where it is the driver (arrays of text in the text format are escaped element by element in
    Python, ten times slower)."""
    return f"%({name})b" if conn.dialect.driver == "psycopg" else f"%({name})s"


def insert_by_arrays(conn: Connection, table: Table, rows: Sequence[Row], tail: str) -> None:
    """PostgreSQL: INSERT ... SELECT FROM unnest(arrays) `tail` (an ON CONFLICT clause), one array
    per column, per UNNEST_CHUNK rows. The statement is the same for every batch (prepared once,
    tiny to send), where a multi-row VALUES list is a new statement of a few hundred kilobytes
    for the client to build and the server to parse each time."""
    given, defaults, types = _loaded_columns(conn, table, rows[0])
    json_columns = _json_columns(types)
    names = [*given, *defaults]
    arrays = ", ".join(
        f"CAST(CAST({_array_param(conn, n)} AS text[]) AS {types[n]}[])"
        if n in json_columns
        else f"CAST({_array_param(conn, n)} AS {types[n]}[])"
        for n in names
    )
    # Our own table and column names only: nothing here comes from a site.
    stmt = f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays}){tail}"
    for chunk in chunked(rows, UNNEST_CHUNK):
        params = {
            n: [dump_json(row[n]) for row in chunk]
            if n in json_columns
            else [row[n] for row in chunk]
            for n in given
        }
        params.update({n: [value] * len(chunk) for n, value in defaults.items()})
        conn.exec_driver_sql(stmt, params)


def copy_rows(conn: Connection, table: Table, rows: Sequence[Row]) -> None:
    """PostgreSQL: `rows` (all with the same columns, none of them stored yet) by COPY ... FROM
    STDIN, in the caller's transaction: the server's bulk load path, with no statement to plan
    and no array to build or unnest. Binary format: times, numbers and flags go as the server
    keeps them, not as text for it to parse; JSON goes as the engine's own encoding."""
    if not rows:
        return
    given, defaults, types = _loaded_columns(conn, table, rows[0])
    json_columns = _json_columns(types)
    tail = list(defaults.values())
    names = [*given, *defaults]
    # psycopg's own connection, in the transaction SQLAlchemy opened (psycopg is an extra:
    # untyped here). Our own table and column names only: nothing here comes from a site.
    dbapi: Any = conn.connection.dbapi_connection
    sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)"
    with dbapi.cursor() as cursor:
        for dumper in _json_text_dumpers():
            cursor.adapters.register_dumper(None, dumper)
        with cursor.copy(sql) as copy:
            copy.set_types([_copy_type(types[n]) for n in names])
            for row in rows:
                copy.write_row(
                    [dump_json(row[n]) if n in json_columns else row[n] for n in given] + tail
                )


def _copy_type(compiled: str) -> str:
    """psycopg's name for a column type as SQLAlchemy compiles it: without its modifier
    (VARCHAR(20)); a FLOAT column is PostgreSQL's float8."""
    name = compiled.split("(", 1)[0].strip().lower()
    return "float8" if name == "float" else name


@functools.cache
def _json_text_dumpers() -> tuple[type, ...]:
    """Binary COPY dumpers for JSON that is already text (dump_json's): psycopg's own would
    encode the text again, as a JSON string. jsonb's binary form is a version byte, then the
    text; json's is the text."""
    from psycopg.adapt import Dumper
    from psycopg.postgres import types
    from psycopg.pq import Format

    class JsonbText(Dumper):
        format = Format.BINARY
        oid = types["jsonb"].oid

        def dump(self, obj: Any) -> bytes:
            text: str = obj
            return b"\x01" + text.encode()

    class JsonText(Dumper):
        format = Format.BINARY
        oid = types["json"].oid

        def dump(self, obj: Any) -> bytes:
            text: str = obj
            return text.encode()

    return JsonbText, JsonText


def _loaded_columns(
    conn: Connection, table: Table, row: Row
) -> tuple[list[str], dict[str, Any], dict[str, str]]:
    """For a PostgreSQL load of rows shaped like `row`: its columns, the Python defaults of the
    columns it leaves out, and the SQL type of each of both."""
    given = list(row)
    defaults = _python_defaults(table, row)
    types = {n: table.c[n].type.compile(dialect=conn.dialect) for n in [*given, *defaults]}
    return given, defaults, types


def _json_columns(types: dict[str, str]) -> set[str]:
    """The JSON columns among `types`: their values go as text (the engine's own encoding; None
    is JSON null, as SQLAlchemy stores it)."""
    return {name for name, kind in types.items() if kind in ("JSON", "JSONB")}
