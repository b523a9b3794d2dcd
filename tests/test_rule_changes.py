"""A lead's direct rule edits: validated, comment-preserving, audited, re-triaged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from factories import record, write_jsonl

from triage.config import Config
from triage.learn.rule_changes import activate_rule, add_shadow_rule, edit_rule
from triage.rules import RulesError, load_rules
from triage.service.workspace import NotALead, Workspace, shipped_rules_dir


@pytest.fixture
def ws(tmp_path: Path, db_url: str) -> Workspace:
    rules = tmp_path / "rules"
    shutil.copytree(shipped_rules_dir(), rules)
    workspace = Workspace.open(Config(db_url, rules, "dana", leads=("dana",)))
    refunds = [
        record(n, id=f"rf-{n}", task_type="refund", agent="billing-agent", meta={"amount": 50})
        for n in range(1, 4)
    ]
    workspace.pull([str(write_jsonl(tmp_path / "a.jsonl", refunds))])
    yield workspace
    workspace.close()


def test_edit_keeps_comments_audits_and_retriages(ws: Workspace) -> None:
    folder = ws.config.rules_dir
    assert folder is not None
    before = (folder / "money.toml").read_text()
    change = edit_rule(ws, "refund-any", {"lane": "deep"}, actor="dana")
    after = (folder / "money.toml").read_text()
    comments = [line for line in before.splitlines() if line.lstrip().startswith("#")]
    assert all(line in after for line in comments)
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert len(changed) == 1 and 'lane = "deep"' in changed[0][1]
    assert load_rules(folder).version == change.new_version != change.old_version
    assert ws.explain("rf-1").decision.lane.value == "deep"
    assert ws.explain("rf-1").decisions == 2
    with ws.store.engine.connect() as conn:
        from sqlalchemy import text

        actions = [r[0] for r in conn.execute(text("select action from audit order by seq"))]
    assert actions[-1] == "rules.edit" and ws.store.verify_audit().ok


def test_an_invalid_edit_is_refused_and_nothing_changes(ws: Workspace) -> None:
    folder = ws.config.rules_dir
    assert folder is not None
    before = {p.name: p.read_text() for p in folder.glob("*.toml")}
    with pytest.raises(RulesError) as caught:
        edit_rule(ws, "refund-any", {"when": "task_type == "}, actor="dana")
    assert caught.value.problems
    assert {p.name: p.read_text() for p in folder.glob("*.toml")} == before


def test_shadow_draft_then_activate(ws: Workspace) -> None:
    draft = {
        "id": "all-refunds-deep", "lane": "deep", "why": "Trial: every refund deep.",
        "when": 'task_type == "refund"',
    }  # fmt: skip
    add_shadow_rule(ws, draft, actor="dana")
    ex = ws.explain("rf-2")
    assert ex.decision.lane.value == "scan"
    assert any(r.rule == "all-refunds-deep" and r.shadow for r in ex.decision.reasons)
    activate_rule(ws, "all-refunds-deep", actor="dana")
    assert ws.explain("rf-2").decision.lane.value == "deep"
    folder = ws.config.rules_dir
    assert folder is not None
    assert "shadow" not in (folder / "drafts.toml").read_text().split("[[rule]]")[-1]


def test_only_leads_change_rules(ws: Workspace) -> None:
    with pytest.raises(NotALead, match="only leads may change rules"):
        edit_rule(ws, "refund-any", {"lane": "deep"}, actor="maja")
