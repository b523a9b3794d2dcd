"""When the attention budget cannot hold, triage stats and the stats screen say so."""

from __future__ import annotations

from pathlib import Path

import pytest
from clitools import make_cli
from factories import record, write_jsonl
from textual.widgets import Label
from tui.conftest import until
from tui.test_app import queue_ready

from triage.config import Config
from triage.tui.app import make_app
from triage.tui.screens.stats import StatsScreen


def big_refunds(tmp_path: Path) -> Path:
    records = [
        record(n, task_type="refund", agent="billing-agent",
               meta={"amount": 900, "policy_limit": 200, "currency": "EUR"})
        for n in range(1, 9)
    ] + [record(20 + n) for n in range(1, 3)]  # fmt: skip
    return write_jsonl(tmp_path / "refunds.jsonl", records)


def set_budget(rules: Path, deep: float) -> None:
    settings = rules / "settings.toml"
    lines = [line for line in settings.read_text().splitlines() if not line.startswith("budget_")]
    settings.write_text("\n".join([*lines, f"budget_deep = {deep}", "budget_scan = 0.4", ""]))


def test_stats_says_when_the_rules_alone_exceed_the_deep_budget(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = make_cli(tmp_path, db_url, monkeypatch)
    cli("pull", str(big_refunds(tmp_path)))
    assert "Over budget" not in cli("stats").stdout  # no budget planned: nothing to say
    set_budget(cli.rules, 0.1)
    shown = cli("stats").stdout
    assert "Over budget: in the last 7 days the rules alone sent 80% of items to deep" in shown
    assert "against 10% planned" in shown and "narrow what the agents may do" in shown
    set_budget(cli.rules, 0.9)
    assert "Over budget" not in cli("stats").stdout


async def test_the_stats_screen_says_it_first(tmp_path: Path, sqlite_url: str) -> None:
    import shutil

    from triage.service.workspace import Workspace, shipped_rules_dir

    rules = tmp_path / "rules"
    shutil.copytree(shipped_rules_dir(), rules)
    set_budget(rules, 0.1)
    config = Config(sqlite_url, rules, "ana")
    ws = Workspace.open(config)
    ws.pull([str(big_refunds(tmp_path))])
    ws.close()
    app = make_app(config)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, queue_ready(app))
        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, StatsScreen))
        screen = app.screen
        await until(pilot, lambda: bool(screen.query(".budget-warning")))
        [warning] = screen.query(".budget-warning")
        assert isinstance(warning, Label)
        assert "Over budget" in str(warning.render())
