"""Verdicts and the failure model: the reviewer's side of storage.

Verdict rows are never updated. An undo is a new row pointing at the verdict it
cancels; a later verdict on the same item is a correction. The verdict in force
for an item is its newest row that is neither an undo nor undone.

NUL characters follow :mod:`triage.storage.nul`: one in a reviewer's name, a
failure-mode id, a task type or a checklist key refuses the write with
:class:`~triage.errors.InvalidInput` (nothing is written); notes, titles,
descriptions, what to look for and checklist answers are stored with each NUL as
``␀``; a lookup by an id with a NUL finds nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from triage.core.models import DONE, FailureMode, Lane, ModeStatus, Outcome, VerdictRecord
from triage.errors import NotFound, ReviewedMeanwhile
from triage.storage import audit, bulk
from triage.storage.convert import now, utc
from triage.storage.engine import writing
from triage.storage.nul import has_nul, refuse_nul, refuse_nul_in, visible_nul, visible_nul_json
from triage.storage.row_hashes import verdict_hash
from triage.storage.tables import (
    decisions_t,
    items_t,
    modes_t,
    verdict_modes_t,
    verdicts_t,
)

UNDO = Outcome.UNDO
"""The outcome of a record that cancels the verdict it ``supersedes``."""


class Unchecked(Enum):
    """The type of :data:`UNCHECKED`."""

    UNCHECKED = "unchecked"


UNCHECKED = Unchecked.UNCHECKED
"""``expect`` default: record whatever verdict is in force (a correction)."""

Expect = int | None | Unchecked
"""What a writer saw: the pk of the verdict in force, ``None`` for none, or
:data:`UNCHECKED`."""


@dataclass(frozen=True, slots=True)
class NewVerdict:
    """One verdict for :meth:`Reviews.record_many` (an imported past label)."""

    item_pk: int
    reviewer: str
    outcome: Outcome
    key: str
    """Idempotency key: a verdict whose key is stored already is not written again."""
    modes: tuple[str, ...] = ()
    note: str = ""
    recorded_at: datetime | None = None
    """When the verdict was given (``None``: now); its audit entry is dated when it
    is written."""


@dataclass(frozen=True, slots=True)
class ItemRef:
    """An item as a verdict names it: where it is stored and what it is."""

    pk: int
    source: str
    item_id: str
    task_type: str


class Reviews:
    """Reads and writes of verdicts and failure modes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(
        self,
        *,
        item_pk: int,
        reviewer: str,
        outcome: Outcome,
        modes: Sequence[str] = (),
        note: str = "",
        checklist: dict[str, Any] | None = None,
        seconds: float = 0.0,
        lane: Lane | None = None,
        rules_version: str | None = None,
        decision_pk: int | None = None,
        supersedes: int | None = None,
        key: str | None = None,
        expect: Expect = UNCHECKED,
    ) -> VerdictRecord:
        """Store a verdict and its audit entry in one transaction, committed before
        this returns. ``key`` makes it idempotent: recording the same key twice
        (a retry, a second app instance) returns the first record.

        ``expect`` is the verdict in force the reviewer was shown: its pk, or ``None``
        when the item had none. If another verdict is in force by the time this one
        is written (someone else recorded or undid one meanwhile), nothing is written
        and :class:`~triage.errors.ReviewedMeanwhile` is raised with the verdict now in
        force. The comparison and the write hold the item's lock (SQLite's write lock,
        a row lock on PostgreSQL), so of two writers expecting the same verdict exactly
        one succeeds. The default, :data:`UNCHECKED`, records whatever is in force.

        A NUL in ``reviewer``, a mode id, a checklist key or ``key`` raises
        :class:`~triage.errors.InvalidInput` before anything is written; one in
        ``note`` or a checklist answer is stored as ``␀``."""
        outcome = Outcome(outcome)
        refuse_nul(reviewer, "reviewer name")
        refuse_nul_in(modes, "failure mode id")
        refuse_nul_in(checklist or {}, "checklist item")
        if key:
            refuse_nul(key, "verdict key")
        note = visible_nul(note)
        key = key or uuid.uuid4().hex
        stamp = now()
        values = _row_values(
            key=key,
            item_pk=item_pk,
            reviewer=reviewer,
            outcome=outcome,
            note=note,
            checklist=checklist,
            seconds=seconds,
            lane=lane,
            rules_version=rules_version,
            decision_pk=decision_pk,
            supersedes=supersedes,
            recorded_at=stamp,
        )
        try:
            with writing(self.engine) as conn:
                ref = conn.execute(
                    select(items_t.c.source, items_t.c.item_id, items_t.c.decision_pk)
                    .where(items_t.c.pk == item_pk)
                    .with_for_update()
                ).first()
                if ref is None:
                    raise NotFound(f"no item with key {item_pk}")
                if expect is not UNCHECKED:
                    done = conn.execute(select(verdicts_t.c.pk).where(verdicts_t.c.key == key))
                    if done.first() is not None:
                        raise _Recorded  # a retry of this very verdict
                    _check_expected(conn, item_pk, expect, f"{ref.source}:{ref.item_id}")
                if values["decision_pk"] is None:
                    # The decision the reviewer saw: the item's current one.
                    values["decision_pk"] = ref.decision_pk
                write = _Write(values, tuple(modes), f"{ref.source}:{ref.item_id}")
                _write_verdicts(conn, [write], at=stamp)
                _refresh_in_force(conn, [item_pk])
        except (IntegrityError, _Recorded):
            existing = self.by_key(key)
            if existing is None:
                raise
            return existing
        found = self.by_key(key)
        assert found is not None
        return found

    def record_many(self, verdicts: Sequence[NewVerdict]) -> list[VerdictRecord]:
        """Store many verdicts in one transaction, each with its failure-mode links and
        its audit entry (written as :meth:`record` writes one): all are committed, or
        none is. A verdict whose key is stored already is skipped, so a batch retried
        after a crash writes only what is missing. Each verdict takes the lane, rules
        version and decision of its item's current decision. Returns the records
        written, in the order given.

        A NUL in a reviewer, a mode id or a key raises
        :class:`~triage.errors.InvalidInput` before anything is written; one in a
        note is stored as ``␀``. An item pk that names no item raises
        :class:`~triage.errors.NotFound` (nothing is written)."""
        for draft in verdicts:
            refuse_nul(draft.reviewer, "reviewer name")
            refuse_nul_in(draft.modes, "failure mode id")
            refuse_nul(draft.key, "verdict key")
        if not verdicts:
            return []
        try:
            return self._record_many(verdicts)
        except IntegrityError:
            # Another writer stored some of these keys meanwhile: once more, skipping them.
            return self._record_many(verdicts)

    def _record_many(self, verdicts: Sequence[NewVerdict]) -> list[VerdictRecord]:
        stamp = now()
        pks = sorted({draft.item_pk for draft in verdicts})
        with writing(self.engine) as conn:
            refs = {
                row.pk: row
                for start in range(0, len(pks), 900)
                for row in conn.execute(
                    select(
                        items_t.c.pk, items_t.c.source, items_t.c.item_id,
                        items_t.c.decision_pk, decisions_t.c.lane, decisions_t.c.rules_version,
                    )
                    .outerjoin(decisions_t, decisions_t.c.pk == items_t.c.decision_pk)
                    .where(items_t.c.pk.in_(pks[start : start + 900]))
                    .with_for_update(of=items_t)
                )
            }  # fmt: skip
            missing = [pk for pk in pks if pk not in refs]
            if missing:
                raise NotFound(f"no item with key {missing[0]}")
            stored = _stored_keys(conn, [draft.key for draft in verdicts])
            writes: list[_Write] = []
            for draft in verdicts:
                if draft.key in stored:
                    continue
                stored.add(draft.key)
                ref = refs[draft.item_pk]
                at = utc(draft.recorded_at) if draft.recorded_at is not None else stamp
                values = _row_values(
                    key=draft.key,
                    item_pk=draft.item_pk,
                    reviewer=draft.reviewer,
                    outcome=Outcome(draft.outcome),
                    note=visible_nul(draft.note),
                    checklist=None,
                    seconds=0.0,
                    lane=ref.lane,
                    rules_version=ref.rules_version,
                    decision_pk=ref.decision_pk,
                    supersedes=None,
                    recorded_at=at,
                )
                subject = f"{ref.source}:{ref.item_id}"
                extra = {"recorded_at": at.isoformat(), "imported": True}
                writes.append(_Write(values, draft.modes, subject, extra))
            if not writes:
                return []
            pks = _write_verdicts(conn, writes, at=stamp)
            written = [_record_of(pk, w.values, w.modes) for pk, w in zip(pks, writes, strict=True)]
            # Each item's newest verdict here is now its verdict in force: it is the
            # newest row on the item and nothing can have undone it yet.
            newest = {record.item_pk: record.outcome.value for record in written}
            conn.execute(
                update(items_t)
                .where(items_t.c.pk == bindparam("b_pk"))
                .values(verdict=bindparam("b_verdict")),
                [{"b_pk": pk, "b_verdict": outcome} for pk, outcome in newest.items()],
            )
        return written

    def stored_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` are keys of stored verdicts."""
        with self.engine.connect() as conn:
            return _stored_keys(conn, keys)

    def item_refs(
        self, ids: Sequence[str], *, source: str | None = None
    ) -> dict[str, list[ItemRef]]:
        """Per id of ``ids``, the items of that id (of ``source`` only, when given), in
        every source that has one; an id no item has is left out. An id with a NUL
        names nothing."""
        wanted = sorted({i for i in ids if not has_nul(i)})
        out: dict[str, list[ItemRef]] = {}
        cols = (items_t.c.pk, items_t.c.source, items_t.c.item_id, items_t.c.task_type)
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 900):
                stmt = select(*cols).where(items_t.c.item_id.in_(wanted[start : start + 900]))
                if source is not None:
                    stmt = stmt.where(items_t.c.source == source)
                for row in conn.execute(stmt.order_by(items_t.c.source)):
                    out.setdefault(row.item_id, []).append(
                        ItemRef(row.pk, row.source, row.item_id, row.task_type)
                    )
        return out

    def check_expected(self, item_pk: int, expect: int | None, ref: str) -> None:
        """Raise :class:`~triage.errors.ReviewedMeanwhile` now if the verdict in force
        on the item is not ``expect`` (a cheap early answer; :meth:`record` checks
        again under the lock, which is what makes it reliable)."""
        with self.engine.connect() as conn:
            _check_expected(conn, item_pk, expect, ref)

    def by_key(self, key: str) -> VerdictRecord | None:
        """The verdict recorded under ``key``, if any."""
        if has_nul(key):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(verdicts_t).where(verdicts_t.c.key == key)).first()
            return _record(conn, row) if row else None

    def for_item(self, item_pk: int) -> list[VerdictRecord]:
        """Every verdict row of an item, oldest first (undos included)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(verdicts_t).where(verdicts_t.c.item_pk == item_pk).order_by(verdicts_t.c.pk)
            ).all()
            return [_record(conn, row) for row in rows]

    def current(self, item_pks: Sequence[int]) -> dict[int, VerdictRecord]:
        """The verdict in force for each of ``item_pks`` that has one."""
        out: dict[int, VerdictRecord] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(item_pks), 2000):
                chunk = list(item_pks[start : start + 2000])
                stmt = _in_force().where(verdicts_t.c.item_pk.in_(chunk))
                for row in conn.execute(stmt):
                    out[row.item_pk] = _record(conn, row)
        return out

    def task_type_counts(self) -> dict[str, tuple[int, int]]:
        """(reviewed, failed) per task type, from the ok/fail verdicts in force."""
        inner = _in_force().subquery()
        stmt = (
            select(items_t.c.task_type, inner.c.outcome, func.count())
            .join(inner, inner.c.item_pk == items_t.c.pk)
            .where(inner.c.outcome.in_(DONE))
            .group_by(items_t.c.task_type, inner.c.outcome)
        )
        counts: dict[str, list[int]] = {}
        with self.engine.connect() as conn:
            for task_type, outcome, n in conn.execute(stmt):
                entry = counts.setdefault(task_type, [0, 0])
                entry[0] += int(n)
                if outcome == Outcome.FAIL:
                    entry[1] += int(n)
        return {k: (v[0], v[1]) for k, v in counts.items()}

    # -- failure modes -------------------------------------------------------------

    def failure_modes(
        self, task_type: str | None = None, *, active_only: bool = True
    ) -> list[FailureMode]:
        """Failure modes, those of ``task_type`` plus the ones for every task type
        (a task type with a NUL has none of its own)."""
        stmt = select(modes_t).order_by(modes_t.c.id)
        if has_nul(task_type):
            stmt = stmt.where(modes_t.c.task_type.is_(None))
        elif task_type is not None:
            stmt = stmt.where((modes_t.c.task_type == task_type) | modes_t.c.task_type.is_(None))
        if active_only:
            stmt = stmt.where(modes_t.c.status == ModeStatus.ACTIVE.value)
        with self.engine.connect() as conn:
            return [_mode(row) for row in conn.execute(stmt)]

    def failure_mode(self, mode_id: str) -> FailureMode | None:
        """The failure mode ``mode_id``, if there is one."""
        if has_nul(mode_id):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(modes_t).where(modes_t.c.id == mode_id)).first()
        return _mode(row) if row else None

    def add_failure_mode(self, mode: FailureMode, *, actor: str) -> FailureMode:
        """Create a failure mode (audited). An existing id is left as it is. A NUL in
        the id, task type or ``actor`` raises :class:`~triage.errors.InvalidInput`
        (nothing is written); one in the title, description or what to look for is
        stored as ``␀``."""
        refuse_nul(mode.id, "failure mode id")
        if mode.task_type is not None:
            refuse_nul(mode.task_type, "task type")
        refuse_nul(actor, "reviewer name")
        title = visible_nul(mode.title)
        stamp = now()
        try:
            with writing(self.engine) as conn:
                conn.execute(
                    insert(modes_t).values(
                        id=mode.id,
                        task_type=mode.task_type,
                        title=title,
                        description=visible_nul(mode.description),
                        look_for=visible_nul(mode.look_for),
                        status=ModeStatus(mode.status).value,
                        created_by=actor,
                        created_at=stamp,
                        updated_at=stamp,
                    )
                )
                audit.append(
                    conn,
                    actor=actor,
                    action="failure_mode.create",
                    subject=mode.id,
                    payload={"title": title, "task_type": mode.task_type},
                    at=stamp,
                    row=("failure_mode", mode.id),
                )
        except IntegrityError:
            pass
        found = self.failure_mode(mode.id)
        assert found is not None
        return found


def _row_values(
    *,
    key: str,
    item_pk: int,
    reviewer: str,
    outcome: Outcome,
    note: str,
    checklist: dict[str, Any] | None,
    seconds: float,
    lane: Lane | str | None,
    rules_version: str | None,
    decision_pk: int | None,
    supersedes: int | None,
    recorded_at: datetime,
) -> dict[str, Any]:
    """The verdict row to insert (``note`` already made NUL-free by the caller)."""
    return {
        "key": key,
        "item_pk": item_pk,
        "reviewer": reviewer,
        "outcome": outcome.value,
        "note": note,
        "checklist": visible_nul_json(checklist or {}),
        "seconds": round(float(seconds), 1),
        "lane": Lane(lane).value if lane else None,
        "rules_version": rules_version,
        "decision_pk": decision_pk,
        "supersedes": supersedes,
        "recorded_at": recorded_at,
    }


@dataclass(frozen=True, slots=True)
class _Write:
    """A verdict row to write, its failure modes and what its audit entry says."""

    values: dict[str, Any]
    modes: tuple[str, ...]
    subject: str
    extra: dict[str, Any] | None = None
    """Added to the audit entry's payload."""


def _write_verdicts(conn: Connection, writes: Sequence[_Write], *, at: datetime) -> list[int]:
    """Insert verdict rows, their failure-mode links and their audit entries (dated
    ``at``, the moment they are written) in the caller's transaction; returns their
    pks in order. Each entry carries its row's content hash as read back in this
    transaction. The items' ``verdict`` column is left to :func:`_refresh_in_force`."""
    pks = bulk.insert_with_keys(conn, verdicts_t, [w.values for w in writes])
    links = [
        {"verdict_pk": pk, "mode_id": m}
        for pk, w in zip(pks, writes, strict=True)
        for m in dict.fromkeys(w.modes)
    ]
    if links:
        conn.execute(insert(verdict_modes_t), links)
    hashes = _verdict_hashes(conn, pks)
    entries = [
        audit.Entry(
            actor=w.values["reviewer"],
            action="verdict.undo" if w.values["outcome"] == UNDO else "verdict.record",
            subject=w.subject,
            payload={
                "verdict": pk,
                "outcome": w.values["outcome"],
                "modes": list(w.modes),
                "note": w.values["note"],
                "supersedes": w.values["supersedes"],
                "rules_version": w.values["rules_version"],
                **(w.extra or {}),
            },
            at=at,
            row=("verdict", pk),
            row_hash=hashes[pk],
        )
        for pk, w in zip(pks, writes, strict=True)
    ]
    audit.append_many(conn, entries)
    return pks


def _verdict_hashes(conn: Connection, pks: Sequence[int]) -> dict[int, str]:
    """The content hash of each verdict row of ``pks``, as stored in this transaction."""
    out: dict[int, str] = {}
    for start in range(0, len(pks), 900):
        chunk = list(pks[start : start + 900])
        modes: dict[int, list[str]] = {}
        links = select(verdict_modes_t.c.verdict_pk, verdict_modes_t.c.mode_id).where(
            verdict_modes_t.c.verdict_pk.in_(chunk)
        )
        for verdict_pk, mode_id in conn.execute(links):
            modes.setdefault(verdict_pk, []).append(mode_id)
        for row in conn.execute(select(verdicts_t).where(verdicts_t.c.pk.in_(chunk))):
            out[row.pk] = verdict_hash(row, modes.get(row.pk, []))
    return out


def _refresh_in_force(conn: Connection, item_pks: Sequence[int]) -> None:
    """Point each item's ``verdict`` column at the outcome of its verdict in force."""
    outcome = (
        _in_force()
        .where(verdicts_t.c.item_pk == items_t.c.pk)
        .with_only_columns(verdicts_t.c.outcome)
        .scalar_subquery()
    )
    for start in range(0, len(item_pks), 900):
        chunk = list(item_pks[start : start + 900])
        conn.execute(update(items_t).where(items_t.c.pk.in_(chunk)).values(verdict=outcome))


class _Recorded(Exception):
    """Inside :meth:`Reviews.record`: this key is already stored (nothing to write).
    Control flow out of the write transaction only; it never leaves this module."""


def _stored_keys(conn: Connection, keys: Sequence[str]) -> set[str]:
    wanted = sorted({k for k in keys if not has_nul(k)})
    found: set[str] = set()
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        found.update(
            conn.execute(select(verdicts_t.c.key).where(verdicts_t.c.key.in_(chunk))).scalars()
        )
    return found


def _record_of(pk: int, values: dict[str, Any], modes: Sequence[str]) -> VerdictRecord:
    """The record of a row just written from ``values`` (no need to read it back)."""
    return VerdictRecord(
        pk=pk,
        key=values["key"],
        item_pk=values["item_pk"],
        reviewer=values["reviewer"],
        outcome=Outcome(values["outcome"]),
        modes=tuple(sorted(dict.fromkeys(modes))),
        note=values["note"],
        seconds=values["seconds"],
        lane=Lane(values["lane"]) if values["lane"] else None,
        rules_version=values["rules_version"],
        recorded_at=utc(values["recorded_at"]),
        supersedes=values["supersedes"],
    )


def _check_expected(conn: Connection, item_pk: int, expect: int | None, ref: str) -> None:
    """Raise :class:`ReviewedMeanwhile` unless the verdict in force is ``expect``."""
    row = conn.execute(_in_force().where(verdicts_t.c.item_pk == item_pk)).first()
    if (row.pk if row is not None else None) == expect:
        return
    if row is None:
        message = f"{ref} was reviewed meanwhile: its verdict was undone, so none is in force"
        raise ReviewedMeanwhile(message + "; nothing was recorded", current=None)
    current = _record(conn, row)
    when = current.recorded_at.strftime("%Y-%m-%d %H:%M UTC")
    raise ReviewedMeanwhile(
        f"{ref} was reviewed meanwhile: {current.outcome} by {current.reviewer} at {when} "
        f"(verdict {current.pk}); nothing was recorded",
        current=current,
    )


def _in_force() -> Any:
    """Verdict rows in force: per item, the newest row that is neither an undo nor undone."""
    undo = aliased(verdicts_t)
    newer = aliased(verdicts_t)

    def undone(row: Any) -> Any:
        return exists().where(and_(undo.c.supersedes == row.c.pk, undo.c.outcome == UNDO))

    newer_valid = exists().where(
        and_(
            newer.c.item_pk == verdicts_t.c.item_pk,
            newer.c.pk > verdicts_t.c.pk,
            newer.c.outcome != UNDO,
            ~undone(newer),
        )
    )
    return select(verdicts_t).where(verdicts_t.c.outcome != UNDO, ~undone(verdicts_t), ~newer_valid)


def _record(conn: Connection, row: Any) -> VerdictRecord:
    modes = conn.execute(
        select(verdict_modes_t.c.mode_id)
        .where(verdict_modes_t.c.verdict_pk == row.pk)
        .order_by(verdict_modes_t.c.mode_id)
    ).scalars()
    return VerdictRecord(
        pk=row.pk,
        key=row.key,
        item_pk=row.item_pk,
        reviewer=row.reviewer,
        outcome=Outcome(row.outcome),
        modes=tuple(modes),
        note=row.note,
        seconds=row.seconds,
        lane=Lane(row.lane) if row.lane else None,
        rules_version=row.rules_version,
        recorded_at=utc(row.recorded_at),
        supersedes=row.supersedes,
    )


def _mode(row: Any) -> FailureMode:
    return FailureMode(
        id=row.id,
        title=row.title,
        task_type=row.task_type,
        description=row.description,
        look_for=row.look_for,
        status=ModeStatus(row.status),
    )
