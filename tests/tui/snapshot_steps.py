"""Steps for snapshot tests: open a screen by its real keys, then wait until it is
still (workers done, text laid out, no cursor blinking) so the picture is the same
on every run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Input, OptionList, TextArea
from tui.conftest import until
from tui.test_app import queue_ready

from triage.tui.app import TriageApp
from triage.tui.widgets.agent_text import AgentText

TRIES = 1500
"""How long to wait for a screen's workers (a safety net; nothing is timed)."""

Step = Callable[[Pilot[None], TriageApp], Awaitable[None]]
"""Something done to the app before the picture: keys typed, a condition awaited."""


def prepare(
    app: TriageApp,
    *keys: str,
    screen: type[Screen[Any]],
    ready: Callable[[Screen[Any]], bool] | None = None,
    then: Sequence[Step] = (),
) -> Callable[[Pilot[None]], Awaitable[None]]:
    """Open the queue, press ``keys``, run ``then``; wait until ``screen`` is on top
    and ``ready`` holds, every worker is done and no cursor blinks."""

    async def run_before(pilot: Pilot[None]) -> None:
        await until(pilot, queue_ready(app), tries=TRIES)
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.05)
            await app.workers.wait_for_complete()
        for step in then:
            await step(pilot, app)
        await until(pilot, lambda: isinstance(app.screen, screen), tries=TRIES)
        if ready is not None:
            await until(pilot, lambda: ready(app.screen), tries=TRIES)
        await settle(pilot, app)

    return run_before


async def settle(pilot: Pilot[None], app: TriageApp) -> None:
    """Let workers, layout and markdown finish and stop every cursor blinking: wait
    until two pictures of the screen taken apart are the same."""
    await app.workers.wait_for_complete()
    await until(pilot, lambda: all(t.layout_complete for t in app.screen.query(AgentText)))
    for box in app.screen.query(Input):
        box.cursor_blink = False
    for area in app.screen.query(TextArea):
        area.cursor_blink = False
    shot = ""
    for _ in range(TRIES):
        await pilot.pause(0.1)
        await app.workers.wait_for_complete()
        again = app.export_screenshot()
        if again == shot:
            return
        shot = again
    raise AssertionError("the screen never stopped changing")


def typing(text: str) -> Step:
    """Type ``text`` into whatever has focus."""

    async def step(pilot: Pilot[None], app: TriageApp) -> None:
        await pilot.press(*text)
        await pilot.pause(0.05)

    return step


def waiting(condition: Callable[[TriageApp], bool]) -> Step:
    """Wait until ``condition`` holds and the workers are done."""

    async def step(pilot: Pilot[None], app: TriageApp) -> None:
        await until(pilot, lambda: condition(app), tries=TRIES)
        await app.workers.wait_for_complete()

    return step


def pressing(*keys: str) -> Step:
    """Press ``keys``, one after another."""

    async def step(pilot: Pilot[None], app: TriageApp) -> None:
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.05)

    return step


def rows(selector: str) -> Callable[[Screen[Any]], bool]:
    """The screen's table or list at ``selector`` has been filled."""

    def filled(screen: Screen[Any]) -> bool:
        widget = screen.query_one(selector)
        if isinstance(widget, DataTable):
            return widget.row_count > 0
        return isinstance(widget, OptionList) and widget.option_count > 0

    return filled
