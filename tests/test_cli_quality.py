"""``triage stats --quality`` end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from clitools import Cli, make_cli
from factories import record, write_jsonl


@pytest.fixture
def cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    cli = make_cli(tmp_path, db_url, monkeypatch)
    refunds = [
        record(
            n, task_type="refund", agent="billing-agent", meta={"amount": 900, "policy_limit": 200}
        )
        for n in range(1, 4)
    ]
    replies = [record(n) for n in range(11, 14)]
    cli("pull", str(write_jsonl(tmp_path / "a.jsonl", refunds + replies)))
    cli("verdict", "rec-0001", "--fail", "--mode", "refund-over-policy", "--seconds", "90")
    cli("verdict", "rec-0002", "--fail", "--mode", "refund-over-policy", "--seconds", "90")
    cli("verdict", "rec-0011", "--ok", "--seconds", "30")
    cli("verdict", "rec-0012", "--ok", "--seconds", "30")
    return cli


def test_quality_json_has_every_figure(cli: Cli) -> None:
    quality = cli.json("stats", "--quality")
    overall = quality["overall"]
    assert (overall["items"], overall["reviewed"], overall["failures"]) == (6, 4, 2)
    assert overall["hours"] == pytest.approx(240 / 3600, abs=1e-4)
    assert overall["failures_per_hour"] == pytest.approx(30.0, rel=1e-3)
    # Both failures were found in deep; the replies sit in a milder lane below them.
    assert overall["deep_failures"] == 2 and overall["deep_share"] == 1.0
    assert overall["auc"]["value"] == 1.0
    assert (overall["auc"]["failures"], overall["auc"]["oks"]) == (2, 2)
    assert overall["samples"] == 0 and overall["escape_rate"] is None
    assert overall["budget"]["deep"] == pytest.approx(0.5)
    assert overall["scored"] == 0 and overall["brier"] is None and quality["reliability"] == []
    assert [row["period"] for row in quality["periods"]] == ["2026-11-16"]
    assert set(quality["lane_auc"]) == {"deep", "scan", "pass"}
    weekly = cli.json("stats", "--quality", "--period", "week")
    assert [row["period"] for row in weekly["periods"]] == ["2026-W47"]


def test_quality_table_reads_clearly(cli: Cli) -> None:
    out = cli("stats", "--quality").stdout
    for header in ("fail/h", "in deep", "AUC (95% CI)", "lane AUC", "escapes (95% CI)", "Brier"):
        assert header in out
    assert "2026-11-16" in out and "\nall " in out
    assert "30.0" in out and "100% (" in out  # failures per hour; deep's share
    assert "no samples" in out
    assert "AUC of risk inside each lane: deep" in out
    assert "Budget: none planned" in out
    assert "Calibration: no reviewed decision carries p_fail yet." in out


def test_quality_on_an_empty_workspace(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = make_cli(tmp_path, db_url, monkeypatch)
    assert "No triaged items." in cli("stats", "--quality").stdout
    assert cli.json("stats", "--quality")["periods"] == []
