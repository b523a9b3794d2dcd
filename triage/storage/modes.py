"""The failure model's storage beyond creating modes: edits and retirement (each
audited in the same transaction), and the evidence behind every mode.

Evidence is read from the fail verdicts in force that carry a mode's tag: an
undone or corrected verdict no longer counts. Where a mode was found is the lane
the item was reviewed in, except that an audit sample counts under ``pass``: it
is a pass item, and its failure is one that auto-pass would have let through.

NUL characters follow :mod:`triage.storage.nul`, as when a mode is created: an id
with one names no mode (:class:`~triage.errors.NotFound`), one in a task type or the actor's name
refuses the change with :class:`~triage.errors.InvalidInput`, and one in a title,
description, what to look for or reason is stored as ``␀``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import aliased

from triage.core.models import FailureMode, Lane, ModeStatus, Outcome, lane_before_sample
from triage.errors import InvalidInput, NotFound
from triage.storage import audit
from triage.storage.convert import now, utc
from triage.storage.engine import writing
from triage.storage.nul import has_nul, refuse_nul, visible_nul
from triage.storage.reviews import _in_force, _mode
from triage.storage.tables import decisions_t, items_t, modes_t, verdict_modes_t
from triage.storage.types import SafeText


class Unchanged:
    """Marks an argument that was not given (``None`` is a real task type: all of them)."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Final = Unchanged()


@dataclass(frozen=True, slots=True)
class ModeExample:
    """One reviewed item that failed in a given way: the evidence an owner can open."""

    ref: str
    """``source:id`` of the item."""
    item_pk: int
    created_at: datetime
    agent: str
    task_type: str
    model: str
    lane: str
    """Where it was found (see the module docstring)."""
    reviewer: str
    note: str
    excerpt: str
    """The head of the item's output, as stored: untrusted, to be made inert by the caller."""


@dataclass(frozen=True)
class ModeEvidence:
    """What the verdicts in force say about one failure mode."""

    mode_id: str
    failures: int = 0
    """Fail verdicts in force tagged with the mode."""
    by_lane: dict[str, int] = field(default_factory=dict)
    by_model: dict[str, int] = field(default_factory=dict)
    by_day: dict[date, int] = field(default_factory=dict)
    """Failures per day the failing item was created (UTC)."""
    first_seen: datetime | None = None
    """When the earliest failing item was created."""
    last_seen: datetime | None = None
    """When the latest failing item was created."""
    examples: tuple[ModeExample, ...] = ()
    """The most recent failing items first (at most the number asked for)."""


