"""The stats screen's "Triage quality" panel shows the figures of ``Workspace.quality``."""

from __future__ import annotations

from tui.conftest import until
from tui.test_app import queue_ready
from tui.test_lead_screens import lead_app, lead_config  # noqa: F401 (a fixture)

from triage.config import Config
from triage.tui.screens.stats import StatsScreen


def _text(widget: object) -> str:
    return str(getattr(widget, "renderable", "") or getattr(widget, "content", ""))


async def test_stats_screen_shows_the_quality_panel(lead_config: Config) -> None:  # noqa: F811
    app = lead_app(lead_config)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, queue_ready(app))
        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, StatsScreen))
        await until(pilot, lambda: bool(app.screen.query("#quality-title")))
        title = app.screen.query_one("#quality-title")
        assert _text(title) == "Triage quality"
        lines = [_text(w) for w in app.screen.query(".quality-line")]
        # 20 of 60 handoffs failed, all reviewed in scan with no seconds recorded.
        assert lines[0].startswith("queue AUC 0.")
        assert lines[1] == ("— failures per reviewer hour; 0% of failures found in deep (0–16%)")
        assert lines[2] == "pass escapes: no audit samples reviewed"
        assert lines[3] == "p_fail: no reviewed decision carries one yet"
