"""Two instances judging one item at the same moment: the one that writes second is
told, reliably, and nothing is doubled; a second press is a deliberate correction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui.conftest import until
from tui.test_app import open_first_deep

from triage.config import Config
from triage.core.models import Outcome
from triage.service.workspace import Workspace
from triage.tui.app import TriageApp


async def test_a_verdict_landing_while_the_key_is_pressed_is_reported(
    demo_config: Config, app_factory: Callable[..., TriageApp]
) -> None:
    app = app_factory()
    other = Workspace.open(demo_config)  # another instance, with its own connections
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            item = await open_first_deep(app, pilot)
            ws = app.workspace
            assert ws is not None
            row = item.view.row(item.index)
            before = len(ws.reviews.for_item(row.pk))
            write = ws.record_verdict

            def at_the_same_moment(*args: Any, **kwargs: Any) -> Any:
                # bo's verdict lands after this reviewer's screen checked what was in
                # force and before this reviewer's write: the window a check made
                # outside the write leaves open.
                if not getattr(at_the_same_moment, "done", False):
                    at_the_same_moment.done = True  # type: ignore[attr-defined]
                    other.record_verdict(row.pk, Outcome.OK, reviewer="bo")
                return write(*args, **kwargs)

            ws.record_verdict = at_the_same_moment  # type: ignore[method-assign]
            await pilot.press("a")
            await pilot.pause()
            stored = ws.reviews.for_item(row.pk)
            assert len(stored) == before + 1  # bo's alone: nothing written blindly
            assert item.view.row(item.index).pk == row.pk  # still on the item…
            assert item.explanation is not None and item.explanation.verdict is not None
            assert item.explanation.verdict.reviewer == "bo"  # …now showing bo's verdict
            notices = [n.message for n in app._notifications]
            assert any("Meanwhile bo recorded ok" in message for message in notices), notices

            await pilot.press("a")  # a deliberate correction, recorded
            await until(pilot, lambda: len(ws.reviews.for_item(row.pk)) == before + 2)
            current = ws.reviews.current([row.pk])[row.pk]
            assert current.reviewer == demo_config.reviewer and current.outcome == "ok"
    finally:
        other.close()
