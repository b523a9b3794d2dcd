"""The reviewer's sitting without the UI: queue view, plans, verdicts and undo."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import record, write_jsonl

from triage.config import Config
from triage.core.models import Lane, Outcome, QueueFilter, QueueKey
from triage.service.review import QueueView, Sitting, estimate_minutes, plan_session
from triage.service.workspace import Workspace, shipped_rules_dir

MINUTES = {"deep": 5.0, "scan": 1.0, "pass": 0.0}


@pytest.fixture
def ws(tmp_path: Path, db_url: str) -> Workspace:
    workspace = Workspace.open(Config(db_url, shipped_rules_dir(), "ana"))
    refunds = [
        record(100 + n, id=f"rf-{n}", task_type="refund", agent="billing-agent",
               meta={"amount": 50 + 100 * n, "policy_limit": 200})
        for n in range(6)
    ]  # fmt: skip
    workspace.pull(
        [str(write_jsonl(tmp_path / "a.jsonl", [record(n) for n in range(1, 15)] + refunds))]
    )
    yield workspace
    workspace.close()


def test_queue_view_pages_rows_in_queue_order(ws: Workspace) -> None:
    view = QueueView(ws, QueueFilter(), page=4)
    assert len(view) == 20
    rows = [view.row(i) for i in range(len(view))]
    severities = [row.lane.severity for row in rows]
    assert severities == sorted(severities, reverse=True)
    assert view.index_of(rows[7].pk) == 7
    deep = QueueView(ws, QueueFilter(lane=Lane.DEEP))
    assert {deep.row(i).lane for i in range(len(deep))} == {Lane.DEEP}


def test_sitting_records_times_and_undoes_in_reverse(ws: Workspace) -> None:
    now = [100.0]
    sitting = Sitting(ws, "ana", clock=lambda: now[0])
    view = QueueView(ws, QueueFilter(open_only=True))
    first, second = view.row(0), view.row(1)

    sitting.showing()
    now[0] += 42.0
    a = sitting.record(first.pk, Outcome.OK)
    assert a.seconds == 42.0
    sitting.showing()
    b = sitting.record(second.pk, Outcome.FAIL, modes=["wrong-order-number"], note="LL-1 not LL-2")
    assert b.modes == ("wrong-order-number",)
    assert len(QueueView(ws, QueueFilter(open_only=True))) == len(view) - 2

    assert sitting.undo() == b
    assert sitting.undo() == a
    assert sitting.undo() is None
    assert len(QueueView(ws, QueueFilter(open_only=True))) == len(view)
    outcomes = [v.outcome for v in ws.reviews.for_item(second.pk)]
    assert outcomes == ["fail", "undo"]  # history stays true


def test_escalate_lifts_and_undo_puts_it_back(ws: Workspace) -> None:
    view = QueueView(ws, QueueFilter(lane=Lane.SCAN))
    row = view.row(0)
    sitting = Sitting(ws, "ana")
    sitting.record(row.pk, Outcome.ESCALATE, note="legal")
    assert ws.store.queue_rows([row.pk])[row.pk].lane is Lane.DEEP
    sitting.undo()
    assert ws.store.queue_rows([row.pk])[row.pk].lane is Lane.SCAN


def test_summary_counts_reviewed_per_lane(ws: Workspace) -> None:
    view = QueueView(ws, QueueFilter(lane=Lane.DEEP))
    Sitting(ws, "ana").record(view.row(0).pk, Outcome.OK)
    summary = ws.store.queue_summary(QueueFilter())
    assert summary[Lane.DEEP][1] == 1
    assert sum(total for total, _ in summary.values()) == 20


def test_plan_takes_the_most_valuable_items_that_fit() -> None:
    keys = [
        QueueKey(1, Lane.DEEP, 30.0), QueueKey(2, Lane.DEEP, 5.0), QueueKey(3, Lane.SCAN, 20.0),
        QueueKey(4, Lane.SCAN, 0.0), QueueKey(5, Lane.SCAN, 3.0), QueueKey(6, Lane.PASS, 0.0),
    ]  # fmt: skip
    plan = plan_session(keys, 8, MINUTES)
    assert plan.pks[0] == 3  # a risky scan item is worth most per minute
    assert 6 not in plan.pks  # pass takes no reviewer minutes: never planned
    assert sum(MINUTES[k.lane.value] for k in keys if k.pk in plan.pks) <= 8
    assert plan.left == 5 - len(plan.pks)
    assert estimate_minutes(keys, MINUTES) == 13.0
    assert plan_session(keys, 0, MINUTES).pks == []
