"""The failure model: audited edits and retirement, evidence, and the markdown export."""

from __future__ import annotations

import difflib
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from factories import record, write_jsonl
from markdown_it import MarkdownIt
from sqlalchemy import select

from triage.config import Config, load_config
from triage.core.models import FailureMode, Outcome
from triage.demo.workspace import build_workspace
from triage.learn.failure_model import (
    ModeEvidence,
    ModeExample,
    add_mode,
    edit_mode,
    export_markdown,
    reactivate_mode,
    render_markdown,
    retire_mode,
    trend_word,
)
from triage.service.workspace import NotALead, Workspace, shipped_rules_dir
from triage.storage.modes import Modes
from triage.storage.tables import AuditRow

FIXTURES = Path(__file__).parent / "fixtures"
SNAPSHOT = FIXTURES / "failure_model.md"
HOSTILE = (
    "Done.\n````\n# not a heading\n```\n\x1b[2J\x1b]8;;http://evil.example\x07click\x1b]8;;\x07"
    "\u202eevil\u202c ![x](http://evil.example/p.png) <script>alert(1)</script>"
)


def open_ws(db_url: str, leads: tuple[str, ...] = ()) -> Workspace:
    return Workspace.open(Config(db_url, shipped_rules_dir(), "ana", leads=leads))


@pytest.fixture
def ws(tmp_path: Path, db_url: str) -> Any:
    workspace = open_ws(db_url, leads=("lead",))
    records = [
        record(1, task_type="refund", agent="billing", model="m-1", output="Refunded 900 EUR."),
        record(2, task_type="refund", agent="billing", model="m-2", output="Refunded 700 EUR."),
        record(3, task_type="refund", agent="billing", model="m-2", output="Refunded 50 EUR."),
        record(4, created_at="2026-11-18T09:00:00Z", output=HOSTILE),
    ]
    workspace.pull([str(write_jsonl(tmp_path / "items.jsonl", records))])
    yield workspace
    workspace.close()


def audit_actions(ws: Workspace) -> list[tuple[str, str, str, dict[str, Any]]]:
    table = AuditRow.__table__  # type: ignore[attr-defined]
    with ws.store.engine.connect() as conn:
        rows = conn.execute(select(table).order_by(table.c.seq)).all()
    return [(r.actor, r.action, r.subject, r.payload) for r in rows]


def test_edits_are_audited_with_old_and_new_values(ws: Workspace) -> None:
    add_mode(ws, FailureMode("over-limit", "Over the limit", task_type="refund"), actor="ana")
    edited = edit_mode(
        ws, "over-limit", title="Refund over the limit", look_for="amount ≤ limit", actor="bo"
    )
    assert edited.title == "Refund over the limit" and edited.look_for == "amount ≤ limit"
    moved = edit_mode(ws, "over-limit", task_type=None, actor="bo")
    assert moved.task_type is None
    edit_mode(ws, "over-limit", title="Refund over the limit", actor="bo")  # no change, no entry

    assert ws.store.verify_audit().ok
    assert audit_actions(ws) == [
        (
            "ana",
            "failure_mode.create",
            "over-limit",
            {"title": "Over the limit", "task_type": "refund"},
        ),
        (
            "bo",
            "failure_mode.edit",
            "over-limit",
            {
                "look_for": {"from": "", "to": "amount ≤ limit"},
                "title": {"from": "Over the limit", "to": "Refund over the limit"},
            },
        ),
        ("bo", "failure_mode.edit", "over-limit", {"task_type": {"from": "refund", "to": None}}),
    ]
    with pytest.raises(LookupError, match="no failure mode 'nope'"):
        edit_mode(ws, "nope", title="x", actor="bo")
    with pytest.raises(ValueError, match="already exists"):
        add_mode(ws, FailureMode("over-limit", "Again"), actor="ana")
    with pytest.raises(ValueError, match="not a usable id"):
        add_mode(ws, FailureMode("has space", "Spaced"), actor="ana")


