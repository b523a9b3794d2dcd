"""Items stored without a lane are never silently missing from the reviewer's queue."""

from __future__ import annotations

from collections.abc import Callable

from factories import record
from tui.conftest import until

from triage.config import Config
from triage.platforms.native import parse_record
from triage.storage.store import Store
from triage.tui.app import TriageApp
from triage.tui.screens.queue import QueueScreen


async def test_the_lane_bar_counts_items_not_triaged_yet(
    app_factory: Callable[..., TriageApp], demo_config: Config
) -> None:
    assert demo_config.database_url is not None
    store = Store.open(demo_config.database_url)
    try:
        store.write_items([parse_record(record(n), source="late") for n in range(1, 4)])
    finally:
        store.close()
    app = app_factory()
    async with app.run_test(size=(160, 36)) as pilot:
        await until(pilot, lambda: isinstance(app.queue_screen, QueueScreen))
        screen = app.queue_screen
        assert isinstance(screen, QueueScreen)
        await until(pilot, lambda: screen.view is not None)
        lanes = str(screen.query_one("#lanes").render())
        assert "3 not triaged yet: run triage retriage" in lanes
