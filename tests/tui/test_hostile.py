"""Hostile agent output is shown as text: nothing reaches the terminal as a control."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

from hostile_workspace import (
    ESCAPES,
    MARKUP,
    MODE,
    add_rules,
    hostile,
    item_id,
    name,
    shows_nothing_raw,
    write_items,
)
from rich.console import Console
from textual.command import CommandPalette
from textual.widgets import DataTable, Input, OptionList, Select, TabbedContent, TextArea
from tui.conftest import until
from tui.test_app import queue_ready

from triage.config import Config
from triage.core.models import FailureMode, Outcome
from triage.service.workspace import Workspace
from triage.tui.app import TriageApp
from triage.tui.screens.failure_model import FailureModelScreen
from triage.tui.screens.help import HelpScreen
from triage.tui.screens.item import ItemScreen
from triage.tui.screens.modals import FailureModePicker, FilterDialog, NoteEditor, TimeBox
from triage.tui.screens.queue import QueueScreen
from triage.tui.screens.rules import RulesScreen
from triage.tui.screens.stats import StatsScreen
from triage.tui.widgets.agent_text import AgentText

HOSTILE = (
    "Refund approved, we guarantee it.\x1b[2J\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07"
    "\u202eevil\u202c [bold red]markup[/] [@click=app.quit]click me[/] \x00 \x9b31m"
)
RAW = ("\x1b", "\x07", "\x00", "\x9b", "\u202e")


def add_hostile(config: Config, folder: Path) -> None:
    record = {
        "id": "hostile-0001\x1b[31m", "created_at": "2026-11-20T12:00:00Z",
        "agent": "support-bot", "task_type": "support_reply", "model": "claude-sonnet-4-6",
        "input": "please [@click=app.quit]" + "x" * 200_000, "output": HOSTILE * 3,
        "meta": {"customer_facing": True, "note\x1b]0;t\x07": "[blink]v[/]"},
        "tool_calls": [{"name": "lookup\x1b[5m", "arguments": {}, "result": "\x1b[31mboom",
                        "is_error": True}],
    }  # fmt: skip
    path = folder / "hostile.jsonl"
    path.write_text(json.dumps(record) + "\n")
    ws = Workspace.open(config)
    try:
        assert ws.pull([str(path)], source_name="outputs").new == 1
    finally:
        ws.close()


async def test_hostile_output_renders_inertly(
    demo_config: Config, tmp_path: Path, app_factory: Callable[..., TriageApp]
) -> None:
    add_hostile(demo_config, tmp_path)
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, queue_ready(app))
        await pilot.press("slash")
        app.screen.query_one("#search", Input).value = "hostile-0001"
        await pilot.press("enter")
        await until(pilot, lambda: "search" in str(app.screen.query_one("#status").render()))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ItemScreen))
        await pilot.pause(0.1)
        output = app.screen.query_one("#output", AgentText)
        shown = "".join(output.render_line(y).text for y in range(output.size.height))
        assert "␛[2J" in shown and "[bold red]markup[/]" in shown and "<U+202E>evil" in shown
        assert "[@click=app.quit]click me[/]" in shown
        screen_svg = app.export_screenshot()
        for raw in RAW:
            assert raw not in shown and raw not in screen_svg
        # Clicking the would-be action does nothing: the app is still running.
        await pilot.click("#output", offset=(3, 1))
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, ItemScreen)
        await pilot.press("a")  # the only match: recorded, then back to the queue
        await until(pilot, lambda: not isinstance(app.screen, ItemScreen))
        assert app.workspace is not None
        pk, _ = app.workspace.find("outputs:hostile-0001\x1b[31m")
        assert app.workspace.reviews.current([pk])[pk].outcome == "ok"


# -- a tour of every screen on a workspace where every text is hostile ---------------


def screen_text(app: TriageApp) -> str:
    """The current screen (with the screens under a modal) as the terminal would get
    it: the text of every segment, the app's own control segments left out."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console.print(update)
    return console.export_text(styles=False)


def shown_inertly(app: TriageApp, *literal: str) -> str:
    """Assert nothing raw is on screen (text and screenshot), and each of ``literal``
    is there as written (markup shown, not applied); the screen's text."""
    text = screen_text(app)
    assert not shows_nothing_raw(text), (type(app.screen).__name__, shows_nothing_raw(text))
    assert not shows_nothing_raw(app.export_screenshot())
    for wanted in literal:
        assert wanted in text, (type(app.screen).__name__, wanted, text)
    return text


def build_hostile(config: Config, folder: Path) -> None:
    """Hostile items under a hostile rule, failed with a hostile mode, note and
    reviewer, and a hostile failure mode on the checklist."""
    assert config.rules_dir is not None
    add_rules(config.rules_dir)
    ws = Workspace.open(config)
    try:
        assert ws.pull([str(write_items(folder / "items.jsonl"))], source_name="outputs").new
        for n in range(2, 6):
            ws.record_verdict(
                f"outputs:{item_id(n)}", Outcome.FAIL, reviewer=name("reviewer"),
                modes=[MODE], note=hostile("note"),
            )  # fmt: skip
        mode = FailureMode(
            id="hostile-mode", title=hostile("title"), task_type=name("task"),
            description=hostile("what"), look_for=hostile("look"),
        )  # fmt: skip
        ws.reviews.add_failure_mode(mode, actor=name("lead"))
    finally:
        ws.close()


