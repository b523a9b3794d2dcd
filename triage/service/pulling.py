"""Pulling and triaging: read sources into the store and decide a lane for what lands.

:func:`pull` is the loop behind ``triage pull``: each source is resolved through the
platform registry, read batch by batch (resuming where a configured source last
stopped), written to the store, and triaged as it lands. :func:`retriage` decides
every stored item again. Both report progress and never stop at one bad source.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from triage.core.models import Item, Lane, Rejection
from triage.errors import AuthRefused, SourceError
from triage.platforms.sources import resolve
from triage.rules import RulesError
from triage.rules.triager import Triager

if TYPE_CHECKING:
    from triage.service.workspace import Workspace

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
    refitted: str | None = None
    """The version of the risk model this pull fitted before triaging (enough verdicts
    had arrived since the last fit), or ``None``."""
    refitted_on: int = 0
    """The verdicts that model was fitted on."""

    def as_json(self) -> dict[str, Any]:
        """The ``triage pull --json`` object."""
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
            "refitted": self.refitted,
            "refitted_on": self.refitted_on,
        }


def pull(
    ws: Workspace,
    specs: Sequence[str],
    *,
    source_name: str | None,
    triage: bool,
    progress: Progress | None,
    since: datetime | None,
    fmt: str | None,
) -> PullReport:
    """Read every source of ``specs`` into ``ws`` (see :meth:`Workspace.pull`)."""
    from triage.storage import source_state

    report = PullReport()
    if triage:
        _refit(ws, report)
    triager = _triager(ws, report) if triage else None
    engine = ws.store.engine
    for spec in specs:
        pullable = None
        try:
            pullable = resolve(spec, ws.config, source_name=source_name, fmt=fmt)
            start, position = since, None
            if pullable.resumable and since is None:
                state = source_state.load(engine, pullable.label)
                if state is not None:
                    start, position = state.since, state.position
            for batch in pullable.read(start, position):
                report.rejected.extend(batch.rejected)
                report.skipped.extend(batch.skipped)
                written = ws.store.write_items(batch.items)
                report.new += written.new
                report.updated += written.updated
                report.unchanged += written.unchanged
                if triager is not None and written.changed:
                    triager.history.add_all(item for _, item in written.changed)
                    _decide(ws, triager, written.changed, report.lanes)
                if pullable.resumable:
                    newest = max((item.created_at for item in batch.items), default=None)
                    source_state.save(engine, pullable.label, position=batch.position, since=newest)
                if progress is not None:
                    progress(pullable.label, batch.done, batch.total)
        except AuthRefused as exc:
            env = pullable.credential_env if pullable is not None else None
            report.errors.append(f"{exc} (the credential comes from ${env})" if env else str(exc))
        except SourceError as exc:
            report.errors.append(str(exc))
    if triager is not None:
        report.backlog_triaged = _triage_backlog(ws, triager, report.lanes, progress)
    report.untriaged = ws.store.count_untriaged()
    return report


def retriage(ws: Workspace, progress: Progress | None) -> dict[Lane, int]:
    """A new decision for every stored item of ``ws`` under its rules in force; the
    new lane totals."""
    ruleset = ws.rules().ruleset
    triager = Triager(ruleset, ws.history(ruleset))
    lanes = {lane: 0 for lane in Lane}
    total = ws.store.count_items()
    _decide_all(ws, triager, ws.store.iter_items(), lanes, progress, "retriage", total)
    return lanes


def _refit(ws: Workspace, report: PullReport) -> None:
    """Fit the risk model again before triaging when enough verdicts arrived since the
    last fit (see :func:`~triage.learn.risk_fit.needs_refit`), so what this pull
    stores is scored by it."""
    from triage.learn.risk_fit import TooFewVerdicts, needs_refit

    if not needs_refit(ws.risk_model(), ws.verdicts_in_force()):
        return
    try:
        model = ws.fit_risk(ws.config.reviewer)
    except (TooFewVerdicts, RulesError):
        return  # enough verdicts but not of both outcomes, or no rules: the rules order
    report.refitted, report.refitted_on = model.version, model.trained_on


def _triager(ws: Workspace, report: PullReport) -> Triager | None:
    """The triager for a pull, or ``None`` (with the reason in ``report``) when no
    rule set can be had: the items are stored all the same (nothing is lost), and a
    retriage finishes later."""
    try:
        ruleset = ws.rules().ruleset
    except RulesError as exc:
        report.errors.extend(str(problem) for problem in exc.problems)
        report.errors.append(
            "the rules were refused and no earlier good rule set is stored, so the "
            "items were stored without a lane; fix the rules, then run "
            "`triage retriage`"
        )
        return None
    return Triager(ruleset, ws.history(ruleset))


def _triage_backlog(
    ws: Workspace, triager: Triager, lanes: dict[Lane, int], progress: Progress | None
) -> int:
    """Triage every stored item without a decision; how many there were. They are
    in the triager's history already: it was built from every stored item."""
    total = ws.store.count_untriaged()
    if not total:
        return 0
    label = "items stored earlier without a lane"
    return _decide_all(ws, triager, ws.store.untriaged(), lanes, progress, label, total)


def _decide_all(
    ws: Workspace,
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
        _decide(ws, triager, batch, lanes)
        done += len(batch)
        if progress is not None:
            progress(label, done, total)
    return done


def _decide(
    ws: Workspace, triager: Triager, batch: list[tuple[int, Item]], lanes: dict[Lane, int]
) -> None:
    decisions = [(pk, triager.decide(item)) for pk, item in batch]
    ws.store.record_decisions(decisions)
    for _, decision in decisions:
        lanes[decision.lane] += 1
