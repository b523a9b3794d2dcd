"""``triage verdict`` and ``triage audit verify``."""

from __future__ import annotations

from pathlib import Path

import pytest
from clitools import Cli, make_cli
from factories import record, write_jsonl
from sqlalchemy import create_engine, text


@pytest.fixture
def cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    cli = make_cli(tmp_path, db_url, monkeypatch)
    refund = record(
        2, task_type="refund", agent="billing-agent", meta={"amount": 900, "policy_limit": 200}
    )
    cli("pull", str(write_jsonl(tmp_path / "a.jsonl", [record(1), refund])))
    return cli


def test_verdicts_are_recorded_with_modes_lane_and_version(cli: Cli) -> None:
    ok = cli.json("verdict", "rec-0001", "--ok")
    assert ok["outcome"] == "ok" and ok["reviewer"] == "ana" and ok["modes"] == []

    failed = cli.json(
        "verdict", "rec-0002", "--fail", "--mode", "refund-over-policy",
        "--note", "900 is over the limit", "--reviewer", "bo",
    )  # fmt: skip
    assert failed["modes"] == ["refund-over-policy"]
    assert failed["created_modes"] == ["refund-over-policy"]
    assert failed["lane"] == "deep" and failed["rules_version"].startswith("r-")
    assert failed["reviewer"] == "bo"
    assert cli.json("explain", "rec-0002")["verdict"] == "fail"

    again = cli.json("verdict", "rec-0001", "--fail", "--mode", "refund-over-policy")
    assert again["created_modes"] == []  # the mode exists now


def test_escalate_lifts_the_item_to_deep(cli: Cli) -> None:
    assert cli.json("explain", "rec-0001")["lane"] != "deep"
    cli("verdict", "rec-0001", "--escalate", "--note", "legal should see this")
    ex = cli.json("explain", "rec-0001")
    assert ex["lane"] == "deep"
    assert ex["reasons"][0]["why"] == "escalated by ana: legal should see this"


def test_verdict_needs_an_outcome_and_modes_need_a_failure(cli: Cli) -> None:
    assert "say --ok, --fail or --escalate" in cli("verdict", "rec-0001", ok=False).stderr
    bad = cli("verdict", "rec-0001", "--ok", "--mode", "x", ok=False)
    assert bad.exit_code == 2 and "--mode tags a failure" in bad.stderr


def test_audit_verify_passes_then_catches_tampering(cli: Cli) -> None:
    cli("verdict", "rec-0001", "--ok")
    cli("verdict", "rec-0002", "--fail", "--mode", "refund-over-policy")
    result = cli.json("audit", "verify")
    assert {k: result[k] for k in ("ok", "entries", "broken_at", "problem", "problems")} == {
        "ok": True, "entries": 3, "broken_at": None, "problem": None, "problems": [],
    }  # fmt: skip

    engine = create_engine(cli.env["TRIAGE_DB"])
    with engine.begin() as conn:
        conn.execute(text('update audit set payload = \'{"outcome": "ok"}\' where seq = 3'))
    engine.dispose()
    broken = cli("audit", "verify", ok=False)
    assert broken.exit_code == 1
    assert "audit log broken at entry 3: entry 3 was altered" in broken.stderr
