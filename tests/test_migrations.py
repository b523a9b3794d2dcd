"""The migrations build exactly the schema the tables describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from triage.storage import tables  # noqa: F401
from triage.storage.engine import make_engine, migrate


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
    assert (mode, fks, version) == ("wal", 1, "0006")


def test_head_constant_matches_the_scripts() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from triage.storage.engine import HEAD, MIGRATIONS

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
