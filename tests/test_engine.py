"""Triage decisions: precedence, default lane, audit samples, model switches."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import BASE, make_item, refund_item

from triage.core.models import Lane
from triage.core.novelty import NoveltyIndex
from triage.rules import RuleSet, rules_from_files
from triage.rules.triager import History, ModelHistory, Triager, audit_fraction

SETTINGS = '[settings]\ndefault_lane = "scan"\naudit_rate = {rate}\n'


def ruleset(body: str, *, rate: float = 0.0) -> RuleSet:
    return rules_from_files(
        {"settings.toml": SETTINGS.format(rate=rate), "rules.toml": body}, origin="test"
    )


def rule(rule_id: str, lane: str, when: str) -> str:
    return (
        f'[[rule]]\nid = "{rule_id}"\nlane = "{lane}"\nwhy = "why {rule_id}"\n'
        f"owner = \"kim\"\nwhen = '{when}'\n\n"
    )


def triager(rs: RuleSet) -> Triager:
    return Triager(rs, History(novelty=NoveltyIndex()))


def test_the_most_severe_matching_lane_wins() -> None:
    rs = ruleset(
        rule("refunds-pass", "pass", 'task_type == "refund"')
        + rule("big-money", "deep", "meta.amount > 200")
        + rule("any-money", "scan", "meta.amount > 0")
    )
    big = triager(rs).decide(refund_item(1, 500))
    assert big.lane is Lane.DEEP and not big.default_lane
    assert {r.rule for r in big.reasons} == {"refunds-pass", "big-money", "any-money"}
    assert big.first_reason == "why big-money"
    small = triager(rs).decide(refund_item(2, 20))
    assert small.lane is Lane.SCAN
    free = triager(rs).decide(refund_item(3, 0))
    assert free.lane is Lane.PASS


def test_unmatched_items_take_the_default_lane() -> None:
    decision = triager(ruleset(rule("never", "deep", "false"))).decide(make_item(1))
    assert decision.lane is Lane.SCAN and decision.default_lane and decision.reasons == ()
    assert decision.first_reason == "no rule matched; default lane is scan"


def test_matched_values_explain_the_decision() -> None:
    rs = ruleset(rule("big-money", "deep", 'task_type == "refund" and meta.amount > 200'))
    (reason,) = triager(rs).decide(refund_item(1, 250)).reasons
    assert reason.matched == {"task_type": "refund", "meta.amount": 250}
    assert reason.why == "why big-money"


def test_audit_samples_are_stable_and_near_the_configured_share() -> None:
    rs = ruleset(rule("all-pass", "pass", "true"), rate=0.1)
    t = triager(rs)
    items = [make_item(n, id=f"x-{n}") for n in range(4000)]
    first = [t.decide(item) for item in items]
    again = [triager(rs).decide(item) for item in items]
    assert [d.audit_sample for d in first] == [d.audit_sample for d in again]
    sampled = [d for d in first if d.audit_sample]
    assert 0.08 < len(sampled) / len(items) < 0.12
    assert all(d.lane is Lane.SCAN and d.rule_lane is Lane.PASS for d in sampled)
    assert all(d.lane is Lane.PASS for d in first if not d.audit_sample)
    assert sampled[0].first_reason.startswith("audit sample")


def test_audit_fraction_is_a_pure_function_of_identity() -> None:
    assert audit_fraction("files", "a") == audit_fraction("files", "a")
    assert audit_fraction("files", "a") != audit_fraction("other", "a")
    assert 0.0 <= audit_fraction("s", "z") < 1.0


def test_model_switch_is_new_for_the_window_only() -> None:
    models = ModelHistory()
    day = 86400.0
    models.add("bot", "m-1", 0.0)
    models.add("bot", "m-2", 10 * day)
    assert not models.is_new("bot", "m-1", 1 * day, window_days=3)
    assert models.is_new("bot", "m-2", 11 * day, window_days=3)
    assert not models.is_new("bot", "m-2", 14 * day, window_days=3)
    assert models.age_days("bot", "m-2", 11 * day) == pytest.approx(1.0)
    assert not models.is_new("other", "m-9", 0.0, window_days=3)


def test_signals_come_from_history() -> None:
    rs = ruleset(rule("new-model", "deep", "model_is_new") + rule("novel", "deep", "is_novel"))
    history = History(novelty=NoveltyIndex(), reviews={"support_reply": (10, 3)})
    past = [make_item(n, created_at=BASE + timedelta(days=n)) for n in range(5)]
    history.add_all(past)
    t = Triager(rs, history)
    today = make_item(99, created_at=BASE + timedelta(days=6), model="claude-sonnet-4-6")
    history.add(today)
    signals = t.signals(today)
    assert signals["history"] == 5
    assert signals["model_is_new"] is True
    assert signals["stats"] == {"reviewed": 10, "failures": 3, "failure_rate": 0.3}
    assert signals["novelty"] > 90 and signals["is_novel"] is False
    decision = t.decide(today)
    assert [r.rule for r in decision.reasons] == ["new-model"]
    assert decision.novelty.nearest is not None


def test_shadow_rules_are_recorded_but_never_route() -> None:
    rs = ruleset(
        rule("big-money", "scan", "meta.amount > 200")
        + '[[rule]]\nid = "draft-deep"\nlane = "deep"\nwhy = "Draft: all refunds deep."\n'
        'owner = "kim"\nwhen = \'task_type == "refund"\'\nshadow = true\n\n'
    )
    decision = triager(rs).decide(refund_item(1, 500))
    assert decision.lane is Lane.SCAN
    shadow = [r for r in decision.reasons if r.shadow]
    assert [r.rule for r in shadow] == ["draft-deep"] and shadow[0].lane is Lane.DEEP
    assert decision.first_reason == "why big-money"
    alone = triager(rs).decide(refund_item(2, 10))
    assert alone.default_lane and alone.lane is Lane.SCAN and alone.reasons[0].shadow
