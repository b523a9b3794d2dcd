"""The ``database`` setting: a URL or a SQLite file's path, read the same way everywhere.

``TRIAGE_DB`` (or ``database`` in triage.toml) is one of:

- ``sqlite:///relative/file.db`` or ``sqlite:////absolute/file.db``: the part after
  the third slash is the file's path, percent-decoded (``%20`` is a space, ``%3F``
  a ``?``, ``%25`` a ``%``). SQLite URLs take no options, so a ``?`` that is not
  written ``%3F`` is refused rather than silently cutting the path short.
- ``postgresql+psycopg://user:password@host:port/dbname?option=value`` (also
  ``postgresql://`` and ``postgres://``): the options are libpq's connection
  parameters, and the driver refuses unknown ones when connecting.
- A plain path ending in ``.db``, ``.sqlite`` or ``.sqlite3`` (``data/triage.db``,
  ``~/work/triage.db``): taken as it is, no escaping; relative to the folder of
  triage.toml when set there, to the current folder when set in ``TRIAGE_DB``.

Only the standard library here, so reading the configuration stays quick; the
checks that need SQLAlchemy live in :mod:`triage.storage.urls`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote, unquote

SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
"""A setting without a scheme is a SQLite file's path when it ends in one of these."""
SQLITE_SCHEMES = ("sqlite", "sqlite+pysqlite")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://", re.DOTALL)
_LOOKS_LIKE_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+:")


def scheme_of(value: str) -> tuple[str | None, str]:
    """``(scheme, rest)`` of a URL (the scheme lower-cased), or ``(None, value)``."""
    match = _SCHEME.match(value)
    if match is None:
        return None, value
    return match.group(1).lower(), value[match.end() :]


def is_sqlite_path(value: str) -> bool:
    """Is ``value`` (no scheme) the path of a SQLite file rather than a broken URL?"""
    return (
        _SCHEME.match(value) is None
        and _LOOKS_LIKE_SCHEME.match(value) is None
        and value.lower().endswith(SQLITE_SUFFIXES)
    )


def sqlite_url(path: Path) -> str:
    """The URL of the SQLite file at ``path``, percent-encoded so that every
    character of the path (``?``, ``#``, ``%``, spaces) stays part of it."""
    return "sqlite:///" + quote(str(path), safe="/")


def setting_url(value: str, base: Path) -> str:
    """The database URL for a setting's ``value``: a plain SQLite path becomes a
    URL; a relative SQLite path (plain or in a URL) is taken from ``base``. Any other
    value is returned unchanged, to be checked when the database is opened."""
    if is_sqlite_path(value):
        return sqlite_url(absolute(Path(value).expanduser(), base))
    scheme, rest = scheme_of(value)
    if scheme not in SQLITE_SCHEMES or not rest.startswith("/"):
        return value
    path, sep, query = rest[1:].partition("?")
    if path in ("", ":memory:"):
        return value
    return sqlite_url(absolute(Path(unquote(path)), base)) + sep + query


def absolute(path: Path, base: Path) -> Path:
    """``path`` taken from ``base`` when relative (not resolving links)."""
    return path if path.is_absolute() else Path(os.path.abspath(base / path))


def mask(value: str) -> str:
    """``value`` with any password hidden (in the user-info part and in a
    ``password=`` option), for messages."""
    match = _SCHEME.match(value)
    if match is not None:
        rest = value[match.end() :]
        netloc, slash, tail = rest.partition("/")
        user, at, host = netloc.rpartition("@")
        if at and ":" in user:
            rest = user.split(":", 1)[0] + ":***@" + host + slash + tail
        value = match.group(0) + rest
    return re.sub(r"(?i)([?&](?:ssl)?password=)[^&]*", r"\1***", value)


def where(value: str, setting: str | None) -> str:
    """How a message names the database: the setting it came from and the masked
    value (``TRIAGE_DB = postgresql+psycopg://ana:***@db/x``), or ``the database …``."""
    return f"{setting} = {mask(value)}" if setting else f"the database {mask(value)}"
