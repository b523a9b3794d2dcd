"""Review statistics: items, verdicts, failure rates with 95% Wilson intervals,
reviewer minutes, and the escape rate of ``pass`` measured from audit samples.

Pure functions over the facts storage hands out (:class:`~triage.core.models.ItemFact`,
:class:`~triage.core.models.ReviewFact`); same facts, same rows, in the same order.

How facts are counted:

- An item counts under the lane of its current decision; a verdict under the lane
  the item was in when it was reviewed. After a rules change the two can differ,
  and each tells its own truth.
- An audit sample is a ``pass`` item lifted to ``scan`` to be checked. It counts
  under ``pass`` (items, verdicts and minutes), so ``scan``'s failure rate is not
  mixed with pass items, and its verdict is one of ``pass``'s ``samples``: a
  failure among them is an ``escape``, one that auto-pass would have let through.
- Periods are those of the item's creation time (UTC): ``day`` as ``2026-11-20``,
  ``week`` as the ISO week ``2026-W47``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from triage.core.models import ItemFact, Lane, ReviewFact
from triage.errors import InvalidInput
from triage.learn.stats_math import wilson_interval

KEYS: Final = ("task_type", "lane", "agent", "model")
"""What statistics can be grouped by."""
PERIODS: Final = ("day", "week")

_LANE_ORDER = {Lane.DEEP: 0, Lane.SCAN: 1, Lane.PASS: 2}


@dataclass(frozen=True, slots=True)
class StatRow:
    """One group's numbers. Keys not grouped by are ``None``."""

    task_type: str | None
    lane: Lane | None
    agent: str | None = None
    model: str | None = None
    period: str | None = None
    items: int = 0
    reviewed: int = 0
    """Items with an ok/fail verdict in force."""
    failures: int = 0
    rate: float | None = None
    """``failures / reviewed``; ``None`` when nothing was reviewed."""
    ci_low: float | None = None
    """Lower end of the 95% Wilson interval of ``rate`` (``None`` without reviews)."""
    ci_high: float | None = None
    minutes: float = 0.0
    """Reviewer minutes spent on the group's verdicts."""
    samples: int = 0
    """Audit samples of ``pass`` that were reviewed."""
    escapes: int = 0
    """Audit samples that failed: failures auto-pass let through."""
    escape_rate: float | None = None
    escape_ci_low: float | None = None
    escape_ci_high: float | None = None

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (the lane as its name)."""
        out = asdict(self)
        out["lane"] = self.lane.value if self.lane is not None else None
        return out


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One period of a task type's (or everyone's) review record."""

    period: str
    items: int
    reviewed: int
    failures: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    new_models: tuple[tuple[str, str], ...] = ()
    """``(agent, model)`` pairs first seen in this period for an agent already seen
    with another model before: where a chart marks a model change."""


@dataclass
class _Tally:
    items: int = 0
    reviewed: int = 0
    failures: int = 0
    seconds: float = 0.0
    samples: int = 0
    escapes: int = 0


@dataclass(frozen=True)
class Statistics:
    """The facts of one moment (items and the verdicts in force, as storage hands
    them out), read once and summed up as often as a screen or command needs."""

    items: Sequence[ItemFact]
    reviews: Sequence[ReviewFact]

    def rows(
        self, *, by: Sequence[str] = ("task_type", "lane"), period: str | None = None
    ) -> list[StatRow]:
        """The stats table (see :func:`compute_stats`)."""
        return compute_stats(self.items, self.reviews, by=by, period=period)

    def trend(self, task_type: str | None = None, *, period: str = "day") -> list[TrendPoint]:
        """One task type's review record (all: ``None``) per period (see :func:`trend`)."""
        return trend(self.items, self.reviews, task_type=task_type, period=period)


def period_of(moment: datetime | date, period: str) -> str:
    """The label of the ``day`` (``2026-11-20``) or ISO ``week`` (``2026-W47``)
    that ``moment`` falls in."""
    _check_period(period)
    day = moment.date() if isinstance(moment, datetime) else moment
    if period == "day":
        return day.isoformat()
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def compute_stats(
    items: Sequence[ItemFact],
    reviews: Sequence[ReviewFact],
    *,
    by: Sequence[str] = ("task_type", "lane"),
    period: str | None = None,
) -> list[StatRow]:
    """One row per group of ``by`` (any of task_type, lane, agent, model) and, with
    ``period``, per day or week; rows ordered by the keys in ``by``'s order (lanes
    most severe first), then by period."""
    keys = _check_by(by)
    if period is not None:
        _check_period(period)
    tallies: dict[tuple[Any, ...], _Tally] = {}

    def tally(fact: ItemFact | ReviewFact, lane: Lane) -> _Tally:
        values = (fact.task_type, lane, fact.agent, fact.model)
        key = tuple(v if k in keys else None for k, v in zip(KEYS, values, strict=True)) + (
            period_of(fact.created_at, period) if period else None,
        )
        return tallies.setdefault(key, _Tally())

    for fact in items:
        tally(fact, fact.lane_before_sample).items += 1
    for review in reviews:
        sample = review.audit_sample
        t = tally(review, review.lane_before_sample)
        t.reviewed += 1
        t.failures += review.failed
        t.seconds += review.seconds
        if sample:
            t.samples += 1
            t.escapes += review.failed
    ordered = sorted(tallies.items(), key=lambda kv: _sort_key(kv[0], keys))
    return [_row(key, t) for key, t in ordered]


