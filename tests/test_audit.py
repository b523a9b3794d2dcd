"""The sealed audit log: every forgery of issue 8 (case 3) is caught, on SQLite and
PostgreSQL, by someone who can write the database but does not hold the key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from factories import make_item
from sqlalchemy import text

from triage.core.models import FailureMode
from triage.errors import ConfigError, StorageError
from triage.storage import audit
from triage.storage.audit_verify import AuditCheck
from triage.storage.modes import Modes
from triage.storage.reviews import Reviews
from triage.storage.store import Store
from triage.storage.tables import audit_t

KEY_A = "a3" + "".join(f"{n:02x}" for n in range(31))
KEY_B = "".join(f"{255 - n:02x}" for n in range(32))


@pytest.fixture
def store(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A database with four entries: three verdicts (one tagged) and a mode created."""
    monkeypatch.setenv("TRIAGE_AUDIT_KEY", KEY_A)
    s = Store.open(db_url)
    reviews = Reviews(s.engine)
    written = s.write_items([make_item(n) for n in (1, 2, 3)]).changed
    for (pk, _), outcome in zip(written, ("ok", "fail", "ok"), strict=True):
        modes = ("wrong-tone",) if outcome == "fail" else ()
        if modes:
            reviews.add_failure_mode(FailureMode(id="wrong-tone", title="Tone"), actor="lee")
        reviews.record(item_pk=pk, reviewer="ana", outcome=outcome, modes=modes)
    yield s
    s.close()


def sql(store: Store, statement: str, **params: Any) -> list[Any]:
    """Run SQL as an attacker with write access would: straight at the database."""
    with store.engine.begin() as conn:
        result = conn.execute(text(statement), params)
        return list(result) if result.returns_rows else []


def kinds(check: AuditCheck) -> list[str]:
    return [p.kind for p in check.problems]


def entries(store: Store) -> list[Any]:
    table = audit_t
    with store.engine.connect() as conn:
        return list(conn.execute(table.select().order_by(table.c.seq)))


def test_an_untouched_log_is_intact_and_names_its_key(store: Store) -> None:
    check = store.verify_audit()
    assert check.ok and check.entries == 4 and check.problems == ()
    assert check.key == check.sealed_with and check.key_origin == "TRIAGE_AUDIT_KEY"
    assert check.rows == 3 + 1  # three verdict rows, one failure mode
    assert KEY_A not in repr(check)


def test_deleting_the_tail_and_fixing_the_head_is_caught(store: Store) -> None:
    second = entries(store)[1]
    sql(store, "delete from audit where seq > 2")
    sql(store, "update audit_head set seq = 2, hash = :h", h=second.hash)
    check = store.verify_audit()
    assert not check.ok
    assert "head" in kinds(check)
    # The verdicts whose entries went are still there, and now unaccounted for.
    unlogged = [p for p in check.problems if p.kind == "row_unlogged"]
    assert [(p.table, p.item) for p in unlogged] == [
        ("verdict", "files:it-0002"),
        ("verdict", "files:it-0003"),
    ]


def test_truncating_log_and_verdicts_and_resetting_the_head_is_caught(store: Store) -> None:
    sql(store, "delete from verdict_mode")
    sql(store, "delete from verdict")
    sql(store, "delete from audit")
    sql(store, "update item set verdict = null")
    sql(store, f"update audit_head set seq = 0, hash = '{audit.GENESIS}'")
    check = store.verify_audit()
    assert not check.ok and "head" in kinds(check)
    # Also unsealing the head, to pass for a log that was never sealed:
    sql(store, "update audit_head set key_id = null, mac = null, sealed_at = null")
    check = store.verify_audit()
    assert kinds(check)[:1] == ["unsealed"]
    # ...and nothing more can be recorded on it.
    with pytest.raises(StorageError, match="not sealed"):
        Reviews(store.engine).record(item_pk=1, reviewer="ana", outcome="ok")


def test_an_appended_entry_with_a_recomputed_plain_hash_is_forged(store: Store) -> None:
    last = entries(store)[-1]
    forged = {
        "seq": 5, "at": last.at, "actor": "mallory", "action": "verdict.record",
        "subject": "files:it-0001", "payload": {"outcome": "ok"},
    }  # fmt: skip
    digest = audit.entry_hash(last.hash, **forged)
    with store.engine.begin() as conn:
        conn.execute(audit_t.insert().values(**forged, prev_hash=last.hash, hash=digest))
    check = store.verify_audit()
    assert [(p.kind, p.seq) for p in check.problems] == [("forged", 5)]
    sql(store, "update audit_head set seq = 5, hash = :h", h=digest)
    assert kinds(store.verify_audit()) == ["forged", "head"]


