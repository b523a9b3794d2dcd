"""Snapshots of every screen and dialog on the seeded demo workspace (fixed week,
fixed seed, fixed size, clock and cursor standing still).

A test named ``test_<screen>…`` (``QueueScreen`` → ``test_queue_screen``,
``FailureModePicker`` → ``test_failure_mode_picker``) shows that screen, and waits
until it is the one on top; ``test_every_screen_has_a_snapshot`` fails when a
screen or dialog appears in ``triage.tui.screens`` without one.

Review a failing snapshot's diff (snapshot_report.html) before updating with
``pytest --snapshot-update``: an unexpected change there is a bug.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, TabbedContent
from tui.conftest import DEMO_END, until
from tui.snapshot_steps import TRIES, prepare, pressing, rows, typing, waiting

from triage.config import Config
from triage.demo.workspace import build_workspace
from triage.tui.app import TriageApp, make_app
from triage.tui.screens import queue as queue_module
from triage.tui.screens.failure_model import FailureModelScreen, ModeEditor
from triage.tui.screens.help import HelpScreen, screen_classes
from triage.tui.screens.item import ItemScreen
from triage.tui.screens.modals import (
    FailureModePicker,
    FilterDialog,
    NoteEditor,
    RuleEditor,
    TimeBox,
)
from triage.tui.screens.queue import QueueScreen
from triage.tui.screens.rules import RulesScreen
from triage.tui.screens.stats import StatsScreen

SIZE = (130, 38)
SNAPSHOTS = Path(__file__).parent / "__snapshots__" / Path(__file__).stem


@pytest.fixture(scope="session")
def week_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full demo week (seed 7, as in the screenshots): evidence enough for the
    rules screen to have suggestions."""
    folder = tmp_path_factory.mktemp("week") / "ws"
    build_workspace(folder, end=DEMO_END, seed=7)
    return folder


@pytest.fixture
def week_app(tmp_path: Path, week_template: Path) -> TriageApp:
    folder = tmp_path / "week"
    shutil.copytree(week_template, folder)
    config = Config(f"sqlite:///{folder / 'triage.db'}", folder / "rules", "ana")
    return make_app(config)


