"""Snapshots of each screen on the seeded demo workspace (fixed week, fixed seed).

Review a failing snapshot's diff (snapshot_report.html) before updating with
``pytest --snapshot-update``: an unexpected change there is a bug.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input
from tui.conftest import until
from tui.test_app import queue_ready

from triage.tui.app import TriageApp
from triage.tui.screens.item import ItemScreen

SIZE = (130, 38)


def prepare(app: TriageApp, *keys: str, after: Callable[[TriageApp], bool] | None = None) -> Any:
    async def run_before(pilot: Pilot[None]) -> None:
        await until(pilot, queue_ready(app))
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.05)
        if after is not None:
            await until(pilot, lambda: after(app))
        for box in app.screen.query(Input):
            box.cursor_blink = False
        await pilot.pause(0.2)

    return run_before


def test_queue_screen(snap_compare: Any, app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory()
    assert snap_compare(app, terminal_size=SIZE, run_before=prepare(app))


def test_queue_deep_lane(snap_compare: Any, app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory()
    assert snap_compare(app, terminal_size=SIZE, run_before=prepare(app, "1"))


def test_item_screen(snap_compare: Any, app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory()
    ready = prepare(app, "1", "enter", after=lambda a: isinstance(a.screen, ItemScreen))
    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_fail_picker(snap_compare: Any, app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory()
    ready = prepare(app, "1", "enter", "x", "r", "e", "f")
    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_help_screen(snap_compare: Any, app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory()
    assert snap_compare(app, terminal_size=SIZE, run_before=prepare(app, "question_mark"))
