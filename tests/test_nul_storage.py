"""NUL characters reaching storage through the service, on SQLite and PostgreSQL alike:
names and ids refused with ``InvalidInput`` before anything is written, free text
stored with ``␀`` in place of each NUL, lookups by an id with a NUL finding nothing,
and opaque values (a source's resume point, JSON payloads) kept exactly."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from factories import make_item
from sqlalchemy import func, select, text

from triage.config import Config
from triage.core.models import FailureMode, Outcome, QueueFilter
from triage.errors import InvalidInput, NotFound
from triage.learn.rule_changes import edit_rule
from triage.service.workspace import Workspace, shipped_rules_dir
from triage.storage import audit, source_state
from triage.storage.engine import writing
from triage.storage.modes import Modes
from triage.storage.outbox import Outbox
from triage.storage.suggestions import DISMISSED, SuggestionLog
from triage.storage.tables import AuditRow, VerdictRow

STAND_IN = "\u2400"
AT = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)


@pytest.fixture
def ws(tmp_path: Path, db_url: str) -> Iterator[Workspace]:
    rules = tmp_path / "rules"
    shutil.copytree(shipped_rules_dir(), rules)
    workspace = Workspace.open(Config(db_url, rules, "dana", leads=("dana",)))
    with writing(workspace.store.engine) as conn:  # answers left by an earlier test
        conn.execute(text("delete from suggestion_decision"))
    workspace.store.write_items([make_item(1), make_item(2, task_type="refund")])
    workspace.retriage()
    yield workspace
    workspace.close()


def audit_size(ws: Workspace) -> int:
    with ws.store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(AuditRow)).scalar_one())


def test_a_nul_checklist_key_is_refused_before_anything_is_written(ws: Workspace) -> None:
    before = audit_size(ws)
    with pytest.raises(InvalidInput, match="checklist item 'm\\\\x00' may not contain a NUL"):
        ws.record_verdict("it-0001", Outcome.FAIL, reviewer="ana", modes=("new-mode",),
                          checklist={"m\x00": "present"})  # fmt: skip
    assert ws.reviews.failure_mode("new-mode") is None
    assert ws.reviews.for_item(ws.find("it-0001")[0]) == []
    assert audit_size(ws) == before


def test_free_text_of_a_verdict_keeps_its_nul_visible(ws: Workspace) -> None:
    record, _ = ws.record_verdict(
        "it-0001", Outcome.ESCALATE, reviewer="ana", note="see\x00here",
        checklist={"m1": "found\x00"},
    )  # fmt: skip
    assert record.note == f"see{STAND_IN}here"
    with ws.store.engine.connect() as conn:
        checklist = conn.execute(select(VerdictRow.checklist)).scalar_one()  # type: ignore[call-overload]
    assert checklist == {"m1": f"found{STAND_IN}"}
    decision = ws.store.decision(record.item_pk)
    assert decision is not None
    assert decision.reasons[0].why == f"escalated by ana: see{STAND_IN}here"
    assert ws.store.verify_audit().ok


def test_undo_by_a_nul_reviewer_is_refused(ws: Workspace) -> None:
    record, _ = ws.record_verdict("it-0001", Outcome.OK, reviewer="ana")
    with pytest.raises(InvalidInput, match="reviewer name"):
        ws.undo(record, reviewer="ana\x00")
    assert [v.outcome for v in ws.reviews.for_item(record.item_pk)] == ["ok"]


def test_lookups_by_an_id_with_a_nul_find_nothing(ws: Workspace) -> None:
    ws.reviews.add_failure_mode(FailureMode(id="for-all", title="For all"), actor="ana")
    assert ws.store.item("it-0001\x00") is None
    assert ws.store.item("files:it-0001\x00") is None
    with pytest.raises(LookupError, match="no item"):
        ws.explain("it\x00")
    assert ws.reviews.failure_mode("for-all\x00") is None
    assert ws.reviews.by_key("k\x00") is None
    assert [m.id for m in ws.reviews.failure_modes("refund\x00")] == ["for-all"]
    with pytest.raises(NotFound):
        Modes(ws.store.engine).update_failure_mode("for-all\x00", title="x", actor="ana")
    with pytest.raises(NotFound):
        Modes(ws.store.engine).set_status("for-all\x00", "retired", actor="dana")
    assert SuggestionLog(ws.store.engine).for_suggestion("tighten:x\x00") == []
    assert ws.store.queue(where=QueueFilter(agent="support-bot\x00")) == []
    assert ws.store.queue_summary(QueueFilter(task_type="refund\x00"))
    assert sum(n for n, _ in ws.store.queue_summary(QueueFilter(agent="a\x00")).values()) == 0


def test_failure_mode_edits_refuse_nul_names_and_keep_text_visible(ws: Workspace) -> None:
    modes = Modes(ws.store.engine)
    ws.reviews.add_failure_mode(FailureMode(id="m1", title="One"), actor="ana")
    with pytest.raises(InvalidInput, match="task type"):
        ws.reviews.add_failure_mode(FailureMode(id="m2", title="t", task_type="r\x00"), actor="a")
    with pytest.raises(InvalidInput, match="reviewer name"):
        modes.update_failure_mode("m1", title="x", actor="ana\x00")
    with pytest.raises(InvalidInput, match="task type"):
        modes.update_failure_mode("m1", task_type="r\x00", actor="ana")
    edited = modes.update_failure_mode("m1", title="T\x00", look_for="l\x00", actor="ana")
    assert (edited.title, edited.look_for) == (f"T{STAND_IN}", f"l{STAND_IN}")
    modes.set_status("m1", "retired", actor="dana", reason="gone\x00")
    with ws.store.engine.connect() as conn:
        payload = conn.execute(
            select(AuditRow.payload).order_by(AuditRow.seq.desc()).limit(1)  # type: ignore[attr-defined]
        ).scalar_one()
    assert payload["reason"] == f"gone{STAND_IN}"
    assert ws.reviews.failure_mode("m2") is None
    assert ws.store.verify_audit().ok


def test_suggestion_answers_refuse_nul_ids_and_keep_reasons_visible(ws: Workspace) -> None:
    log = SuggestionLog(ws.store.engine)
    before = audit_size(ws)
    for suggestion, actor in (("s\x00", "dana"), ("s", "dana\x00")):
        with pytest.raises(InvalidInput, match="NUL"):
            log.record(suggestion=suggestion, decision=DISMISSED, actor=actor, reason="r",
                       action="suggestion.dismiss", payload={})  # fmt: skip
    assert audit_size(ws) == before and log.for_suggestion("s") == []
    answer = log.record(suggestion="s", decision=DISMISSED, actor="dana", reason="why\x00",
                        action="suggestion.dismiss", payload={})  # fmt: skip
    assert answer.reason == f"why{STAND_IN}"
    assert [a.reason for a in log.for_suggestion("s")] == [f"why{STAND_IN}"]


def test_a_source_resume_point_keeps_its_nul_exactly(ws: Workspace) -> None:
    engine = ws.store.engine
    with pytest.raises(InvalidInput, match="source name"):
        source_state.save(engine, "lf\x00", position="p", since=AT)
    assert source_state.load(engine, "lf\x00") is None
    source_state.save(engine, "lf", position="cur\x00sor\ue000", since=AT)
    state = source_state.load(engine, "lf")
    assert state is not None and state.position == "cur\x00sor\ue000" and state.since == AT
    source_state.save(engine, "lf", position=None, since=None)
    state = source_state.load(engine, "lf")
    assert state is not None and state.position is None and state.since == AT


def test_the_outbox_refuses_nul_names_and_keeps_errors_visible(ws: Workspace) -> None:
    record, _ = ws.record_verdict("it-0001", Outcome.FAIL, reviewer="ana", note="n")
    outbox = Outbox(ws.store.engine, mask=lambda t: t.replace("secret", "***"))
    with pytest.raises(InvalidInput, match="source name"):
        outbox.enqueue(record.pk, "lf\x00", "langfuse", {"note": "n"}, at=AT)
    assert outbox.get(record.pk, "lf\x00") is None and outbox.pending("lf\x00") == []
    assert outbox.enqueue(record.pk, "lf", "langfuse", {"note": "a\x00b"}, at=AT)
    entry = outbox.get(record.pk, "lf")
    assert entry is not None and entry.payload == {"note": "a\x00b"}
    outbox.mark_failed(entry.pk, "platform said secret\x00 no", AT)
    failed = outbox.get(record.pk, "lf")
    assert failed is not None and failed.last_error == f"platform said ***{STAND_IN} no"
    assert outbox.retry_now(AT, target="lf\x00") == 0


def test_audit_entries_refuse_nul_names_and_keep_payloads_exactly(ws: Workspace) -> None:
    before = audit_size(ws)
    for actor, subject in (("ana\x00", "x"), ("ana", "x\x00")):
        with pytest.raises(InvalidInput, match="NUL"), writing(ws.store.engine) as conn:
            audit.append(conn, actor=actor, action="test", subject=subject, payload={}, at=AT)
    assert audit_size(ws) == before
    with writing(ws.store.engine) as conn:
        audit.append(conn, actor="ana", action="test", subject="x",
                     payload={"text": "a\x00b", "nested": ["\x00"]}, at=AT)  # fmt: skip
    with ws.store.engine.connect() as conn:
        payload = conn.execute(
            select(AuditRow.payload).order_by(AuditRow.seq.desc()).limit(1)  # type: ignore[attr-defined]
        ).scalar_one()
    assert payload == {"text": "a\x00b", "nested": ["\x00"]}
    assert ws.store.verify_audit().ok


def test_a_rule_edit_with_a_nul_is_stored_and_applied(ws: Workspace) -> None:
    change = edit_rule(ws, "refund-any", {"why": "Refunds\x00 need a look."}, actor="dana")
    assert change.new_version != change.old_version
    last = ws.store.last_good_ruleset()
    assert last is not None and last[0] == change.new_version
    (rule,) = [r for r in ws.rules().ruleset.rules if r.id == "refund-any"]
    assert rule.why == "Refunds\x00 need a look."  # the file holds it escaped, as TOML does
    reasons = ws.explain("it-0002").decision.reasons
    assert any(r.why == rule.why for r in reasons)  # decisions carry it, and read back
    assert ws.store.verify_audit().ok