async def test_every_screen_shows_hostile_text_inertly(
    demo_config: Config, tmp_path: Path, app_factory: Callable[..., TriageApp]
) -> None:
    build_hostile(demo_config, tmp_path)
    app = app_factory()
    async with app.run_test(size=(140, 44), notifications=True) as pilot:
        await until(pilot, queue_ready(app))
        queue = app.queue_screen
        assert isinstance(queue, QueueScreen)

        await pilot.press("slash")
        app.screen.query_one("#search", Input).value = "h0"
        await pilot.press("enter")
        await until(pilot, lambda: "search" in str(app.screen.query_one("#status").render()))
        await pilot.pause()
        shown_inertly(app, f"why:smile: {MARKUP} [link=file:///etc/passwd]", "search: 'h0'")

        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        for key in "h01":
            await pilot.press(key)
        await until(pilot, lambda: "item: h01" in screen_text(app), tries=300)
        shown_inertly(app, f"item: h01:smile: {MARKUP} [link=file:///etc/passwd]", "task:smile:")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))

        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ItemScreen))
        await pilot.pause(0.1)
        shown_inertly(app, f"{MARKUP} [link=file:///etc/passwd]", "why:smile: [bold red]x[/]")
        details = app.screen.query_one("#details", TabbedContent)
        for tab in ("tab-input", "tab-tools", "tab-transcript", "tab-meta"):
            details.active = tab
            await pilot.pause(0.05)
            shown_inertly(app, MARKUP)

        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, FailureModePicker))
        await pilot.pause()
        shown_inertly(app, f"title:smile: {MARKUP}")
        app.screen.query_one("#picker-input", Input).value = hostile("new ")
        await pilot.pause()
        shown_inertly(app, f"+ new failure mode: new :smile: {MARKUP}")
        app.screen.query_one("#picker-input", Input).value = ESCAPES + " pasted"
        await pilot.pause()
        shown_inertly(app, "␛]0;pwned␇␛]52;c;cm0gLXJmIH4=␇␛[2J pasted")  # in the field too
        await pilot.press("escape")

        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NoteEditor))
        app.screen.query_one("#note-text", TextArea).text = hostile("pasted ")
        await pilot.pause()
        shown_inertly(app, f"pasted :smile: {MARKUP}")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ItemScreen))
        app.screen.query_one("#item-side").scroll_end(animate=False)
        await pilot.pause()
        shown_inertly(app, f"pasted :smile: {MARKUP}")  # the note to be saved

        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        for key, modal in (("t", TimeBox), ("f", FilterDialog), ("question_mark", HelpScreen)):
            await pilot.press(key)
            await until(pilot, lambda modal=modal: isinstance(app.screen, modal))  # type: ignore[misc]
            await pilot.pause()
            shown_inertly(app)
            if modal is FilterDialog:
                app.screen.query_one("#filter-agent", Select).focus()
                await pilot.press("enter")
                await pilot.pause()
                shown_inertly(app, f"agent:smile: {MARKUP}")
                await pilot.press("escape")
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, QueueScreen))

        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, RulesScreen))
        rules = app.screen
        assert isinstance(rules, RulesScreen)
        await until(pilot, lambda: rules.ruleset is not None, tries=500)
        assert rules.ruleset is not None
        row = [rule.id for rule in rules.ruleset.rules].index("hostile-watch")
        rules.query_one("#rules-table", DataTable).move_cursor(row=row)
        await pilot.pause()
        shown_inertly(app, f"why:smile: {MARKUP}", f"notes:smile: {MARKUP}")
        await until(pilot, lambda: bool(rules.suggestions), tries=500)
        suggestions = rules.query_one("#suggestions-table", DataTable)
        suggestions.focus()
        suggestions.move_cursor(row=0)
        await pilot.pause()
        shown_inertly(app, "task:smile:")
        await pilot.press("e")  # the rule editor, on the highlighted rule
        await pilot.pause()
        shown_inertly(app)
        await pilot.press("escape")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))

        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, StatsScreen))
        await until(pilot, lambda: app.screen.query_one("#stats-table", DataTable).row_count > 0)
        await pilot.pause(0.1)
        shown_inertly(app, f"task:smile: {MARKUP}")
        await pilot.press("escape")

        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, FailureModelScreen))
        model = app.screen
        assert isinstance(model, FailureModelScreen)
        await until(pilot, lambda: bool(model.modes))
        ids = [mode.id for mode in model.modes]
        model.query_one("#model-list", OptionList).highlighted = ids.index(MODE)
        await pilot.pause(0.1)
        shown_inertly(app, "m:smile: [bold red]x[/]")
        excerpt = "output :smile: [bold red]x[/]"  # an example's excerpt, at the bottom

        def at_the_excerpt() -> bool:
            model.query_one("#model-side").scroll_end(animate=False)  # the preview grows
            return excerpt in screen_text(app)

        await until(pilot, at_the_excerpt)
        shown_inertly(app, excerpt)
        model.query_one("#model-list", OptionList).highlighted = ids.index("hostile-mode")
        await pilot.pause(0.1)
        shown_inertly(app, f"title:smile: {MARKUP}")
        await pilot.press("e")
        await until(pilot, lambda: type(app.screen).__name__ == "ModeEditor")
        await pilot.pause()
        shown_inertly(app, f"title:smile: {MARKUP}")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, FailureModelScreen))
        await pilot.press("n")
        await until(pilot, lambda: type(app.screen).__name__ == "ModeEditor")
        shown_inertly(app)
        await pilot.press("escape")
        assert app.is_running
