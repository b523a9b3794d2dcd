"""The bulk path for pulls: new items go to the driver's ``executemany`` as plain
tuples, with their JSON already serialised.

SQLAlchemy's per-row parameter processing costs more than SQLite's own insert
(about 30 µs a row against 9 µs), and a 100,000-item pull should cost little
more than the inserts themselves. The values written here are exactly those
SQLAlchemy would write (the SQLite datetime text format, NUL-safe text on
PostgreSQL), so every other query reads them back unchanged; the storage tests
round-trip every field through this path on both backends.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Table, insert

from triage.storage.convert import Prepared, utc
from triage.storage.engine import WRITE_OPTION
from triage.storage.types import encode_nul

COLUMNS = (
    "source", "item_id", "created_at", "agent", "task_type", "model", "input", "output",
    "tool_calls", "transcript", "meta", "content_hash", "revision", "pulled_at", "updated_at",
    "risk",
)  # fmt: skip

LOOKUP_CHUNK = 900
"""Ids per lookup query: under SQLite's oldest limit of 999 bound variables."""


class Existing(NamedTuple):
    pk: int
    content_hash: str
    revision: int


def _placeholder(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _sqlite_time(value: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME storage format: naive UTC, always microseconds.
    return utc(value).replace(tzinfo=None).isoformat(" ", "microseconds")


def insert_items(conn: Connection, rows: Sequence[Prepared], stamp: datetime) -> list[int]:
    """Insert new items, all of one source, in one ``executemany``; their primary
    keys, in order."""
    mark = _placeholder(conn)
    cursor = conn.connection.cursor()
    try:
        if conn.dialect.name == "sqlite":
            first = _next_key(conn, "item")
            when = _sqlite_time(stamp)
            params: list[tuple[Any, ...]] = [
                (
                    first + n, p.item.source, p.item.id, _sqlite_time(p.created_at), p.item.agent,
                    p.item.task_type, p.item.model, p.item.input, p.item.output, p.tool_calls,
                    p.transcript, p.meta, p.digest, 1, when, when, 0.0,
                )
                for n, p in enumerate(rows)
            ]  # fmt: skip
            cursor.executemany(_insert_sql(("pk", *COLUMNS), mark), params)
            return list(range(first, first + len(rows)))
        params = [
            (
                p.item.source, p.item.id, p.created_at, p.item.agent, p.item.task_type,
                p.item.model, encode_nul(p.item.input), encode_nul(p.item.output), p.tool_calls,
                p.transcript, p.meta, p.digest, 1, stamp, stamp, 0.0,
            )
            for p in rows
        ]  # fmt: skip
        cursor.executemany(_insert_sql(COLUMNS, mark), params)
    finally:
        cursor.close()
    found = lookup(conn, rows[0].item.source, [p.item.id for p in rows])
    return [found[p.item.id].pk for p in rows]


def _insert_sql(columns: Sequence[str], mark: str) -> str:
    return f"INSERT INTO item ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"


def _next_key(conn: Connection, table: str) -> int:
    # Safe only inside a write transaction: on SQLite that holds the write lock
    # (BEGIN IMMEDIATE), so nobody else can take these keys meanwhile.
    assert conn.get_execution_options().get(WRITE_OPTION), "needs a writing() transaction"
    (top,) = conn.exec_driver_sql(f"SELECT coalesce(max(pk), 0) FROM {table}").one()
    return int(top) + 1


def insert_with_keys(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` into ``table`` (primary key ``pk``); their keys, in order.
    SQLite gets the keys assigned up front and one executemany (RETURNING would
    make it insert row by row); PostgreSQL returns them from a batched insert."""
    if conn.dialect.name == "sqlite":
        first = _next_key(conn, table.name)
        keys = list(range(first, first + len(rows)))
        conn.execute(
            insert(table), [{**row, "pk": key} for row, key in zip(rows, keys, strict=True)]
        )
        return keys
    result = conn.execute(insert(table).returning(table.c.pk, sort_by_parameter_order=True), rows)
    return [row.pk for row in result]


def lookup(conn: Connection, source: str, ids: Sequence[str]) -> dict[str, Existing]:
    """Stored items of ``source`` among ``ids``: id → (pk, content hash, revision)."""
    mark = _placeholder(conn)
    found: dict[str, Existing] = {}
    for start in range(0, len(ids), LOOKUP_CHUNK):
        chunk = list(ids[start : start + LOOKUP_CHUNK])
        sql = (
            "SELECT item_id, pk, content_hash, revision FROM item "
            f"WHERE source = {mark} AND item_id IN ({', '.join([mark] * len(chunk))})"
        )
        cursor = conn.connection.cursor()
        try:
            cursor.execute(sql, (source, *chunk))
            for item_id, pk, digest, revision in cursor.fetchall():
                found[item_id] = Existing(pk, digest, revision)
        finally:
            cursor.close()
    return found
