"""Leads' answers to suggested rule changes: accepted or dismissed, with why.

Each answer is stored with the evidence it was given on, so a dismissed
suggestion can stay quiet until the evidence changes, and it is written in the
same transaction as its audit entry.

NUL characters follow :mod:`triage.storage.nul`: one in a suggestion's id or the
actor's name refuses the answer with :class:`~triage.errors.InvalidInput`, one in
the reason is stored as ``␀``, and asking for a suggestion by an id with a NUL
finds no answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select

from triage.storage import audit
from triage.storage.convert import now, utc
from triage.storage.engine import writing
from triage.storage.nul import has_nul, refuse_nul, visible_nul
from triage.storage.tables import suggestion_decisions_t

ACCEPTED = "accepted"
DISMISSED = "dismissed"


@dataclass(frozen=True)
class SuggestionAnswer:
    """One stored answer to a suggestion."""

    pk: int
    suggestion: str
    decision: str
    """``accepted`` or ``dismissed``."""
    reason: str
    actor: str
    evidence: dict[str, Any]
    rules_version: str | None
    decided_at: datetime


class SuggestionLog:
    """Reads and writes of ``suggestion_decision``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(
        self,
        *,
        suggestion: str,
        decision: str,
        actor: str,
        reason: str = "",
        evidence: dict[str, Any] | None = None,
        rules_version: str | None = None,
        action: str,
        payload: dict[str, Any],
        inside: Callable[[], None] | None = None,
    ) -> SuggestionAnswer:
        """Store an answer and its audit entry (``action``, ``payload``) in one
        transaction. ``inside`` runs last within that transaction (writing the rule
        files, say): if it raises, nothing is recorded. NULs are handled as the
        module docstring says, before anything is written."""
        if decision not in (ACCEPTED, DISMISSED):
            raise ValueError(f"decision must be {ACCEPTED} or {DISMISSED}, not {decision!r}")
        refuse_nul(suggestion, "suggestion id")
        refuse_nul(actor, "reviewer name")
        reason = visible_nul(reason)
        stamp = now()
        values = {
            "suggestion": suggestion,
            "decision": decision,
            "reason": reason,
            "actor": actor,
            "evidence": evidence or {},
            "rules_version": rules_version,
            "decided_at": stamp,
        }
        with writing(self.engine) as conn:
            pk = conn.execute(
                insert(suggestion_decisions_t).returning(suggestion_decisions_t.c.pk), values
            ).scalar_one()
            audit.append(
                conn,
                actor=actor,
                action=action,
                subject=suggestion,
                payload={"decision": decision, "reason": reason, **payload},
                at=stamp,
                row=("suggestion_decision", int(pk)),
            )
            if inside is not None:
                inside()
        return SuggestionAnswer(
            pk=int(pk),
            suggestion=suggestion,
            decision=decision,
            reason=reason,
            actor=actor,
            evidence=dict(evidence or {}),
            rules_version=rules_version,
            decided_at=stamp,
        )

    def latest(self) -> dict[str, SuggestionAnswer]:
        """The newest answer to each suggestion that has one."""
        out: dict[str, SuggestionAnswer] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(
                select(suggestion_decisions_t).order_by(suggestion_decisions_t.c.pk)
            ):
                out[row.suggestion] = _answer(row)
        return out

    def for_suggestion(self, suggestion: str) -> list[SuggestionAnswer]:
        """Every answer to one suggestion, oldest first."""
        if has_nul(suggestion):
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(suggestion_decisions_t)
                .where(suggestion_decisions_t.c.suggestion == suggestion)
                .order_by(suggestion_decisions_t.c.pk)
            ).all()
        return [_answer(row) for row in rows]


def _answer(row: Any) -> SuggestionAnswer:
    return SuggestionAnswer(
        pk=row.pk,
        suggestion=row.suggestion,
        decision=row.decision,
        reason=row.reason,
        actor=row.actor,
        evidence=dict(row.evidence or {}),
        rules_version=row.rules_version,
        decided_at=utc(row.decided_at),
    )