@pytest.fixture(autouse=True)
def _frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The queue's clock (the time box's minutes in) stands still."""
    monkeypatch.setattr(queue_module, "time", SimpleNamespace(monotonic=lambda: 1000.0))


def rules_loaded(screen: Screen[Any]) -> bool:
    return rows("#rules-table")(screen) and rows("#suggestions-table")(screen)


def on_rules(app: TriageApp) -> bool:
    return isinstance(app.screen, RulesScreen) and rules_loaded(app.screen)


def on_model(app: TriageApp) -> bool:
    return isinstance(app.screen, FailureModelScreen) and rows("#model-list")(app.screen)


def snap(snap_compare: Any, app: TriageApp, run_before: Any) -> bool:
    result: bool = snap_compare(app, terminal_size=SIZE, run_before=run_before)
    return result


# -- the queue ---------------------------------------------------------------------


def test_queue_screen(snap_compare: Any, app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory()
    assert snap(snap_compare, app, prepare(app, screen=QueueScreen))


@pytest.mark.parametrize("lane", ["1", "2", "3"], ids=["deep", "scan", "pass"])
def test_queue_screen_lane(
    snap_compare: Any, app_factory: Callable[..., TriageApp], lane: str
) -> None:
    app = app_factory()
    assert snap(snap_compare, app, prepare(app, lane, screen=QueueScreen))


def test_queue_screen_reviewed_shown(
    snap_compare: Any, app_factory: Callable[..., TriageApp]
) -> None:
    app = app_factory()
    assert snap(snap_compare, app, prepare(app, "1", "r", screen=QueueScreen))


def test_queue_screen_search(snap_compare: Any, app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory()

    def searched(screen: Screen[Any]) -> bool:
        return isinstance(screen, QueueScreen) and screen.title_note.startswith("search:")

    steps = [typing("refund"), pressing("enter")]
    assert snap(
        snap_compare, app, prepare(app, "slash", screen=QueueScreen, ready=searched, then=steps)
    )


def test_queue_screen_time_box(snap_compare: Any, app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory()

    def planned(screen: Screen[Any]) -> bool:
        return isinstance(screen, QueueScreen) and screen.plan is not None

    steps = [waiting(lambda a: isinstance(a.screen, TimeBox)), pressing("enter")]
    assert snap(snap_compare, app, prepare(app, "t", screen=QueueScreen, ready=planned, then=steps))


def test_time_box(snap_compare: Any, app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory()
    assert snap(snap_compare, app, prepare(app, "t", screen=TimeBox))


def test_filter_dialog(snap_compare: Any, app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory()
    assert snap(snap_compare, app, prepare(app, "f", screen=FilterDialog))


# -- an item -----------------------------------------------------------------------


def test_item_screen(snap_compare: Any, app_factory: Callable[..., TriageApp]) -> None:
    """The first deep item, on its input tab."""
    app = app_factory()
    assert snap(snap_compare, app, prepare(app, "1", "enter", screen=ItemScreen))


async def open_rich_item(pilot: Pilot[None], app: TriageApp) -> None:
    """Open the first item of the queue with several tool calls and transcript turns."""
    screen, workspace = app.queue_screen, app.workspace
    assert isinstance(screen, QueueScreen) and screen.view is not None and workspace
    view = screen.view
    for index in range(len(view)):
        row = view.row(index)
        item = workspace.explain(f"{row.source}:{row.id}").item
        if len(item.tool_calls or ()) >= 2 and len(item.transcript or ()) >= 2:
            screen.open_index(index)
            await until(pilot, lambda: isinstance(app.screen, ItemScreen), tries=TRIES)
            return
    raise AssertionError("the demo has no item with tool calls and a transcript")


@pytest.mark.parametrize("tab", ["tab-tools", "tab-transcript", "tab-meta"])
def test_item_screen_tab(
    snap_compare: Any, app_factory: Callable[..., TriageApp], tab: str
) -> None:
    """An item with tool calls and a transcript, on each of its other tabs."""
    app = app_factory()

    async def show_tab(pilot: Pilot[None], app: TriageApp) -> None:
        item = app.screen
        assert isinstance(item, ItemScreen)
        await until(pilot, lambda: item.explanation is not None, tries=TRIES)
        item.query_one("#details", TabbedContent).active = tab
        await pilot.pause(0.05)

    def on_tab(screen: Screen[Any]) -> bool:
        return screen.query_one("#details", TabbedContent).active == tab

    steps = [open_rich_item, show_tab]
    assert snap(snap_compare, app, prepare(app, screen=ItemScreen, ready=on_tab, then=steps))


def test_failure_mode_picker(snap_compare: Any, app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory()
    ready = prepare(app, "1", "enter", "x", then=[typing("ref")], screen=FailureModePicker)
    assert snap(snap_compare, app, ready)


def test_note_editor(snap_compare: Any, app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory()
    steps = [waiting(lambda a: isinstance(a.screen, NoteEditor)), typing("Asked Dana to check.")]
    assert snap(snap_compare, app, prepare(app, "1", "enter", "n", screen=NoteEditor, then=steps))


# -- the lead's screens ------------------------------------------------------------


def test_rules_screen(snap_compare: Any, app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory()
    assert snap(snap_compare, app, prepare(app, "R", screen=RulesScreen, ready=rules_loaded))


def test_rules_screen_suggestion_detail(snap_compare: Any, week_app: TriageApp) -> None:
    """On a full week, the suggestions table focused: the detail pane shows the first
    suggestion with its backtest."""
    app = week_app

    async def focus_suggestions(pilot: Pilot[None], app: TriageApp) -> None:
        table = app.screen.query_one("#suggestions-table", DataTable)
        table.focus()
        table.move_cursor(row=0)
        await pilot.pause(0.05)

    def detail_shown(screen: Screen[Any]) -> bool:
        assert isinstance(screen, RulesScreen) and screen.suggestions
        return str(screen.query_one("#rule-detail").render()).startswith(
            screen.suggestions[0].title
        )

    steps = [waiting(on_rules), focus_suggestions]
    ready = prepare(app, "R", screen=RulesScreen, ready=detail_shown, then=steps)
    assert snap(snap_compare, app, ready)


@pytest.mark.parametrize("key", ["e", "n"], ids=["edit", "new"])
def test_rule_editor(snap_compare: Any, app_factory: Callable[..., TriageApp], key: str) -> None:
    app = app_factory()
    steps = [waiting(on_rules), pressing(key)]
    assert snap(snap_compare, app, prepare(app, "R", screen=RuleEditor, then=steps))


def test_stats_screen(snap_compare: Any, app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory()

    def loaded(screen: Screen[Any]) -> bool:
        return rows("#stats-table")(screen) and bool(screen.query_one("#trends").children)

    assert snap(snap_compare, app, prepare(app, "S", screen=StatsScreen, ready=loaded))


def test_failure_model_screen(snap_compare: Any, app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory()
    ready = prepare(app, "M", screen=FailureModelScreen, ready=rows("#model-list"))
    assert snap(snap_compare, app, ready)


@pytest.mark.parametrize("key", ["e", "n"], ids=["edit", "new"])
def test_mode_editor(snap_compare: Any, app_factory: Callable[..., TriageApp], key: str) -> None:
    app = app_factory()
    steps = [waiting(on_model), pressing(key)]
    assert snap(snap_compare, app, prepare(app, "M", screen=ModeEditor, then=steps))


# -- help --------------------------------------------------------------------------


def test_help_screen(snap_compare: Any, app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory()
    assert snap(snap_compare, app, prepare(app, "question_mark", screen=HelpScreen))


def test_help_screen_from_an_item(snap_compare: Any, app_factory: Callable[..., TriageApp]) -> None:
    """Opened on an item, help starts with the item's keys."""
    app = app_factory()
    ready = prepare(app, "1", "enter", "question_mark", screen=HelpScreen)
    assert snap(snap_compare, app, ready)


# -- the guard ---------------------------------------------------------------------


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_every_screen_has_a_snapshot() -> None:
    """Each screen and dialog the app defines has a snapshot test named for it, and a
    stored snapshot: a new screen without one fails here."""
    tests = {name for name in globals() if name.startswith("test_")}
    stored = {path.stem.split("[")[0] for path in SNAPSHOTS.glob("*.svg")}
    screens = screen_classes()
    assert {QueueScreen, ItemScreen, FailureModePicker, HelpScreen} <= set(screens)

    def covers(test: str, cls: type) -> bool:
        base = f"test_{snake(cls.__name__)}"
        return test == base or test.startswith(f"{base}_")

    missing = [cls.__name__ for cls in screens if not any(covers(t, cls) for t in tests)]
    assert not missing, f"screens without a snapshot test: {missing}"
    unstored = sorted(tests - stored - {"test_every_screen_has_a_snapshot"})
    assert not unstored, f"snapshot tests without a stored snapshot: {unstored}"
