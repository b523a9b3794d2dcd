"""Reason kinds: a rule, a shadow rule, an escalation, an audit sample, the default
lane. Escalations are no pseudo-rule; rows stored before reasons had a kind read the
same, and what ``triage explain`` shows does not change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from clitools import Cli, make_cli
from factories import make_item, record, write_jsonl
from sqlalchemy import select, update

from triage.config import Config
from triage.core.models import (
    AUDIT_SAMPLE_WHY,
    Decision,
    Lane,
    Novelty,
    Outcome,
    Reason,
    ReasonKind,
    lead_reason,
)
from triage.service.workspace import Workspace, shipped_rules_dir
from triage.storage.convert import reason_from_json, reason_to_json
from triage.storage.store import Store
from triage.storage.tables import DecisionRow

decisions_t = DecisionRow.__table__  # type: ignore[attr-defined]

LEGACY_ESCALATION = {
    "rule": "escalated",
    "lane": "deep",
    "why": "escalated by ana: legal: see clause 4",
    "matched": {},
    "failure_modes": [],
    "shadow": False,
}
"""An escalation as rows written before reasons had a kind hold it."""


def rule_reason(lane: Lane = Lane.SCAN, *, shadow: bool = False) -> Reason:
    kind = ReasonKind.SHADOW if shadow else ReasonKind.RULE
    return Reason(f"r-{lane.value}", lane, f"because {lane.value}", {"amount": 900}, ("m",), kind)


def decision(*reasons: Reason, lane: Lane = Lane.SCAN, audit: bool = False) -> Decision:
    return Decision(lane, reasons, Novelty(80.0), audit, "r-test", rule_lane=None)


@pytest.fixture
def store(db_url: str) -> Store:
    s = Store.open(db_url)
    yield s
    s.close()


@pytest.fixture
def ws(tmp_path: Path, db_url: str) -> Workspace:
    workspace = Workspace.open(Config(db_url, shipped_rules_dir(), "ana"))
    workspace.pull([str(write_jsonl(tmp_path / "a.jsonl", [record(n) for n in range(1, 4)]))])
    yield workspace
    workspace.close()


def stored_reasons(store: Store, item_pk: int) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        pk = conn.execute(
            select(decisions_t.c.pk, decisions_t.c.reasons)
            .where(decisions_t.c.item_pk == item_pk)
            .order_by(decisions_t.c.pk.desc())
        ).first()
    assert pk is not None
    return list(pk.reasons)


def rewrite_newest(store: Store, item_pk: int, reasons: list[dict[str, Any]]) -> None:
    """Overwrite the item's newest decision's reasons as an older version stored them."""
    with store.engine.begin() as conn:
        newest = conn.execute(
            select(decisions_t.c.pk)
            .where(decisions_t.c.item_pk == item_pk)
            .order_by(decisions_t.c.pk.desc())
        ).scalar()
        conn.execute(update(decisions_t).where(decisions_t.c.pk == newest).values(reasons=reasons))


def test_a_rule_reason_is_stored_in_the_shape_it_always_had() -> None:
    assert reason_to_json(rule_reason()) == {
        "rule": "r-scan", "lane": "scan", "why": "because scan", "matched": {"amount": 900},
        "failure_modes": ["m"], "shadow": False,
    }  # fmt: skip
    assert reason_to_json(rule_reason(shadow=True))["shadow"] is True
    for reason in (rule_reason(), rule_reason(shadow=True)):
        assert reason_from_json(reason_to_json(reason)) == reason


def test_an_escalation_is_no_rule_and_round_trips_with_its_reviewer_and_note() -> None:
    reason = Reason.escalation(reviewer="ana", note="legal: see clause 4")
    assert (reason.kind, reason.rule, reason.lane) == (ReasonKind.ESCALATION, None, Lane.DEEP)
    assert reason.why == "escalated by ana: legal: see clause 4"
    assert reason.label == "escalated"
    stored = reason_to_json(reason)
    assert stored == {
        **LEGACY_ESCALATION, "kind": "escalation", "reviewer": "ana",
        "note": "legal: see clause 4",
    }  # fmt: skip
    assert json.loads(json.dumps(stored)) == stored
    assert reason_from_json(stored) == reason


def test_a_legacy_escalation_row_reads_as_an_escalation() -> None:
    reason = reason_from_json(LEGACY_ESCALATION)
    assert reason == Reason.escalation(reviewer="ana", note="legal: see clause 4")
    bare = reason_from_json({**LEGACY_ESCALATION, "why": "escalated by bo"})
    assert (bare.kind, bare.reviewer, bare.note) == (ReasonKind.ESCALATION, "bo", "")


def test_a_rule_that_happens_to_be_named_escalated_stays_a_rule() -> None:
    real = reason_from_json({**LEGACY_ESCALATION, "why": "the customer asked for a manager"})
    assert (real.kind, real.rule, real.label) == (ReasonKind.RULE, "escalated", "escalated")
    assert not decision(real, lane=Lane.DEEP).escalated


def test_lead_reason_kinds() -> None:
    deep, scan = rule_reason(Lane.DEEP), rule_reason(Lane.SCAN)
    assert lead_reason(Lane.DEEP, (scan, deep), False) is deep
    sampled = lead_reason(Lane.SCAN, (rule_reason(Lane.PASS),), True)
    assert (sampled.kind, sampled.why) == (ReasonKind.AUDIT_SAMPLE, AUDIT_SAMPLE_WHY)
    shadow_only = lead_reason(Lane.SCAN, (rule_reason(Lane.DEEP, shadow=True),), False)
    assert shadow_only.kind is ReasonKind.DEFAULT_LANE
    assert shadow_only.why == "no rule matched; default lane is scan"
    lifted = decision(scan, deep, audit=True).escalate(reviewer="ana", note="legal")
    assert lifted.escalated and not lifted.audit_sample and lifted.lane is Lane.DEEP
    assert lifted.lead.kind is ReasonKind.ESCALATION
    assert lifted.first_reason == "escalated by ana: legal"


def test_the_queue_shows_the_escalation_as_an_items_first_reason(store: Store) -> None:
    ((pk, _),) = store.write_items([make_item(1)]).changed
    store.record_decisions([(pk, decision(rule_reason(Lane.DEEP), lane=Lane.DEEP))])
    current = store.decision(pk)
    assert current is not None
    store.escalate(pk, current, reviewer="ana", note="needs legal")
    assert store.queue()[0].reason == "escalated by ana: needs legal"
    rewrite_newest(store, pk, [LEGACY_ESCALATION, reason_to_json(rule_reason(Lane.DEEP))])
    assert store.queue()[0].reason == LEGACY_ESCALATION["why"]
    legacy = store.decision(pk)
    assert legacy is not None and legacy.escalated


@pytest.mark.parametrize("legacy", [False, True], ids=["current", "legacy-row"])
def test_undoing_an_escalation_restores_the_lane(ws: Workspace, legacy: bool) -> None:
    pk, _ = ws.find("rec-0001")
    before = ws.store.decision(pk)
    assert before is not None and before.lane is not Lane.DEEP
    record, _ = ws.record_verdict(pk, Outcome.ESCALATE, reviewer="ana", note="legal")
    lifted = stored_reasons(ws.store, pk)
    assert lifted[0]["kind"] == "escalation" and lifted[0]["rule"] == "escalated"
    if legacy:
        old_shape = {k: v for k, v in lifted[0].items() if k not in ("kind", "reviewer", "note")}
        rewrite_newest(ws.store, pk, [old_shape, *lifted[1:]])
    assert ws.store.queue_rows([pk])[pk].lane is Lane.DEEP
    ws.undo(record, reviewer="ana")
    assert ws.store.queue_rows([pk])[pk].lane is before.lane
    assert ws.store.decision(pk) == before


@pytest.fixture
def cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    cli = make_cli(tmp_path, db_url, monkeypatch)
    cli("pull", str(write_jsonl(tmp_path / "a.jsonl", [record(1)])))
    return cli


def test_explain_shows_an_escalation_as_it_always_did(cli: Cli) -> None:
    cli("verdict", "rec-0001", "--escalate", "--note", "legal should see this")
    ex = cli.json("explain", "rec-0001")
    assert ex["reasons"][0] == {
        "rule": "escalated",
        "lane": "deep",
        "why": "escalated by ana: legal should see this",
        "matched": {},
    }
    assert ex["rule_lane"] == "deep" and ex["lane"] == "deep"
    human = cli("explain", "rec-0001").stdout
    assert "● escalated → deep  escalated by ana: legal should see this" in human
