"""NUL characters typed on the command line: a clear refusal or a visible stand-in,
never a database traceback, and nothing half-written, on SQLite and PostgreSQL.

Names and ids with a NUL are refused (``error: reviewer name 'r\\x00' may not
contain a NUL character``, exit 1); free text keeps its NUL as ``␀``; a lookup by
an id with a NUL finds nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from clitools import Cli, make_cli
from factories import record, write_jsonl
from sqlalchemy import create_engine, text
from test_backtest import HANDOFF_FAILS, fail_ids, handoff, open_workspace, seed
from test_suggest import clear_answers

COUNTED = ("verdict", "verdict_mode", "failure_mode", "audit", "suggestion_decision", "decision")


def counts(db_url: str) -> dict[str, int]:
    """Rows per table that a refused command must leave as they were."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return {
                table: int(conn.execute(text(f"select count(*) from {table}")).scalar_one())
                for table in COUNTED
            }
    finally:
        engine.dispose()


def one(db_url: str, sql: str) -> object:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()


@pytest.fixture
def cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    cli = make_cli(tmp_path, db_url, monkeypatch)
    source = write_jsonl(tmp_path / "a.jsonl", [record(1, id="a1", task_type="refund")])
    cli("pull", str(source))
    return cli


def refused(cli: Cli, *args: str) -> str:
    """Run a command that must be refused cleanly; its stderr."""
    result = cli(*args, ok=False)  # an uncaught exception would propagate from here
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    return result.stderr


def test_verdict_with_nul_everywhere_is_refused_and_writes_nothing(cli: Cli, db_url: str) -> None:
    before = counts(db_url)
    err = refused(
        cli, "verdict", "a1", "--fail", "--mode", "m\x00", "--note", "n\x00",
        "--reviewer", "r\x00",
    )  # fmt: skip
    assert "reviewer name 'r\\x00' may not contain a NUL character" in err
    assert counts(db_url) == before


def test_verdict_with_a_nul_mode_creates_neither_mode_nor_verdict(cli: Cli, db_url: str) -> None:
    before = counts(db_url)
    err = refused(cli, "verdict", "a1", "--fail", "--mode", "fine-mode", "--mode", "m\x00")
    assert "failure mode id 'm\\x00' may not contain a NUL character" in err
    assert counts(db_url) == before  # not even fine-mode was created


def test_verdict_by_a_nul_reviewer_creates_no_mode(cli: Cli, db_url: str) -> None:
    before = counts(db_url)
    err = refused(cli, "verdict", "a1", "--fail", "--mode", "fine-mode", "--reviewer", "r\x00")
    assert "reviewer name" in err and "NUL" in err
    assert counts(db_url) == before


def test_a_nul_in_a_note_is_stored_as_a_visible_stand_in(cli: Cli, db_url: str) -> None:
    done = cli.json("verdict", "a1", "--fail", "--mode", "m1", "--note", "before\x00after")
    assert done["outcome"] == "fail" and done["modes"] == ["m1"]
    assert one(db_url, "select note from verdict") == "before\u2400after"
    assert cli.json("audit", "verify")["ok"] is True


def test_lookups_with_a_nul_find_nothing(cli: Cli) -> None:
    assert "no item 'x\\x00'" in refused(cli, "explain", "x\x00")
    assert "no item 'files:a1\\x00'" in refused(cli, "explain", "files:a1\x00")
    assert "no item" in refused(cli, "verdict", "a1\x00", "--ok")
    assert "no failure mode" in refused(cli, "failure-model", "edit", "m\x00", "--title", "t")
    assert "no failure mode" in refused(cli, "failure-model", "retire", "m\x00")
    assert cli.json("failure-model", "list", "--task-type", "refund\x00") == []


def test_failure_model_add_refuses_nul_names(cli: Cli, db_url: str) -> None:
    before = counts(db_url)
    assert "not a usable id" in refused(cli, "failure-model", "add", "m\x00", "--title", "t")
    err = refused(cli, "failure-model", "add", "m2", "--title", "t", "--task-type", "x\x00")
    assert "task type 'x\\x00' may not contain a NUL character" in err
    err = refused(cli, "failure-model", "add", "m2", "--title", "t", "--reviewer", "r\x00")
    assert "reviewer name 'r\\x00' may not contain a NUL character" in err
    assert counts(db_url) == before


def test_failure_model_text_keeps_its_nul_visible(cli: Cli, db_url: str) -> None:
    cli(
        "failure-model", "add", "m1", "--title", "Wrong\x00amount", "--description", "d\x00",
        "--look-for", "l\x00", "--task-type", "refund",
    )  # fmt: skip
    (mode,) = cli.json("failure-model", "list")
    assert (mode["title"], mode["description"], mode["look_for"]) == (
        "Wrong\u2400amount",
        "d\u2400",
        "l\u2400",
    )
    cli("failure-model", "edit", "m1", "--description", "now\x00this")
    assert cli.json("failure-model", "list")[0]["description"] == "now\u2400this"
    assert cli.json("audit", "verify")["ok"] is True


@pytest.fixture
def lead_cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Reviewed handoffs enough for ``tighten:handoff:scan``; ``lead`` is a lead."""
    cli = make_cli(tmp_path, db_url, monkeypatch)
    (tmp_path / "triage.toml").write_text('[roles]\nleads = ["lead"]\n')
    ws = open_workspace(db_url, cli.rules)
    try:
        clear_answers(ws)
        seed(ws, [handoff(n) for n in range(1, 21)], fail_ids(HANDOFF_FAILS | {5, 8}))
    finally:
        ws.close()
    return cli


def test_dismissal_reason_keeps_its_nul_visible(lead_cli: Cli, db_url: str) -> None:
    before = counts(db_url)
    out = lead_cli(
        "rules", "suggest", "--dismiss", "tighten:handoff:scan", "--reason", "known\x00issue",
        "--reviewer", "lead", "--json",
    ).stdout  # fmt: skip
    assert "known\\u2400issue" in out
    assert one(db_url, "select reason from suggestion_decision") == "known\u2400issue"
    assert counts(db_url)["suggestion_decision"] == before["suggestion_decision"] + 1
    assert lead_cli.json("audit", "verify")["ok"] is True


def test_dismissal_of_a_nul_suggestion_finds_nothing(lead_cli: Cli, db_url: str) -> None:
    before = counts(db_url)
    err = refused(
        lead_cli, "rules", "suggest", "--dismiss", "tighten:handoff:scan\x00", "--reason", "x",
        "--reviewer", "lead",
    )  # fmt: skip
    assert "no suggestion" in err
    assert counts(db_url) == before
