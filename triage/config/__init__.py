"""``triage.toml``: where the database and rules are, who is reviewing, and the sources.

Looked up, first found wins: ``--config``/``TRIAGE_CONFIG``, ``./triage.toml``,
then ``triage.toml`` in the user config directory. Environment variables
(``TRIAGE_DB``, ``TRIAGE_RULES``, ``TRIAGE_REVIEWER``) override the file. The
database setting is a URL or a SQLite file's path (see :mod:`triage.config.database_url`);
a relative path in the file is taken from the file's folder, one in ``TRIAGE_DB``
from the current folder, and the configuration remembers which setting it came
from so that every message about the database can name it.
Secrets never live here: a source names the environment variable that holds its
credential (``token_env``), and keys that look like secrets are refused.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from triage.config import locations
from triage.config.database_url import setting_url
from triage.errors import ConfigError

__all__ = ["Config", "ConfigError", "find_config_file", "load_config"]

if TYPE_CHECKING:
    from triage.config.schema import SourceConfig, _File


_SECRET_WORDS = ("password", "secret", "token", "api_key", "apikey")


@dataclass(frozen=True)
class Config:
    """Resolved settings, environment overrides applied."""

    database_url: str | None
    """``None`` means the embedded default (SQLite in the user data directory)."""
    rules_dir: Path | None
    reviewer: str
    lane_minutes: dict[str, float] = field(
        default_factory=lambda: {"deep": 5.0, "scan": 1.0, "pass": 0.0}
    )
    sources: dict[str, SourceConfig] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    """Key remapping for the reviewer app: binding id → keys (``verdict-ok = "y"``)."""
    leads: tuple[str, ...] = ()
    """Who may change rules and retire failure modes (``[roles] leads``). Empty: no
    roles are configured, and everyone may (a team of one)."""
    path: Path | None = None
    """The file this came from, if any."""
    max_record_bytes: int | None = None
    """``[limits] max_record_bytes``: the longest record a pull reads; ``None`` is the
    readers' default (64 MiB)."""
    database_setting: str | None = None
    """Where ``database_url`` came from, as messages name it: ``TRIAGE_DB`` or
    ``database`` in the config file; ``None`` when given directly or by default."""

    def is_lead(self, person: str) -> bool:
        """May ``person`` change rules and retire failure modes?"""
        return not self.leads or person in self.leads

    def resolved_database_url(self) -> str:
        """The database URL, creating the default data directory if it is used."""
        return self.database_url or locations.default_database_url()

    def source_path(self, source: SourceConfig) -> Path:
        """A jsonl source's path, relative paths taken from the config file's folder."""
        assert source.path is not None
        path = Path(source.path).expanduser()
        if not path.is_absolute() and self.path is not None:
            path = self.path.parent / path
        return path


def find_config_file(explicit: str | None = None) -> Path | None:
    """The config file in force, or ``None``."""
    chosen = explicit or os.environ.get("TRIAGE_CONFIG")
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found")
        return path
    for candidate in (Path.cwd() / "triage.toml", locations.config_dir() / "triage.toml"):
        if candidate.is_file():
            return candidate
    return None


def load_config(explicit: str | None = None, *, use_env: bool = True) -> Config:
    """Read ``triage.toml`` (if any) and apply environment overrides (unless
    ``use_env`` is false: a demo workspace must never reach the user's database)."""
    env: Mapping[str, str] = os.environ if use_env else {}
    path = find_config_file(explicit)
    parsed = _parse(path) if path is not None else None
    rules = env.get("TRIAGE_RULES") or (parsed.rules if parsed else None)
    rules_dir: Path | None
    if rules:
        rules_dir = Path(rules).expanduser()
        if not rules_dir.is_absolute() and path is not None and not env.get("TRIAGE_RULES"):
            rules_dir = path.parent / rules_dir
    else:
        rules_dir = Path("rules") if Path("rules").is_dir() else None
    minutes = {"deep": 5.0, "scan": 1.0, "pass": 0.0}
    if parsed is not None:
        minutes.update({str(lane): value for lane, value in parsed.lanes.minutes.items()})
    database: str | None = None
    setting: str | None = None
    if env.get("TRIAGE_DB"):
        database, setting = setting_url(env["TRIAGE_DB"], Path.cwd()), "TRIAGE_DB"
    elif parsed is not None and parsed.database and path is not None:
        database = setting_url(parsed.database, path.parent)
        setting = f"`database` in {path}"
    return Config(
        database_url=database,
        rules_dir=rules_dir,
        reviewer=env.get("TRIAGE_REVIEWER")
        or (parsed.reviewer if parsed else None)
        or _login_name(),
        lane_minutes=minutes,
        sources=dict(parsed.sources) if parsed else {},
        keys=dict(parsed.keys) if parsed else {},
        leads=tuple(parsed.roles.leads) if parsed else (),
        path=path,
        max_record_bytes=parsed.limits.max_record_bytes if parsed else None,
        database_setting=setting,
    )


def _parse(path: Path) -> _File:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    for name, table in (data.get("sources") or {}).items():
        if not name.strip() or not name.isprintable():
            raise ConfigError(
                f"{path}: sources.{name!r}: a source name must be printable text "
                "(items are stored under it and it is shown on screen)"
            )
        if isinstance(table, dict):
            for key in table:
                if not key.endswith("_env") and any(word in key.lower() for word in _SECRET_WORDS):
                    raise ConfigError(
                        f"{path}: sources.{name}.{key}: secrets do not belong in triage.toml; "
                        "put the credential in an environment variable and name it with token_env"
                    )
    from pydantic import ValidationError

    from triage.config.schema import _File

    try:
        return _File.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from None


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "reviewer"
