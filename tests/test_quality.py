"""Triage quality: the AUC of the queue order, its interval, Brier and reliability bins,
the budget's shares and the per-period figures, on facts made by hand."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from triage.core.models import ItemFact, Lane
from triage.learn.quality import auc, brier, budget, compute_quality, queue_key, reliability
from triage.storage.analytics import RankFact

DAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def item(pk: int, lane: Lane, *, day: int = 0, sample: bool = False) -> ItemFact:
    return ItemFact(pk, "bot", "refund", "m-1", DAY + timedelta(days=day), lane, sample)


def rank(
    pk: int,
    lane: Lane,
    risk: float,
    failed: bool,
    *,
    day: int = 0,
    seconds: float = 60.0,
    p_fail: float | None = None,
    sample: bool = False,
) -> RankFact:
    review_lane = Lane.SCAN if sample else lane
    return RankFact(
        pk, DAY + timedelta(days=day), failed, seconds, review_lane, sample, lane, risk, p_fail
    )


# -- AUC ----------------------------------------------------------------------------------


def test_auc_counts_pairs_ordered_right() -> None:
    # Failures at 0.9 and 0.7, oks at 0.8, 0.6, 0.5: 0.9 beats all three oks, 0.7 two.
    result = auc([0.9, 0.8, 0.7, 0.6, 0.5], [True, False, True, False, False])
    assert result.value == pytest.approx(5 / 6)
    assert (result.failures, result.oks) == (2, 3)


def test_auc_interval_is_hanley_mcneil() -> None:
    result = auc([0.9, 0.8, 0.7, 0.6, 0.5], [True, False, True, False, False])
    # A = 5/6, Q1 = A/(2-A) = 5/7, Q2 = 2A²/(1+A) = 25/33, n+ = 2, n- = 3:
    # var = (A(1-A) + (Q1-A²) + 2(Q2-A²)) / 6 = 0.0474988, se = 0.2179422.
    assert result.low == pytest.approx(5 / 6 - 1.959964 * 0.2179422, abs=1e-6)
    assert result.high == 1.0  # clamped


def test_ties_count_half() -> None:
    assert auc([1, 1, 0], [True, False, False]).value == pytest.approx(0.75)
    assert auc([0.3] * 4, [True, False, True, False]).value == pytest.approx(0.5)


def test_perfect_and_reversed_orders() -> None:
    assert auc([3, 2, 1, 0], [True, True, False, False]).value == 1.0
    assert auc([3, 2, 1, 0], [False, False, True, True]).value == 0.0


def test_auc_needs_both_outcomes() -> None:
    none = auc([0.1, 0.2], [False, False])
    assert none.value is None and none.low is None and none.oks == 2


def test_lane_comes_before_risk_in_the_queue_order() -> None:
    keys = [queue_key(Lane.DEEP, 0.0), queue_key(Lane.SCAN, 99.0), queue_key(Lane.PASS, 50.0)]
    assert sorted(keys, reverse=True) == keys
    # The failure is in deep with the lowest risk: the queue still shows it first.
    assert auc(keys, [True, False, False]).value == 1.0
    assert auc([0.0, 99.0, 50.0], [True, False, False]).value == 0.0


def test_within_lane_auc_compares_only_pairs_in_one_lane() -> None:
    scores = [5.0, 1.0, 0.2, 0.1]
    failed = [True, False, True, False]
    lanes = ["deep", "deep", "scan", "scan"]
    # In each lane the failure comes first: within lanes the order is perfect.
    assert auc(scores, failed, lanes).value == 1.0
    # Pooled, the scan failure (0.2) comes after the deep ok (1.0): 3 of 4 pairs.
    assert auc(scores, failed).value == pytest.approx(3 / 4)


def test_auc_refuses_ragged_input() -> None:
    with pytest.raises(ValueError):
        auc([1.0], [True, False])


# -- calibration ----------------------------------------------------------------------------


def test_brier_by_hand() -> None:
    # (0.9-1)² + (0.2-0)² + (0.6-0)² = 0.01 + 0.04 + 0.36, over 3.
    assert brier([0.9, 0.2, 0.6], [True, False, False]) == pytest.approx(0.41 / 3)
    assert brier([], []) is None


def test_reliability_bins() -> None:
    p = [0.05, 0.1, 0.45, 0.5, 0.95, 1.0]
    failed = [False, False, True, False, True, True]
    bins = reliability(p, failed, bins=5)
    assert [b.count for b in bins] == [2, 0, 2, 0, 2]  # 1.0 lands in the last bin
    assert bins[0].mean_p == pytest.approx(0.075) and bins[0].observed == 0.0
    assert bins[1].mean_p is None and bins[1].observed is None
    assert bins[2].mean_p == pytest.approx(0.475) and bins[2].observed == 0.5
    assert bins[4].observed == 1.0
    assert (bins[4].low, bins[4].high) == (0.8, 1.0)


# -- budget and the whole report ----------------------------------------------------------------


def test_budget_shares() -> None:
    items = [item(1, Lane.DEEP), item(2, Lane.SCAN), item(3, Lane.SCAN), item(4, Lane.PASS)]
    spent = budget(items, planned_deep=0.1, planned_scan=0.4)
    assert (spent.deep, spent.scan, spent.pass_) == (0.25, 0.5, 0.25)
    assert (spent.planned_deep, spent.planned_scan, spent.items) == (0.1, 0.4, 4)
    assert budget([], planned_deep=None, planned_scan=None).deep is None


def test_compute_quality_per_day_and_overall() -> None:
    items = [item(1, Lane.DEEP), item(2, Lane.SCAN), item(3, Lane.SCAN, sample=True)]
    items += [item(4, Lane.DEEP, day=1), item(5, Lane.PASS, day=1)]
    ranks = [
        rank(1, Lane.DEEP, 10.0, True, seconds=1800, p_fail=0.8),
        rank(2, Lane.SCAN, 3.0, False, seconds=900, p_fail=0.1),
        rank(3, Lane.SCAN, 1.0, True, seconds=900, sample=True),
        rank(4, Lane.DEEP, 2.0, False, day=1, seconds=3600, p_fail=0.4),
    ]
    quality = compute_quality(items, ranks, planned_deep=0.2, planned_scan=0.5)
    first, second = quality.periods
    assert (first.period, second.period) == ("2026-11-16", "2026-11-17")
    assert (first.items, first.reviewed, first.failures) == (3, 3, 2)
    assert first.hours == 1.0 and first.failures_per_hour == 2.0
    assert first.deep_failures == 1 and first.deep_share == 0.5
    assert first.samples == 1 and first.escapes == 1 and first.escape_rate == 1.0
    # Day one's order: deep(10) fail, scan(3) ok, scan(1) fail: 1 of 2 pairs right.
    assert first.auc.value == pytest.approx(0.5)
    assert second.auc.value is None and second.failures_per_hour == 0.0
    overall = quality.overall
    assert overall.period is None and overall.reviewed == 4 and overall.hours == 2.0
    assert overall.failures_per_hour == pytest.approx(1.0)
    # Failures (deep 10, scan 1) against oks (scan 3, deep 2): deep 10 beats both,
    # scan 1 loses to both: 2 of 4.
    assert overall.auc.value == pytest.approx(0.5)
    assert overall.deep_share_low is not None and overall.deep_share_low < 0.5
    assert overall.scored == 3
    assert overall.brier == pytest.approx((0.2**2 + 0.1**2 + 0.4**2) / 3)
    assert overall.budget.deep == pytest.approx(2 / 5) and overall.budget.planned_deep == 0.2
    assert [b.count for b in quality.reliability] == [1, 0, 1, 0, 1]
    assert quality.lane_auc["deep"].value == 1.0
    assert quality.lane_auc["pass"].value is None
    payload = quality.as_json()
    assert payload["overall"]["auc"]["value"] == pytest.approx(0.5)
    assert len(payload["periods"]) == 2


def test_weeks_group_days() -> None:
    items = [item(1, Lane.DEEP), item(2, Lane.SCAN, day=1)]
    quality = compute_quality(items, [], period="week")
    assert [row.period for row in quality.periods] == ["2026-W47"]
    assert quality.periods[0].items == 2
    assert quality.overall.failures_per_hour is None and quality.reliability == ()


def test_no_facts_no_figures() -> None:
    quality = compute_quality([], [])
    assert quality.periods == () and quality.overall.reviewed == 0
    assert quality.overall.deep_share is None and math.isclose(quality.overall.hours, 0.0)


# -- the demo's truth labels, which the quality bench scores against ----------------------------


def test_demo_truth_labels_agree_with_the_demo_verdicts() -> None:
    from datetime import date

    from triage.demo.build import build_demo, true_outcomes

    args = {"seed": 3, "end": date(2026, 11, 20), "days": 4, "per_day": 30}
    demo = build_demo(**args)  # type: ignore[arg-type]
    truth = true_outcomes(**args)  # type: ignore[arg-type]
    assert list(truth) == [r["id"] for r in demo.records]
    assert all(truth[v.item_id] == v.outcome for v in demo.verdicts)
    last_day = [r["id"] for r in demo.records if r["id"].startswith("sb-20261120")]
    assert last_day and "fail" in {truth[i] for i in last_day}
    assert set(truth.values()) <= {"ok", "fail", "escalate"}
