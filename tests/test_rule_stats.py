"""Each rule's recent record: hits, failures caught, escapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import record, write_jsonl

from triage.config import Config
from triage.core.models import Outcome
from triage.learn.rule_stats import rule_records
from triage.service.workspace import Workspace, shipped_rules_dir


@pytest.fixture
def ws(tmp_path: Path, db_url: str) -> Workspace:
    workspace = Workspace.open(Config(db_url, shipped_rules_dir(), "ana"))
    records = [
        record(n, id=f"rf-{n}", task_type="refund", agent="billing-agent",
               meta={"amount": 900, "policy_limit": 200})
        for n in range(1, 4)
    ] + [record(10 + n, id=f"sum-{n}", task_type="internal_summary", agent="summarizer",
                meta={"customer_facing": False}) for n in range(1, 30)]  # fmt: skip
    workspace.pull([str(write_jsonl(tmp_path / "a.jsonl", records))])
    yield workspace
    workspace.close()


def test_hits_caught_and_escapes(ws: Workspace) -> None:
    ws.record_verdict("rf-1", Outcome.FAIL, reviewer="ana", modes=["refund-over-policy"])
    ws.record_verdict("rf-2", Outcome.OK, reviewer="ana")
    sampled = [e for e in ws.queue(limit=100) if e.audit_sample]
    for entry in sampled:
        ws.record_verdict(entry.pk, Outcome.FAIL, reviewer="ana")
    records = rule_records(ws, days=7)
    over = records["refund-over-policy-limit"]
    assert over.hits == 3 and over.decided == 3 and over.caught == 1 and over.escapes == 0
    assert records["refund-any"].decided == 0  # always outranked by the deep rule
    summary = records["internal-summary-pass"]
    assert summary.hits == 29
    assert summary.escapes == len(sampled)


def test_an_escalation_is_not_counted_as_a_rule(ws: Workspace) -> None:
    """An escalated item keeps the rules that matched it: the rule that set its lane
    still decided it, and no rule named after the escalation appears."""
    before = rule_records(ws, days=7)["internal-summary-pass"]
    ws.record_verdict("sum-1", Outcome.ESCALATE, reviewer="ana", note="odd figures")
    records = rule_records(ws, days=7)
    assert "escalated" not in records
    summary = records["internal-summary-pass"]
    assert (summary.hits, summary.decided) == (before.hits, before.decided)
    assert summary.hits == 29
