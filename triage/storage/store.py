"""The storage service: every query triage runs lives here, behind plain methods.

Callers hand in and get back domain objects (:mod:`triage.core.models`) and small
result dataclasses; no SQL leaves this package. Bulk writes use Core
``insert``/``update`` executemany, never one ORM round trip per row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, func, insert, select, update

from triage.core.models import (
    DONE,
    Decision,
    Item,
    ItemFact,
    Lane,
    Outcome,
    QueueEntry,
    QueueFilter,
    QueueKey,
    ReasonKind,
    ReviewFact,
)
from triage.core.risk import RiskModel
from triage.errors import DatabaseReadOnly, NotFound
from triage.storage import analytics, audit, bulk, queue, risk_models
from triage.storage.convert import (
    Prepared,
    decision_from_row,
    decision_row_values,
    item_content,
    item_from_row,
    item_row_values,
    now,
    prepare,
    reason_from_json,
    utc,
)
from triage.storage.engine import make_engine, migrate, read_only_reason, writing
from triage.storage.failures import where_of
from triage.storage.nul import has_nul
from triage.storage.tables import (
    decisions_t,
    items_t,
    revisions_t,
    rulesets_t,
    verdicts_t,
)


@dataclass(frozen=True)
class WriteResult:
    """What storing one batch of items did. ``changed`` are the stored items that
    are new or have new content, with their primary keys: they need triage."""

    new: int
    updated: int
    unchanged: int
    changed: list[tuple[int, Item]]


@dataclass(frozen=True)
class HistoryRow:
    """What novelty and model history need of a past item."""

    pk: int
    ref: str
    agent: str
    task_type: str
    model: str
    created_at: datetime
    input_head: str


class Store:
    """All reads and writes of one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.read_only = False
        """Set by :meth:`open` when the database can be read but not written."""

    @classmethod
    def open(cls, url: str, *, setting: str | None = None, write: bool = False) -> Store:
        """Connect to ``url`` and bring its schema up to date. ``setting`` names where
        the URL came from (``TRIAGE_DB``…), for messages. A database that can only be
        read opens with :attr:`read_only` set (its writes raise ``DatabaseReadOnly``);
        with ``write``, such a database is refused at once instead. Failures are the
        error family's storage errors (see :mod:`triage.storage.failures`)."""
        engine = make_engine(url, setting=setting)
        try:
            migrate(engine)
            reason = read_only_reason(engine)
            if reason is not None and write:
                raise DatabaseReadOnly(
                    f"{where_of(engine)}: the database is read-only ({reason}), so this "
                    "command cannot record anything; make it writable (or connect as a "
                    "user who may write), or use a command that only reads"
                )
            if reason is None:
                audit.seal_new(engine)  # a new database's audit log is sealed at once
        except BaseException:
            engine.dispose()
            raise
        store = cls(engine)
        store.read_only = reason is not None
        return store

    def close(self) -> None:
        """Release the database's connections."""
        self.engine.dispose()

    # -- items -----------------------------------------------------------------

    def write_items(self, items: Sequence[Item]) -> WriteResult:
        """Store a batch: new ids inserted, changed content recorded as an update
        (the old version kept in ``item_revision``), unchanged ones left alone."""
        if not items:
            return WriteResult(0, 0, 0, [])
        latest: dict[tuple[str, str], Item] = {}
        for item in items:  # within one batch the last record for an id wins
            latest[item.key] = item
        by_source: dict[str, list[Prepared]] = {}
        for item in latest.values():
            by_source.setdefault(item.source, []).append(prepare(item))
        stamp = now()
        new = updated = 0
        unchanged = len(items) - len(latest)
        changed: list[tuple[int, Item]] = []
        with writing(self.engine) as conn:
            for source, prepared in by_source.items():
                existing = bulk.lookup(conn, source, [p.item.id for p in prepared])
                fresh: list[Prepared] = []
                for p in prepared:
                    old = existing.get(p.item.id)
                    if old is None:
                        fresh.append(p)
                    elif old.content_hash == p.digest:
                        unchanged += 1
                    else:
                        self._record_update(conn, old, p, stamp)
                        changed.append((old.pk, p.item))
                        updated += 1
                if fresh:
                    pks = bulk.insert_items(conn, fresh, stamp)
                    changed.extend(zip(pks, (p.item for p in fresh), strict=True))
                    new += len(fresh)
        return WriteResult(new, updated, unchanged, changed)

    def _record_update(self, conn: Any, old: bulk.Existing, p: Prepared, at: datetime) -> None:
        old_row = conn.execute(select(items_t).where(items_t.c.pk == old.pk)).one()
        conn.execute(
            insert(revisions_t).values(
                item_pk=old.pk,
                revision=old.revision,
                content_hash=old.content_hash,
                content=item_content(item_from_row(old_row)),
                replaced_at=at,
            )
        )
        values = item_row_values(p)
        values.update(revision=old.revision + 1, updated_at=at)
        conn.execute(update(items_t).where(items_t.c.pk == old.pk).values(**values))

    def item(self, ref: str) -> tuple[int, Item] | None:
        """The item named by ``ref``: ``id`` or ``source:id``. An id shared by several
        sources raises :class:`~triage.errors.NotFound` listing them. A ref with a NUL
        character names nothing (no stored id or source has one), so it finds ``None``."""
        if has_nul(ref):
            return None
        with self.engine.connect() as conn:
            rows = conn.execute(select(items_t).where(items_t.c.item_id == ref)).all()
            if not rows and ":" in ref:
                source, _, item_id = ref.partition(":")
                rows = conn.execute(
                    select(items_t).where(items_t.c.source == source, items_t.c.item_id == item_id)
                ).all()
        if len(rows) > 1:
            names = ", ".join(f"{r.source}:{r.item_id}" for r in rows)
            raise NotFound(f"{ref!r} is ambiguous; name one of: {names}")
        return (rows[0].pk, item_from_row(rows[0])) if rows else None

    def items_by_pk(self, pks: Sequence[int]) -> dict[int, Item]:
        out: dict[int, Item] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(pks), 5000):
                stmt = select(items_t).where(items_t.c.pk.in_(pks[start : start + 5000]))
                for row in conn.execute(stmt):
                    out[row.pk] = item_from_row(row)
        return out

    def iter_items(self, batch: int = 2000) -> Iterator[list[tuple[int, Item]]]:
        """Every stored item, in primary-key order, a batch at a time (keyset paged)."""
        last = 0
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(items_t).where(items_t.c.pk > last).order_by(items_t.c.pk).limit(batch)
                ).all()
            if not rows:
                return
            last = rows[-1].pk
            yield [(row.pk, item_from_row(row)) for row in rows]

    def history(self, head_chars: int = 2000) -> Iterator[HistoryRow]:
        """Every item's group, model, time and the head of its input, for novelty."""
        cols = (
            items_t.c.pk,
            items_t.c.source,
            items_t.c.item_id,
            items_t.c.agent,
            items_t.c.task_type,
            items_t.c.model,
            items_t.c.created_at,
            func.substr(items_t.c.input, 1, head_chars).label("head"),
        )
        with self.engine.connect() as conn:
            for row in conn.execute(select(*cols)).yield_per(5000):
                yield HistoryRow(
                    pk=row.pk,
                    ref=f"{row.source}:{row.item_id}",
                    agent=row.agent,
                    task_type=row.task_type,
                    model=row.model,
                    created_at=utc(row.created_at),
                    input_head=row.head or "",
                )

    def count_items(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(items_t)).scalar_one())

    def count_untriaged(self) -> int:
        """How many stored items have no decision yet, so no lane and no place in the
        queue (an index count: cheap at any size)."""
        with self.engine.connect() as conn:
            stmt = select(func.count()).select_from(items_t).where(items_t.c.lane.is_(None))
            return int(conn.execute(stmt).scalar_one())

    def untriaged(self, batch: int = 2000) -> Iterator[list[tuple[int, Item]]]:
        """Every stored item without a decision, in primary-key order, a batch at a
        time: their keys come from one scan of the queue index, then the items are
        loaded a batch at a time (so a backlog of a million costs one key list)."""
        with self.engine.connect() as conn:
            stmt = select(items_t.c.pk).where(items_t.c.lane.is_(None)).order_by(items_t.c.pk)
            pks = list(conn.execute(stmt).scalars())
        for start in range(0, len(pks), batch):
            chunk = pks[start : start + batch]
            found = self.items_by_pk(chunk)
            yield [(pk, found[pk]) for pk in chunk if pk in found]

    # -- decisions ---------------------------------------------------------------

    def record_decisions(self, decisions: Sequence[tuple[int, Decision]]) -> None:
        """Add a decision for each item and point the item's queue columns at it."""
        if not decisions:
            return
        stamp = now()
        rows = [decision_row_values(pk, d, stamp) for pk, d in decisions]
        with writing(self.engine) as conn:
            dpks = bulk.insert_with_keys(conn, decisions_t, rows)
            pointers = [
                {"b_pk": pk, "b_lane": d.lane.value, "b_risk": d.risk, "b_decision": dpk}
                for (pk, d), dpk in zip(decisions, dpks, strict=True)
            ]
            conn.execute(
                update(items_t)
                .where(items_t.c.pk == bindparam("b_pk"))
                .values(
                    lane=bindparam("b_lane"),
                    risk=bindparam("b_risk"),
                    decision_pk=bindparam("b_decision"),
                ),
                pointers,
            )

    def escalate(self, item_pk: int, current: Decision, *, reviewer: str, note: str) -> None:
        """Lift an item to ``deep`` with a new decision saying who escalated it and why
        (see :meth:`Decision.escalate`)."""
        self.record_decisions([(item_pk, current.escalate(reviewer=reviewer, note=note))])

    def decision(self, item_pk: int) -> Decision | None:
        """The item's current decision."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(decisions_t)
                .join(items_t, items_t.c.decision_pk == decisions_t.c.pk)
                .where(items_t.c.pk == item_pk)
            ).first()
        return decision_from_row(row) if row else None

    def current_decisions(self, pks: Sequence[int]) -> dict[int, Decision]:
        """The current decision of each item of ``pks`` that has one, in one read per
        few thousand items."""
        out: dict[int, Decision] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(pks), 5000):
                stmt = (
                    select(items_t.c.pk.label("item_key"), decisions_t)
                    .join(decisions_t, decisions_t.c.pk == items_t.c.decision_pk)
                    .where(items_t.c.pk.in_(pks[start : start + 5000]))
                )
                for row in conn.execute(stmt):
                    out[row.item_key] = decision_from_row(row)
        return out

    def verdict_outcomes(self) -> list[tuple[int, int, Outcome, datetime]]:
        """(verdict pk, item pk, outcome, recorded) of every ok/fail verdict in force
        (per item, the newest verdict that is neither an undo nor undone), read in one
        scan and resolved here: linear in the verdicts, where the correlated query of
        the reviews grows with their square."""
        cols = (
            verdicts_t.c.pk,
            verdicts_t.c.item_pk,
            verdicts_t.c.outcome,
            verdicts_t.c.supersedes,
            verdicts_t.c.recorded_at,
        )
        with self.engine.connect() as conn:
            rows = conn.execute(select(*cols).order_by(verdicts_t.c.pk)).all()
        undone = {row.supersedes for row in rows if row.outcome == Outcome.UNDO}
        newest: dict[int, Any] = {}
        for row in rows:  # in pk order, so the last valid row of an item wins
            if row.outcome != Outcome.UNDO and row.pk not in undone:
                newest[row.item_pk] = row
        done = {outcome.value for outcome in DONE}
        return [
            (row.pk, row.item_pk, Outcome(row.outcome), utc(row.recorded_at))
            for row in newest.values()
            if row.outcome in done
        ]

    def item_groups(self) -> list[tuple[str, str, str, datetime]]:
        """(agent, task type, model, created) of every stored item: what the history
        counts and the model-switch signal need, without reading any text."""
        cols = (items_t.c.agent, items_t.c.task_type, items_t.c.model, items_t.c.created_at)
        with self.engine.connect() as conn:
            return [(a, t, m, utc(c)) for a, t, m, c in conn.execute(select(*cols))]

    def expected_failures_by_agent(self, *, since: datetime) -> dict[str, float]:
        """The sum of ``p_fail`` per agent over the items created at or after ``since``
        whose current decision has one: the failures each agent is expected to make."""
        stmt = (
            select(items_t.c.agent, func.sum(decisions_t.c.p_fail))
            .join(decisions_t, decisions_t.c.pk == items_t.c.decision_pk)
            .where(decisions_t.c.p_fail.is_not(None), items_t.c.created_at >= since)
            .group_by(items_t.c.agent)
        )
        with self.engine.connect() as conn:
            return {str(agent): float(total or 0.0) for agent, total in conn.execute(stmt)}

    def newest_item_at(self) -> datetime | None:
        """When the newest stored item was created (``None`` with no items)."""
        with self.engine.connect() as conn:
            newest = conn.execute(select(func.max(items_t.c.created_at))).scalar()
        return None if newest is None else utc(newest)

    def recent_risk(self, days: int = 7) -> list[tuple[float, bool]]:
        """For the items created in the last ``days`` days before the newest item whose
        current decision has a ``p_fail``: that ``p_fail``, and whether a rule (not the
        budget, an escalation or a shadow rule) sent the item to ``deep``."""
        stmt = (
            select(decisions_t.c.p_fail, decisions_t.c.reasons)
            .join(items_t, items_t.c.decision_pk == decisions_t.c.pk)
            .where(decisions_t.c.p_fail.is_not(None))
        )
        with self.engine.connect() as conn:
            newest = conn.execute(select(func.max(items_t.c.created_at))).scalar()
            if newest is None:
                return []
            stmt = stmt.where(items_t.c.created_at >= utc(newest) - timedelta(days=days))
            rows = conn.execute(stmt).all()
        out: list[tuple[float, bool]] = []
        for p_fail, reasons in rows:
            deep = False
            for data in reasons or ():
                reason = reason_from_json(data)
                if reason.kind is ReasonKind.RULE and reason.lane is Lane.DEEP:
                    deep = True
                    break
            out.append((float(p_fail), deep))
        return out

    def decision_count(self, item_pk: int) -> int:
        """How many decisions the item has had (re-triage keeps them all)."""
        with self.engine.connect() as conn:
            stmt = select(func.count()).where(decisions_t.c.item_pk == item_pk)
            return int(conn.execute(stmt).scalar_one())

    def decision_history(self, item_pk: int) -> list[tuple[datetime, Decision]]:
        """Every decision the item has had, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(decisions_t)
                .where(decisions_t.c.item_pk == item_pk)
                .order_by(decisions_t.c.pk)
            ).all()
        return [(utc(r.decided_at), decision_from_row(r)) for r in rows]

    def queue(
        self,
        *,
        lane: Lane | None = None,
        day: date | None = None,
        after: tuple[float, int] | None = None,
        limit: int = 200,
        where: QueueFilter | None = None,
    ) -> list[QueueEntry]:
        """A page of triaged items, most severe lane first, highest risk first.
        ``after`` is the (risk, pk) of the last row seen: keyset paging within a lane."""
        where = where or QueueFilter(lane=lane, day=day)
        return queue.entries(self.engine, where, after=after, limit=limit)

    def queue_keys(self, where: QueueFilter) -> list[QueueKey]:
        return queue.keys(self.engine, where)

    def queue_rows(self, pks: Sequence[int]) -> dict[int, QueueEntry]:
        return queue.rows(self.engine, pks)

    def item_facts(self, since: datetime | None = None) -> list[ItemFact]:
        return analytics.item_facts(self.engine, since=since)

    def review_facts(self, since: datetime | None = None) -> list[ReviewFact]:
        return analytics.review_facts(self.engine, since=since)

    def decision_matches(self, days: int | None = None) -> list[tuple[int, list[analytics.Match]]]:
        return analytics.decision_matches(self.engine, days=days)

    def facets(self) -> tuple[list[str], list[str]]:
        """The agents and task types present."""
        return queue.facets(self.engine)

    def search_texts(self, where: QueueFilter) -> list[tuple[QueueKey, str]]:
        return queue.search_texts(self.engine, where)

    def queue_summary(self, where: QueueFilter) -> dict[Lane, tuple[int, int]]:
        return queue.summary(self.engine, where)

    def lane_counts(self, day: date | None = None) -> dict[Lane, int]:
        """Items per lane (on ``day``, if given)."""
        return {lane: n for lane, (n, _) in self.queue_summary(QueueFilter(day=day)).items()}

    # -- rule sets ---------------------------------------------------------------

    def remember_ruleset(
        self, version: str, commit: str | None, origin: str, files: dict[str, str]
    ) -> None:
        """Keep a rule set that loaded cleanly (and note when it was last in force)."""
        stamp = now()
        with writing(self.engine) as conn:
            bumped = conn.execute(
                update(rulesets_t)
                .where(rulesets_t.c.version == version)
                .values(last_loaded_at=stamp, commit=commit, origin=origin)
            )
            if bumped.rowcount == 0:
                conn.execute(
                    insert(rulesets_t).values(
                        version=version,
                        commit=commit,
                        origin=origin,
                        files=files,
                        first_loaded_at=stamp,
                        last_loaded_at=stamp,
                    )
                )

    def last_good_ruleset(self) -> tuple[str, str | None, str, dict[str, str], datetime] | None:
        """(version, commit, origin, files, last loaded) of the newest clean rule set."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(rulesets_t).order_by(rulesets_t.c.last_loaded_at.desc()).limit(1)
            ).first()
        if row is None:
            return None
        return row.version, row.commit, row.origin, dict(row.files), utc(row.last_loaded_at)

    # -- risk models -------------------------------------------------------------

    def save_risk_model(self, model: RiskModel, *, actor: str) -> None:
        """Keep a fitted risk model (the newest from now on), audited as ``risk.fit``."""
        risk_models.save(self.engine, model, actor=actor)

    def risk_model(self) -> RiskModel | None:
        """The risk model fitted last (``None`` before any)."""
        return risk_models.newest(self.engine)

    def risk_models(self) -> list[tuple[str, datetime, int, int]]:
        """(version, fitted at, verdicts, failures) of every kept model, newest first."""
        return risk_models.listing(self.engine)

    # -- audit -------------------------------------------------------------------

    def verify_audit(self) -> audit.AuditCheck:
        with self.engine.connect() as conn:
            return audit.verify(conn)
