"""The one object the CLI and the reviewer app talk to.

``Workspace`` owns a :class:`~triage.storage.store.Store` and the configuration,
keeps the rules in force (falling back to the last good rule set when the
folder is broken), and runs the loop's steps: pull, triage, explain, verdict.
Everything else the faces need is reached from it, never around it: the queue's
keys and counts, ``failure_model`` (reading, creating and editing modes),
``learning`` (statistics, suggestions, backtests, rule changes), ``push`` and
``verify_audit``. The faces never touch ``store`` or ``reviews`` themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.config import Config
from triage.core.models import (
    Decision,
    FailureMode,
    Item,
    Lane,
    Outcome,
    QueueEntry,
    QueueFilter,
    QueueKey,
    VerdictRecord,
)
from triage.core.novelty import NoveltyIndex
from triage.core.risk import RiskModel, RiskThresholds, thresholds_for
from triage.errors import DatabaseReadOnly, InvalidInput, NotFound, Refused, SourceError
from triage.rules import RulesError, RuleSet, load_rules, rules_from_files
from triage.rules.in_force import RulesInForce as RulesInForce
from triage.rules.triager import History
from triage.service import pulling
from triage.service.pulling import Progress as Progress
from triage.service.pulling import PullReport as PullReport
from triage.service.pulling import paused_gc as paused_gc
from triage.storage.nul import refuse_nul, refuse_nul_in, visible_nul
from triage.storage.reviews import UNCHECKED as UNCHECKED
from triage.storage.reviews import Expect as Expect
from triage.storage.reviews import Reviews
from triage.storage.store import Store

if TYPE_CHECKING:
    from triage.learn.quality import Quality
    from triage.service.audit import AuditCheck
    from triage.service.failure_model import FailureModel
    from triage.service.learning import Learning
    from triage.service.verdict_import import ImportReport
    from triage.service.writeback import PushReport


BUDGET_DAYS = 7
"""The attention budget's thresholds are set on the items of this many recent days."""


def shipped_rules_dir() -> Path:
    """The starting rule set that ships with triage."""
    package = Path(__file__).resolve().parent.parent  # triage/
    for candidate in (package / "_shipped_rules", package.parent / "rules"):
        if candidate.is_dir() and any(candidate.glob("*.toml")):
            return candidate
    raise NotFound("the shipped rules are missing from this installation")


@dataclass(frozen=True)
class Explanation:
    """Everything ``triage explain`` shows about one item."""

    pk: int
    item: Item
    decision: Decision
    nearest: Item | None
    nearest_verdict: VerdictRecord | None
    verdict: VerdictRecord | None
    decisions: int
    """How many decisions the item has had (re-triage keeps history)."""


class NotALead(Refused):
    """Only leads change rules and retire failure modes."""


