"""Read-only facts for statistics, suggestions and backtests: every triaged item,
and every ok/fail verdict in force with the lane and audit flag it was given under."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select

from triage.core.models import DONE, ItemFact, Lane, Outcome, ReasonKind, ReviewFact
from triage.storage.convert import reason_from_json, utc
from triage.storage.reviews import _in_force
from triage.storage.tables import decisions_t, items_t, verdict_modes_t


def item_facts(engine: Engine, *, since: datetime | None = None) -> list[ItemFact]:
    """Every triaged item (created at or after ``since``), with its current lane."""
    stmt = (
        select(
            items_t.c.pk, items_t.c.agent, items_t.c.task_type, items_t.c.model,
            items_t.c.created_at, items_t.c.lane, decisions_t.c.audit_sample,
        )
        .join(decisions_t, decisions_t.c.pk == items_t.c.decision_pk)
        .where(items_t.c.lane.is_not(None))
    )  # fmt: skip
    if since is not None:
        stmt = stmt.where(items_t.c.created_at >= since)
    with engine.connect() as conn:
        return [
            ItemFact(pk, agent, task, model, utc(created), Lane(lane), bool(audit))
            for pk, agent, task, model, created, lane, audit in conn.execute(stmt)
        ]


def review_facts(engine: Engine, *, since: datetime | None = None) -> list[ReviewFact]:
    """Every ok/fail verdict in force (on items created at or after ``since``)."""
    verdicts = _in_force().subquery()
    stmt = (
        select(
            verdicts.c.pk.label("verdict_pk"), verdicts.c.item_pk, verdicts.c.outcome,
            verdicts.c.lane.label("review_lane"), verdicts.c.seconds, verdicts.c.reviewer,
            verdicts.c.recorded_at, items_t.c.source, items_t.c.item_id, items_t.c.agent,
            items_t.c.task_type, items_t.c.model, items_t.c.created_at, items_t.c.lane,
            decisions_t.c.audit_sample,
        )
        .join(items_t, items_t.c.pk == verdicts.c.item_pk)
        .outerjoin(decisions_t, decisions_t.c.pk == verdicts.c.decision_pk)
        .where(verdicts.c.outcome.in_(DONE))
    )  # fmt: skip
    if since is not None:
        stmt = stmt.where(items_t.c.created_at >= since)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
        modes: dict[int, list[str]] = {}
        pks = [row.verdict_pk for row in rows]
        for start in range(0, len(pks), 900):
            chunk = pks[start : start + 900]
            query = select(verdict_modes_t.c.verdict_pk, verdict_modes_t.c.mode_id).where(
                verdict_modes_t.c.verdict_pk.in_(chunk)
            )
            for verdict_pk, mode_id in conn.execute(query):
                modes.setdefault(verdict_pk, []).append(mode_id)
    return [
        ReviewFact(
            item_pk=row.item_pk,
            ref=f"{row.source}:{row.item_id}",
            agent=row.agent,
            task_type=row.task_type,
            model=row.model,
            created_at=utc(row.created_at),
            lane=Lane(row.review_lane or row.lane),
            audit_sample=bool(row.audit_sample),
            outcome=Outcome(row.outcome),
            modes=tuple(sorted(modes.get(row.verdict_pk, ()))),
            seconds=float(row.seconds),
            reviewer=row.reviewer,
            reviewed_at=utc(row.recorded_at),
        )
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class Match:
    """A rule that matched an item in its current decision."""

    rule: str
    lane: Lane
    shadow: bool


def decision_matches(engine: Engine, *, days: int | None = None) -> list[tuple[int, list[Match]]]:
    """For each item (created in the last ``days`` days before the newest item), the
    rules (shadow rules included) its current decision matched. An escalation, an audit
    sample or the default lane in the same decision is not a rule and is left out."""
    stmt = select(items_t.c.pk, decisions_t.c.reasons).join(
        decisions_t, decisions_t.c.pk == items_t.c.decision_pk
    )
    with engine.connect() as conn:
        if days is not None:
            newest = conn.execute(select(func.max(items_t.c.created_at))).scalar()
            if newest is not None:
                stmt = stmt.where(items_t.c.created_at >= utc(newest) - timedelta(days=days))
        rows = conn.execute(stmt).all()
    return [
        (
            pk,
            [
                Match(str(reason.rule), reason.lane, reason.kind is ReasonKind.SHADOW)
                for reason in map(reason_from_json, reasons or ())
                if reason.kind in (ReasonKind.RULE, ReasonKind.SHADOW)
            ],
        )
        for pk, reasons in rows
    ]


@dataclass(frozen=True, slots=True)
class RankFact:
    """One ok/fail verdict in force with the decision in force when it was given: what
    the queue's order knew of the item (its lane, its order key ``risk``, ``p_fail``)."""

    item_pk: int
    created_at: datetime
    failed: bool
    seconds: float
    review_lane: Lane
    """The lane the verdict was given in (an audit sample's is ``scan``)."""
    audit_sample: bool
    queue_lane: Lane
    """The lane of the decision the verdict links to: where the item sat in the queue."""
    risk: float
    """That decision's order key inside its lane (higher first)."""
    p_fail: float | None
    """That decision's learned failure risk (``None``: no model was in force)."""


def rank_facts(engine: Engine, *, since: datetime | None = None) -> list[RankFact]:
    """Every ok/fail verdict in force (on items created at or after ``since``) with the
    decision it was given under; a verdict that links to no decision takes the item's
    current one."""
    verdicts = _in_force().subquery()
    given = decisions_t.alias("given")
    stmt = (
        select(
            verdicts.c.item_pk, items_t.c.created_at, verdicts.c.outcome, verdicts.c.seconds,
            verdicts.c.lane.label("review_lane"), items_t.c.lane.label("item_lane"),
            func.coalesce(given.c.audit_sample, decisions_t.c.audit_sample).label("audit"),
            func.coalesce(given.c.lane, decisions_t.c.lane).label("queue_lane"),
            func.coalesce(given.c.risk, decisions_t.c.risk).label("risk"),
            func.coalesce(given.c.p_fail, decisions_t.c.p_fail).label("p_fail"),
        )
        .join(items_t, items_t.c.pk == verdicts.c.item_pk)
        .outerjoin(given, given.c.pk == verdicts.c.decision_pk)
        .outerjoin(decisions_t, decisions_t.c.pk == items_t.c.decision_pk)
        .where(verdicts.c.outcome.in_(DONE))
        .order_by(verdicts.c.item_pk)
    )  # fmt: skip
    if since is not None:
        stmt = stmt.where(items_t.c.created_at >= since)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    out: list[RankFact] = []
    for row in rows:
        queue_lane = Lane(row.queue_lane or row.review_lane or row.item_lane)
        out.append(
            RankFact(
                item_pk=row.item_pk,
                created_at=utc(row.created_at),
                failed=row.outcome == Outcome.FAIL,
                seconds=float(row.seconds or 0.0),
                review_lane=Lane(row.review_lane or queue_lane),
                audit_sample=bool(row.audit),
                queue_lane=queue_lane,
                risk=float(row.risk or 0.0),
                p_fail=None if row.p_fail is None else float(row.p_fail),
            )
        )
    return out
