"""How far each named source has been pulled, so the next pull resumes there.

A source's name is a name (see :mod:`triage.storage.nul`): saving under one with a
NUL is refused with :class:`~triage.errors.InvalidInput`, and loading one finds
nothing. The resume point is the platform's own value and must come back exactly:
it is stored like an item's body (:class:`~triage.storage.types.SafeText`), NUL
characters included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, insert, select, type_coerce, update

from triage.storage.convert import now, utc
from triage.storage.engine import writing
from triage.storage.nul import has_nul, refuse_nul
from triage.storage.tables import source_state_t
from triage.storage.types import SafeText


@dataclass(frozen=True)
class SourceState:
    name: str
    position: str | None
    """The source's own resume point (cursor, page, URL)."""
    since: datetime | None
    """The newest item time stored from this source."""
    updated_at: datetime


def load(engine: Engine, name: str) -> SourceState | None:
    """Where the source ``name`` stopped, if it was pulled before."""
    if has_nul(name):
        return None
    stmt = select(
        source_state_t.c.name,
        type_coerce(source_state_t.c.position, SafeText).label("position"),
        source_state_t.c.since,
        source_state_t.c.updated_at,
    ).where(source_state_t.c.name == name)
    with engine.connect() as conn:
        row = conn.execute(stmt).first()
    if row is None:
        return None
    since = utc(row.since) if row.since is not None else None
    return SourceState(row.name, row.position, since, utc(row.updated_at))


def save(engine: Engine, name: str, *, position: str | None, since: datetime | None) -> None:
    """Record progress after a batch was stored (never before: a crash in between
    re-reads that batch, which pulling absorbs as unchanged items)."""
    refuse_nul(name, "source name")
    stamp = now()
    with writing(engine) as conn:
        current = conn.execute(
            select(source_state_t.c.since).where(source_state_t.c.name == name)
        ).first()
        if current is not None and current.since is not None and since is not None:
            since = max(utc(current.since), utc(since))
        elif current is not None and since is None and current.since is not None:
            since = utc(current.since)
        values = {
            "position": type_coerce(position, SafeText) if position is not None else None,
            "since": since,
            "updated_at": stamp,
        }
        if current is None:
            conn.execute(insert(source_state_t).values(name=name, **values))
        else:
            conn.execute(
                update(source_state_t).where(source_state_t.c.name == name).values(**values)
            )
