"""Triage quality: how well the lanes and the queue order find failures.

Pure functions over the facts storage hands out (:class:`~triage.core.models.ItemFact`
for every triaged item, :class:`~triage.storage.analytics.RankFact` for every ok/fail
verdict in force with the decision it was given under); same facts, same numbers.

What is measured, per period (the item's creation day or ISO week, UTC) and overall:

- failures found per reviewer hour (the verdicts' stored seconds);
- the share of failures found in ``deep`` (fail verdicts given in deep / all fail
  verdicts), with its 95% Wilson interval;
- the ranking quality of the queue order on reviewed items: the AUC of the order
  (lane severity first, then the decision's ``risk``) against fail/ok, with a 95%
  Hanley–McNeil interval, and the AUC within lanes (only pairs in the same lane);
- the escape rate of ``pass`` from audit samples (Wilson);
- the calibration of ``p_fail`` where decisions carry one: the Brier score and a
  reliability table (mean ``p_fail`` against the observed rate per bin);
- the attention budget: the shares planned for deep and scan (``budget_deep``,
  ``budget_scan``) against the share of items each lane got per day.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from triage.core.models import ItemFact, Lane
from triage.learn.stats import period_of
from triage.learn.stats_math import Z95, wilson_interval
from triage.storage.analytics import RankFact

__all__ = [
    "AUC",
    "Budget",
    "Quality",
    "QualityRow",
    "ReliabilityBin",
    "auc",
    "brier",
    "budget",
    "compute_quality",
    "queue_key",
    "reliability",
]

RELIABILITY_BINS: Final = 5
"""Equal-width bins of ``p_fail`` in the reliability table."""

_LANES: Final = (Lane.DEEP, Lane.SCAN, Lane.PASS)


@dataclass(frozen=True, slots=True)
class AUC:
    """The area under the ROC curve of an order against fail/ok: the chance that a
    failure drawn at random comes before an ok item drawn at random (ties half)."""

    value: float | None
    """``None`` when there are no failures or no ok items to compare."""
    low: float | None
    high: float | None
    """The 95% interval (Hanley–McNeil standard error, clamped to [0, 1])."""
    failures: int
    oks: int


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    """One bin of ``p_fail``: what the model said against what reviewers found."""

    low: float
    high: float
    count: int
    mean_p: float | None
    """The mean ``p_fail`` in the bin (``None`` when empty)."""
    observed: float | None
    """The share that failed (``None`` when empty)."""


@dataclass(frozen=True, slots=True)
class Budget:
    """The attention budget of one period: planned shares and the shares spent."""

    planned_deep: float | None
    planned_scan: float | None
    """``budget_deep`` / ``budget_scan`` of the rules in force (``None``: no budget)."""
    items: int
    deep: float | None
    scan: float | None
    pass_: float | None
    """The share of the period's items in each lane (``None`` without items)."""


@dataclass(frozen=True, slots=True)
class QualityRow:
    """The quality figures of one period (``period`` ``None``: all of them)."""

    period: str | None
    items: int
    reviewed: int
    failures: int
    hours: float
    """Reviewer hours spent on the verdicts."""
    failures_per_hour: float | None
    deep_failures: int
    """Fail verdicts given in deep."""
    deep_share: float | None
    deep_share_low: float | None
    deep_share_high: float | None
    auc: AUC
    """The full queue order: lane severity, then risk."""
    auc_within_lane: AUC
    """Risk alone, comparing only items in the same lane."""
    samples: int
    escapes: int
    escape_rate: float | None
    escape_low: float | None
    escape_high: float | None
    scored: int
    """Reviewed items whose decision carried ``p_fail``."""
    brier: float | None
    budget: Budget


