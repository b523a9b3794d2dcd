"""Many processes opening one brand-new database at the same moment all succeed.

Each child (forked, so it starts quickly) imports everything first, then waits at
a barrier, so that they reach the first migration together (without one, they
trickle in one after another and rarely collide). The timeouts are only a safety
net against a hang; the tests assert on what every child reports.
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from triage.storage.engine import HEAD

SAFETY_NET_SECONDS = 600


def _open_at_once(url: str, barrier: Any, results: Any) -> None:
    try:
        # Everything loaded before the barrier, so the children reach the migration
        # together instead of one by one as their imports finish.
        import alembic.command  # noqa: F401
        import alembic.config  # noqa: F401

        from triage.storage.store import Store

        barrier.wait()
        store = Store.open(url)
        store.close()
        results.put("ok")
    except BaseException as exc:  # noqa: BLE001 - reported to the parent as text
        results.put(f"{type(exc).__name__}: {exc}")


def open_concurrently(url: str, processes: int) -> list[str]:
    """What each of ``processes`` children said after opening ``url`` together."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(processes)
    results = context.Queue()
    children = [
        context.Process(target=_open_at_once, args=(url, barrier, results))
        for _ in range(processes)
    ]
    for child in children:
        child.start()
    said = [results.get(timeout=SAFETY_NET_SECONDS) for _ in children]
    for child in children:
        child.join(SAFETY_NET_SECONDS)
    return said


def test_24_processes_create_one_sqlite_database_together(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "triage.db"
    said = open_concurrently(f"sqlite:///{path}", 24)
    assert said == ["ok"] * 24
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        heads = conn.execute(text("SELECT count(*) FROM audit_head")).scalar()
    engine.dispose()
    assert versions == [(HEAD,)] and heads == 1


@pytest.fixture
def fresh_pg_url(pg_schema_url: str) -> Iterator[str]:
    """An empty schema of its own in the test PostgreSQL database."""
    base = pg_schema_url.split("?", 1)[0]
    schema = f"triage_fresh_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.mark.postgres
def test_processes_migrate_a_fresh_postgresql_schema_together(fresh_pg_url: str) -> None:
    said = open_concurrently(fresh_pg_url, 8)
    assert said == ["ok"] * 8
    engine = create_engine(fresh_pg_url)
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        heads = conn.execute(text("SELECT count(*) FROM audit_head")).scalar()
    engine.dispose()
    assert versions == [(HEAD,)] and heads == 1