class Modes:
    """Edits, retirement and evidence of failure modes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def update_failure_mode(
        self,
        mode_id: str,
        *,
        title: str | None = None,
        description: str | None = None,
        look_for: str | None = None,
        task_type: str | None | Unchanged = UNCHANGED,
        actor: str,
    ) -> FailureMode:
        """Change the given fields of a mode (``None`` leaves a text field as it is;
        ``task_type=None`` makes the mode apply to every task type). The change and
        its audit entry, holding old and new values, commit together; an edit that
        changes nothing writes nothing. :class:`~triage.errors.NotFound` for an unknown id. NULs are
        handled as the module docstring says, before anything is written."""
        if title is not None and not title.strip():
            raise InvalidInput("a failure mode needs a title")
        refuse_nul(actor, "reviewer name")
        if isinstance(task_type, str):
            refuse_nul(task_type, "task type")
        if has_nul(mode_id):
            raise NotFound(f"no failure mode {mode_id!r}")
        wanted: dict[str, Any] = {
            "title": visible_nul(title.strip()) if title is not None else None,
            "description": visible_nul(description) if description is not None else None,
            "look_for": visible_nul(look_for) if look_for is not None else None,
        }
        stamp = now()
        with writing(self.engine) as conn:
            # Locked (on PostgreSQL; SQLite's write transaction already is) so the
            # audit entry's "from" values are the ones this edit replaced.
            row = conn.execute(
                select(modes_t).where(modes_t.c.id == mode_id).with_for_update()
            ).first()
            if row is None:
                raise NotFound(f"no failure mode {mode_id!r}")
            changes: dict[str, Any] = {
                name: value
                for name, value in wanted.items()
                if value is not None and value != getattr(row, name)
            }
            if not isinstance(task_type, Unchanged) and task_type != row.task_type:
                changes["task_type"] = task_type
            if changes:
                conn.execute(
                    update(modes_t)
                    .where(modes_t.c.id == mode_id)
                    .values(**changes, updated_at=stamp)
                )
                audit.append(
                    conn,
                    actor=actor,
                    action="failure_mode.edit",
                    subject=mode_id,
                    payload={
                        name: {"from": getattr(row, name), "to": value}
                        for name, value in sorted(changes.items())
                    },
                    at=stamp,
                    row=("failure_mode", mode_id),
                )
        return self._get(mode_id)

    def set_status(
        self, mode_id: str, status: ModeStatus, *, actor: str, reason: str = ""
    ) -> FailureMode:
        """Retire (``retired``) or reactivate (``active``) a mode, audited with the
        reason (a NUL in it stored as ``␀``). Setting the status a mode already has
        writes nothing. :class:`~triage.errors.NotFound` for an unknown id."""
        status = ModeStatus(status)
        refuse_nul(actor, "reviewer name")
        if has_nul(mode_id):
            raise NotFound(f"no failure mode {mode_id!r}")
        reason = visible_nul(reason)
        stamp = now()
        with writing(self.engine) as conn:
            current = conn.execute(
                select(modes_t.c.status).where(modes_t.c.id == mode_id).with_for_update()
            ).scalar_one_or_none()
            if current is None:
                raise NotFound(f"no failure mode {mode_id!r}")
            if current != status.value:
                conn.execute(
                    update(modes_t)
                    .where(modes_t.c.id == mode_id)
                    .values(status=status.value, updated_at=stamp)
                )
                audit.append(
                    conn,
                    actor=actor,
                    action="failure_mode.retire"
                    if status is ModeStatus.RETIRED
                    else "failure_mode.reactivate",
                    subject=mode_id,
                    payload={"from": current, "to": status.value, "reason": reason},
                    at=stamp,
                    row=("failure_mode", mode_id),
                )
        return self._get(mode_id)

    def _get(self, mode_id: str) -> FailureMode:
        with self.engine.connect() as conn:
            row = conn.execute(select(modes_t).where(modes_t.c.id == mode_id)).one()
        return _mode(row)

    def mode_evidence(
        self, *, examples: int = 3, excerpt_chars: int = 1200
    ) -> dict[str, ModeEvidence]:
        """The evidence for every mode that has any, by mode id: counts, where and
        on which model versions it was found, first and last seen, and up to
        ``examples`` failing items (newest first) with the reviewer's note and the
        first ``excerpt_chars`` characters of the output."""
        verdicts = _in_force().subquery()
        at_review = aliased(decisions_t)
        stmt = (
            select(
                verdict_modes_t.c.mode_id, verdicts.c.lane.label("review_lane"),
                verdicts.c.reviewer, verdicts.c.note, at_review.c.audit_sample.label("sampled"),
                items_t.c.pk, items_t.c.source,
                items_t.c.item_id, items_t.c.agent, items_t.c.task_type, items_t.c.model,
                items_t.c.created_at, items_t.c.lane,
            )
            .join(verdicts, verdicts.c.pk == verdict_modes_t.c.verdict_pk)
            .join(items_t, items_t.c.pk == verdicts.c.item_pk)
            .outerjoin(at_review, at_review.c.pk == verdicts.c.decision_pk)
            .where(verdicts.c.outcome == Outcome.FAIL.value)
        )  # fmt: skip
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        found: dict[str, list[ModeExample]] = {}
        for row in rows:
            found.setdefault(row.mode_id, []).append(
                ModeExample(
                    ref=f"{row.source}:{row.item_id}",
                    item_pk=row.pk,
                    created_at=utc(row.created_at),
                    agent=row.agent,
                    task_type=row.task_type,
                    model=row.model,
                    lane=_found_in(row),
                    reviewer=row.reviewer,
                    note=row.note,
                    excerpt="",
                )
            )
        evidence = {mode_id: _summarise(mode_id, hits, examples) for mode_id, hits in found.items()}
        wanted = sorted({ex.item_pk for ev in evidence.values() for ex in ev.examples})
        heads = self._output_heads(wanted, excerpt_chars)
        return {mode_id: _with_excerpts(ev, heads) for mode_id, ev in sorted(evidence.items())}

    def _output_heads(self, pks: Sequence[int], chars: int) -> dict[int, str]:
        head = func.substr(items_t.c.output, 1, chars, type_=SafeText).label("head")
        out: dict[int, str] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(pks), 900):
                chunk = list(pks[start : start + 900])
                for pk, text in conn.execute(
                    select(items_t.c.pk, head).where(items_t.c.pk.in_(chunk))
                ):
                    out[pk] = text or ""
        return out


def _found_in(row: Any) -> str:
    """The lane a failure was found in; audit samples count under ``pass``."""
    lane = row.review_lane or row.lane
    if lane is None:
        return Lane.PASS.value if row.sampled else "untriaged"
    return lane_before_sample(Lane(lane), bool(row.sampled)).value


def _summarise(mode_id: str, hits: list[ModeExample], examples: int) -> ModeEvidence:
    newest_first = sorted(hits, key=lambda h: (h.created_at, h.ref), reverse=True)
    return ModeEvidence(
        mode_id=mode_id,
        failures=len(hits),
        by_lane=dict(sorted(Counter(h.lane for h in hits).items())),
        by_model=dict(sorted(Counter(h.model for h in hits).items())),
        by_day=dict(sorted(Counter(h.created_at.date() for h in hits).items())),
        first_seen=newest_first[-1].created_at,
        last_seen=newest_first[0].created_at,
        examples=tuple(newest_first[: max(0, examples)]),
    )


def _with_excerpts(ev: ModeEvidence, heads: dict[int, str]) -> ModeEvidence:
    examples = tuple(replace(ex, excerpt=heads.get(ex.item_pk, "")) for ex in ev.examples)
    return replace(ev, examples=examples)
