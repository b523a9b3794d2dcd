"""The migrations build exactly the schema the tables describe, on both backends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from triage.storage import tables  # noqa: F401
from triage.storage.engine import HEAD, make_engine, migrate
from triage.storage.tables import AuditRow


def test_migrated_schema_matches_the_tables(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)  # already at head: must be a no-op
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_migrate_creates_a_fresh_sqlite_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'deep' / 'new.db'}")
    migrate(engine)
    with engine.connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        fks = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
        version = conn.exec_driver_sql("select version_num from alembic_version").scalar()
    engine.dispose()
    assert (mode, fks, version) == ("wal", 1, HEAD)


def test_head_constant_matches_the_scripts() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from triage.storage.engine import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD


def test_old_verdicts_are_linked_to_the_decision_they_were_given_under(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Verdicts stored before they kept their decision count as audit samples once
    the migration links them (statistics read the flag from the verdict alone)."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from triage.storage.engine import MIGRATIONS
    from triage.storage.store import Store

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0005")
    stamp = "2026-11-20 10:00:00.000000"
    later = "2026-11-20 11:00:00.000000"
    with engine.begin() as conn:
        conn.execute(text(
            "insert into item (pk, source, item_id, created_at, agent, task_type, model, input,"
            " output, tool_calls, transcript, meta, content_hash, revision, pulled_at,"
            " updated_at, lane, risk, decision_pk, verdict) values (1, 'files', 'a', :t, 'bot',"
            " 'handoff', 'm', 'i', 'o', '[]', '[]', '{}', 'h', 1, :t, :t, 'scan', 0, 2, 'fail')"
        ), {"t": stamp})  # fmt: skip
        for pk, sampled, at in ((1, 1, stamp), (2, 0, later)):
            conn.execute(text(
                "insert into decision (pk, item_pk, lane, default_lane, reasons, novelty,"
                " is_novel, audit_sample, risk, rules_version, decided_at) values"
                " (:pk, 1, 'scan', 0, '[]', 0, 0, :s, 0, 'r-1', :at)"
            ), {"pk": pk, "s": sampled, "at": at})  # fmt: skip
        conn.execute(text(
            "insert into verdict (pk, key, item_pk, reviewer, outcome, note, checklist, seconds,"
            " lane, recorded_at) values (1, 'k', 1, 'ana', 'fail', '', '{}', 0, 'scan', :at)"
        ), {"at": "2026-11-20 10:30:00.000000"})  # fmt: skip
    migrate(engine)
    (fact,) = Store(engine).review_facts()
    engine.dispose()
    assert fact.audit_sample  # linked to decision 1 (made before it), not the re-triage


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, not yet migrated, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    base = str(request.getfixturevalue("pg_schema_url")).split("?")[0]
    schema = f"triage_old_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _legacy_database(url: str) -> None:
    """A database at 0006 with an unkeyed audit chain, as triage wrote it then: two
    verdicts (one tagged), a failure mode and a dismissed suggestion."""
    from alembic import command
    from alembic.config import Config

    from triage.storage.audit import GENESIS, entry_hash
    from triage.storage.engine import MIGRATIONS

    engine = make_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0006")
    at = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    with engine.begin() as conn:
        for pk in (1, 2):
            conn.execute(text(
                "insert into item (pk, source, item_id, created_at, agent, task_type, model,"
                " input, output, tool_calls, transcript, meta, content_hash, revision,"
                " pulled_at, updated_at, risk) values (:pk, 'files', :id, :t, 'bot', 'handoff',"
                " 'm', 'i', 'o', '[]', '[]', '{}', 'h', 1, :t, :t, 0)"
            ), {"pk": pk, "id": f"it-{pk}", "t": at})  # fmt: skip
        conn.execute(text(
            "insert into failure_mode (id, title, description, look_for, status, created_by,"
            " created_at, updated_at) values ('wrong-queue', 'Wrong queue', '', '', 'active',"
            " 'lee', :t, :t)"
        ), {"t": at})  # fmt: skip
        conn.execute(text(
            "insert into suggestion_decision (suggestion, decision, reason, actor, evidence,"
            " decided_at) values ('tighten:handoff:scan', 'dismissed', 'seasonal', 'lee',"
            " '{}', :t)"
        ), {"t": at})  # fmt: skip
        entries = [
            ("lee", "failure_mode.create", "wrong-queue", {"title": "Wrong queue",
             "task_type": None}),
            ("ana", "verdict.record", "files:it-1", {"verdict": 1, "outcome": "ok", "modes": [],
             "note": "", "supersedes": None, "rules_version": "r-1"}),
            ("bo", "verdict.record", "files:it-2", {"verdict": 2, "outcome": "fail",
             "modes": ["wrong-queue"], "note": "sent to sales", "supersedes": None,
             "rules_version": "r-1"}),
            ("lee", "suggestion.dismiss", "tighten:handoff:scan", {"decision": "dismissed",
             "reason": "seasonal"}),
        ]  # fmt: skip
        for pk, (reviewer, modes, note) in enumerate(
            (("ana", (), ""), ("bo", ("wrong-queue",), "sent to sales")), start=1
        ):
            conn.execute(text(
                "insert into verdict (pk, key, item_pk, reviewer, outcome, note, checklist,"
                " seconds, lane, rules_version, recorded_at) values (:pk, :key, :pk, :who,"
                " :outcome, :note, '{}', 0, 'scan', 'r-1', :t)"
            ), {"pk": pk, "key": f"k{pk}", "who": reviewer, "note": note, "t": at,
                "outcome": "ok" if pk == 1 else "fail"})  # fmt: skip
            for mode in modes:
                conn.execute(
                    text("insert into verdict_mode values (:pk, :m)"), {"pk": pk, "m": mode}
                )
        prev = GENESIS
        for seq, (actor, action, subject, payload) in enumerate(entries, start=1):
            digest = entry_hash(prev, seq, at, actor, action, subject, payload)
            conn.execute(
                AuditRow.__table__.insert().values(  # type: ignore[attr-defined]
                    seq=seq, at=at, actor=actor, action=action, subject=subject,
                    payload=payload, prev_hash=prev, hash=digest,
                )
            )  # fmt: skip
            prev = digest
        conn.execute(text("update audit_head set seq = 4, hash = :h"), {"h": prev})
        if conn.dialect.name == "postgresql":  # rows were given their keys above
            for table in ("item", "verdict"):
                conn.execute(text(f"select setval(pg_get_serial_sequence('{table}', 'pk'), 2)"))
    engine.dispose()


def test_a_database_with_an_unkeyed_log_is_sealed_on_upgrade(old_url: str) -> None:
    """Entries from before sealing stay verifiable; the seal chains onto them; their
    rows are held to them; new entries are sealed."""
    from triage.storage.reviews import Reviews
    from triage.storage.store import Store

    _legacy_database(old_url)
    store = Store.open(old_url)
    check = store.verify_audit()
    assert check.ok, check.problems
    assert (check.entries, check.legacy, check.sealed_with) == (5, 4, check.key)
    with store.engine.connect() as conn:
        audit_t = AuditRow.__table__  # type: ignore[attr-defined]
        seal_entry = conn.execute(audit_t.select().where(audit_t.c.seq == 5)).one()
        linked = conn.execute(text("select row_pk from audit where seq in (2, 3)")).scalars()
        assert list(linked) == [1, 2]
    assert seal_entry.action == "audit.seal"
    assert seal_entry.payload["legacy_entries"] == 4
    assert list(seal_entry.payload["failure_modes"]) == ["wrong-queue"]

    Reviews(store.engine).record(item_pk=1, reviewer="ana", outcome="fail")
    assert store.verify_audit().ok and store.verify_audit().entries == 6

    with store.engine.begin() as conn:  # an old verdict edited behind the log's back
        conn.execute(text("update verdict set note = 'nothing wrong' where pk = 2"))
        conn.execute(text("update failure_mode set title = 'Renamed'"))
        conn.execute(text("update suggestion_decision set reason = 'forged'"))
    found = [(p.kind, p.table) for p in store.verify_audit().problems]
    assert found == [
        ("row_altered", "verdict"),
        ("row_altered", "failure_mode"),
        ("row_altered", "suggestion_decision"),
    ]
    store.close()


def test_rewriting_the_unkeyed_entries_after_sealing_is_caught(old_url: str) -> None:
    from triage.storage.audit import entry_hash
    from triage.storage.store import Store

    _legacy_database(old_url)
    store = Store.open(old_url)
    with store.engine.begin() as conn:
        rows = conn.execute(AuditRow.__table__.select().order_by(text("seq"))).all()  # type: ignore[attr-defined]
        prev = rows[0].hash
        for row in rows[1:4]:  # the old entries, recomputed as only they can be
            actor = "mallory" if row.seq == 2 else row.actor
            digest = entry_hash(prev, row.seq, row.at, actor, row.action, row.subject, row.payload)
            conn.execute(
                text("update audit set actor = :a, prev_hash = :p, hash = :h where seq = :s"),
                {"a": actor, "p": prev, "h": digest, "s": row.seq},
            )
            prev = digest
    check = store.verify_audit()
    assert [(p.kind, p.seq) for p in check.problems][:1] == [("unlinked", 5)]
    store.close()
