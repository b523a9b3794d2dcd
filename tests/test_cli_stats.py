"""``triage stats`` and ``triage failure-model`` end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from clitools import Cli, make_cli
from factories import record, write_jsonl

CONTRACT = {"task_type", "lane", "items", "reviewed", "failures", "rate", "ci_low", "ci_high"}


@pytest.fixture
def cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    cli = make_cli(tmp_path, db_url, monkeypatch)
    refunds = [
        record(
            n, task_type="refund", agent="billing-agent", meta={"amount": 900, "policy_limit": 200}
        )
        for n in range(1, 5)
    ]
    cli("pull", str(write_jsonl(tmp_path / "a.jsonl", refunds)))
    cli("verdict", "rec-0001", "--fail", "--mode", "refund-over-policy", "--note", "900 > 200",
        "--seconds", "90")  # fmt: skip
    cli("verdict", "rec-0002", "--ok", "--seconds", "30")
    return cli


def test_stats_json_keeps_its_contract(cli: Cli) -> None:
    rows = cli.json("stats")
    assert len(rows) == 1
    (row,) = rows
    assert CONTRACT <= set(row)
    assert {"agent", "model", "period", "minutes", "samples", "escapes", "escape_rate"} <= set(row)
    assert (row["task_type"], row["lane"], row["items"], row["reviewed"], row["failures"]) == (
        "refund", "deep", 4, 2, 1,
    )  # fmt: skip
    assert row["rate"] == 0.5 and row["minutes"] == 2.0
    assert (round(row["ci_low"], 3), round(row["ci_high"], 3)) == (0.095, 0.905)

    by_week = cli.json("stats", "--by", "agent,model", "--period", "week")
    assert [(r["agent"], r["model"], r["period"], r["task_type"]) for r in by_week] == [
        ("billing-agent", "claude-sonnet-4-5", "2026-W47", None)
    ]


def test_stats_table_shows_rates_and_intervals(cli: Cli) -> None:
    out = cli("stats").stdout
    assert "refund" in out and "deep" in out
    assert "50% (9.5–91%)" in out
    assert "escapes" in out  # pass's escape column


def test_stats_rejects_unknown_keys_and_filters_by_days(cli: Cli, tmp_path: Path) -> None:
    bad = cli("stats", "--by", "colour", ok=False)
    assert (
        bad.exit_code == 2 and "give distinct keys from task_type, lane, agent, model" in bad.stderr
    )
    recent = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    fresh = record(9, id="fresh", task_type="fresh_task", created_at=recent)
    old = record(10, id="old", task_type="old_task", created_at="2020-01-01T00:00:00Z")
    cli("pull", str(write_jsonl(tmp_path / "b.jsonl", [fresh, old])))
    task_types = {r["task_type"] for r in cli.json("stats", "--days", "2")}
    assert "fresh_task" in task_types and "old_task" not in task_types
    assert "old_task" in {r["task_type"] for r in cli.json("stats")}


def test_failure_model_export_writes_the_file(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "model.md"
    result = cli("failure-model", "export", "-o", str(target))
    assert result.stdout == "" and "wrote the failure model" in result.stderr
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Failure model\n")
    assert "`refund-over-policy`" in text and "900 > 200" in text
    assert cli("failure-model", "export").stdout == text


def test_failure_model_add_edit_list_and_lead_only_retire(cli: Cli) -> None:
    (cli.folder / "triage.toml").write_text('[roles]\nleads = ["lead"]\n', encoding="utf-8")
    cli("failure-model", "add", "late-reply", "--title", "Replies late", "--task-type", "refund")
    taken = cli("failure-model", "add", "late-reply", "--title", "Again", ok=False)
    assert taken.exit_code == 1 and "already exists" in taken.stderr
    cli(
        "failure-model",
        "edit",
        "late-reply",
        "--look-for",
        "reply within a day",
        "--task-type",
        "all",
    )
    listed = {m["id"]: m for m in cli.json("failure-model", "list")}
    assert listed["late-reply"]["task_type"] is None
    assert listed["late-reply"]["look_for"] == "reply within a day"
    assert listed["refund-over-policy"]["failures"] == 1
    assert listed["refund-over-policy"]["by_lane"] == {"deep": 1}

    refused = cli("failure-model", "retire", "late-reply", ok=False)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: ana is not a lead, and only leads may retire")
    done = cli("failure-model", "retire", "late-reply", "--reason", "dup", "--reviewer", "lead")
    assert "retired" in done.stdout
    refund_modes = cli.json("failure-model", "list", "--task-type", "refund")
    assert {m["id"]: m["status"] for m in refund_modes} == {
        "late-reply": "retired",
        "refund-over-policy": "active",
    }
    statuses = {m["id"]: m["status"] for m in cli.json("failure-model", "list")}
    assert statuses["late-reply"] == "retired"
    cli("failure-model", "reactivate", "late-reply", "--reviewer", "lead")
    assert "late-reply" in cli("failure-model", "list").stdout

    missing = cli("failure-model", "edit", "nope", "--title", "x", ok=False)
    assert missing.exit_code == 1 and "no failure mode 'nope'" in missing.stderr
    assert cli.json("audit", "verify")["ok"] is True
