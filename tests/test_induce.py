"""Rules induced from verdicts: a simple condition that fails too often below a lane
becomes a suggested rule, backtested, accepted like any other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from factories import make_item
from test_backtest import open_workspace, rules_copy, seed
from test_suggest import fact

from triage.core.models import Item, Lane, ToolCall
from triage.learn.accept import apply_suggestion
from triage.learn.induce import induce
from triage.learn.suggest import Thresholds, suggest
from triage.learn.suggestion import SuggestionKind


def row(
    n: int, failed: bool, lane: Lane = Lane.SCAN, **signals: Any
) -> tuple[Any, dict[str, Any], Lane]:
    base = {"task_type": "support_reply", "agent": "bot", "model": "m", "tool_errors": 0,
            "failed_checks": [], "meta": {}}  # fmt: skip
    return fact(n, "support_reply", lane, failed=failed), {**base, **signals}, lane


def test_a_tool_error_that_fails_across_task_types_is_induced_as_a_deep_rule() -> None:
    rows = [row(n, failed=n % 3 != 0, tool_errors=1, task_type=f"t{n % 4}") for n in range(30)]
    rows += [row(100 + n, failed=n % 20 == 0) for n in range(100)]
    [found] = [
        s for s in induce(rows, Thresholds(), set()) if s.id.startswith("induce:tool-errors")
    ]
    assert found.kind is SuggestionKind.INDUCE
    assert found.evidence.reviewed == 30 and found.evidence.failures == 20
    rule = found.changes[0].rule  # type: ignore[attr-defined]
    assert rule["when"] == "tool_errors > 0" and rule["lane"] == "deep"
    assert rule["id"] == "induced-a-tool-call-failed-to-deep"
    assert rule["why"].startswith("Where a tool call failed, outputs failed 20 of 30 reviews")


def test_what_fails_at_the_tolerated_rate_or_too_rarely_seen_is_not_induced() -> None:
    rows = [row(n, failed=n % 20 == 0, tool_errors=1) for n in range(100)]  # 5% < 10%
    rows += [row(200 + n, failed=True, agent="rare") for n in range(5)]  # too few
    assert induce(rows, Thresholds(), set()) == []


def test_items_already_in_deep_do_not_count() -> None:
    rows = [row(n, failed=True, lane=Lane.DEEP, tool_errors=1) for n in range(40)]
    assert induce(rows, Thresholds(), set()) == []


def test_a_pair_narrows_to_where_failures_are() -> None:
    rows = [row(n, failed=n % 2 == 0, agent="concierge", meta={"amount": 500}) for n in range(20)]
    rows += [row(50 + n, failed=False, agent="concierge", meta={"amount": 10}) for n in range(40)]
    rows += [row(100 + n, failed=False, meta={"amount": 500}) for n in range(40)]
    whens = [s.changes[0].rule["when"] for s in induce(rows, Thresholds(), set())]  # type: ignore[attr-defined]
    assert 'agent == "concierge" and meta.amount >= 500' in whens


def test_a_pass_item_failing_too_often_is_lifted_to_scan() -> None:
    rows = [row(n, failed=n % 8 == 0, lane=Lane.PASS, agent="summarizer") for n in range(40)]
    rows += [row(100 + n, failed=False) for n in range(40)]
    [found] = induce(rows, Thresholds(), set())
    assert found.changes[0].rule["lane"] == "scan"  # type: ignore[attr-defined]
    assert found.id == "induce:agent-summarizer:pass"


def refund_call(n: int, *, error: bool) -> Item:
    return make_item(
        n,
        task_type=("support_reply", "booking_change", "order_status")[n % 3],
        agent="desk-bot",
        output="Thanks, all done.",
        tool_calls=(
            ToolCall("lookup_order", {"order": n}, "timeout" if error else {"ok": 1}, error),
        ),
    )


def test_an_induced_suggestion_is_backtested_and_accepted(tmp_path: Path, db_url: str) -> None:
    rules = rules_copy(tmp_path)
    (rules / "anomalies.toml").write_text(
        (rules / "anomalies.toml")
        .read_text()
        .replace(
            'lane = "deep"\nwhy = "A tool call failed', 'lane = "scan"\nwhy = "A tool call failed'
        )
    )
    ws = open_workspace(db_url, rules, leads=["ana"])
    items = [refund_call(n, error=n < 24) for n in range(1, 90)]
    fails = {item.id for item in items[:24] if int(item.id[3:]) % 4 != 0}
    seed(ws, items, fails)
    found = [s for s in suggest(ws) if s.kind is SuggestionKind.INDUCE]
    assert found, "a rule induced from the tool errors"
    best = found[0]
    assert "tool_errors > 0" in best.changes[0].rule["when"]  # type: ignore[attr-defined]
    assert best.moved > 0 and best.backtest is not None
    apply_suggestion(ws, best.id, actor="ana")
    assert "induced-" in (rules / "learned.toml").read_text()
    ws.close()