class Workspace:
    """A database plus configuration: the service behind every command and screen."""

    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.reviews = Reviews(store.engine)
        self.config = config
        self._rules: RulesInForce | None = None
        self._risk: tuple[RiskModel | None] | None = None
        """The newest risk model, once read (a one-tuple, so ``None`` can be cached)."""

    @classmethod
    def open(cls, config: Config, *, write: bool = False) -> Workspace:
        """The workspace of ``config``'s database (see :meth:`Store.open`: a database
        that can only be read opens for reading; with ``write`` it is refused at once,
        as :class:`~triage.errors.DatabaseReadOnly`)."""
        url = config.resolved_database_url()
        return cls(Store.open(url, setting=config.database_setting, write=write), config)

    @property
    def read_only(self) -> bool:
        """Can the database only be read (verdicts and pulls would be refused)?"""
        return self.store.read_only

    def close(self) -> None:
        """Release the database."""
        self.store.close()

    def require_lead(self, person: str, doing: str) -> None:
        """Refuse ``doing`` unless ``person`` is a lead (see ``[roles]`` in triage.toml)."""
        if not self.config.is_lead(person):
            leads = ", ".join(self.config.leads)
            raise NotALead(
                f"{person} is not a lead, and only leads may {doing} (leads: {leads}; "
                "set [roles] leads in triage.toml)"
            )

    @cached_property
    def failure_model(self) -> FailureModel:
        """The failure modes: reading, creating (one path, one set of checks), editing,
        retiring, evidence and the markdown export."""
        from triage.service.failure_model import FailureModel

        return FailureModel(self)

    @cached_property
    def learning(self) -> Learning:
        """The learning loop: statistics, rule records, suggestions, backtests and a
        lead's rule changes."""
        from triage.service.learning import Learning

        return Learning(self)

    def quality(self, *, period: str = "day", since: datetime | None = None) -> Quality:
        """How well triage finds failures (see :mod:`triage.learn.quality`): failures
        per reviewer hour, deep's share of them, the queue order's AUC, pass's escape
        rate, the calibration of ``p_fail`` and the budget planned against spent, per
        ``period`` (``day`` or ``week``) and overall, for items created since ``since``."""
        from triage.learn.quality import compute_quality
        from triage.learn.stats import PERIODS
        from triage.storage.analytics import rank_facts

        if period not in PERIODS:
            raise InvalidInput(f"unknown period {period!r} (expected day or week)")
        settings = self.rules().ruleset.settings
        return compute_quality(
            self.store.item_facts(since=since),
            rank_facts(self.store.engine, since=since),
            period=period,
            planned_deep=settings.budget_deep,
            planned_scan=settings.budget_scan,
        )

    def verify_audit(self) -> AuditCheck:
        """Check the audit log's seals and head and the rows it records."""
        return self.store.verify_audit()

    # -- rules -------------------------------------------------------------------

    def rules(self, *, reload: bool = False) -> RulesInForce:
        """The rules in force: the configured folder if it loads cleanly (it is then
        remembered as the last good set); otherwise the last good set, with the
        folder's problems; with no folder configured, the last good set or the
        shipped rules."""
        if self._rules is not None and not reload:
            return self._rules
        folder = self.config.rules_dir
        if folder is None:
            last = self.store.last_good_ruleset()
            if last is not None:
                version, commit, origin, files, _ = last
                try:
                    stored = rules_from_files(files, origin=origin, commit=commit)
                except RulesError:
                    stored = None  # stored by a version that allowed more: use the shipped
                if stored is not None:
                    self._rules = RulesInForce(stored, origin)
                    return self._rules
            folder = shipped_rules_dir()
        try:
            ruleset = load_rules(folder)
        except RulesError as exc:
            last = self.store.last_good_ruleset()
            if last is None:
                raise
            version, commit, origin, files, _ = last
            try:
                restored = rules_from_files(files, origin=origin, commit=commit)
            except RulesError:
                raise exc from None  # the last good set no longer loads either
            self._rules = RulesInForce(restored, origin, tuple(exc.problems))
            return self._rules
        try:
            self.store.remember_ruleset(ruleset.version, ruleset.commit, str(folder), ruleset.files)
        except DatabaseReadOnly:
            pass  # reading a read-only database needs no record; the next writable open keeps it
        self._rules = RulesInForce(ruleset, str(folder))
        return self._rules

    def history(self, ruleset: RuleSet) -> History:
        """Every stored item as the past, plus each task type's review record, the risk
        model in force and, when ``ruleset`` sets ``budget_deep`` or ``budget_scan``,
        the budget's ``p_fail`` thresholds over the last :data:`BUDGET_DAYS` days."""
        index = NoveltyIndex(ruleset.settings.novelty_threshold)
        history = History(novelty=index, reviews=self.reviews.task_type_counts())
        for row in self.store.history():
            created = row.created_at.timestamp()
            index.add(row.agent, row.task_type, row.ref, created, row.input_head)
            history.models.add(row.agent, row.model, created)
        history.risk = self.risk_model()
        history.thresholds = self._thresholds(ruleset) if history.risk is not None else None
        return history

    def _thresholds(self, ruleset: RuleSet) -> RiskThresholds | None:
        settings = ruleset.settings
        if settings.budget_deep is None and settings.budget_scan is None:
            return None
        return thresholds_for(
            self.store.recent_risk(BUDGET_DAYS),
            deep_share=settings.budget_deep or 0.0,
            scan_share=settings.budget_scan or 0.0,
            days=BUDGET_DAYS,
        )

    def budget_warnings(self) -> list[str]:
        """Plain sentences for when the attention budget cannot hold: the rules alone
        sent more of the last :data:`BUDGET_DAYS` days to deep than the budget plans,
        or an agent is expected (by ``p_fail``) to fail more items a day than deep has
        room for. Empty without a budget or when it holds."""
        ruleset = self.rules().ruleset
        planned = ruleset.settings.budget_deep
        if planned is None:
            return []
        newest = self.store.newest_item_at()
        if newest is None:
            return []
        since = newest - timedelta(days=BUDGET_DAYS)
        facts = self.store.item_facts(since=since)
        by_rules = sum(1 for fact in facts if fact.lane_before_sample is Lane.DEEP)
        out: list[str] = []
        share = by_rules / len(facts) if facts else 0.0
        limits = self._thresholds(ruleset) if self.risk_model() is not None else None
        if limits is not None:
            share = limits.structural_deep
        if share > planned:
            out.append(
                f"Over budget: in the last {BUDGET_DAYS} days the rules alone sent "
                f"{share:.0%} of items to deep, against {planned:.0%} planned. The budget "
                "cannot hold: narrow what the agents may do rather than read less."
            )
        expected = self.store.expected_failures_by_agent(since=since)
        capacity = planned * len(facts) / BUDGET_DAYS
        for agent, failures in sorted(expected.items(), key=lambda kv: -kv[1]):
            per_day = failures / BUDGET_DAYS
            if capacity and per_day > capacity:
                out.append(
                    f"{agent} is expected to fail {per_day:.1f} items a day, more than the "
                    f"{capacity:.1f} a day deep has room for: narrow its scope."
                )
        return out

    # -- the risk model ----------------------------------------------------------

    def risk_model(self, *, reload: bool = False) -> RiskModel | None:
        """The newest fitted risk model (read once per workspace); ``None`` before any
        is fitted, or when the newest was fitted on other features than triage derives
        now (it is then refitted, never applied)."""
        if self._risk is None or reload:
            from triage.core.risk import FEATURES_VERSION

            model = self.store.risk_model()
            if model is not None and model.features_version != FEATURES_VERSION:
                model = None
            self._risk = (model,)
        return self._risk[0]

    def fit_risk(self, actor: str) -> RiskModel:
        """Fit a risk model on the verdicts in force and keep it (audited as
        ``risk.fit``), in force for every triage from now on; decisions already stored
        keep their scores until ``triage retriage``. Too few verdicts raise
        :class:`~triage.learn.risk_fit.TooFewVerdicts`, saying how many there are."""
        from triage.learn.risk_fit import TooFewVerdicts, fit, too_few_message

        model = fit(self, self.rules().ruleset)
        if model is None:
            outcomes = [outcome for _, _, outcome, _ in self.store.verdict_outcomes()]
            failures = sum(1 for outcome in outcomes if outcome is Outcome.FAIL)
            raise TooFewVerdicts(too_few_message(len(outcomes), failures))
        self.store.save_risk_model(model, actor=actor)
        self._risk = (model,)
        return model

    def verdicts_in_force(self) -> int:
        """How many ok/fail verdicts are in force (what a risk model is fitted on)."""
        return len(self.store.verdict_outcomes())

    # -- pull and triage -----------------------------------------------------------

    def pull(
        self,
        specs: Sequence[str] = (),
        *,
        source_name: str | None = None,
        triage: bool = True,
        progress: Progress | None = None,
        since: datetime | None = None,
        fmt: str | None = None,
    ) -> PullReport:
        """Read each source (no ``specs``: every source in triage.toml), store what is
        new or changed, triage it as it lands. A bad record is reported and skipped;
        an unreadable file of a folder is reported and the rest read; a source that
        fails is reported and the others still run; everything stored before a
        failure stays stored. A configured source resumes where its last pull stopped
        (``since`` overrides that).

        With ``triage``, every stored item that still has no lane is triaged too,
        whatever source it came from: a pull killed between storing a batch and
        triaging it leaves such items, and the next pull finishes the work."""
        if not specs:
            specs = sorted(self.config.sources)
            if not specs:
                raise SourceError(
                    "nothing to pull: name a file, folder or URL, or add [sources.NAME] "
                    "tables to triage.toml"
                )
        with paused_gc():
            return pulling.pull(
                self,
                specs,
                source_name=source_name,
                triage=triage,
                progress=progress,
                since=since,
                fmt=fmt,
            )

    def retriage(self, *, progress: Progress | None = None) -> dict[Lane, int]:
        """A new decision for every stored item under the rules in force; earlier
        decisions stay as history. Returns the new lane totals."""
        with paused_gc():
            return pulling.retriage(self, progress)

    # -- reading -------------------------------------------------------------------

    def queue(
        self, *, lane: Lane | None = None, day: date | None = None, limit: int = 200
    ) -> list[QueueEntry]:
        """Triaged items with their lane and first reason, most severe first."""
        return self.store.queue(lane=lane, day=day, limit=limit)

    def queue_keys(self, where: QueueFilter) -> list[QueueKey]:
        """The ordered keys of every item ``where`` selects (for a virtual list)."""
        return self.store.queue_keys(where)

    def queue_summary(self, where: QueueFilter) -> dict[Lane, tuple[int, int]]:
        """Per lane, (items, of which open) for the filter ``where``, lane aside."""
        return self.store.queue_summary(where)

    def facets(self) -> tuple[list[str], list[str]]:
        """The agents and the task types there are items of (for filters)."""
        return self.store.facets()

    def lane_counts(self, day: date | None = None) -> dict[Lane, int]:
        """Triaged items per lane (created on ``day``, when given)."""
        return self.store.lane_counts(day=day)

    def count_untriaged(self) -> int:
        """Stored items that have no lane yet (see :attr:`PullReport.untriaged`)."""
        return self.store.count_untriaged()

    def find(self, ref: str) -> tuple[int, Item]:
        """The item ``ref`` names; :class:`~triage.errors.NotFound` with a clear message
        otherwise (also when ``ref`` is an id that several sources have)."""
        found = self.store.item(ref)
        if found is None:
            raise NotFound(f"no item {ref!r} (give its id, or source:id)")
        return found

    def explain(self, ref: str) -> Explanation:
        """Why the item ``ref`` is in its lane, with its nearest past item and the
        verdicts in force; :class:`~triage.errors.NotFound` before it is triaged."""
        pk, item = self.find(ref)
        decision = self.store.decision(pk)
        if decision is None:
            raise NotFound(f"{ref!r} has not been triaged yet; run `triage retriage`")
        nearest = nearest_verdict = None
        if decision.novelty.nearest:
            found = self.store.item(decision.novelty.nearest)
            if found is not None:
                nearest = found[1]
                nearest_verdict = self.reviews.current([found[0]]).get(found[0])
        return Explanation(
            pk=pk,
            item=item,
            decision=decision,
            nearest=nearest,
            nearest_verdict=nearest_verdict,
            verdict=self.reviews.current([pk]).get(pk),
            decisions=self.store.decision_count(pk),
        )

    # -- verdicts ------------------------------------------------------------------

    def record_verdict(
        self,
        ref: str | int,
        outcome: Outcome,
        *,
        reviewer: str,
        modes: Sequence[str] = (),
        note: str = "",
        checklist: dict[str, Any] | None = None,
        seconds: float = 0.0,
        key: str | None = None,
        expect: Expect = UNCHECKED,
    ) -> tuple[VerdictRecord, list[FailureMode]]:
        """Record a verdict on the item ``ref`` (id, ``source:id``, or primary key),
        committed before this returns. Failure modes not yet in the model are created
        for the item's task type (by :meth:`FailureModel.tag`, the one way modes are
        created). Returns the record and the modes that were created.

        ``expect`` is the pk of the verdict in force the reviewer was shown (``None``:
        none was). When another is in force by the time this is written, nothing is
        recorded and :class:`~triage.errors.ReviewedMeanwhile` says which (see
        :meth:`Reviews.record`); the default records a correction over whatever is
        in force.

        A NUL character in ``reviewer``, a mode id or a checklist key raises
        :class:`~triage.errors.InvalidInput` before anything is written (no mode is
        created either); one in ``note`` or a checklist answer is stored as ``␀``
        (see :mod:`triage.storage.nul`). A ``ref`` with a NUL names no item."""
        refuse_nul(reviewer, "reviewer name")
        refuse_nul_in(modes, "failure mode id")
        refuse_nul_in(checklist or {}, "checklist item")
        note = visible_nul(note)
        if isinstance(ref, int):
            found = self.store.items_by_pk([ref])
            if ref not in found:
                raise NotFound(f"no item with key {ref}")
            pk, item = ref, found[ref]
        else:
            pk, item = self.find(ref)
        if expect is not UNCHECKED:  # before creating modes for a verdict to be refused
            self.reviews.check_expected(pk, expect, f"{item.source}:{item.id}")
        new_modes = [m for m in modes if self.reviews.failure_mode(m) is None]
        created = [self.failure_model.tag(m, item.task_type, actor=reviewer) for m in new_modes]
        decision = self.store.decision(pk)
        record = self.reviews.record(
            item_pk=pk,
            reviewer=reviewer,
            outcome=outcome,
            modes=modes,
            note=note,
            checklist=checklist,
            seconds=seconds,
            lane=decision.lane if decision else None,
            rules_version=decision.rules_version if decision else None,
            key=key,
            expect=expect,
        )
        if outcome is Outcome.ESCALATE and decision is not None:
            self.store.escalate(pk, decision, reviewer=reviewer, note=note)
        self._send_back(record, item)
        return record, created

    def import_verdicts(
        self, path: Path, *, source: str | None = None, reviewer: str | None = None
    ) -> ImportReport:
        """Import past verdicts from a CSV or JSON Lines file (see
        :mod:`triage.service.verdict_import`): idempotent, written in whole batches,
        every bad line reported with its number and skipped. ``source`` restricts id
        lookup to that source; ``reviewer`` (default: the configured one) stands in
        for lines without one. A file that cannot be read raises
        :class:`~triage.errors.SourceError` before anything is written."""
        from triage.service.verdict_import import import_verdicts

        return import_verdicts(self, path, source=source, reviewer=reviewer or self.config.reviewer)

    def _send_back(self, record: VerdictRecord, item: Item) -> None:
        """Queue the verdict for the platform the item came from, when its source
        opted in (``write_back = true``). Queued in the database: sent by
        ``triage push``, retried until the platform takes it."""
        source = self.config.sources.get(item.source)
        if source is not None and source.write_back:
            from triage.service.writeback import queue_verdict

            queue_verdict(self, record, item)

    def push(self, *, due_only: bool = False) -> PushReport:
        """Send the verdicts queued for their platforms (see
        :mod:`triage.service.writeback`): every unsent one, or with ``due_only`` those
        whose retry time has come. Returns what was sent, what failed and what waits."""
        from triage.service.writeback import push

        return push(self, everything=not due_only)

    def undo(self, record: VerdictRecord, *, reviewer: str) -> VerdictRecord:
        """Cancel a verdict with a new ``undo`` record (the original stays). Undoing
        an escalation also puts the item back in the lane it had before."""
        if record.outcome is Outcome.ESCALATE:
            history = self.store.decision_history(record.item_pk)
            if len(history) >= 2 and history[-1][1].escalated:
                self.store.record_decisions([(record.item_pk, history[-2][1])])
        undo = self.reviews.record(
            item_pk=record.item_pk,
            reviewer=reviewer,
            outcome=Outcome.UNDO,
            supersedes=record.pk,
            lane=record.lane,
            rules_version=record.rules_version,
        )
        item = self.store.items_by_pk([record.item_pk]).get(record.item_pk)
        if item is not None:
            self._send_back(undo, item)
        return undo
