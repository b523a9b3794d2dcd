"""Checking a database URL before connecting (the rules are in
:mod:`triage.config.database_url`), so that a bad one is one plain sentence, never a
driver's traceback."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy.engine import URL

from triage.config.database_url import (
    SQLITE_SCHEMES,
    absolute,
    is_sqlite_path,
    scheme_of,
    sqlite_url,
    where,
)
from triage.errors import DatabaseUnavailable

_POSTGRES_SCHEMES = ("postgresql", "postgresql+psycopg", "postgres", "postgres+psycopg")
_EXAMPLES = (
    "sqlite:///path/to/triage.db, a path ending in .db, or postgresql+psycopg://user@host/dbname"
)


@dataclass(frozen=True)
class Target:
    """A checked database URL and how messages name it."""

    url: URL
    where: str
    """The setting and its masked value, as messages name the database."""
    path: Path | None
    """The SQLite file, absolute; ``None`` for an in-memory or PostgreSQL database."""


def parse(value: str, setting: str | None = None) -> Target:
    """Check ``value`` and turn it into a URL the engine can use. Refused, as
    :class:`DatabaseUnavailable` naming ``setting`` and the masked value: text that
    is neither a URL nor a SQLite file's path, schemes other than SQLite and
    PostgreSQL (with psycopg), a SQLite URL with a host or with options (an
    unescaped ``?``), and PostgreSQL URLs that cannot be read."""
    said = where(value, setting)

    def refuse(problem: str) -> DatabaseUnavailable:
        return DatabaseUnavailable(f"{said}: {problem}")

    if is_sqlite_path(value):
        value = sqlite_url(absolute(Path(value).expanduser(), Path.cwd()))
    scheme, rest = scheme_of(value)
    if scheme is None:
        raise refuse(f"not a database URL; give {_EXAMPLES}")
    if scheme in SQLITE_SCHEMES:
        if rest and not rest.startswith("/"):
            raise refuse(
                "a SQLite URL has no host: write sqlite:/// and then the file's path "
                "(four slashes in all for an absolute path)"
            )
        path, sep, query = rest[1:].partition("?")
        if sep:
            raise refuse(
                f"SQLite takes no options, so the text after '?' ({query!r}) would be "
                "cut from the file's path; write a '?' in a file name as %3F and a '%' "
                "as %25, or give the plain path"
            )
        database = unquote(path)
        if "\x00" in database:
            raise refuse("the path contains a NUL character")
        if database in ("", ":memory:"):
            return Target(URL.create("sqlite", database=":memory:"), said, None)
        file = Path(os.path.abspath(Path(database).expanduser()))
        return Target(URL.create("sqlite", database=str(file)), said, file)
    if scheme in _POSTGRES_SCHEMES:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url("postgresql+psycopg://" + rest)
        except (ArgumentError, ValueError):
            raise refuse(
                "not a PostgreSQL URL that can be read; write it as "
                "postgresql+psycopg://user:password@host:port/dbname, with any '@', ':', "
                "'/' or '?' inside the user name or password written %40, %3A, %2F, %3F"
            ) from None
        return Target(url, said, None)
    if scheme.startswith("postgres"):
        raise refuse(
            f"the driver {scheme!r} is not supported; write postgresql+psycopg:// "
            "(psycopg is the PostgreSQL driver triage comes with)"
        )
    raise refuse(
        f"{scheme!r} databases are not supported; triage keeps its data in SQLite "
        f"or PostgreSQL: give {_EXAMPLES}"
    )
