"""Statistics: counts, Wilson intervals, escapes from audit samples, grouping, trends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from factories import record, write_jsonl

from triage.config import Config
from triage.core.models import ItemFact, Lane, Outcome, ReviewFact
from triage.learn.stats import StatRow, compute_stats, period_of, trend
from triage.service.workspace import Workspace

DAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday, ISO week 47


def fact(
    pk: int,
    task_type: str,
    lane: Lane,
    *,
    sample: bool = False,
    agent: str = "bot",
    model: str = "m-1",
    day: int = 0,
) -> ItemFact:
    return ItemFact(pk, agent, task_type, model, DAY + timedelta(days=day), lane, sample)


def review(
    item: ItemFact, outcome: str, *, seconds: float = 60.0, flagged: bool = True
) -> ReviewFact:
    return ReviewFact(
        item_pk=item.pk,
        ref=f"files:{item.pk}",
        agent=item.agent,
        task_type=item.task_type,
        model=item.model,
        created_at=item.created_at,
        lane=item.lane,
        audit_sample=item.audit_sample and flagged,
        outcome=outcome,
        modes=("x",) if outcome == "fail" else (),
        seconds=seconds,
        reviewer="ana",
        reviewed_at=item.created_at + timedelta(hours=1),
    )


def rounded(row: StatRow, *names: str) -> tuple[Any, ...]:
    return tuple(round(v, 3) if isinstance(v := getattr(row, name), float) else v for name in names)


@pytest.fixture
def facts() -> tuple[list[ItemFact], list[ReviewFact]]:
    items: list[ItemFact] = []
    reviews: list[ReviewFact] = []
    # refund in scan: 31 reviewed, 9 failed, a minute each.
    for n in range(31):
        items.append(fact(n, "refund", Lane.SCAN))
        reviews.append(review(items[-1], "fail" if n < 9 else "ok"))
    # refund in deep: 5 items, 2 reviewed, both failed, 3 minutes each.
    for n in range(31, 36):
        items.append(fact(n, "refund", Lane.DEEP))
        if n < 33:
            reviews.append(review(items[-1], "fail", seconds=180.0))
    # handoff in pass: 100 passed, 20 audit samples sent to scan, 1 of them failed.
    for n in range(100, 200):
        items.append(fact(n, "handoff", Lane.PASS))
    for n in range(200, 220):
        items.append(fact(n, "handoff", Lane.SCAN, sample=True))
        reviews.append(review(items[-1], "fail" if n == 200 else "ok", seconds=30.0))
    return items, reviews


def test_rates_intervals_minutes_and_escapes_by_task_type_and_lane(
    facts: tuple[list[ItemFact], list[ReviewFact]],
) -> None:
    rows = compute_stats(*facts)
    assert [(r.task_type, r.lane) for r in rows] == [
        ("handoff", Lane.PASS),
        ("refund", Lane.DEEP),
        ("refund", Lane.SCAN),
    ]
    handoff, deep, scan = rows
    names = ("items", "reviewed", "failures", "rate", "ci_low", "ci_high", "minutes")
    assert rounded(scan, *names) == (31, 31, 9, 0.290, 0.161, 0.466, 31.0)
    assert rounded(deep, *names) == (5, 2, 2, 1.0, 0.342, 1.0, 6.0)
    # Audit samples count under pass, never in scan's failure rate.
    assert rounded(handoff, *names) == (120, 20, 1, 0.05, 0.009, 0.236, 10.0)
    escape = ("samples", "escapes", "escape_rate", "escape_ci_low", "escape_ci_high")
    assert rounded(handoff, *escape) == (20, 1, 0.05, 0.009, 0.236)
    assert rounded(scan, *escape) == (0, 0, None, None, None)


def test_nothing_reviewed_has_no_rate_and_no_interval() -> None:
    (row,) = compute_stats([fact(1, "refund", Lane.DEEP)], [])
    assert (row.items, row.reviewed, row.rate, row.ci_low, row.ci_high) == (1, 0, None, None, None)


def test_grouping_by_agent_and_model_and_period() -> None:
    a1 = fact(1, "refund", Lane.DEEP, agent="billing", model="m-1", day=0)
    a2 = fact(2, "refund", Lane.SCAN, agent="billing", model="m-2", day=1)
    a3 = fact(3, "support", Lane.SCAN, agent="support", model="m-1", day=7)
    reviews = [review(a1, "fail"), review(a2, "ok"), review(a3, "fail")]
    items = [a1, a2, a3]

    by_agent = compute_stats(items, reviews, by=["agent"])
    assert [(r.agent, r.items, r.reviewed, r.failures) for r in by_agent] == [
        ("billing", 2, 2, 1),
        ("support", 1, 1, 1),
    ]
    assert all(r.task_type is None and r.lane is None and r.model is None for r in by_agent)
    assert (
        round(by_agent[0].ci_low or 0, 3) == 0.095 and round(by_agent[0].ci_high or 0, 3) == 0.905
    )

    by_model = compute_stats(items, reviews, by=("model", "agent"))
    assert [(r.model, r.agent, r.failures) for r in by_model] == [
        ("m-1", "billing", 1),
        ("m-1", "support", 1),
        ("m-2", "billing", 0),
    ]

    daily = compute_stats(items, reviews, by=("task_type",), period="day")
    assert [(r.task_type, r.period, r.items) for r in daily] == [
        ("refund", "2026-11-16", 1),
        ("refund", "2026-11-17", 1),
        ("support", "2026-11-23", 1),
    ]
    weekly = compute_stats(items, reviews, by=("lane",), period="week")
    assert [(r.lane, r.period, r.items, r.failures) for r in weekly] == [
        (Lane.DEEP, "2026-W47", 1, 1),
        (Lane.SCAN, "2026-W47", 1, 0),
        (Lane.SCAN, "2026-W48", 1, 1),
    ]


def test_period_labels_and_bad_arguments() -> None:
    assert period_of(datetime(2027, 1, 1, tzinfo=UTC), "week") == "2026-W53"
    assert period_of(datetime(2026, 11, 20, 23, 59, tzinfo=UTC), "day") == "2026-11-20"
    with pytest.raises(ValueError, match="cannot group by colour"):
        compute_stats([], [], by=("colour",))
    with pytest.raises(ValueError, match="each key once"):
        compute_stats([], [], by=("lane", "lane"))
    with pytest.raises(ValueError, match="unknown period"):
        compute_stats([], [], period="month")
    assert compute_stats([], []) == []


def test_trend_fills_empty_periods_and_marks_model_changes() -> None:
    items = [
        fact(1, "refund", Lane.DEEP, agent="billing", model="m-1", day=0),
        fact(2, "refund", Lane.DEEP, agent="billing", model="m-1", day=1),
        fact(3, "refund", Lane.DEEP, agent="billing", model="m-2", day=3),
        fact(4, "support", Lane.SCAN, agent="support", model="s-1", day=3),
    ]
    reviews = [review(items[0], "ok"), review(items[2], "fail"), review(items[3], "fail")]
    points = trend(items, reviews, task_type="refund")
    assert [(p.period, p.items, p.reviewed, p.failures) for p in points] == [
        ("2026-11-16", 1, 1, 0),
        ("2026-11-17", 1, 0, 0),
        ("2026-11-18", 0, 0, 0),
        ("2026-11-19", 1, 1, 1),
    ]
    assert points[1].rate is None and points[3].rate == 1.0
    # A model change is marked; an agent's first model is not a change.
    assert [p.new_models for p in points] == [(), (), (), (("billing", "m-2"),)]
    everyone = trend(items, reviews, period="week")
    assert [(p.period, p.items, p.failures, p.new_models) for p in everyone] == [
        ("2026-W47", 4, 2, (("billing", "m-2"),))
    ]
    assert trend([], []) == []


# -- on a real database ----------------------------------------------------------------

RULES = {
    "settings.toml": '[settings]\ndefault_lane = "scan"\naudit_rate = 0.5\n',
    "lanes.toml": """
