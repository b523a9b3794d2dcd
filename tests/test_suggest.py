"""Suggestions: the rules of thumb on generated verdict histories, and accepting or
dismissing them in a real workspace."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from factories import BASE, refund_item
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, select
from test_backtest import fail_ids, handoff, open_workspace, rules_copy, seed

from triage.core.models import ItemFact, Lane, ReviewFact
from triage.learn.accept import apply_suggestion, dismiss_suggestion
from triage.learn.suggest import (
    AddRule,
    SetField,
    Suggestion,
    SuggestionError,
    Thresholds,
    propose,
    suggest,
)
from triage.rules import check_rules, load_rules
from triage.service.workspace import NotALead, Workspace, shipped_rules_dir
from triage.storage.engine import writing
from triage.storage.suggestions import SuggestionLog
from triage.storage.tables import AuditRow, SuggestionDecisionRow

RULES = load_rules(shipped_rules_dir())
WHERE = [(Lane.DEEP, False), (Lane.SCAN, False), (Lane.SCAN, True), (Lane.PASS, False)]
"""Where a verdict can be given: (lane reviewed in, audit sample)."""


def fact(
    n: int,
    task: str = "handoff",
    lane: Lane = Lane.SCAN,
    *,
    failed: bool = False,
    audit: bool = False,
    created: datetime = BASE,
    modes: tuple[str, ...] = (),
    agent: str = "router",
    model: str = "m-1",
) -> ReviewFact:
    return ReviewFact(
        item_pk=n,
        ref=f"files:{task}-{n}",
        agent=agent,
        task_type=task,
        model=model,
        created_at=created,
        lane=lane,
        audit_sample=audit,
        outcome="fail" if failed else "ok",
        modes=modes if failed else (),
        seconds=10.0,
        reviewer="ana",
        reviewed_at=created,
    )


noise = st.lists(
    st.tuples(st.sampled_from(["refund", "support_reply"]), st.sampled_from(WHERE), st.booleans()),
    max_size=80,
)
"""Verdicts on other task types, any outcome: they must not change the answer."""


def with_noise(facts: list[ReviewFact], extra: list[tuple[str, tuple[Lane, bool], bool]]) -> list:
    start = len(facts) + 1000
    return facts + [
        fact(start + i, task, lane, audit=audit, failed=failed)
        for i, (task, (lane, audit), failed) in enumerate(extra)
    ]


def ids(suggestions: list[Suggestion]) -> set[str]:
    return {s.id for s in suggestions}


def by_id(suggestions: list[Suggestion], sid: str) -> Suggestion:
    found = [s for s in suggestions if s.id == sid]
    assert found, f"{sid} not in {ids(suggestions)}"
    return found[0]


# -- the rules of thumb, on facts -------------------------------------------------------


@given(where=st.lists(st.sampled_from(WHERE), min_size=200, max_size=200), extra=noise)
def test_no_failures_in_200_reviews_is_never_tightened(
    where: list[tuple[Lane, bool]], extra: list
) -> None:
    facts = [fact(i, lane=lane, audit=audit) for i, (lane, audit) in enumerate(where)]
    found = ids(propose(with_noise(facts, extra), [], RULES))
    assert not {s for s in found if s.startswith("tighten:handoff:") or s.endswith(":handoff")}


@given(n=st.integers(min_value=10, max_value=400), extra=noise)
def test_30_percent_failing_audit_samples_is_always_tightened(n: int, extra: list) -> None:
    failures = round(0.3 * n)
    facts = [fact(i, audit=True, failed=i < failures) for i in range(n)]
    found = by_id(propose(with_noise(facts, extra), [], RULES), "tighten:handoff:pass")
    assert (found.evidence.reviewed, found.evidence.failures) == (n, failures)
    (change,) = found.changes
    assert isinstance(change, AddRule) and change.file == "learned.toml"
    assert change.rule["lane"] == "scan" and change.rule["when"] == 'task_type == "handoff"'


@given(n=st.integers(min_value=0, max_value=59), lane=st.sampled_from([Lane.DEEP, Lane.SCAN]))
def test_relax_needs_min_reviews_even_with_a_spotless_record(n: int, lane: Lane) -> None:
    lenient = Thresholds(tolerance_pass=0.5, tolerance_scan=0.5)
    facts = [fact(i, "refund", lane) for i in range(n)]
    assert not [s for s in propose(facts, [], RULES, thresholds=lenient) if s.kind == "relax"]


@given(n=st.integers(min_value=60, max_value=400), lane=st.sampled_from([Lane.DEEP, Lane.SCAN]))
def test_relax_with_enough_reviews_and_a_low_upper_bound(n: int, lane: Lane) -> None:
    lenient = Thresholds(tolerance_pass=0.5, tolerance_scan=0.5)
    facts = [fact(i, "refund", lane) for i in range(n)]
    found = by_id(propose(facts, [], RULES, thresholds=lenient), f"relax:refund:{lane.value}")
    if lane is Lane.SCAN:
        (change,) = found.changes
        assert isinstance(change, AddRule) and change.file == "relax.toml"
        assert change.rule["lane"] == "pass"
    else:  # the deep rules written for refunds alone move to scan
        assert found.changes == (
            SetField("refund-over-200", "lane", "scan"),
            SetField("refund-over-policy-limit", "lane", "scan"),
            SetField("refund-without-amount", "lane", "scan"),
        )


def test_relax_to_pass_needs_an_upper_bound_below_two_percent() -> None:
    spotless = [fact(i) for i in range(200)]
    found = by_id(propose(spotless, [], RULES), "relax:handoff:scan")
    assert found.evidence.sentence == (
        "handoff in scan: 0 of 200 failed, 95% CI 0–1.9% → pass (5% audit samples keep "
        "measuring it)"
    )
    assert "relax:handoff:scan" not in ids(propose(spotless[:150], [], RULES))


def test_evidence_reads_as_numbers_and_a_sentence() -> None:
    facts = [fact(i, "refund", failed=i < 9) for i in range(31)]
    found = by_id(propose(facts, [], RULES), "tighten:refund:scan")
    assert found.evidence.sentence == "refund in scan: 9 of 31 failed, 95% CI 16–47% → send to deep"
    assert found.title == "Send refund to deep: 9 of 31 failed in scan"
    data = found.evidence.as_json()
    assert (data["reviewed"], data["failures"], data["tolerance"]) == (31, 9, 0.1)
    assert (data["ci_low"], data["ci_high"], data["rate"]) == (0.161, 0.4659, 0.2903)
    (change,) = found.changes
    assert isinstance(change, AddRule)
    assert change.rule["id"] == "refund-to-deep" and change.rule["lane"] == "deep"
    assert "9 of 31" in change.rule["why"]


def test_deep_is_never_tightened() -> None:
    facts = [fact(i, lane=Lane.DEEP, failed=True) for i in range(50)]
    assert not [s for s in propose(facts, [], RULES) if s.kind == "tighten"]


def mode_fails(days_ago: list[float], lane: Lane = Lane.SCAN) -> list[ReviewFact]:
    now = BASE + timedelta(days=30)
    return [
        fact(i, "refund", lane, failed=True, modes=("wrong-order-number",),
             created=now - timedelta(days=d))
        for i, d in enumerate(days_ago)
    ] + [fact(99, "refund", Lane.SCAN, created=now)]  # fmt: skip


def test_a_recurring_failure_mode_sends_its_task_type_deep() -> None:
    lenient = Thresholds(tolerance_scan=1.0)  # only the mode rule of thumb applies
    found = by_id(
        propose(mode_fails([1, 2, 6.5]), [], RULES, thresholds=lenient),
        "mode:wrong-order-number:refund",
    )
    (change,) = found.changes
    assert isinstance(change, AddRule)
    assert change.rule["lane"] == "deep" and change.rule["failure_modes"] == ["wrong-order-number"]
    assert (found.evidence.reviewed, found.evidence.failures) == (4, 3)
    for quiet in (mode_fails([1, 2]), mode_fails([1, 2, 8]), mode_fails([1, 2, 3], Lane.DEEP)):
        assert not [s for s in propose(quiet, [], RULES, thresholds=lenient) if s.kind == "mode"]


MODEL_NOW = BASE + timedelta(days=40)


def model_history(switch_days_ago: float, verdicts: int) -> tuple[list[ReviewFact], list[ItemFact]]:
    now = MODEL_NOW
    switched = now - timedelta(days=switch_days_ago)
    items = [
        ItemFact(i, "support-bot", "support_reply", "old-model", BASE + timedelta(hours=i),
                 Lane.SCAN, False)
        for i in range(20)
    ] + [
        ItemFact(100 + i, "support-bot", "support_reply", "new-model",
                 switched + timedelta(hours=i), Lane.PASS, False)
        for i in range(30)
    ]  # fmt: skip
    reviews = [
        fact(100 + i, "support_reply", agent="support-bot", model="new-model",
             created=switched + timedelta(hours=i))
        for i in range(verdicts)
    ]  # fmt: skip
    return reviews, items


def test_a_new_model_without_a_record_is_kept_in_scan() -> None:
    found = by_id(
        propose(*model_history(5, 4), RULES, now=MODEL_NOW), "model:support-bot:new-model"
    )
    (change,) = found.changes
    assert isinstance(change, AddRule)
    assert change.rule["when"] == 'agent == "support-bot" and model == "new-model"'
    assert change.rule["lane"] == "scan" and change.rule["id"] == "support-bot-new-model-scan"
    for quiet in (model_history(5, 25), model_history(30, 4)):
        assert not [s for s in propose(*quiet, RULES, now=MODEL_NOW) if s.kind == "model"]
    reviews, items = model_history(5, 4)
    unswitched = [i for i in items if i.model == "new-model"]
    assert not [s for s in propose(reviews, unswitched, RULES, now=MODEL_NOW) if s.kind == "model"]


def test_nothing_to_go_on_gives_nothing() -> None:
    assert propose([], [], RULES) == []


# -- against a workspace -----------------------------------------------------------------

FAILS = {2, 5, 8, 12, 15, 18}


def clear_answers(ws: Workspace) -> None:
    """Answers left in the shared PostgreSQL schema by an earlier test."""
    with writing(ws.store.engine) as conn:
        conn.execute(delete(SuggestionDecisionRow.__table__))  # type: ignore[attr-defined]


@pytest.fixture
def ws(tmp_path: Path, db_url: str) -> Iterator[Workspace]:
    workspace = open_workspace(db_url, rules_copy(tmp_path), leads=["lead"])
    clear_answers(workspace)
    seed(
        workspace,
        [handoff(n) for n in range(1, 21)],
        fail_ids(FAILS),
        modes={f"it-{n:04d}": ("wrong-queue",) for n in FAILS},
    )
    yield workspace
    workspace.close()


def audit_entries(ws: Workspace, action: str) -> list:
    table = AuditRow.__table__  # type: ignore[attr-defined]
    with ws.store.engine.connect() as conn:
        return list(conn.execute(select(table).where(table.c.action == action)))


def test_suggestions_come_backtested(ws: Workspace) -> None:
    found = suggest(ws)
    # The recurring wrong-queue mode would move exactly the same items: listed once.
    assert ids(found) == {"tighten:handoff:scan"}
    tighten = by_id(found, "tighten:handoff:scan")
    assert tighten.moved == 20 and tighten.backtest is not None
    assert tighten.backtest.count(Lane.SCAN, Lane.DEEP) == 20
    assert len(tighten.backtest.newly_deep) == 20
    assert tighten.backtest.minutes_after > tighten.backtest.minutes_before
    assert tighten.as_json()["backtest"]["changed"] == 20
    assert tighten.moved == 20 and [(t.old, t.new, t.count) for t in tighten.moves] == [
        (Lane.SCAN, Lane.DEEP, 20)
    ]
    assert tighten.new_escapes == () and tighten.minutes_now == 20.0


def test_accepting_edits_the_rules_audits_and_retriages(ws: Workspace) -> None:
    folder = ws.config.rules_dir
    assert folder is not None
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    pk = ws.store.item("it-0001")[0]  # type: ignore[index]

    with pytest.raises(NotALead, match="ana is not a lead"):
        apply_suggestion(ws, "tighten:handoff:scan", actor="ana")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before

    result = apply_suggestion(ws, "tighten:handoff:scan", actor="lead", reason="too many misroutes")
    assert result.files == ("learned.toml",)
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert {k: v for k, v in after.items() if k != "learned.toml"} == before
    learned = after["learned.toml"].decode()
    assert "# From suggestion tighten:handoff:scan: handoff in scan: 6 of 20 failed" in learned
    assert 'owner = "lead"' in learned and "when = 'task_type == \"handoff\"'" in learned
    assert check_rules(folder) == []

    assert ws.rules().ruleset.version == result.new_version != result.old_version
    (entry,) = audit_entries(ws, "rules.change")
    assert entry.actor == "lead" and entry.subject == "tighten:handoff:scan"
    assert entry.payload["new_version"] == result.new_version
    assert entry.payload["summary"] == {"learned.toml": "+11 -0"}
    assert '+id = "handoff-to-deep"' in entry.payload["diff"]
    assert ws.store.verify_audit().ok

    answer = SuggestionLog(ws.store.engine).latest()["tighten:handoff:scan"]
    assert (answer.decision, answer.actor, answer.reason) == (
        "accepted",
        "lead",
        "too many misroutes",
    )
    assert answer.evidence["failures"] == 6 and answer.rules_version == result.new_version

    history = ws.store.decision_history(pk)
    assert len(history) == 2 and history[-1][1].lane is Lane.DEEP
    assert history[-1][1].rules_version == result.new_version
    assert result.lanes[Lane.DEEP] == 20

    assert suggest(ws) == []  # the rules now do both what was suggested and the mode rule


def test_relaxing_deep_rules_changes_only_their_lane_lines(tmp_path: Path, sqlite_url: str) -> None:
    workspace = open_workspace(sqlite_url, rules_copy(tmp_path))
    try:
        seed(workspace, [refund_item(n, 350.0) for n in range(1, 61)], set())
        folder = workspace.config.rules_dir
        assert folder is not None
        old = (folder / "money.toml").read_text()
        found = by_id(suggest(workspace), "relax:refund:deep")
        assert found.moved == 60 and found.backtest is not None
        assert found.backtest.count(Lane.DEEP, Lane.SCAN) == 60
        apply_suggestion(workspace, "relax:refund:deep", actor="dana")
        new = (folder / "money.toml").read_text()
        old_lines, new_lines = old.splitlines(), new.splitlines()
        assert len(old_lines) == len(new_lines)
        changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
        assert changed == [('lane = "deep"', 'lane = "scan"')] * 3
        assert check_rules(folder) == []
        assert workspace.store.lane_counts()[Lane.SCAN] == 60
    finally:
        workspace.close()


def test_dismissed_stays_quiet_until_the_evidence_changes(ws: Workspace) -> None:
    with pytest.raises(SuggestionError, match="reason is required"):
        dismiss_suggestion(ws, "tighten:handoff:scan", actor="lead", reason=" ")
    with pytest.raises(NotALead):
        dismiss_suggestion(ws, "tighten:handoff:scan", actor="ana", reason="no")
    answer = dismiss_suggestion(ws, "tighten:handoff:scan", actor="lead", reason="seasonal")
    assert answer.decision == "dismissed" and answer.evidence["reviewed"] == 20
    assert ids(suggest(ws)) == {"mode:wrong-queue:handoff"}
    assert "tighten:handoff:scan" in ids(suggest(ws, include_dismissed=True))
    (entry,) = audit_entries(ws, "suggestion.dismiss")
    assert entry.payload["reason"] == "seasonal" and ws.store.verify_audit().ok

    seed(ws, [handoff(21)], fail_ids({21}))  # one more verdict: new evidence
    assert "tighten:handoff:scan" in ids(suggest(ws))


def test_unknown_suggestions_and_missing_folders_are_refused(tmp_path: Path, db_url: str) -> None:
    ws = open_workspace(db_url, None)
    try:
        clear_answers(ws)
        seed(ws, [handoff(n) for n in range(1, 21)], fail_ids(FAILS))
        assert "tighten:handoff:scan" in ids(suggest(ws))  # the shipped rules are in force
        with pytest.raises(SuggestionError, match="no rules folder is configured"):
            apply_suggestion(ws, "tighten:handoff:scan", actor="lead")
        with pytest.raises(LookupError, match="no suggestion 'relax:nothing:scan'"):
            dismiss_suggestion(ws, "relax:nothing:scan", actor="lead", reason="x")
    finally:
        ws.close()


def test_a_broken_rules_folder_is_not_edited(ws: Workspace) -> None:
    folder = ws.config.rules_dir
    assert folder is not None
    (folder / "broken.toml").write_text("[[rule]]\nid = 'x'\n")
    with pytest.raises(SuggestionError, match="has problems"):
        apply_suggestion(ws, "tighten:handoff:scan", actor="lead")
    assert not (folder / "learned.toml").exists()
