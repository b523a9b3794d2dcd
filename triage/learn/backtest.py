"""Backtest: what a draft rule set would have done to the items people reviewed.

Every item with an ok/fail verdict in force is decided again under the draft,
against the same history triage uses (novelty, model switches, review records),
and compared with the lane it was reviewed in. The result says how many items
move between lanes, which known failures the draft would let through to
``pass`` (escapes), which items it newly sends to ``deep``, and what that does
to reviewer minutes per day.

Lanes in the transition matrix are the lanes *the rules chose*: an audit sample
was chosen as ``pass`` (and only sampled into ``scan``), so it counts as
``pass`` on both sides. Reviewer minutes count the lanes items are actually
read in, audit samples as ``scan``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from triage.core.checks import CheckResult
from triage.core.models import Item, Lane, Novelty, ReviewFact
from triage.errors import InvalidInput
from triage.rules import Rule, RuleSet
from triage.rules.triager import History, Triager

if TYPE_CHECKING:
    from triage.learn.context import LoopContext

LANES = (Lane.DEEP, Lane.SCAN, Lane.PASS)
"""Lanes in the order tables show them: most severe first."""


@dataclass(frozen=True, slots=True)
class Transition:
    """``count`` reviewed items the rules sent to ``old`` and the draft sends to ``new``."""

    old: Lane
    new: Lane
    count: int

    def as_json(self) -> dict[str, Any]:
        return {"old": self.old.value, "new": self.new.value, "count": self.count}


@dataclass(frozen=True)
class BacktestResult:
    """A draft rule set applied to the reviewed past."""

    rules_version: str
    """The draft's version."""
    items: int
    """Reviewed items in the sample."""
    days: int
    """Distinct days (UTC, by creation) the sample's items span; minutes are per such day."""
    transitions: tuple[Transition, ...]
    """The lane transition matrix, old lane → new lane. Cells with a zero count are
    left out; the rest are ordered deep, scan, pass by old lane, then by new lane."""
    escapes: tuple[str, ...]
    """``source:id`` of items people failed that the draft's rules send to ``pass``
    (an audit sample of such an item would still be a pass the rules granted)."""
    newly_deep: tuple[str, ...]
    """``source:id`` of items the draft sends to ``deep`` that were not there before."""
    minutes_before: float
    """Reviewer minutes per day for the sample, in the lanes it was reviewed in."""
    minutes_after: float
    """The same under the draft."""
    decided: Mapping[int, tuple[Lane, Lane]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Item key → (the lane the draft's rules chose, the lane after audit sampling)."""

    @property
    def lanes(self) -> dict[int, Lane]:
        """Item key → the lane the draft's rules chose (before audit sampling)."""
        return {pk: rule_lane for pk, (rule_lane, _) in self.decided.items()}

    @property
    def changed(self) -> int:
        """Items the draft moves to another lane."""
        return sum(t.count for t in self.transitions if t.old is not t.new)

    def count(self, old: Lane, new: Lane) -> int:
        """One cell of the matrix (zero when absent)."""
        for t in self.transitions:
            if t.old is old and t.new is new:
                return t.count
        return 0

    def as_json(self) -> dict[str, Any]:
        return {
            "rules_version": self.rules_version,
            "items": self.items,
            "days": self.days,
            "transitions": [t.as_json() for t in self.transitions],
            "changed": self.changed,
            "escapes": list(self.escapes),
            "newly_deep": list(self.newly_deep),
            "minutes_before": self.minutes_before,
            "minutes_after": self.minutes_after,
        }


_Signals = tuple[Novelty, dict[str, Any]]


@dataclass
class Sample:
    """The reviewed past a backtest runs on, gathered once so that several drafts
    (one per suggestion) can be run against it."""

    facts: list[ReviewFact]
    """One ok/fail verdict in force per item."""
    items: dict[int, Item]
    history: History
    lane_minutes: Mapping[str, float]
    signals: dict[tuple[float, float, tuple[str, ...]], dict[tuple[str, str], _Signals]] = field(
        default_factory=dict, repr=False
    )
    """Each item's signals, per (novelty threshold, new-model days, link domains): the
    only settings they depend on. Rules differ from draft to draft; signals are computed
    once."""

    @property
    def days(self) -> int:
        return len({fact.created_at.date() for fact in self.facts if fact.item_pk in self.items})


class _SampleTriager(Triager):
    """The engine's own decisions, with each item's signals (novelty search, history
    counts) computed once per sample rather than once per draft."""

    def __init__(self, rules: RuleSet, sample: Sample) -> None:
        super().__init__(rules, sample.history)
        settings = rules.settings
        key = (settings.novelty_threshold, settings.new_model_days, settings.link_domains)
        self._cache = sample.signals.setdefault(key, {})

    def _signals(self, item: Item, checks: tuple[CheckResult, ...]) -> _Signals:
        found = self._cache.get(item.key)
        if found is None:
            found = self._cache[item.key] = super()._signals(item, checks)
        return found

    def signals(self, item: Item) -> dict[str, Any]:
        found = self._cache.get(item.key)
        if found is not None:  # checks included: they were run when it was cached
            return found[1]
        return super().signals(item)


def signals_of(sample: Sample, ruleset: RuleSet) -> Callable[[Item], Mapping[str, Any]]:
    """The signals an item had when ``sample`` was last run under rules with
    ``ruleset``'s settings (computed then if it was not)."""
    return _SampleTriager(ruleset, sample).signals


def gather(workspace: LoopContext, ruleset: RuleSet, *, days: int | None = None) -> Sample:
    """The items with an ok/fail verdict in force, and the history to decide them
    against. ``days``: only items created in the ``days`` days up to the newest
    stored item (not up to today: an old database is backtested on its own last
    days)."""
    store = workspace.store
    since = None
    if days is not None:
        if days < 1:
            raise InvalidInput("days must be 1 or more")
        newest = store.newest_item_at()
        if newest is not None:
            since = newest - timedelta(days=days)
    facts = store.review_facts(since=since)
    items = store.items_by_pk([fact.item_pk for fact in facts])
    return Sample(
        facts=facts,
        items=items,
        history=workspace.history(ruleset),
        lane_minutes=dict(workspace.config.lane_minutes),
    )


def run(
    sample: Sample, draft: RuleSet, *, baseline: tuple[RuleSet, BacktestResult] | None = None
) -> BacktestResult:
    """Decide every sampled item under ``draft`` and compare.

    ``baseline``: another rule set and its result on the same sample. An item that
    no rule differing between the two can match gets the baseline's lanes without
    being decided again, which makes backtesting many one-rule drafts cheap.
    """
    triager = _SampleTriager(draft, sample)
    differing = _differing(baseline[0], draft) if baseline is not None else None
    minutes = sample.lane_minutes
    cells: Counter[tuple[Lane, Lane]] = Counter()
    decided: dict[int, tuple[Lane, Lane]] = {}
    escapes: list[str] = []
    newly_deep: list[str] = []
    before = after = 0.0
    for fact in sample.facts:
        item = sample.items.get(fact.item_pk)
        if item is None:
            continue
        known = None
        if baseline is not None and differing is not None:
            known = baseline[1].decided.get(fact.item_pk)
            if known is not None and differing:
                signals = triager.signals(item)
                if any(rule.matches(signals) for rule in differing):
                    known = None
        if known is None:
            decision = triager.decide(item)
            known = (decision.lane_before_sample, decision.lane)
        new, lane = known
        decided[fact.item_pk] = known
        old = fact.lane_before_sample
        cells[(old, new)] += 1
        if fact.failed and new is Lane.PASS:
            escapes.append(fact.ref)
        if new is Lane.DEEP and old is not Lane.DEEP:
            newly_deep.append(fact.ref)
        before += minutes.get(fact.lane.value, 0.0)
        after += minutes.get(lane.value, 0.0)
    days = max(1, sample.days)
    transitions = tuple(
        Transition(old, new, cells[(old, new)])
        for old in LANES
        for new in LANES
        if cells[(old, new)]
    )
    return BacktestResult(
        rules_version=draft.version,
        items=len(decided),
        days=sample.days,
        transitions=transitions,
        escapes=tuple(sorted(escapes)),
        newly_deep=tuple(sorted(newly_deep)),
        minutes_before=round(before / days, 1),
        minutes_after=round(after / days, 1),
        decided=decided,
    )


def _differing(a: RuleSet, b: RuleSet) -> list[Rule] | None:
    """The rules of either set that the other lacks in the same form; ``None`` when
    the settings differ (then every item must be decided again)."""
    if a.settings != b.settings:
        return None

    def form(rule: Rule) -> tuple[Any, ...]:
        return (rule.id, rule.lane, rule.when, rule.enabled, rule.shadow)

    shared = {form(rule) for rule in a.rules} & {form(rule) for rule in b.rules}
    return [rule for rule in (*a.rules, *b.rules) if form(rule) not in shared]


def backtest(workspace: LoopContext, draft: RuleSet, *, days: int | None = None) -> BacktestResult:
    """Apply ``draft`` to the past items that have verdicts (created in the last
    ``days`` days up to the newest item, when given) and compare lanes."""
    return run(gather(workspace, draft, days=days), draft)


def matrix(result: BacktestResult) -> list[tuple[Lane, list[int]]]:
    """The full 3×3 matrix, zeros included: one row per old lane, one count per new
    lane, both in :data:`LANES` order."""
    return [(old, [result.count(old, new) for new in LANES]) for old in LANES]