[[rule]]
id = "refund-deep"
lane = "deep"
why = "Refunds move money."
owner = "dana"
when = 'task_type == "refund"'

[[rule]]
id = "handoff-pass"
lane = "pass"
why = "Handoffs are routine."
owner = "dana"
when = 'task_type == "handoff"'
""",
}


@pytest.fixture
def ws(tmp_path: Path, db_url: str) -> Any:
    rules = tmp_path / "rules"
    rules.mkdir()
    for name, text in RULES.items():
        (rules / name).write_text(text, encoding="utf-8")
    workspace = Workspace.open(Config(db_url, rules, "ana"))
    records = [
        record(n, id=f"rf-{n}", task_type="refund", agent="billing", model="m-1") for n in range(4)
    ]
    records += [
        record(10 + n, id=f"ho-{n}", task_type="handoff", agent="desk", model="m-2")
        for n in range(16)
    ]
    workspace.pull([str(write_jsonl(tmp_path / "items.jsonl", records))])
    yield workspace
    workspace.close()


def test_stats_from_stored_items_and_verdicts(ws: Workspace) -> None:
    for n, outcome in enumerate([Outcome.FAIL, Outcome.OK, Outcome.OK]):
        modes = ["refund-over-policy"] if outcome is Outcome.FAIL else []
        ws.record_verdict(f"rf-{n}", outcome, reviewer="ana", modes=modes, seconds=120)
    items = ws.store.item_facts()
    samples = sorted(f.pk for f in items if f.audit_sample)
    assert len(samples) >= 2, "the audit rate of 0.5 should sample some of 16 handoffs"
    for n, pk in enumerate(samples):
        ws.record_verdict(pk, Outcome.FAIL if n == 0 else Outcome.OK, reviewer="bo", seconds=30)

    rows = compute_stats(items, ws.store.review_facts())
    assert [(r.task_type, r.lane) for r in rows] == [("handoff", Lane.PASS), ("refund", Lane.DEEP)]
    handoff, refund = rows
    names = ("items", "reviewed", "failures", "rate", "ci_low", "ci_high", "minutes")
    assert rounded(refund, *names) == (4, 3, 1, 0.333, 0.061, 0.792, 6.0)
    k = len(samples)
    assert (handoff.items, handoff.reviewed, handoff.failures) == (16, k, 1)
    assert (handoff.samples, handoff.escapes, handoff.minutes) == (k, 1, round(k * 0.5, 2))
    assert handoff.escape_rate == pytest.approx(1 / k)

    # An undone verdict no longer counts.
    first = ws.reviews.current([refund_pk(ws, "rf-0")])
    ws.undo(next(iter(first.values())), reviewer="ana")
    refund_after = compute_stats(ws.store.item_facts(), ws.store.review_facts())[1]
    assert (refund_after.reviewed, refund_after.failures) == (2, 0)

    by_model = compute_stats(ws.store.item_facts(), ws.store.review_facts(), by=("model",))
    assert [(r.model, r.items) for r in by_model] == [("m-1", 4), ("m-2", 16)]


def refund_pk(ws: Workspace, ref: str) -> int:
    return ws.find(ref)[0]