@dataclass(frozen=True, slots=True)
class Quality:
    """Everything ``triage stats --quality`` shows."""

    overall: QualityRow
    periods: tuple[QualityRow, ...]
    lane_auc: dict[str, AUC] = field(default_factory=dict)
    """Risk's AUC inside each lane (``deep``, ``scan``, ``pass``)."""
    reliability: tuple[ReliabilityBin, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every figure."""
        return {
            "overall": asdict(self.overall),
            "periods": [asdict(row) for row in self.periods],
            "lane_auc": {lane: asdict(value) for lane, value in self.lane_auc.items()},
            "reliability": [asdict(b) for b in self.reliability],
        }


# -- the measures ----------------------------------------------------------------------


def queue_key(lane: Lane, risk: float) -> tuple[int, float]:
    """Where an item sits in the whole queue: lanes most severe first, then risk (a
    larger key comes earlier)."""
    return (lane.severity, risk)


def auc(
    scores: Sequence[Any],
    failed: Sequence[bool],
    groups: Sequence[Hashable] | None = None,
) -> AUC:
    """The AUC of ``scores`` (larger first; anything comparable, such as
    :func:`queue_key` tuples) against ``failed``. With ``groups``, only pairs in the
    same group are compared (the within-lane AUC), their counts pooled. The interval
    is Hanley and McNeil's (1982) normal approximation on the pooled counts."""
    if len(scores) != len(failed) or (groups is not None and len(groups) != len(scores)):
        raise ValueError("scores, failed and groups must have the same length")
    keys: list[Hashable] = list(groups) if groups is not None else [None] * len(scores)
    by_group: dict[Hashable, list[int]] = {}
    for i, key in enumerate(keys):
        by_group.setdefault(key, []).append(i)
    wins = 0.0
    pairs = 0
    positives = negatives = 0
    for members in by_group.values():
        pos = sum(1 for i in members if failed[i])
        neg = len(members) - pos
        positives += pos
        negatives += neg
        if pos and neg:
            wins += _rank_wins([scores[i] for i in members], [failed[i] for i in members])
            pairs += pos * neg
    if pairs == 0:
        return AUC(None, None, None, positives, negatives)
    value = wins / pairs
    low, high = _hanley_mcneil(value, positives, negatives)
    return AUC(value, low, high, positives, negatives)


def _rank_wins(scores: Sequence[Any], failed: Sequence[bool]) -> float:
    """Mann–Whitney's count: pairs (failure, ok) with the failure ordered first, ties
    counting a half, from midranks in one sort."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    rank_sum = 0.0
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        midrank = (start + end) / 2 + 1
        rank_sum += midrank * sum(1 for i in order[start : end + 1] if failed[i])
        start = end + 1
    pos = sum(failed)
    return rank_sum - pos * (pos + 1) / 2


def _hanley_mcneil(value: float, positives: int, negatives: int) -> tuple[float, float]:
    q1 = value / (2 - value)
    q2 = 2 * value * value / (1 + value)
    variance = (
        value * (1 - value)
        + (positives - 1) * (q1 - value * value)
        + (negatives - 1) * (q2 - value * value)
    ) / (positives * negatives)
    spread = Z95 * math.sqrt(max(0.0, variance))
    return max(0.0, value - spread), min(1.0, value + spread)


def brier(p_fail: Sequence[float], failed: Sequence[bool]) -> float | None:
    """The mean squared gap between ``p_fail`` and what happened (0 is perfect; 0.25
    is a coin); ``None`` without scored items."""
    if not p_fail:
        return None
    # zip(strict=True) refuses lists of different lengths: a caller's bug.
    return sum((p - float(f)) ** 2 for p, f in zip(p_fail, failed, strict=True)) / len(p_fail)


def reliability(
    p_fail: Sequence[float], failed: Sequence[bool], bins: int = RELIABILITY_BINS
) -> tuple[ReliabilityBin, ...]:
    """``bins`` equal-width bins of ``p_fail`` over [0, 1] (1.0 falls in the last),
    each with its count, mean ``p_fail`` and observed failure rate."""
    if bins < 1:
        raise ValueError("bins must be at least 1")
    members: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for p, f in zip(p_fail, failed, strict=True):
        members[min(bins - 1, max(0, int(p * bins)))].append((p, f))
    out = []
    for i, inside in enumerate(members):
        n = len(inside)
        out.append(
            ReliabilityBin(
                low=i / bins,
                high=(i + 1) / bins,
                count=n,
                mean_p=sum(p for p, _ in inside) / n if n else None,
                observed=sum(1 for _, f in inside if f) / n if n else None,
            )
        )
    return tuple(out)


def budget(
    items: Sequence[ItemFact], *, planned_deep: float | None, planned_scan: float | None
) -> Budget:
    """The planned shares beside the share of ``items`` each lane holds (the lane the
    item sits in now: an audit sample's attention is spent in scan)."""
    counts = dict.fromkeys(_LANES, 0)
    for fact in items:
        counts[fact.lane] += 1
    total = len(items)

    def share(lane: Lane) -> float | None:
        return counts[lane] / total if total else None

    return Budget(
        planned_deep, planned_scan, total, share(Lane.DEEP), share(Lane.SCAN), share(Lane.PASS)
    )


# -- putting it together -----------------------------------------------------------------


def compute_quality(
    items: Sequence[ItemFact],
    ranks: Sequence[RankFact],
    *,
    period: str = "day",
    planned_deep: float | None = None,
    planned_scan: float | None = None,
    bins: int = RELIABILITY_BINS,
) -> Quality:
    """Every quality figure, per ``period`` (``day`` or ``week``, in label order) and
    overall; the budget's spent shares are per period of the items' creation."""
    labels = sorted(
        {period_of(f.created_at, period) for f in items}
        | {period_of(r.created_at, period) for r in ranks}
    )
    by_label_items: dict[str, list[ItemFact]] = {label: [] for label in labels}
    by_label_ranks: dict[str, list[RankFact]] = {label: [] for label in labels}
    for fact in items:
        by_label_items[period_of(fact.created_at, period)].append(fact)
    for rank in ranks:
        by_label_ranks[period_of(rank.created_at, period)].append(rank)
    plan = {"planned_deep": planned_deep, "planned_scan": planned_scan}
    rows = tuple(
        _row(label, by_label_items[label], by_label_ranks[label], **plan) for label in labels
    )
    overall = _row(None, items, ranks, **plan)
    lane_auc = {
        lane.value: auc(
            [r.risk for r in ranks if r.queue_lane is lane],
            [r.failed for r in ranks if r.queue_lane is lane],
        )
        for lane in _LANES
    }
    scored = [r for r in ranks if r.p_fail is not None]
    table = reliability([r.p_fail or 0.0 for r in scored], [r.failed for r in scored], bins)
    return Quality(overall, rows, lane_auc, table if scored else ())


def _row(
    label: str | None,
    items: Sequence[ItemFact],
    ranks: Sequence[RankFact],
    *,
    planned_deep: float | None,
    planned_scan: float | None,
) -> QualityRow:
    failures = sum(r.failed for r in ranks)
    hours = sum(r.seconds for r in ranks) / 3600
    deep = sum(1 for r in ranks if r.failed and r.review_lane is Lane.DEEP)
    deep_share, deep_low, deep_high = _share(deep, failures)
    samples = [r for r in ranks if r.audit_sample]
    escapes = sum(r.failed for r in samples)
    escape_rate, escape_low, escape_high = _share(escapes, len(samples))
    failed = [r.failed for r in ranks]
    scored = [r for r in ranks if r.p_fail is not None]
    return QualityRow(
        period=label,
        items=len(items),
        reviewed=len(ranks),
        failures=failures,
        hours=round(hours, 4),
        failures_per_hour=failures / hours if hours > 0 else None,
        deep_failures=deep,
        deep_share=deep_share,
        deep_share_low=deep_low,
        deep_share_high=deep_high,
        auc=auc([queue_key(r.queue_lane, r.risk) for r in ranks], failed),
        auc_within_lane=auc([r.risk for r in ranks], failed, [r.queue_lane for r in ranks]),
        samples=len(samples),
        escapes=escapes,
        escape_rate=escape_rate,
        escape_low=escape_low,
        escape_high=escape_high,
        scored=len(scored),
        brier=brier([r.p_fail or 0.0 for r in scored], [r.failed for r in scored]),
        budget=budget(items, planned_deep=planned_deep, planned_scan=planned_scan),
    )


def _share(part: int, whole: int) -> tuple[float | None, float | None, float | None]:
    if whole <= 0:
        return None, None, None
    low, high = wilson_interval(part, whole)
    return part / whole, low, high
