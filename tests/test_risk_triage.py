"""The learned risk in triage: scores, signals rules test, the budget's thresholds, the
order inside a lane, and what explain shows. The model here is written by hand, so each
number can be checked; fitting one is tested in test_risk_fit.py."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from factories import make_item, refund_item
from test_engine import rule, ruleset, triager

from triage.core.models import Lane, Novelty, ReasonKind
from triage.core.risk import (
    Risk,
    RiskModel,
    RiskThresholds,
    consequence,
    describe,
    features,
    thresholds_for,
)
from triage.core.signals import compute_signals

FITTED = datetime(2026, 11, 30, tzinfo=UTC)


def model(**weights: float) -> RiskModel:
    return RiskModel(
        version="m-test",
        intercept=-3.0,
        weights=weights,
        variances={name: 0.01 for name in weights},
        intercept_variance=0.01,
        prior_variance=1.0,
        trained_on=500,
        failures=40,
        fitted_at=FITTED,
    )


def logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def test_the_score_is_the_logistic_of_the_weights_it_sees() -> None:
    m = model(**{"task_type=refund": 2.0, "tool_errors": 1.0})
    risk = m.score({"task_type=refund": 1.0, "tool_errors": math.log1p(2)})
    assert risk.p_fail == pytest.approx(logistic(-3.0 + 2.0 + math.log1p(2)))
    assert risk.model_version == "m-test"
    assert [name for name, _ in risk.contributions] == ["task type refund", "2 tool errors"]
    assert risk.contributions[0][1] == 2.0


def test_the_upper_bound_is_wide_where_the_model_saw_nothing() -> None:
    m = model(**{"task_type=refund": 0.0})
    known = m.score({"task_type=refund": 1.0})
    unseen = m.score({"task_type=brand_new": 1.0})
    assert known.p_fail == pytest.approx(unseen.p_fail)  # an unseen feature adds no weight
    assert known.upper < unseen.upper  # but all of the prior's doubt
    assert unseen.upper == pytest.approx(logistic(-3.0 + 1.645 * math.sqrt(0.01 + 1.0)))


def test_a_model_round_trips_through_json() -> None:
    m = model(**{"agent=coder": 0.7})
    assert RiskModel.from_json(m.as_json()) == m


def test_features_are_generic_and_named_in_words() -> None:
    item = refund_item(1, 900)
    signals = compute_signals(item, novelty=Novelty(score=40.0, is_novel=True), history=3)
    found = features(item, signals, rules=["refund-over-200"])
    assert {
        "task_type=refund", "agent=billing-agent", "tool=issue_refund", "is_novel",
        "meta.customer_facing", "meta.currency=EUR", "rule refund-over-200",
    } <= set(found)  # fmt: skip
    assert found["meta.amount"] == pytest.approx(math.log1p(900) / 5)
    assert describe("tool_errors", math.log1p(3)) == "3 tool errors"
    assert describe("agent=coder", 1.0) == "agent coder"


def test_rules_test_p_fail_and_a_risky_item_goes_deep() -> None:
    rs = ruleset(rule("risky", "deep", "p_fail >= 0.5") + rule("calm", "pass", "p_fail < 0.1"))
    t = triager(rs)
    assert t.decide(refund_item(1, 10)).default_lane  # no model: p_fail is null, no match
    t.history.risk = model(**{"task_type=refund": 4.0})
    risky = t.decide(refund_item(2, 10))
    assert risky.lane is Lane.DEEP and risky.reasons[0].matched == {"p_fail": pytest.approx(
        risky.failure_risk.p_fail)}  # type: ignore[union-attr]  # fmt: skip
    calm = t.decide(make_item(3))
    assert calm.lane is Lane.PASS and calm.failure_risk is not None


def test_rules_on_the_risk_are_not_its_features() -> None:
    rs = ruleset(rule("risky", "deep", "p_fail >= 0.5") + rule("any", "scan", "true"))
    t = triager(rs)
    found = t.features(make_item(1))
    assert "rule any" in found and "rule risky" not in found


def test_the_budget_lifts_an_item_over_its_threshold_and_says_why() -> None:
    rs = ruleset(rule("all-pass", "pass", "true"))
    t = triager(rs)
    t.history.risk = model(**{"task_type=refund": 2.5, "agent=coder": 1.2})
    t.history.thresholds = RiskThresholds(deep=0.35, scan=0.1, deep_share=0.1, scan_share=0.4)
    deep = t.decide(refund_item(1, 10))  # p = logistic(-0.5) ≈ 0.38
    assert deep.lane is Lane.DEEP
    reason = deep.lead
    assert reason.kind is ReasonKind.BUDGET and reason.label == "risk budget"
    assert reason.why == "p_fail 0.38 ≥ 0.35, the threshold that keeps deep near 10% of a day"
    scan = t.decide(make_item(2, agent="coder"))  # p = logistic(-1.8) ≈ 0.14
    assert scan.lane is Lane.SCAN and scan.lead.kind is ReasonKind.BUDGET
    assert "keeps deep and scan near 50% of a day" in scan.lead.why
    calm = t.decide(make_item(3))  # p = logistic(-3) ≈ 0.05
    assert calm.lane is Lane.PASS


def test_structural_rules_keep_their_floor_whatever_the_model_says() -> None:
    rs = ruleset(rule("big-money", "deep", "meta.amount > 200"))
    t = triager(rs)
    t.history.risk = model(**{"task_type=refund": -10.0})
    decision = t.decide(refund_item(1, 900))
    assert decision.failure_risk is not None and decision.failure_risk.p_fail < 0.001
    assert decision.lane is Lane.DEEP


def test_inside_a_lane_the_order_is_p_fail_times_what_is_at_stake() -> None:
    t = triager(ruleset(rule("all", "scan", "true")))
    t.history.risk = model()
    small = t.decide(refund_item(1, 10))
    large = t.decide(refund_item(2, 5000))
    assert small.failure_risk == large.failure_risk or small.failure_risk.p_fail == pytest.approx(  # type: ignore[union-attr]
        large.failure_risk.p_fail  # type: ignore[union-attr]
    )
    assert large.risk > small.risk
    assert large.risk == pytest.approx(
        100 * large.failure_risk.p_fail * consequence(refund_item(2, 5000).meta, deep_rule=False),  # type: ignore[union-attr]
        abs=1e-3,
    )


def test_consequence_follows_its_table() -> None:
    assert consequence({}, deep_rule=False) == 1.0
    assert consequence({"customer_facing": True}, deep_rule=True) == pytest.approx(3.0)
    assert consequence({"amount": 999}, deep_rule=False) == pytest.approx(1 + 0.5 * 3)
    assert (
        consequence({"environment": "production"}, deep_rule=False, weights={"production": 5}) == 5
    )


def test_thresholds_keep_the_shares_counting_what_rules_send_to_deep() -> None:
    recent = [(p / 100, False) for p in range(100)] + [(0.0, True)] * 10  # 110 items
    limits = thresholds_for(recent, deep_share=0.2, scan_share=0.3)
    # 22 deep in all: 10 by rules, 12 by risk → the 12th highest p_fail; 55 deep or scan
    assert limits.deep == pytest.approx(0.88) and limits.scan == pytest.approx(0.55)
    assert not limits.over_budget
    crowded = thresholds_for(
        [(0.5, True)] * 30 + [(0.1, False)] * 70, deep_share=0.1, scan_share=0.4
    )
    assert crowded.deep is None and crowded.over_budget and crowded.structural_deep == 0.3


def test_a_risk_reads_as_json() -> None:
    risk = Risk(0.31234, 0.5, "m-1", (("task type refund", 0.9123),))
    assert risk.as_json() == {
        "p_fail": 0.3123, "upper": 0.5, "model_version": "m-1",
        "contributions": [{"feature": "task type refund", "weight": 0.912}],
    }  # fmt: skip
