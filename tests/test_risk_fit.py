"""Fitting the failure-risk model from verdicts, keeping it, and refitting on pull.

The workspaces are generated: escalation hand-offs and items whose ``lookup`` call
errored fail far more often than the rest; everything else (priority, channel,
lengths) is noise. The model must find the two, rank held-out verdicts well, and
be calibrated on them.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete

from triage.config import Config
from triage.core.models import Decision, Item, Lane, Novelty, Outcome, Reason, ReasonKind, ToolCall
from triage.learn.risk_fit import (
    AUTO_MIN_VERDICTS,
    MIN_VERDICTS,
    PastFeatures,
    TooFewVerdicts,
    fit,
    needs_refit,
)
from triage.rules.triager import Triager
from triage.service.workspace import Workspace, shipped_rules_dir
from triage.storage.reviews import NewVerdict
from triage.storage.store import Store
from triage.storage.tables import risk_models_t

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
WORDS = ("late", "broken", "refund", "address", "invoice")
TASKS = ("support_reply", "order_status", "escalation", "summary")


def generated(n: int, *, seed: int = 1, offset: int = 0) -> tuple[list[Item], set[str]]:
    """``n`` items and the ids of those a reviewer fails (drawn from a logistic model
    where only the escalation task type and a ``lookup`` error matter)."""
    rng = random.Random(seed)
    items: list[Item] = []
    fails: set[str] = set()
    for k in range(offset, offset + n):
        task = TASKS[k % len(TASKS)]
        errored = rng.random() < 0.2
        calls = (
            ToolCall(name="lookup", arguments={"order": k}, result="x", is_error=errored),
            ToolCall(name="reply", arguments={"text": "ok"}, result="sent"),
        )
        item = Item(
            id=f"g-{k:05d}",
            source="gen",
            created_at=START + timedelta(minutes=7 * k),
            agent="helpdesk",
            task_type=task,
            input=f"Customer {rng.randint(1, 10**6)} writes about order {k}: "
            + " ".join(
                rng.choice(("late", "broken", "refund", "address", "invoice")) for _ in "xyz"
            ),
            output="We looked into it and " + "replied. " * rng.randint(1, 6),
            model="m-1",
            tool_calls=calls,
            meta={"priority": rng.choice(("low", "high")), "channel": rng.choice(("mail", "chat"))},
        )
        z = -2.4 + 2.6 * (task == "escalation") + 2.2 * errored
        if rng.random() < 1.0 / (1.0 + math.exp(-z)):
            fails.add(item.id)
        items.append(item)
    return items, fails


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def open_ws(db_url: str) -> Workspace:
    config = Config(database_url=db_url, rules_dir=shipped_rules_dir(), reviewer="ana")
    return Workspace(Store.open(db_url), config)


@pytest.fixture
def ws(db_url: str) -> Workspace:
    workspace = open_ws(db_url)
    with workspace.store.engine.begin() as conn:  # the shared PostgreSQL schema keeps models
        conn.execute(delete(risk_models_t))
    return workspace


def seed(ws: Workspace, items: list[Item], fails: set[str], *, reviewed: int | None = None) -> None:
    """Store and triage ``items``, then record a verdict on the first ``reviewed``."""
    written = ws.store.write_items(items).changed
    ws.retriage()
    pks = {item.id: pk for pk, item in written}
    ws.reviews.record_many(
        [
            NewVerdict(
                item_pk=pks[item.id],
                reviewer="ana",
                outcome=Outcome.FAIL if item.id in fails else Outcome.OK,
                key=f"gen-{item.id}",
            )
            for item in items[: len(items) if reviewed is None else reviewed]
        ]
    )


def test_the_predictive_features_get_large_weights_and_rank_held_out_verdicts(
    ws: Workspace,
) -> None:
    items, fails = generated(800)
    seed(ws, items, fails)
    model = fit(ws, ws.rules().ruleset)
    assert model is not None
    assert (model.trained_on, model.failures) == (800, len(fails))
    weights = model.weights
    assert weights["task_type=escalation"] > 1.0
    assert weights["task_type=escalation"] - weights["task_type=support_reply"] > 1.5
    # A lookup error shows as several features (the tool's error, the count, the rule
    # that flags it); together they must carry the effect it was drawn with.
    triager = Triager(ws.rules().ruleset, ws.history(ws.rules().ruleset))
    errored = next(item for item in items if item.tool_calls[0].is_error)
    fixed = replace(errored, tool_calls=(replace(errored.tool_calls[0], is_error=False),))
    lift = _logit(model.score(triager.features(errored)).p_fail) - _logit(
        model.score(triager.features(fixed)).p_fail
    )
    assert lift > 1.5
    noise = [abs(weights.get(f"meta.{k}", 0.0)) for k in ("priority=high", "channel=chat")]
    assert max(noise) < 0.5
    assert model.metrics["auc"] > 0.75
    assert model.metrics["base_rate"] == pytest.approx(len(fails) / 800)
    assert 0.0 < model.metrics["brier"] < 0.2


def test_p_fail_is_calibrated_and_the_upper_bound_widens_where_nothing_was_seen(
    ws: Workspace,
) -> None:
    items, fails = generated(800)
    seed(ws, items, fails)
    ruleset = ws.rules().ruleset
    model = fit(ws, ruleset)
    assert model is not None
    triager = Triager(ruleset, ws.history(ruleset))
    scores = [model.score(triager.features(item)) for item in items]
    mean = sum(s.p_fail for s in scores) / len(scores)
    assert mean == pytest.approx(len(fails) / len(items), abs=0.03)
    assert all(s.upper >= s.p_fail for s in scores)
    escalations = [
        s.p_fail for s, item in zip(scores, items, strict=True) if item.task_type == "escalation"
    ]
    replies = [
        s.p_fail for s, item in zip(scores, items, strict=True) if item.task_type == "support_reply"
    ]
    assert sum(escalations) / len(escalations) > 2 * sum(replies) / len(replies)

    known = items[0]
    unseen = replace(known, id="new-1", task_type="never_seen_before")
    a = model.score(triager.features(known))
    b = model.score(triager.features(unseen))
    assert b.upper > a.upper
    # Without the held-out bins the bound is 1.645 standard errors up in log-odds: the
    # unseen task type brings the prior's whole variance, the known one next to none.
    plain = replace(model, upper_bins=())
    a, b = plain.score(triager.features(known)), plain.score(triager.features(unseen))
    assert _logit(b.upper) - _logit(b.p_fail) > _logit(a.upper) - _logit(a.p_fail) + 0.1
    assert model.upper_bins and all(u >= 0 for _, u in model.upper_bins)


def test_features_at_fit_time_equal_those_the_triager_scores(ws: Workspace) -> None:
    items, fails = generated(200, seed=3)
    seed(ws, items, fails)
    ws.retriage()  # decided with the verdicts' task-type records, as the triager now sees them
    ruleset = ws.rules().ruleset
    triager = Triager(ruleset, ws.history(ruleset))
    pks = [pk for batch in ws.store.iter_items() for pk, _ in batch]
    stored = ws.store.items_by_pk(pks)
    decisions = ws.store.current_decisions(pks)
    past = PastFeatures(ruleset, ws.store.item_groups())
    assert len(decisions) == len(items)
    for pk in pks:
        assert past.of(stored[pk], decisions[pk]) == triager.features(stored[pk])
    assert any(
        name.startswith("rule ") for pk in pks for name in past.of(stored[pk], decisions[pk])
    )


def test_only_rules_in_force_that_do_not_test_the_risk_become_features(ws: Workspace) -> None:
    ruleset = ws.rules().ruleset
    item = generated(1)[0][0]
    real = next(rule for rule in ruleset.enabled if not rule.shadow)
    reasons = tuple(
        Reason(rule=rid, lane=Lane.SCAN, why="w", kind=kind)
        for rid, kind in ((real.id, ReasonKind.RULE), ("gone-rule", ReasonKind.RULE),
                          ("watch", ReasonKind.SHADOW))
    )  # fmt: skip
    decision = Decision(Lane.SCAN, reasons, Novelty(50.0, None, False), False, ruleset.version)
    found = PastFeatures(ruleset, [(item.agent, item.task_type, item.model, item.created_at)])
    names = {name for name in found.of(item, decision) if name.startswith("rule ")}
    assert names == {f"rule {real.id}"}


def test_the_model_round_trips_through_storage_and_is_in_force(ws: Workspace, db_url: str) -> None:
    items, fails = generated(300)
    seed(ws, items, fails)
    model = ws.fit_risk("lead")
    again = open_ws(db_url)
    try:
        assert again.risk_model() == model
        assert again.store.risk_models()[0][0] == model.version
        assert again.history(again.rules().ruleset).risk == model
    finally:
        again.close()
    audit = ws.verify_audit()
    assert audit.ok, audit.problem


def test_the_version_is_stable_for_the_same_verdicts_and_changes_with_a_new_one(
    ws: Workspace,
) -> None:
    items, fails = generated(300)
    seed(ws, items, fails, reviewed=299)
    ruleset = ws.rules().ruleset
    first, second = fit(ws, ruleset), fit(ws, ruleset)
    assert first is not None and second is not None
    assert first.version == second.version and first.version.startswith("m-")
    assert len(first.version) == 14
    last = items[-1]
    ws.record_verdict(f"gen:{last.id}", Outcome.FAIL, reviewer="ana")
    third = fit(ws, ruleset)
    assert third is not None and third.version != first.version
    assert third.trained_on == 300


def test_too_few_verdicts_fit_nothing_and_say_so(ws: Workspace) -> None:
    items, fails = generated(60)
    seed(ws, items, fails, reviewed=MIN_VERDICTS - 1)
    assert fit(ws, ws.rules().ruleset) is None
    with pytest.raises(TooFewVerdicts, match=r"too few verdicts.*19 ok/fail verdicts"):
        ws.fit_risk("lead")
    assert ws.risk_model() is None


def test_enough_verdicts_of_one_outcome_fit_nothing(ws: Workspace) -> None:
    items, _ = generated(40)
    seed(ws, items, set())
    assert fit(ws, ws.rules().ruleset) is None
    with pytest.raises(TooFewVerdicts, match="0 of them failures"):
        ws.fit_risk("lead")


def test_needs_refit_waits_for_a_quarter_more_and_twenty_more(ws: Workspace) -> None:
    assert not needs_refit(None, AUTO_MIN_VERDICTS - 1)  # a first model waits for more
    assert needs_refit(None, AUTO_MIN_VERDICTS)
    items, fails = generated(120)
    seed(ws, items, fails, reviewed=100)
    model = ws.fit_risk("lead")
    assert not needs_refit(model, 120)  # 20 more, but not a quarter more
    assert not needs_refit(model, 124)
    assert needs_refit(model, 125)
    assert not needs_refit(replace(model, features_version=0), 0)
    assert needs_refit(replace(model, features_version=0), AUTO_MIN_VERDICTS)


def test_a_pull_refits_when_enough_verdicts_arrived_and_scores_what_it_triages(
    ws: Workspace, tmp_path: Path
) -> None:
    items, fails = generated(300)
    seed(ws, items, fails)
    more, _ = generated(20, seed=9, offset=300)
    path = tmp_path / "more.jsonl"
    path.write_text("".join(json.dumps(_record(item)) + "\n" for item in more))
    report = ws.pull([str(path)])
    model = ws.risk_model()
    assert model is not None and report.refitted == model.version
    assert report.refitted_on == 300 and report.as_json()["refitted"] == model.version
    decision = ws.explain(more[0].id).decision
    assert decision.failure_risk is not None
    assert decision.failure_risk.model_version == model.version
    assert 0.0 < decision.failure_risk.p_fail <= decision.failure_risk.upper < 1.0
    assert ws.pull([str(path)]).refitted is None  # no new verdicts since


def test_decisions_after_a_fit_carry_p_fail_and_the_audit_stays_clean(ws: Workspace) -> None:
    items, fails = generated(200)
    seed(ws, items, fails)
    assert ws.explain(f"gen:{items[0].id}").decision.failure_risk is None
    model = ws.fit_risk("lead")
    ws.retriage()
    risk = ws.explain(f"gen:{items[0].id}").decision.failure_risk
    assert risk is not None and risk.model_version == model.version
    assert risk.contributions
    check = ws.verify_audit()
    assert check.ok, check.problem


def _record(item: Item) -> dict[str, object]:
    return {
        "id": item.id,
        "created_at": item.created_at.isoformat(),
        "agent": item.agent,
        "task_type": item.task_type,
        "input": item.input,
        "output": item.output,
        "model": item.model,
        "tool_calls": [
            {"name": c.name, "arguments": c.arguments, "result": c.result, "is_error": c.is_error}
            for c in item.tool_calls
        ],
        "meta": dict(item.meta),
    }


def test_the_fast_read_of_verdicts_in_force_agrees_with_the_reviews(ws: Workspace) -> None:
    items, fails = generated(30)
    seed(ws, items, fails)
    ws.record_verdict(f"gen:{items[0].id}", Outcome.FAIL, reviewer="bo")  # a correction
    record, _ = ws.record_verdict(f"gen:{items[1].id}", Outcome.OK, reviewer="bo")
    ws.undo(record, reviewer="bo")  # back to the imported verdict
    last, _ = ws.record_verdict(f"gen:{items[2].id}", Outcome.ESCALATE, reviewer="bo")
    fast = {(item_pk, outcome) for _, item_pk, outcome, _ in ws.store.verdict_outcomes()}
    slow = {(fact.item_pk, fact.outcome) for fact in ws.store.review_facts()}
    assert fast == slow and len(fast) == 29  # the escalated item has no ok/fail in force
    assert (last.item_pk, Outcome.ESCALATE) not in fast
