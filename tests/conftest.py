"""Shared fixtures: real SQLite files and a real PostgreSQL schema per test run.

PostgreSQL comes from ``TRIAGE_TEST_PG`` (default: the local server on
127.0.0.1:5432, database ``test``, trust auth). Without a server the PostgreSQL
half is skipped with the reason; with ``TRIAGE_REQUIRE_PG=1`` (as CI sets) it
fails instead, so a missing server can never pass silently.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from triage.storage.engine import make_engine, migrate

PG_URL = os.environ.get("TRIAGE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("TRIAGE_REQUIRE_PG") == "1"
TABLES = (
    "audit, audit_head, verdict_mode, verdict, failure_mode, decision, item_revision, item, "
    "ruleset, suggestion_decision, source_state, outbox, risk_model"
)


TEST_AUDIT_KEY = "".join(f"{n * 37 % 256:02x}" for n in range(32))
"""The audit key every test runs with (tests of the key file remove it)."""


@pytest.fixture(scope="session", autouse=True)
def _audit_key() -> Iterator[None]:
    """One audit key for the whole run, set before any session-wide database is
    built (the demo template is sealed with it, and copied into every UI test), so
    no test reads or writes a key file in the real config directory."""
    patch = pytest.MonkeyPatch()
    patch.setenv("TRIAGE_AUDIT_KEY", TEST_AUDIT_KEY)
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads the developer's config, database or reviewer name."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("TRIAGE_CONFIG_DIR", str(home / "config"))
    for name in ("TRIAGE_DB", "TRIAGE_RULES", "TRIAGE_REVIEWER", "TRIAGE_CONFIG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database, copied for each test (migrating is the slow part)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "triage.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    """A fresh, migrated schema in the test PostgreSQL database for this run."""
    probe = create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with probe.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no server"
        probe.dispose()
        reason = f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}"
        if REQUIRE_PG:
            pytest.fail(reason + " (TRIAGE_REQUIRE_PG=1)")
        pytest.skip(reason)
    schema = f"triage_test_{uuid.uuid4().hex[:10]}"
    with probe.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with probe.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        probe.dispose()


@pytest.fixture
def pg_url(pg_schema_url: str) -> str:
    """The run's schema, emptied for this test."""
    engine = create_engine(pg_schema_url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
        conn.execute(text(f"INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{'0' * 64}')"))
    engine.dispose()
    return pg_schema_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs on SQLite and on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))
