"""Screenshots of every screen, from the real app on a seeded demo workspace.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]

Writes SVG files (and PNG files when cairosvg and libcairo are installed) to
``screenshots/``. The demo week is fixed (seed 7, ending 2026-11-20), so the
pictures change only when the UI does.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from triage.config import Config
from triage.demo.workspace import build_workspace
from triage.tui.app import TriageApp, make_app
from triage.tui.screens.failure_model import FailureModelScreen
from triage.tui.screens.item import ItemScreen
from triage.tui.screens.queue import QueueScreen
from triage.tui.screens.rules import RulesScreen
from triage.tui.screens.stats import StatsScreen

SIZE = (140, 40)
CHECKED = "sb-20261120-0013"
"""An open item of the demo's last day that fails two automated checks."""


async def until(pilot: Pilot[None], condition: Callable[[], bool]) -> None:
    for _ in range(1500):
        if condition():
            return
        await pilot.pause(0.02)
    raise RuntimeError("the app did not reach the expected screen")


def ready(app: TriageApp) -> Callable[[], bool]:
    def check() -> bool:
        screen = app.queue_screen
        return isinstance(screen, QueueScreen) and screen.view is not None

    return check


async def shoot(config: Config, out: Path) -> list[Path]:
    app = make_app(config)
    shots: list[Path] = []

    def save(name: str) -> None:
        path = out / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"triage · {name}"), encoding="utf-8")
        shots.append(path)

    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, ready(app))
        await pilot.pause(0.1)
        save("queue")
        await pilot.press("1")
        await until(pilot, ready(app))
        await pilot.pause(0.1)
        save("queue-deep")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ItemScreen))
        await pilot.pause(0.2)
        save("item")
        await pilot.press("1")
        await pilot.press("x")
        await pilot.pause(0.2)
        await pilot.press(*"refund")
        await pilot.pause(0.1)
        save("fail-picker")
        await pilot.press("escape")
        await pilot.press("n")
        await pilot.pause(0.1)
        await pilot.press(*"Refund is 240 over the 200 limit; asked Dana to confirm.")
        save("note")
        await pilot.press("escape")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        await pilot.press("slash")
        app.screen.query_one("#search", Input).value = CHECKED
        await pilot.press("enter")
        await until(pilot, lambda: "search" in str(app.screen.query_one("#status").render()))
        await pilot.pause(0.1)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ItemScreen))
        await pilot.pause(0.2)
        save("item-checks")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        await pilot.press("escape")
        await until(pilot, ready(app))
        await pilot.press("question_mark")
        await pilot.pause(0.1)
        save("help")
        await pilot.press("escape")
        await pilot.press("t")
        await pilot.pause(0.1)
        app.screen.query_one("#timebox-minutes", Input).value = "25"
        await pilot.press("enter")
        screen = app.queue_screen
        assert isinstance(screen, QueueScreen)
        await until(pilot, lambda: screen.plan is not None and screen.view is not None)
        await pilot.pause(0.2)
        save("time-box")
        await pilot.press("escape")
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, RulesScreen))
        rules = app.screen
        assert isinstance(rules, RulesScreen)
        await until(pilot, lambda: rules.ruleset is not None and bool(rules.suggestions))
        await pilot.pause(0.3)
        save("rules")
        await pilot.press("escape")
        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, StatsScreen))
        await pilot.pause(1.0)
        save("stats")
        await pilot.press("escape")
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, FailureModelScreen))
        await pilot.pause(1.0)
        save("failure-model")
    return shots


def to_png(svgs: list[Path]) -> bool:
    try:
        import cairosvg  # type: ignore[import-not-found]
    except (ImportError, OSError):
        return False
    for svg in svgs:
        cairosvg.svg2png(url=str(svg), write_to=str(svg.with_suffix(".png")), output_width=1680)
    return True


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="triage-shots-") as name:
        folder = Path(name) / "demo"
        build_workspace(folder, end=date(2026, 11, 20), seed=7)
        config = Config(
            database_url=f"sqlite:///{folder / 'triage.db'}",
            rules_dir=folder / "rules",
            reviewer="maja",
        )
        shots = asyncio.run(shoot(config, out))
    pngs = to_png(shots)
    for shot in shots:
        print(shot.relative_to(out.parent) if out.parent in shot.parents else shot)
    if not pngs:
        print("(no PNGs: install cairosvg and libcairo to get them)")


if __name__ == "__main__":
    main()
