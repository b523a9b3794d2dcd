"""Where triage keeps its files. Nothing is created at import time; each function
creates its directory on call. Environment variables override the defaults."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from triage.errors import ConfigError

APP_NAME = "triage"


def data_dir() -> Path:
    """Directory for the default database (``TRIAGE_DATA_DIR`` overrides), created
    if need be; :class:`~triage.errors.ConfigError` naming it when it cannot be."""
    override = os.environ.get("TRIAGE_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        where = "TRIAGE_DATA_DIR" if override else "the data directory"
        reason = error.strerror or type(error).__name__
        raise ConfigError(
            f"{where} {path} cannot be created ({reason.lower()}); set TRIAGE_DATA_DIR to a "
            "folder you may write, or give a database with TRIAGE_DB"
        ) from None
    return path


def config_dir() -> Path:
    """Directory searched for a user-wide ``triage.toml`` (``TRIAGE_CONFIG_DIR`` overrides)."""
    override = os.environ.get("TRIAGE_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def default_database_url() -> str:
    """SQLite file in the data directory: the embedded default (percent-encoded, so
    a ``?`` or ``%`` in the folder's name stays part of the path)."""
    from triage.config.database_url import sqlite_url

    return sqlite_url(data_dir() / "triage.db")


def audit_key_path() -> Path:
    """The audit log's key file, ``audit.key`` in the config directory (not created
    here: the first sealing write creates it, owner-only; ``TRIAGE_AUDIT_KEY``, when
    set, is used instead and no file is read or written)."""
    return config_dir() / "audit.key"
