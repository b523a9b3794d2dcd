"""Queue queries: which items wait in which lane, in what order, and how far along.

Order everywhere: most severe lane first, then highest risk, then newest. The
``(lane, risk, pk)`` index serves it; the verdict in force is cached on the item
row, so "open items only" needs no join. A filter naming an agent or task type
with a NUL character matches nothing (no stored name has one).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, and_, case, false, func, or_, select

from triage.core.models import (
    DONE,
    Lane,
    Outcome,
    QueueEntry,
    QueueFilter,
    QueueKey,
    lead_reason,
)
from triage.storage.convert import reason_from_json, utc
from triage.storage.nul import has_nul
from triage.storage.tables import decisions_t, items_t

__all__ = ["DONE", "QueueEntry", "QueueFilter", "QueueKey"]


_SEVERITY = case((items_t.c.lane == "deep", 2), (items_t.c.lane == "scan", 1), else_=0)
_ORDER = (_SEVERITY.desc(), items_t.c.risk.desc(), items_t.c.pk.desc())
_ROW_COLUMNS = (
    items_t.c.pk, items_t.c.source, items_t.c.item_id, items_t.c.created_at, items_t.c.agent,
    items_t.c.task_type, items_t.c.lane, items_t.c.risk, items_t.c.verdict,
    decisions_t.c.reasons, decisions_t.c.audit_sample,
)  # fmt: skip


def _clauses(where: QueueFilter, *, with_lane: bool = True) -> list[Any]:
    clauses: list[Any] = [items_t.c.lane.is_not(None)]
    if with_lane and where.lane is not None:
        clauses.append(items_t.c.lane == where.lane.value)
    if where.day is not None:
        start = datetime.combine(where.day, time(0), tzinfo=UTC)
        clauses.append(items_t.c.created_at >= start)
        clauses.append(items_t.c.created_at < start + timedelta(days=1))
    if has_nul(where.agent) or has_nul(where.task_type):
        # No stored name has a NUL, and PostgreSQL cannot even compare one: nothing.
        clauses.append(false())
    else:
        if where.agent is not None:
            clauses.append(items_t.c.agent == where.agent)
        if where.task_type is not None:
            clauses.append(items_t.c.task_type == where.task_type)
    if where.open_only:
        clauses.append(or_(items_t.c.verdict.is_(None), items_t.c.verdict.not_in(DONE)))
    return clauses


def entries(
    engine: Engine,
    where: QueueFilter,
    *,
    after: tuple[float, int] | None = None,
    limit: int = 200,
) -> list[QueueEntry]:
    """A page of the queue. ``after`` is the (risk, pk) of the last row seen: keyset
    paging, valid within one lane."""
    if after is not None and where.lane is None:
        raise ValueError("keyset paging needs a lane")
    stmt = select(*_ROW_COLUMNS).join(decisions_t, decisions_t.c.pk == items_t.c.decision_pk)
    stmt = stmt.where(*_clauses(where))
    if after is not None:
        risk, pk = after
        stmt = stmt.where(
            or_(items_t.c.risk < risk, and_(items_t.c.risk == risk, items_t.c.pk < pk))
        )
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(*_ORDER).limit(limit)).all()
    return [_entry(row) for row in rows]


def keys(engine: Engine, where: QueueFilter) -> list[QueueKey]:
    """Every queued item matching ``where``, in queue order (an index scan of three
    small columns: fast enough to hold 100,000 of them)."""
    stmt = select(items_t.c.pk, items_t.c.lane, items_t.c.risk).where(*_clauses(where))
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(*_ORDER)).all()
    return [QueueKey(pk, Lane(lane), risk) for pk, lane, risk in rows]


def rows(engine: Engine, pks: Sequence[int]) -> dict[int, QueueEntry]:
    """Queue rows for the given items, by primary key."""
    out: dict[int, QueueEntry] = {}
    stmt = select(*_ROW_COLUMNS).join(decisions_t, decisions_t.c.pk == items_t.c.decision_pk)
    with engine.connect() as conn:
        for start in range(0, len(pks), 900):
            chunk = list(pks[start : start + 900])
            for row in conn.execute(stmt.where(items_t.c.pk.in_(chunk))):
                out[row.pk] = _entry(row)
    return out


def search_texts(engine: Engine, where: QueueFilter, head: int = 240) -> list[tuple[QueueKey, str]]:
    """For each queued item matching ``where``: its key and a short text to search."""
    stmt = select(
        items_t.c.pk, items_t.c.lane, items_t.c.risk, items_t.c.item_id, items_t.c.agent,
        items_t.c.task_type, func.substr(items_t.c.input, 1, head),
        func.substr(items_t.c.output, 1, head),
    ).where(*_clauses(where))  # fmt: skip
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(*_ORDER)).all()
    return [
        (QueueKey(pk, Lane(lane), risk), " ".join((item_id, agent, task, inp or "", out or "")))
        for pk, lane, risk, item_id, agent, task, inp, out in rows
    ]


def summary(engine: Engine, where: QueueFilter) -> dict[Lane, tuple[int, int]]:
    """(items, reviewed) per lane for ``where`` (its lane and open_only are ignored)."""
    unfiltered = QueueFilter(day=where.day, agent=where.agent, task_type=where.task_type)
    done = func.sum(case((items_t.c.verdict.in_(DONE), 1), else_=0))
    stmt = (
        select(items_t.c.lane, func.count(), done)
        .where(*_clauses(unfiltered, with_lane=False))
        .group_by(items_t.c.lane)
    )
    out = {lane: (0, 0) for lane in Lane}
    with engine.connect() as conn:
        for lane, total, reviewed in conn.execute(stmt):
            out[Lane(lane)] = (int(total), int(reviewed or 0))
    return out


def facets(engine: Engine) -> tuple[list[str], list[str]]:
    """The agents and task types present, for filter pickers."""
    with engine.connect() as conn:
        agents = conn.execute(select(items_t.c.agent).distinct().order_by(items_t.c.agent))
        types = conn.execute(select(items_t.c.task_type).distinct().order_by(items_t.c.task_type))
        return list(agents.scalars()), list(types.scalars())


def _entry(row: Any) -> QueueEntry:
    lane = Lane(row.lane)
    reasons = (reason_from_json(r) for r in row.reasons or ())
    return QueueEntry(
        pk=row.pk,
        source=row.source,
        id=row.item_id,
        created_at=utc(row.created_at),
        agent=row.agent,
        task_type=row.task_type,
        lane=lane,
        risk=row.risk,
        reason=lead_reason(lane, reasons, row.audit_sample).why,
        audit_sample=row.audit_sample,
        verdict=Outcome(row.verdict) if row.verdict else None,
    )