def trend(
    items: Sequence[ItemFact],
    reviews: Sequence[ReviewFact],
    *,
    task_type: str | None = None,
    period: str = "day",
) -> list[TrendPoint]:
    """The review record per period (every period from the first item to the last,
    empty ones included), for one task type or all, with model changes marked."""
    _check_period(period)
    items = [f for f in items if task_type is None or f.task_type == task_type]
    reviews = [r for r in reviews if task_type is None or r.task_type == task_type]
    days = [f.created_at.date() for f in items] + [r.created_at.date() for r in reviews]
    if not days:
        return []
    tallies = {label: _Tally() for label in _labels(min(days), max(days), period)}
    for fact in items:
        tallies[period_of(fact.created_at, period)].items += 1
    for review in reviews:
        t = tallies[period_of(review.created_at, period)]
        t.reviewed += 1
        t.failures += review.failed
    changes = _model_changes(items, period)
    points = []
    for label, t in tallies.items():
        rate, low, high = _rate(t.failures, t.reviewed)
        points.append(
            TrendPoint(
                period=label,
                items=t.items,
                reviewed=t.reviewed,
                failures=t.failures,
                rate=rate,
                ci_low=low,
                ci_high=high,
                new_models=tuple(sorted(changes.get(label, ()))),
            )
        )
    return points


def _check_period(period: str) -> None:
    if period not in PERIODS:
        raise InvalidInput(f"unknown period {period!r} (expected day or week)")


def _check_by(by: Sequence[str]) -> tuple[str, ...]:
    keys = tuple(by)
    unknown = [k for k in keys if k not in KEYS]
    if unknown or not keys:
        raise InvalidInput(
            f"cannot group by {', '.join(unknown) or 'nothing'} (choose from: {', '.join(KEYS)})"
        )
    if len(set(keys)) != len(keys):
        raise InvalidInput(f"each key once, please: {', '.join(keys)}")
    return keys


def _sort_key(key: tuple[Any, ...], keys: tuple[str, ...]) -> tuple[Any, ...]:
    values = dict(zip((*KEYS, "period"), key, strict=True))
    parts: list[Any] = []
    for name in (*keys, "period"):
        value = values[name]
        parts.append(_LANE_ORDER[value] if name == "lane" else (value or ""))
    return tuple(parts)


def _rate(failures: int, reviewed: int) -> tuple[float | None, float | None, float | None]:
    if reviewed <= 0:
        return None, None, None
    low, high = wilson_interval(failures, reviewed)
    return failures / reviewed, low, high


def _row(key: tuple[Any, ...], t: _Tally) -> StatRow:
    task_type, lane, agent, model, period = key
    rate, low, high = _rate(t.failures, t.reviewed)
    escape_rate, escape_low, escape_high = _rate(t.escapes, t.samples)
    return StatRow(
        task_type=task_type,
        lane=lane,
        agent=agent,
        model=model,
        period=period,
        items=t.items,
        reviewed=t.reviewed,
        failures=t.failures,
        rate=rate,
        ci_low=low,
        ci_high=high,
        minutes=round(t.seconds / 60, 2),
        samples=t.samples,
        escapes=t.escapes,
        escape_rate=escape_rate,
        escape_ci_low=escape_low,
        escape_ci_high=escape_high,
    )


def _labels(first: date, last: date, period: str) -> list[str]:
    step = timedelta(days=1 if period == "day" else 7)
    if period == "week":
        first -= timedelta(days=first.weekday())
    labels: list[str] = []
    day = first
    while day <= last:
        labels.append(period_of(day, period))
        day += step
    return labels


def _model_changes(items: Iterable[ItemFact], period: str) -> dict[str, list[tuple[str, str]]]:
    agent_first: dict[str, datetime] = {}
    model_first: dict[tuple[str, str], datetime] = {}
    for fact in items:
        if fact.agent not in agent_first or fact.created_at < agent_first[fact.agent]:
            agent_first[fact.agent] = fact.created_at
        pair = (fact.agent, fact.model)
        if pair not in model_first or fact.created_at < model_first[pair]:
            model_first[pair] = fact.created_at
    changes: dict[str, list[tuple[str, str]]] = {}
    for (agent, model), first in model_first.items():
        if first > agent_first[agent]:
            changes.setdefault(period_of(first, period), []).append((agent, model))
    return changes
