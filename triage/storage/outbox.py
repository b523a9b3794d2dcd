"""The write-back queue: verdicts waiting to be sent to the platform their item came from.

An entry is kept until the platform has taken it: a failed attempt only counts the
attempt, records the error and sets when to try again. Sent entries stay too (with
``sent_at``), as the record of what was sent. One verdict is queued at most once per
target (the source it goes back to): queueing it again changes nothing.

Entries hold the request body and the names of things, never a credential: those come
from the environment when the entry is sent. An error text (which may quote what a
platform answered) passes through the outbox's ``mask`` before it is stored, with
each NUL in it stored as ``␀``; a NUL in a target's name or kind refuses the entry
with :class:`~triage.errors.InvalidInput`, and a lookup by such a name finds nothing
(see :mod:`triage.storage.nul`). The payload, JSON, is kept exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from triage.storage.convert import utc
from triage.storage.engine import writing
from triage.storage.nul import has_nul, refuse_nul, visible_nul
from triage.storage.tables import outbox_t

__all__ = ["Outbox", "OutboxCounts", "OutboxEntry"]


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One queued verdict for one target."""

    pk: int
    verdict_pk: int
    target: str
    """The configured source name the verdict goes back to."""
    kind: str
    """``langfuse`` or ``langsmith``."""
    payload: dict[str, Any]
    """The request body, as it is sent."""
    attempts: int
    """Sending attempts so far, the one that got through included."""
    last_error: str | None
    """Why the last attempt failed (or a remark on the one that got through)."""
    next_attempt_at: datetime
    sent_at: datetime | None
    created_at: datetime

    @property
    def sent(self) -> bool:
        return self.sent_at is not None


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    """How many entries are sent, waiting (never failed yet) and failing (tried, not
    taken yet: they are retried)."""

    sent: int
    waiting: int
    failing: int

    @property
    def pending(self) -> int:
        """Entries not sent yet."""
        return self.waiting + self.failing


