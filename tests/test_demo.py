"""``triage demo`` builds a self-contained workspace and never touches the user's database."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from triage.cli import main
from triage.config import load_config
from triage.core.models import Lane
from triage.demo.workspace import build_workspace
from triage.errors import Refused
from triage.service.workspace import Workspace


def test_demo_workspace_holds_a_triaged_week_with_history(tmp_path: Path) -> None:
    summary = build_workspace(tmp_path / "demo", end=date(2026, 11, 20), days=5, per_day=30)
    assert summary.items == 150 and summary.verdicts > 30
    assert sorted(p.name for p in (tmp_path / "demo" / "outputs").iterdir())[-1] == (
        "2026-11-20.jsonl"
    )
    today = summary.today_report
    assert today.new == 30 and not today.rejected and not today.errors
    assert all(today.lanes[lane] > 0 for lane in Lane), today.lanes

    ws = Workspace.open(load_config(str(summary.config), use_env=False))
    try:
        assert ws.store.count_items() == 150
        assert ws.reviews.failure_modes()  # the failure model is seeded
        assert ws.reviews.task_type_counts()["refund"][1] > 0  # failures on record
        assert ws.store.verify_audit().ok
        assert ws.rules().origin == str(tmp_path / "demo" / "rules")
        deep = ws.queue(lane=Lane.DEEP, day=date(2026, 11, 20))
        assert deep and all(entry.reason for entry in deep)
    finally:
        ws.close()


def test_demo_refuses_a_folder_with_other_files(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(Refused, match="is not empty; give an empty or new folder"):
        build_workspace(tmp_path)


def test_demo_command_ignores_triage_db(tmp_path: Path) -> None:
    mine = tmp_path / "mine.db"
    runner = CliRunner()
    env = {"TRIAGE_DB": f"sqlite:///{mine}"}
    result = runner.invoke(
        main, ["demo", "--dir", str(tmp_path / "d"), "--days", "2", "--per-day", "10"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "Demo workspace" in result.stdout and "10 items today:" in result.stdout
    assert not mine.exists()
    assert (tmp_path / "d" / "triage.db").exists()
    shown_again = runner.invoke(main, ["demo", "--dir", str(tmp_path / "d")], env=env)
    assert shown_again.exit_code == 0 and "Using the demo workspace" in shown_again.stdout
