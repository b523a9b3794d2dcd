"""How far each named source has been pulled, so the next pull resumes there."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, insert, select, update

from triage.storage.convert import now, utc
from triage.storage.engine import writing
from triage.storage.tables import SourceStateRow

state_t = SourceStateRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class SourceState:
    name: str
    position: str | None
    """The source's own resume point (cursor, page, URL)."""
    since: datetime | None
    """The newest item time stored from this source."""
    updated_at: datetime


def load(engine: Engine, name: str) -> SourceState | None:
    with engine.connect() as conn:
        row = conn.execute(select(state_t).where(state_t.c.name == name)).first()
    if row is None:
        return None
    since = utc(row.since) if row.since is not None else None
    return SourceState(row.name, row.position, since, utc(row.updated_at))


def save(engine: Engine, name: str, *, position: str | None, since: datetime | None) -> None:
    """Record progress after a batch was stored (never before: a crash in between
    re-reads that batch, which pulling absorbs as unchanged items)."""
    stamp = now()
    with writing(engine) as conn:
        current = conn.execute(select(state_t.c.since).where(state_t.c.name == name)).first()
        if current is not None and current.since is not None and since is not None:
            since = max(utc(current.since), utc(since))
        elif current is not None and since is None and current.since is not None:
            since = utc(current.since)
        values = {"position": position, "since": since, "updated_at": stamp}
        if current is None:
            conn.execute(insert(state_t).values(name=name, **values))
        else:
            conn.execute(update(state_t).where(state_t.c.name == name).values(**values))