def test_rewriting_history_with_recomputed_hashes_is_caught(store: Store) -> None:
    rows = entries(store)
    prev = rows[0].hash
    with store.engine.begin() as conn:
        for row in rows[1:]:
            actor = "mallory" if row.seq == 2 else row.actor
            digest = audit.entry_hash(
                prev, row.seq, row.at, actor, row.action, row.subject, row.payload
            )
            conn.execute(
                text("update audit set actor = :a, prev_hash = :p, hash = :h where seq = :s"),
                {"a": actor, "p": prev, "h": digest, "s": row.seq},
            )
            prev = digest
        conn.execute(text("update audit_head set hash = :h"), {"h": prev})
    check = store.verify_audit()
    assert [(p.kind, p.seq, p.last) for p in check.problems[:1]] == [("forged", 2, 4)]
    assert check.problems[0].message.startswith("entries 2–4 are forged")
    assert "head" in kinds(check)


def test_an_altered_entry_is_named(store: Store) -> None:
    sql(store, "update audit set actor = 'mallory' where seq = 3")
    check = store.verify_audit()
    assert [(p.kind, p.seq) for p in check.problems] == [("altered", 3)]
    assert check.broken_at == 3 and "entry 3 was altered" in check.problem


def test_a_missing_entry_in_the_middle_is_named(store: Store) -> None:
    sql(store, "delete from audit where seq = 2")
    check = store.verify_audit()
    assert ("missing", 2) in [(p.kind, p.seq) for p in check.problems]


def test_a_verdict_row_edited_directly_is_caught(store: Store) -> None:
    (pk,) = [r.pk for r in sql(store, "select pk from verdict where outcome = 'fail'")]
    sql(store, "update verdict set outcome = 'ok' where pk = :pk", pk=pk)
    check = store.verify_audit()
    assert [(p.kind, p.table, p.row, p.item) for p in check.problems] == [
        ("row_altered", "verdict", pk, "files:it-0002")
    ]
    assert f"verdict row {pk} (item files:it-0002) was altered" in check.problem


def test_a_tag_removed_from_a_verdict_is_caught(store: Store) -> None:
    sql(store, "delete from verdict_mode")
    assert kinds(store.verify_audit()) == ["row_altered"]


def test_a_deleted_verdict_row_is_caught(store: Store) -> None:
    (pk,) = [r.pk for r in sql(store, "select pk from verdict where outcome = 'fail'")]
    sql(store, "delete from verdict_mode where verdict_pk = :pk", pk=pk)
    sql(store, "delete from verdict where pk = :pk", pk=pk)
    check = store.verify_audit()
    assert [(p.kind, p.row, p.item) for p in check.problems] == [
        ("row_missing", pk, "files:it-0002")
    ]


def test_a_verdict_row_inserted_directly_is_caught(store: Store) -> None:
    (item,) = [r.pk for r in sql(store, "select pk from item where item_id = 'it-0001'")]
    sql(
        store,
        "insert into verdict (key, item_pk, reviewer, outcome, note, checklist, seconds,"
        " recorded_at) values ('forged', :item, 'mallory', 'fail', '', '{}', 0, :at)",
        item=item,
        at=entries(store)[-1].at,
    )
    check = store.verify_audit()
    assert [(p.kind, p.item) for p in check.problems] == [("row_unlogged", "files:it-0001")]


def test_a_failure_mode_edited_directly_is_caught_and_audited_edits_are_not(
    store: Store,
) -> None:
    Modes(store.engine).update_failure_mode("wrong-tone", look_for="rudeness", actor="lee")
    assert store.verify_audit().ok
    sql(store, "update failure_mode set status = 'retired'")
    check = store.verify_audit()
    assert [(p.kind, p.table, p.row) for p in check.problems] == [
        ("row_altered", "failure_mode", "wrong-tone")
    ]


def test_a_stored_rule_set_edited_directly_is_caught(store: Store) -> None:
    from triage.rules import version_of

    files = {"a.toml": "[[rule]]\n"}
    store.remember_ruleset(version_of(files), None, "rules", files)
    assert store.verify_audit().ok
    sql(store, "update ruleset set files = :f", f='{"a.toml": "# quietly changed"}')
    assert kinds(store.verify_audit()) == ["ruleset_altered"]


def test_appending_after_the_head_was_moved_writes_nothing(store: Store) -> None:
    sql(store, "delete from audit where seq = 4")
    sql(store, "update audit_head set seq = 3, hash = (select hash from audit where seq = 3)")
    before = len(sql(store, "select pk from verdict"))
    with pytest.raises(StorageError, match="does not match its seal"):
        Reviews(store.engine).record(item_pk=1, reviewer="ana", outcome="fail")
    assert len(sql(store, "select pk from verdict")) == before


def test_a_log_sealed_with_another_key_says_so(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    sealed_with = store.verify_audit().key
    monkeypatch.setenv("TRIAGE_AUDIT_KEY", KEY_B)
    check = store.verify_audit()
    assert kinds(check) == ["key"]  # one problem, not every entry "altered"
    assert f"sealed with another key (fingerprint {sealed_with})" in check.problem
    assert check.key != sealed_with and check.key in check.problem
    with pytest.raises(ConfigError, match="sealed with the key"):
        Reviews(store.engine).record(item_pk=1, reviewer="ana", outcome="fail")
    monkeypatch.delenv("TRIAGE_AUDIT_KEY")  # no key at all here
    assert "no key is set here" in store.verify_audit().problem
