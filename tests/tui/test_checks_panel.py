"""The item screen's why-panel names every failed automated check with its evidence."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Input, Static
from tui.conftest import until
from tui.test_app import queue_ready

from triage.config import Config
from triage.service.workspace import Workspace
from triage.tui.app import TriageApp
from triage.tui.screens.item import ItemScreen

ERRORED = {"status": "errored", "reason": "send step timed out after 30 s\x1b]0;pwned\x07"}


def add_items(config: Config, folder: Path) -> None:
    base = {
        "created_at": "2026-11-20T12:00:00Z", "agent": "mailer", "task_type": "outbound_email",
        "model": "claude-haiku-4-5", "input": "Send the November newsletter.",
    }  # fmt: skip
    records = [
        {**base, "id": "checked-0001", "output": "Dear {{first_name}}, our sale starts Friday.",
         "meta": {"customer_facing": True, "recipients": 12, "platform_outcome": ERRORED}},
        {**base, "id": "checked-0002", "output": "Dear Anna, our sale starts Friday.",
         "meta": {"customer_facing": True, "recipients": 12}},
    ]  # fmt: skip
    path = folder / "checked.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    ws = Workspace.open(config)
    try:
        assert ws.pull([str(path)], source_name="outputs").new == 2
    finally:
        ws.close()


async def open_item(app: TriageApp, pilot, ref: str) -> str:  # type: ignore[no-untyped-def]
    await pilot.press("slash")
    app.screen.query_one("#search", Input).value = ref
    await pilot.press("enter")
    await until(pilot, lambda: "search" in str(app.screen.query_one("#status").render()))
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ItemScreen))
    screen = app.screen
    await until(pilot, lambda: ref in str(screen.query_one("#item-header", Static).render()))
    return str(screen.query_one("#why", Static).render())


async def test_the_why_panel_lists_failed_checks_with_their_evidence(
    demo_config: Config, tmp_path: Path, app_factory: Callable[..., TriageApp]
) -> None:
    add_items(demo_config, tmp_path)
    app = app_factory()
    async with app.run_test(size=(120, 50)) as pilot:
        await until(pilot, queue_ready(app))
        why = await open_item(app, pilot, "checked-0001")
    assert "checks 2 failed, 5 passed" in why
    assert "✗ platform (errored)" in why
    assert "the run ended in an error: send step timed out after 30 s" in why
    assert "✗ placeholders" in why and "{{first_name}}" in why
    assert "\x1b" not in why and "\x07" not in why
    assert "platform-failed" in why and "unfilled-placeholder" in why


async def test_the_why_panel_says_when_every_check_passed(
    demo_config: Config, tmp_path: Path, app_factory: Callable[..., TriageApp]
) -> None:
    add_items(demo_config, tmp_path)
    app = app_factory()
    async with app.run_test(size=(120, 50)) as pilot:
        await until(pilot, queue_ready(app))
        why = await open_item(app, pilot, "checked-0002")
    assert "checks all 7 passed" in why and "✗" not in why
