"""The lead's screens: rules (edit, shadow, accept a suggestion), stats, failure model."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from factories import record, write_jsonl
from textual.widgets import DataTable, Input, OptionList, TextArea
from tui.conftest import until
from tui.test_app import queue_ready

from triage.config import Config
from triage.core.models import Outcome
from triage.service.workspace import Workspace, shipped_rules_dir
from triage.tui.app import TriageApp, make_app
from triage.tui.screens.failure_model import FailureModelScreen
from triage.tui.screens.rules import RulesScreen
from triage.tui.screens.stats import StatsScreen


@pytest.fixture
def lead_config(tmp_path: Path) -> Config:
    """Handoffs that fail a third of the time in scan: the evidence asks to tighten."""
    rules = tmp_path / "rules"
    shutil.copytree(shipped_rules_dir(), rules)
    config = Config(f"sqlite:///{tmp_path / 't.db'}", rules, "dana", leads=("dana",))
    records = [
        record(n, id=f"ho-{n}", agent="support-bot", task_type="handoff",
               input=f"Please pass ticket {n} to a human", meta={"customer_facing": False})
        for n in range(1, 61)
    ]  # fmt: skip
    ws = Workspace.open(config)
    try:
        ws.pull([str(write_jsonl(tmp_path / "h.jsonl", records))])
        for n in range(1, 61):
            outcome = Outcome.FAIL if n % 3 == 0 else Outcome.OK
            modes = ["wrong-queue"] if outcome is Outcome.FAIL else []
            ws.record_verdict(f"ho-{n}", outcome, reviewer="maja", modes=modes)
    finally:
        ws.close()
    return config


def lead_app(config: Config, **changes: object) -> TriageApp:
    return make_app(Config(**{**config.__dict__, **changes}))  # type: ignore[arg-type]


async def open_rules(app: TriageApp, pilot) -> RulesScreen:  # type: ignore[no-untyped-def]
    await until(pilot, queue_ready(app))
    await pilot.press("R")
    await until(pilot, lambda: isinstance(app.screen, RulesScreen))
    screen = app.screen
    assert isinstance(screen, RulesScreen)
    await until(pilot, lambda: screen.ruleset is not None and screen.suggestions is not None)
    return screen


async def test_accepting_a_suggestion_changes_the_rules(lead_config: Config) -> None:
    app = lead_app(lead_config)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_rules(app, pilot)
        await until(pilot, lambda: bool(screen.suggestions), tries=500)
        ids = [s.id for s in screen.suggestions]
        assert "tighten:handoff:scan" in ids
        table = screen.query_one("#suggestions-table", DataTable)
        table.focus()
        table.move_cursor(row=ids.index("tighten:handoff:scan"))
        old = screen.ruleset.version  # type: ignore[union-attr]
        await pilot.press("a")
        learned = lead_config.rules_dir / "learned.toml"  # type: ignore[operator]
        await until(pilot, learned.exists, tries=500)
        await until(pilot, lambda: screen.ruleset is not None and screen.ruleset.version != old)
        assert "handoff" in learned.read_text()
        assert app.workspace is not None and app.workspace.store.verify_audit().ok
        assert app.workspace.explain("ho-1").decision.lane.value == "deep"


async def test_editing_a_rule_validates_before_saving(lead_config: Config) -> None:
    app = lead_app(lead_config)
    folder = lead_config.rules_dir
    assert folder is not None
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_rules(app, pilot)
        rules = screen.query_one("#rules-table", DataTable)
        rules.focus()
        index = next(i for i, r in enumerate(screen.ruleset.rules) if r.id == "refund-any")  # type: ignore[union-attr]
        rules.move_cursor(row=index)
        before = (folder / "money.toml").read_text()
        await pilot.press("e")
        await until(pilot, lambda: app.screen.__class__.__name__ == "RuleEditor")
        app.screen.query_one("#rule-when", TextArea).text = "task_type == "
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, RulesScreen))
        await pilot.pause(0.3)
        assert (folder / "money.toml").read_text() == before  # refused, untouched

        await pilot.press("e")
        await until(pilot, lambda: app.screen.__class__.__name__ == "RuleEditor")
        app.screen.query_one("#rule-why", Input).value = "Every refund: glance at the amount."
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "glance at the amount" in (folder / "money.toml").read_text())
        after = (folder / "money.toml").read_text()
        pairs = zip(before.splitlines(), after.splitlines(), strict=True)
        assert sum(a != b for a, b in pairs) == 1


async def test_non_leads_cannot_change_rules(lead_config: Config) -> None:
    app = lead_app(lead_config, reviewer="maja")
    folder = lead_config.rules_dir
    assert folder is not None
    async with app.run_test(size=(140, 40)) as pilot:
        await open_rules(app, pilot)
        before = {p.name: p.read_text() for p in folder.glob("*.toml")}
        await pilot.press("v")  # activate: not even offered for a non-shadow rule
        await pilot.press("e")
        await until(pilot, lambda: app.screen.__class__.__name__ == "RuleEditor")
        app.screen.query_one("#rule-why", Input).value = "changed by a reviewer"
        await pilot.press("ctrl+s")
        await pilot.pause(0.5)
        assert {p.name: p.read_text() for p in folder.glob("*.toml")} == before


async def test_stats_screen_shows_rates(lead_config: Config) -> None:
    app = lead_app(lead_config)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, queue_ready(app))
        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, StatsScreen))
        table = app.screen.query_one("#stats-table", DataTable)
        await until(pilot, lambda: table.row_count > 0)
        cells = [str(table.get_cell_at((r, 0))) for r in range(table.row_count)]
        assert "handoff" in cells
        row = cells.index("handoff")
        assert (
            str(table.get_cell_at((row, 4))) == "20" and str(table.get_cell_at((row, 5))) == "33%"
        )


async def test_failure_model_screen_edit_retire_export(
    lead_config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = lead_app(lead_config)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, queue_ready(app))
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, FailureModelScreen))
        screen = app.screen
        assert isinstance(screen, FailureModelScreen)
        await until(pilot, lambda: bool(screen.modes))
        options = screen.query_one("#model-list", OptionList)
        options.highlighted = [m.id for m in screen.modes].index("wrong-queue")
        await pilot.press("e")
        await until(pilot, lambda: app.screen.__class__.__name__ == "ModeEditor")
        app.screen.query_one("#mode-look-for", TextArea).text = "Check the **queue** name."
        await pilot.press("ctrl+s")
        ws = app.workspace
        assert ws is not None
        await until(pilot, lambda: ws.reviews.failure_mode("wrong-queue").look_for != "")  # type: ignore[union-attr]
        await pilot.press("r")
        await until(pilot, lambda: ws.reviews.failure_mode("wrong-queue").status == "retired")  # type: ignore[union-attr]
        await pilot.press("x")
        await until(pilot, (tmp_path / "failure-model.md").exists)
        exported = (tmp_path / "failure-model.md").read_text()
        assert "wrong queue" in exported.lower() and "Retired" in exported


async def test_app_level_screens_need_an_open_database(
    app_factory: Callable[..., TriageApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, queue_ready(app))
        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, StatsScreen))
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, StatsScreen))


async def test_a_failure_mode_can_be_added_on_its_screen(lead_config: Config) -> None:
    app = lead_app(lead_config)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, queue_ready(app))
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, FailureModelScreen))
        await pilot.press("n")
        await until(pilot, lambda: app.screen.__class__.__name__ == "ModeEditor")
        app.screen.query_one("#mode-title", Input).value = "Hands off to the wrong team"
        app.screen.query_one("#mode-task", Input).value = "handoff"
        app.screen.query_one("#mode-look-for", TextArea).text = "The queue named in the output."
        await pilot.press("ctrl+s")
        ws = app.workspace
        assert ws is not None
        await until(
            pilot, lambda: ws.reviews.failure_mode("hands-off-to-the-wrong-team") is not None
        )
        mode = ws.reviews.failure_mode("hands-off-to-the-wrong-team")
        assert mode is not None and mode.task_type == "handoff"
        assert mode.look_for == "The queue named in the output."
