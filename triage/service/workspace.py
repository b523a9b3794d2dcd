"""The one object the CLI and the reviewer app talk to.

``Workspace`` owns a :class:`~triage.storage.store.Store` and the configuration,
keeps the rules in force (falling back to the last good rule set when the
folder is broken), and runs the loop's steps: pull, triage, explain, verdict.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
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
    Rejection,
    VerdictRecord,
)
from triage.core.novelty import NoveltyIndex
from triage.errors import DatabaseReadOnly, NotFound, Refused
from triage.platforms import AuthRefused, SourceError
from triage.platforms.sources import resolve
from triage.rules import RuleProblem, RulesError, RuleSet, load_rules, rules_from_files
from triage.rules.triager import History, Triager
from triage.storage.nul import refuse_nul, refuse_nul_in, visible_nul
from triage.storage.reviews import UNCHECKED, Expect, Reviews
from triage.storage.store import Store

if TYPE_CHECKING:
    from triage.service.writeback import PushReport

Progress = Callable[[str, int, int | None], None]
"""Called with (source label, done, total or None) as a pull advances."""


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cycle collector during bulk work. A pull builds hundreds of
    thousands of acyclic objects (parsed JSON, items); each full collection would
    walk all of them again, which costs more than the parsing itself. Reference
    counting still frees everything; the collector resumes afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def shipped_rules_dir() -> Path:
    """The starting rule set that ships with triage."""
    package = Path(__file__).resolve().parent.parent  # triage/
    for candidate in (package / "_shipped_rules", package.parent / "rules"):
        if candidate.is_dir() and any(candidate.glob("*.toml")):
            return candidate
    raise NotFound("the shipped rules are missing from this installation")


@dataclass(frozen=True)
class RulesInForce:
    """The rule set triage applies, where it came from, and, when the folder was
    refused, the problems found there."""

    ruleset: RuleSet
    origin: str
    problems: tuple[RuleProblem, ...] = ()

    @property
    def fallback(self) -> bool:
        return bool(self.problems)


@dataclass
class PullReport:
    """What a pull did, per the contract of ``triage pull --json``."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    lanes: dict[Lane, int] = field(default_factory=lambda: {lane: 0 for lane in Lane})
    """Decisions this pull made, per lane: the new and updated items, and the backlog."""
    errors: list[str] = field(default_factory=list)
    """Sources that failed (the others still ran)."""
    skipped: list[str] = field(default_factory=list)
    """Files or folders of a source that could not be read (the rest of it was)."""
    backlog_triaged: int = 0
    """Items stored earlier without a lane (a pull stopped before triaging them, or
    ``--no-triage``) that this pull triaged."""
    untriaged: int = 0
    """Items stored without a lane once the pull is over (after ``--no-triage``)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": [
                {"source": r.source, "line": r.line, "reason": r.reason} for r in self.rejected
            ],
            "lanes": {lane.value: n for lane, n in self.lanes.items()},
            "errors": self.errors,
            "skipped": self.skipped,
            "backlog_triaged": self.backlog_triaged,
            "untriaged": self.untriaged,
        }


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
        """Every stored item as the past, plus each task type's review record."""
        index = NoveltyIndex(ruleset.settings.novelty_threshold)
        history = History(novelty=index, reviews=self.reviews.task_type_counts())
        for row in self.store.history():
            created = row.created_at.timestamp()
            index.add(row.agent, row.task_type, row.ref, created, row.input_head)
            history.models.add(row.agent, row.model, created)
        return history

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
            return self._pull(specs, source_name, triage, progress, since, fmt)

    def _pull(
        self,
        specs: Sequence[str],
        source_name: str | None,
        triage: bool,
        progress: Progress | None,
        since: datetime | None,
        fmt: str | None,
    ) -> PullReport:
        from triage.storage import source_state

        report = PullReport()
        triager: Triager | None = None
        if triage:
            try:
                ruleset = self.rules().ruleset
            except RulesError as exc:
                # No rule set to triage with: store what arrives all the same (nothing
                # is lost), say why nothing got a lane, and let a retriage finish later.
                report.errors.extend(str(problem) for problem in exc.problems)
                report.errors.append(
                    "the rules were refused and no earlier good rule set is stored, so the "
                    "items were stored without a lane; fix the rules, then run "
                    "`triage retriage`"
                )
            else:
                triager = Triager(ruleset, self.history(ruleset))
        engine = self.store.engine
        for spec in specs:
            pullable = None
            try:
                pullable = resolve(spec, self.config, source_name=source_name, fmt=fmt)
                start, position = since, None
                if pullable.resumable and since is None:
                    state = source_state.load(engine, pullable.label)
                    if state is not None:
                        start, position = state.since, state.position
                for batch in pullable.read(start, position):
                    report.rejected.extend(batch.rejected)
                    report.skipped.extend(batch.skipped)
                    written = self.store.write_items(batch.items)
                    report.new += written.new
                    report.updated += written.updated
                    report.unchanged += written.unchanged
                    if triager is not None and written.changed:
                        self._triage(triager, written.changed, report.lanes)
                    if pullable.resumable:
                        newest = max((item.created_at for item in batch.items), default=None)
                        source_state.save(
                            engine, pullable.label, position=batch.position, since=newest
                        )
                    if progress is not None:
                        progress(pullable.label, batch.done, batch.total)
            except AuthRefused as exc:
                env = pullable.credential_env if pullable is not None else None
                report.errors.append(
                    f"{exc} (the credential comes from ${env})" if env else str(exc)
                )
            except SourceError as exc:
                report.errors.append(str(exc))
        if triager is not None:
            report.backlog_triaged = self._triage_backlog(triager, report.lanes, progress)
        report.untriaged = self.store.count_untriaged()
        return report

    def _triage_backlog(
        self, triager: Triager, lanes: dict[Lane, int], progress: Progress | None
    ) -> int:
        """Triage every stored item without a decision; how many there were. They are
        in the triager's history already: it was built from every stored item."""
        total = self.store.count_untriaged()
        if not total:
            return 0
        label = "items stored earlier without a lane"
        return self._decide_all(triager, self.store.untriaged(), lanes, progress, label, total)

    def _decide_all(
        self,
        triager: Triager,
        batches: Iterable[list[tuple[int, Item]]],
        lanes: dict[Lane, int],
        progress: Progress | None,
        label: str,
        total: int,
    ) -> int:
        """Decide and store a lane for every item of ``batches``, counting lanes into
        ``lanes`` and reporting progress under ``label``; how many were decided."""
        done = 0
        for batch in batches:
            self._decide(triager, batch, lanes)
            done += len(batch)
            if progress is not None:
                progress(label, done, total)
        return done

    def _decide(
        self, triager: Triager, batch: list[tuple[int, Item]], lanes: dict[Lane, int]
    ) -> None:
        decisions = [(pk, triager.decide(item)) for pk, item in batch]
        self.store.record_decisions(decisions)
        for _, decision in decisions:
            lanes[decision.lane] += 1

    def _triage(
        self, triager: Triager, changed: list[tuple[int, Item]], lanes: dict[Lane, int]
    ) -> None:
        triager.history.add_all(item for _, item in changed)
        self._decide(triager, changed, lanes)

    def retriage(self, *, progress: Progress | None = None) -> dict[Lane, int]:
        """A new decision for every stored item under the rules in force; earlier
        decisions stay as history. Returns the new lane totals."""
        with paused_gc():
            return self._retriage(progress)

    def _retriage(self, progress: Progress | None) -> dict[Lane, int]:
        ruleset = self.rules().ruleset
        triager = Triager(ruleset, self.history(ruleset))
        lanes = {lane: 0 for lane in Lane}
        total = self.store.count_items()
        self._decide_all(triager, self.store.iter_items(), lanes, progress, "retriage", total)
        return lanes

    # -- reading -------------------------------------------------------------------

    def queue(
        self, *, lane: Lane | None = None, day: date | None = None, limit: int = 200
    ) -> list[QueueEntry]:
        return self.store.queue(lane=lane, day=day, limit=limit)

    def find(self, ref: str) -> tuple[int, Item]:
        """The item ``ref`` names; ``LookupError`` with a clear message otherwise."""
        found = self.store.item(ref)
        if found is None:
            raise LookupError(f"no item {ref!r} (give its id, or source:id)")
        return found

    def explain(self, ref: str) -> Explanation:
        pk, item = self.find(ref)
        decision = self.store.decision(pk)
        if decision is None:
            raise LookupError(f"{ref!r} has not been triaged yet; run `triage retriage`")
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
        for the item's task type. Returns the record and the modes that were created.

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
                raise LookupError(f"no item with key {ref}")
            pk, item = ref, found[ref]
        else:
            pk, item = self.find(ref)
        if expect is not UNCHECKED:  # before creating modes for a verdict to be refused
            self.reviews.check_expected(pk, expect, f"{item.source}:{item.id}")
        created = []
        for mode_id in modes:
            if self.reviews.failure_mode(mode_id) is None:
                title = mode_id.replace("-", " ")
                mode = FailureMode(id=mode_id, title=title, task_type=item.task_type)
                created.append(self.reviews.add_failure_mode(mode, actor=reviewer))
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