class Outbox:
    """Reads and writes of the write-back queue. ``mask`` is applied to every error
    text and note before it is stored (write-back passes
    :meth:`triage.platforms.secrets.Secrets.mask`, so an echoed credential is never stored)."""

    def __init__(self, engine: Engine, *, mask: Callable[[str], str] | None = None) -> None:
        self.engine = engine
        self._mask: Callable[[str], str] = mask or (lambda text: text)

    def mask(self, text: str) -> str:
        """``text`` as it is stored: masked, each NUL as ``␀``."""
        return visible_nul(self._mask(text))

    def enqueue(
        self,
        verdict_pk: int,
        target: str,
        kind: str,
        payload: dict[str, Any],
        *,
        at: datetime,
    ) -> bool:
        """Queue ``payload`` for ``target``, due at once. Returns ``False`` (and changes
        nothing) when this verdict is already queued for this target."""
        refuse_nul(target, "source name")
        refuse_nul(kind, "source kind")
        stamp = utc(at)
        if self.get(verdict_pk, target) is not None:
            return False
        try:
            with writing(self.engine) as conn:
                conn.execute(
                    insert(outbox_t).values(
                        verdict_pk=verdict_pk,
                        target=target,
                        kind=kind,
                        payload=payload,
                        attempts=0,
                        last_error=None,
                        next_attempt_at=stamp,
                        sent_at=None,
                        created_at=stamp,
                    )
                )
        except IntegrityError:
            # Queued meanwhile by another process; a missing verdict is a real error.
            if self.get(verdict_pk, target) is None:
                raise
            return False
        return True

    def get(self, verdict_pk: int, target: str) -> OutboxEntry | None:
        """The entry of ``verdict_pk`` for ``target``, if it was queued."""
        if has_nul(target):
            return None
        stmt = select(outbox_t).where(
            outbox_t.c.verdict_pk == verdict_pk, outbox_t.c.target == target
        )
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return _entry(row) if row is not None else None

    def by_pk(self, pk: int) -> OutboxEntry | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(outbox_t).where(outbox_t.c.pk == pk)).first()
        return _entry(row) if row is not None else None

    def due(self, now: datetime, limit: int = 100) -> list[OutboxEntry]:
        """Unsent entries whose next attempt is due at ``now``, oldest first."""
        stmt = (
            select(outbox_t)
            .where(outbox_t.c.sent_at.is_(None), outbox_t.c.next_attempt_at <= utc(now))
            .order_by(outbox_t.c.pk)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_entry(row) for row in conn.execute(stmt)]

    def pending(self, target: str | None = None) -> list[OutboxEntry]:
        """Every unsent entry (of ``target``, if given), oldest first."""
        if has_nul(target):
            return []
        stmt = select(outbox_t).where(outbox_t.c.sent_at.is_(None)).order_by(outbox_t.c.pk)
        if target is not None:
            stmt = stmt.where(outbox_t.c.target == target)
        with self.engine.connect() as conn:
            return [_entry(row) for row in conn.execute(stmt)]

    def entries(self, verdict_pks: Sequence[int]) -> list[OutboxEntry]:
        """The entries (sent or not) of these verdicts, oldest first."""
        stmt = (
            select(outbox_t)
            .where(outbox_t.c.verdict_pk.in_(list(verdict_pks)))
            .order_by(outbox_t.c.pk)
        )
        with self.engine.connect() as conn:
            return [_entry(row) for row in conn.execute(stmt)]

    def mark_sent(self, pk: int, at: datetime, *, note: str | None = None) -> None:
        """The platform took the entry. ``note`` keeps a remark (such as "already
        there") in ``last_error``; otherwise it is cleared."""
        with writing(self.engine) as conn:
            conn.execute(
                update(outbox_t)
                .where(outbox_t.c.pk == pk)
                .values(
                    sent_at=utc(at),
                    attempts=outbox_t.c.attempts + 1,
                    last_error=self.mask(note) if note is not None else None,
                )
            )

    def mark_failed(self, pk: int, error: str, next_attempt_at: datetime) -> None:
        """An attempt failed: count it, keep ``error``, try again at ``next_attempt_at``."""
        with writing(self.engine) as conn:
            conn.execute(
                update(outbox_t)
                .where(outbox_t.c.pk == pk, outbox_t.c.sent_at.is_(None))
                .values(
                    attempts=outbox_t.c.attempts + 1,
                    last_error=self.mask(error),
                    next_attempt_at=utc(next_attempt_at),
                )
            )

    def retry_now(self, now: datetime, *, target: str | None = None) -> int:
        """Make every unsent entry (of ``target``) due at ``now``; returns how many."""
        if has_nul(target):
            return 0
        stmt = update(outbox_t).where(
            outbox_t.c.sent_at.is_(None), outbox_t.c.next_attempt_at > utc(now)
        )
        if target is not None:
            stmt = stmt.where(outbox_t.c.target == target)
        with writing(self.engine) as conn:
            return int(conn.execute(stmt.values(next_attempt_at=utc(now))).rowcount or 0)

    def counts(self) -> OutboxCounts:
        """Sent, waiting and failing entries."""
        sent = outbox_t.c.sent_at.is_not(None)
        failing = outbox_t.c.sent_at.is_(None) & outbox_t.c.last_error.is_not(None)
        stmt = select(
            func.count().filter(sent),
            func.count().filter(failing),
            func.count(),
        ).select_from(outbox_t)
        with self.engine.connect() as conn:
            n_sent, n_failing, total = conn.execute(stmt).one()
        return OutboxCounts(
            sent=int(n_sent),
            waiting=int(total) - int(n_sent) - int(n_failing),
            failing=int(n_failing),
        )


def _entry(row: Any) -> OutboxEntry:
    return OutboxEntry(
        pk=row.pk,
        verdict_pk=row.verdict_pk,
        target=row.target,
        kind=row.kind,
        payload=dict(row.payload),
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=utc(row.next_attempt_at),
        sent_at=utc(row.sent_at) if row.sent_at is not None else None,
        created_at=utc(row.created_at),
    )
