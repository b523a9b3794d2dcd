"""Database failures in the words of the error family.

:func:`install` hooks an engine's ``handle_error`` event, so every statement on
it (connecting included) that fails because the database is full, read-only,
busy or out of reach raises :class:`~triage.errors.DatabaseFull`,
:class:`~triage.errors.DatabaseReadOnly`, :class:`~triage.errors.DatabaseBusy`,
:class:`~triage.errors.DatabaseUnavailable` or :class:`~triage.errors.StorageError`
instead of the driver's error; :func:`translated` does the same for code that
talks to the driver directly (bulk inserts on the raw cursor). Each message is one
sentence: which database (the setting it came from, password masked), what is
wrong, what to do. Every other error (a constraint, a syntax error) stays what it
is: a bug, or something the caller handles.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from triage.errors import (
    DatabaseBusy,
    DatabaseFull,
    DatabaseReadOnly,
    DatabaseUnavailable,
    StorageError,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine, ExceptionContext

BUSY_SECONDS = 30
"""How long a statement waits for another process's write lock before giving up."""

_WHERE: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()

_FULL = "the disk (or the database's size limit) is full, so nothing was stored"
_FREE = "free some space, then try again"
_READ_ONLY = "the database is read-only, so nothing was stored"
_WRITABLE = (
    "make the file and its folder writable (or connect as a user who may write); "
    "commands that only read still work"
)
_LATER = "try again when that process has finished"


def install(engine: Engine, where: str) -> None:
    """Translate ``engine``'s database failures; messages name it as ``where``."""
    from sqlalchemy import event

    _WHERE[engine] = where

    def handle(context: ExceptionContext) -> None:
        if context.is_pre_ping:
            return  # the pool retries with a fresh connection; nothing to say yet
        connection = context.connection
        error = translate(
            context.original_exception,
            where,
            writing=connection is not None and _is_writing(connection),
            connecting=connection is None,
        )
        if error is not None:
            raise error from context.original_exception

    event.listen(engine, "handle_error", handle)


def where_of(engine: Engine) -> str:
    """How messages name ``engine``'s database."""
    found = _WHERE.get(engine)
    if found is not None:
        return found
    return f"the database {engine.url.render_as_string(hide_password=True)}"


@contextmanager
def translated(engine: Engine, *, writing: bool) -> Iterator[None]:
    """Translate driver errors raised inside the block (by the raw DBAPI cursor)."""
    from sqlalchemy.exc import DBAPIError

    try:
        yield
    except DBAPIError as exc:
        if exc.orig is None:
            raise
        error = translate(exc.orig, where_of(engine), writing=writing, connecting=False)
        if error is None:
            raise
        raise error from exc
    except Exception as exc:
        if not _is_driver_error(exc):
            raise
        error = translate(exc, where_of(engine), writing=writing, connecting=False)
        if error is None:
            raise
        raise error from exc


def translate(
    exc: BaseException, where: str, *, writing: bool, connecting: bool
) -> StorageError | None:
    """The error-family error for the driver error ``exc``, or ``None`` when it is
    not about the database's state (a constraint, a bad statement: a bug)."""
    name = getattr(exc, "sqlite_errorname", None)
    if isinstance(name, str):
        return _sqlite(exc, name, where)
    if type(exc).__module__.startswith("psycopg"):
        return _postgres(exc, where, writing=writing, connecting=connecting)
    return None


def _sqlite(exc: BaseException, name: str, where: str) -> StorageError | None:
    detail = _first_line(exc)
    if name == "SQLITE_FULL":
        return DatabaseFull(f"{where}: {_FULL} ({detail}); {_FREE}")
    if name == "SQLITE_READONLY_DIRECTORY":
        return DatabaseReadOnly(
            f"{where}: the database's folder is read-only ({detail}) and SQLite needs to "
            "create its -wal and -shm files beside it; make the folder writable"
        )
    if name.startswith("SQLITE_READONLY"):
        return DatabaseReadOnly(f"{where}: {_READ_ONLY} ({detail}); {_WRITABLE}")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return DatabaseBusy(
            f"{where}: the database is busy: another process kept it locked for over "
            f"{BUSY_SECONDS} seconds ({detail}); {_LATER}"
        )
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return DatabaseUnavailable(
            f"{where}: cannot open the database ({detail}); check that the path is "
            "right and that you may read the file and write its folder"
        )
    if name == "SQLITE_NOTADB":
        return DatabaseUnavailable(
            f"{where}: the file is not a SQLite database ({detail}); name a triage "
            "database, or the path of a new file for triage to create"
        )
    if name.startswith("SQLITE_CORRUPT"):
        return StorageError(
            f"{where}: the database file is damaged ({detail}); restore it from a "
            "backup, or recover it with the sqlite3 tool's .recover"
        )
    if name.startswith(("SQLITE_IOERR", "SQLITE_NOMEM", "SQLITE_NOLFS")):
        return StorageError(
            f"{where}: the system could not read or write the database ({detail}); "
            "check the disk, then try again"
        )
    return None


def _postgres(
    exc: BaseException, where: str, *, writing: bool, connecting: bool
) -> StorageError | None:
    state = getattr(exc, "sqlstate", None) or ""
    detail = _first_line(exc)
    if state == "53100":
        return DatabaseFull(f"{where}: {_FULL} ({detail}); {_FREE}")
    if state == "25006" or (state == "42501" and writing):
        return DatabaseReadOnly(f"{where}: {_READ_ONLY} ({detail}); {_WRITABLE}")
    if state == "42501":
        return StorageError(
            f"{where}: the database user may not do this ({detail}); ask the "
            "database's owner to grant it access to triage's tables"
        )
    if state in ("55P03", "40P01", "40001", "57014"):
        return DatabaseBusy(f"{where}: the database is busy ({detail}); {_LATER}")
    unavailable = (
        state.startswith(("08", "28", "53", "57P"))
        or state == "3D000"
        or (not state and type(exc).__name__ == "OperationalError")
        or (not state and connecting)
    )
    if unavailable:
        return DatabaseUnavailable(
            f"{where}: cannot reach the database ({detail}); {_remedy(detail)}"
        )
    if state.startswith(("58", "XX")):
        return StorageError(f"{where}: the database server failed ({detail}); try again")
    return None


def _remedy(detail: str) -> str:
    text = detail.lower()
    if "password" in text or "role" in text or "authentication" in text:
        return "check the user name and password in the URL"
    if "database" in text and "does not exist" in text:
        return "create the database, or correct its name in the URL"
    if "option" in text or "parameter" in text or "invalid" in text:
        return "correct the options after '?' in the URL (libpq's connection parameters)"
    return "check that the server is running and that the URL's host and port are right"


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    for prefix in ("connection failed: ",):
        text = text.removeprefix(prefix)
    return " ".join(text.replace("FATAL:", "").split())


def _is_writing(connection: Any) -> bool:
    from triage.storage.engine import WRITE_OPTION

    return bool(connection.get_execution_options().get(WRITE_OPTION, False))


def _is_driver_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return module == "sqlite3" or module.startswith("psycopg")