def test_only_a_lead_retires_and_reactivates(ws: Workspace) -> None:
    add_mode(ws, FailureMode("old-habit", "An old habit", task_type="refund"), actor="ana")
    with pytest.raises(
        NotALead, match="ana is not a lead, and only leads may retire failure modes"
    ):
        retire_mode(ws, "old-habit", actor="ana", reason="gone")
    assert ws.reviews.failure_mode("old-habit").status == "active"  # type: ignore[union-attr]

    retired = retire_mode(ws, "old-habit", actor="lead", reason="fixed in the prompt")
    assert retired.status == "retired"
    assert [m.id for m in ws.reviews.failure_modes("refund")] == []
    retire_mode(ws, "old-habit", actor="lead")  # already retired: nothing written
    with pytest.raises(NotALead):
        reactivate_mode(ws, "old-habit", actor="ana")
    assert reactivate_mode(ws, "old-habit", actor="lead").status == "active"

    assert ws.store.verify_audit().ok
    retired_entry = {"from": "active", "to": "retired", "reason": "fixed in the prompt"}
    assert [(a[0], a[1], a[3]) for a in audit_actions(ws)[1:]] == [
        ("lead", "failure_mode.retire", retired_entry),
        ("lead", "failure_mode.reactivate", {"from": "retired", "to": "active", "reason": ""}),
    ]
    with pytest.raises(LookupError):
        retire_mode(ws, "nope", actor="lead")


def test_everyone_may_retire_when_no_leads_are_configured(tmp_path: Path, db_url: str) -> None:
    solo = open_ws(db_url)
    try:
        add_mode(solo, FailureMode("m", "M"), actor="ana")
        assert retire_mode(solo, "m", actor="ana").status == "retired"
    finally:
        solo.close()


def test_evidence_counts_fail_verdicts_in_force(ws: Workspace) -> None:
    fail = Outcome.FAIL
    ws.record_verdict("rec-0001", fail, reviewer="ana", modes=["over-limit"], note="900 > 500")
    ws.record_verdict(
        "rec-0002", fail, reviewer="bo", modes=["over-limit", "wrong-tone"], seconds=5
    )
    undone, _ = ws.record_verdict("rec-0003", fail, reviewer="ana", modes=["over-limit"])
    ws.undo(undone, reviewer="ana")
    ws.record_verdict("rec-0004", fail, reviewer="ana", modes=["wrong-tone"], note="hostile")
    ws.record_verdict("rec-0004", Outcome.OK, reviewer="bo")  # a correction: no longer a failure

    evidence = Modes(ws.store.engine).mode_evidence(examples=1)
    assert sorted(evidence) == ["over-limit", "wrong-tone"]
    over = evidence["over-limit"]
    assert over.failures == 2
    assert over.by_model == {"m-1": 1, "m-2": 1}
    assert sum(over.by_lane.values()) == 2 and set(over.by_lane) <= {"deep", "scan", "pass"}
    assert over.first_seen == datetime(2026, 11, 16, 9, 1, tzinfo=UTC)
    assert over.last_seen == datetime(2026, 11, 16, 9, 2, tzinfo=UTC)
    assert over.by_day == {date(2026, 11, 16): 2}
    (example,) = over.examples  # the newest first
    assert (example.ref, example.reviewer, example.note) == ("files:rec-0002", "bo", "")
    assert example.excerpt == "Refunded 700 EUR."
    assert evidence["wrong-tone"].failures == 1

    both = Modes(ws.store.engine).mode_evidence()["over-limit"].examples
    assert [e.ref for e in both] == ["files:rec-0002", "files:rec-0001"]
    assert both[1].note == "900 > 500" and both[1].agent == "billing"


def test_trend_word_compares_the_last_week_with_the_one_before() -> None:
    as_of = date(2026, 11, 20)
    days = {
        date(2026, 11, 20): 3,
        date(2026, 11, 14): 1,
        date(2026, 11, 13): 1,
        date(2026, 11, 1): 9,
    }
    assert trend_word(days, as_of) == ("rising", 4, 1)
    assert trend_word({date(2026, 11, 10): 4}, as_of) == ("falling", 0, 4)
    assert trend_word({date(2026, 11, 10): 2, date(2026, 11, 19): 3}, as_of) == ("steady", 3, 2)
    assert trend_word({date(2026, 11, 19): 1}, as_of) == ("steady", 1, 0)


# -- the markdown export ------------------------------------------------------------------


