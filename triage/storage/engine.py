"""Opening the database: engine with the right pragmas, schema brought up to date.

Opening never leaves a driver traceback for the user: the URL is checked first
(:mod:`triage.storage.urls`), and every failure of the database itself (full,
read-only, busy, unreachable) is raised as the error family's storage error
(:mod:`triage.storage.failures`).

A SQLite file that may not be written is opened for reading: in place when its
folder is writable (SQLite can still create the -wal and -shm files it reads
through), and as an *immutable* file when the folder is read-only too and no
-wal file is present (then nobody can be writing it, and SQLite reads the file
as it stands). Writing to such a database raises :class:`DatabaseReadOnly`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from sqlalchemy import Connection, event, inspect, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import create_engine

from triage.core import jsonio
from triage.errors import DatabaseReadOnly, DatabaseUnavailable, StorageError
from triage.storage import failures, urls

MIGRATIONS = Path(__file__).with_name("migrations")
_MIGRATION_LOCK = int.from_bytes(b"triage-m", "big")
"""PostgreSQL advisory lock key held while migrating (any 64-bit constant)."""


def make_engine(url: str, *, setting: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (checked first: see :func:`triage.storage.urls.parse`;
    ``setting`` names where it came from, for messages). SQLite gets WAL, foreign
    keys, a busy timeout and full fsync on commit (a verdict shown as saved survives
    a crash); an in-memory SQLite URL shares one connection so every session sees
    the same data. Database failures on the engine raise the error family's storage
    errors."""
    target = urls.parse(url, setting)
    kwargs.setdefault("json_serializer", jsonio.dumps)
    kwargs.setdefault("json_deserializer", jsonio.loads)
    if target.url.get_backend_name() == "sqlite":
        engine = _sqlite_engine(target, kwargs)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_engine(target.url, **kwargs)
    failures.install(engine, target.where)
    return engine


def _sqlite_engine(target: urls.Target, kwargs: dict[str, Any]) -> Engine:
    url = target.url
    path = target.path
    if path is None:
        kwargs.setdefault("poolclass", StaticPool)
    elif path.is_dir():
        raise DatabaseUnavailable(
            f"{target.where}: {path} is a folder, not a database file; name a file "
            f"inside it, such as {path / 'triage.db'}"
        )
    elif not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnavailable(
                f"{target.where}: cannot create the folder {path.parent} "
                f"({exc.strerror or exc}); create it, or choose a file in a folder you may write"
            ) from None
    elif _needs_immutable(path):
        url = URL.create(
            "sqlite",
            database="file:" + quote(str(path), safe="/"),
            query={"immutable": "1", "uri": "true"},
        )
    kwargs.setdefault(
        "connect_args", {"check_same_thread": False, "timeout": failures.BUSY_SECONDS}
    )
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _needs_immutable(path: Path) -> bool:
    # SQLite reads a WAL database through its -shm file; when the folder is
    # read-only and no -wal exists, neither can be created, and no one else can
    # be writing the file either: reading it as immutable is then exact.
    folder = path.parent
    return not os.access(folder, os.W_OK) and not Path(f"{path}-wal").exists()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's implicit
    # transactions would defer locking and break the audit chain's ordering).
    import sqlite3

    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError as exc:
        # A read-only file keeps the journal mode it has; reading works in any.
        if not getattr(exc, "sqlite_errorname", "").startswith("SQLITE_READONLY"):
            raise
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={failures.BUSY_SECONDS * 1000}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A write transaction takes the write lock up front (waiting up to the busy
    # timeout for another process to finish), so it can never read a snapshot and
    # then fail to upgrade it; readers keep plain, non-blocking transactions.
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


WRITE_OPTION = "triage_write"


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: committed on success, rolled back on error.
    A full, read-only, busy or unreachable database raises the matching storage
    error (also from statements run on the raw driver cursor inside the block)."""
    with failures.translated(engine, writing=True), engine.connect() as conn:
        conn = conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            yield conn


def read_only_reason(engine: Engine) -> str | None:
    """Why the database can be read but not written, when that can be told without
    writing (a SQLite file or folder that may not be written, a PostgreSQL server
    or session that allows only read-only transactions); ``None`` otherwise."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if url.query.get("immutable") == "1":
            path = unquote(database.removeprefix("file:"))
            if os.access(path, os.W_OK):
                return "its folder may not be written"
            return "neither the file nor its folder may be written"
        if database not in ("", ":memory:") and not os.access(database, os.W_OK):
            return "the file may not be written"
        return None
    with engine.connect() as conn:
        if conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on":
            return "the server allows only read-only transactions"
    return None


HEAD = "0010"
"""The newest migration; checked directly so an up-to-date database opens without
loading Alembic (a test holds this equal to the migration scripts' head)."""


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it is already there).
    Processes opening a new database at once take turns: the first migrates while
    holding the database's write lock (SQLite) or an advisory lock (PostgreSQL),
    the others wait, see the schema up to date and go on. A database that needs
    migrating but may not be written, or that a newer triage has migrated further,
    is refused with a storage error saying so."""
    revision = _current_revision(engine)
    if revision == HEAD:
        return
    _check_known(engine, revision)
    try:
        with writing(engine) as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                )
            revision = _revision(connection)  # again: another process may have migrated
            if revision == HEAD:
                return
            _check_known(engine, revision)
            _upgrade(connection)
    except DatabaseReadOnly as exc:
        raise DatabaseReadOnly(
            f"{failures.where_of(engine)}: the database needs its schema brought up to "
            f"date (from {revision or 'none'} to {HEAD}) but is read-only; open it once "
            "with write access (any triage command does it), then read-only again"
        ) from exc


def _upgrade(connection: Connection) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _check_known(engine: Engine, revision: str | None) -> None:
    if revision is None or any((MIGRATIONS / "versions").glob(f"{revision}_*.py")):
        return
    raise StorageError(
        f"{failures.where_of(engine)}: the database's schema is at revision {revision}, "
        f"which this version of triage does not know (it knows up to {HEAD}): it was "
        "upgraded by a newer triage, or it is not a triage database; upgrade triage, "
        "or name the right database"
    )


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return _revision(conn)


def _revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if found is None else str(found)


def new_revision(engine: Engine, message: str) -> None:
    """Autogenerate a migration from the tables (for maintainers changing the schema)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True, rev_id=None)
