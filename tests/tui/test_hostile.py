"""Hostile agent output is shown as text: nothing reaches the terminal as a control."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Input
from tui.conftest import until
from tui.test_app import queue_ready

from triage.config import Config
from triage.service import Workspace
from triage.tui.app import TriageApp
from triage.tui.screens.item import ItemScreen
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