def demo_export(folder: Path) -> str:
    summary = build_workspace(folder, end=date(2026, 11, 20), days=14, per_day=24)
    ws = Workspace.open(load_config(str(summary.config), use_env=False))
    try:
        ws.reviews.add_failure_mode(
            FailureMode("wrong-currency", "Quotes the wrong currency", task_type="refund"),
            actor="lead",
        )
        retire_mode(ws, "wrong-currency", actor="lead", reason="merged into invoice-wrong-amount")
        first, second = export_markdown(ws), export_markdown(ws)
    finally:
        ws.close()
    assert first == second  # same data, same bytes
    return first


def test_export_matches_the_checked_in_snapshot(tmp_path: Path) -> None:
    document = demo_export(tmp_path / "demo")
    if os.environ.get("TRIAGE_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(document, encoding="utf-8")
    expected = SNAPSHOT.read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(
            expected.splitlines(True), document.splitlines(True), "expected", "exported"
        )
    )
    assert document == expected, (
        "the export changed; review the diff, then rerun with TRIAGE_UPDATE_SNAPSHOTS=1\n" + diff
    )
    assert document.startswith("# Failure model\n\n")
    assert "## Retired failure modes\n\n- `wrong-currency`: Quotes the wrong currency" in document
    assert document == demo_export(tmp_path / "again")  # a rebuilt workspace gives the same bytes


def test_hostile_agent_text_stays_inert_inside_its_fence(ws: Workspace) -> None:
    ws.record_verdict(
        "rec-0004",
        Outcome.FAIL,
        reviewer="ana",
        modes=["weird"],
        note="see [here](http://x.example)",
    )
    document = export_markdown(ws)
    assert "\x1b" not in document and "\x07" not in document and "\u202e" not in document
    assert all(line.isprintable() for line in document.split("\n"))
    assert "␛[2J" in document and "<U+202E>evil" in document

    tokens = MarkdownIt("commonmark").parse(document)
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == 1
    body = fences[0].content
    assert body.startswith("Done.\n````\n# not a heading\n```\n␛[2J")
    assert "<script>alert(1)</script>" in body and "![x](http://evil.example/p.png)" in body
    assert fences[0].markup == "`````"  # longer than the longest backtick run inside
    # Nothing outside the fence became a link, an image or HTML.
    inline = [child for t in tokens if t.children for child in t.children]
    assert not [c for c in inline if c.type in ("link_open", "image", "html_inline")]
    assert not [t for t in tokens if t.type == "html_block"]
    assert "see \\[here\\](http://x.example)" in document


def test_render_keeps_backticks_in_names_and_cuts_long_output() -> None:
    modes = [FailureMode("tick", "Ticks", task_type="a`b``c")]
    example = ModeExample(
        ref="files:``x``",
        item_pk=1,
        created_at=datetime(2026, 11, 20, tzinfo=UTC),
        agent="bot",
        task_type="a`b``c",
        model="m",
        lane="scan",
        reviewer="ana",
        note="",
        excerpt="line\n" * 40 + "x" * 5000,
    )
    ev = ModeEvidence(
        "tick", 1, {"scan": 1}, {"m": 1}, {date(2026, 11, 20): 1},
        example.created_at, example.created_at, (example,),
    )  # fmt: skip
    document = render_markdown(modes, {"tick": ev})
    assert "## ```a`b``c```" in document
    assert "1. ``` files:``x`` ```, created 2026-11-20" in document
    tokens = MarkdownIt("commonmark").parse(document)
    spans = [c.content for t in tokens if t.children for c in t.children if c.type == "code_inline"]
    assert "a`b``c" in spans and "files:``x``" in spans
    (block,) = [t for t in tokens if t.type == "fence"]
    assert block.content.count("\n") <= 13 and block.content.endswith("…\n")
    assert render_markdown([], {}) == (
        "# Failure model\n\nThe ways our agents' outputs go wrong, per task type, as reviewers "
        "have recorded them. Each failure mode says what goes wrong and what reviewers look for "
        "(a checklist item when reviewing that task type), how often it was found and where, and "
        "recent examples. Counts are the fail verdicts in force tagged with the mode; an audit "
        "sample's failure counts under pass, the lane that would have let it through.\n\n"
        "0 active failure modes, 0 retired.\n"
    )
