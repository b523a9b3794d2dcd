"""The reviewer app creates failure modes the one way the service offers, with its checks:
from the fail picker while reviewing, and on the failure-model screen."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.widgets import Input
from tui.conftest import until
from tui.test_app import open_first_deep, queue_ready

from triage.core.models import FailureMode
from triage.learn import failure_model as learn_failure_model
from triage.tui.app import TriageApp
from triage.tui.screens.failure_model import FailureModelScreen
from triage.tui.screens.item import ItemScreen
from triage.tui.screens.modals import FailureModePicker


def notices(app: TriageApp) -> list[str]:
    return [str(n.message) for n in app._notifications]  # type: ignore[attr-defined]


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the modes :func:`check_mode` was asked about."""
    seen: list[str] = []
    check = learn_failure_model.check_mode

    def counting(mode: FailureMode) -> None:
        seen.append(mode.id)
        check(mode)

    monkeypatch.setattr(learn_failure_model, "check_mode", counting)
    return seen


async def test_a_mode_made_in_the_fail_picker_gets_the_checks(
    app_factory: Callable[..., TriageApp], checks: list[str]
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        item = await open_first_deep(app, pilot)
        row = item.view.row(item.index)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, FailureModePicker))
        app.screen.query_one("#picker-input", Input).value = "Promised a callback"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ItemScreen))
        assert "promised-a-callback" in checks
        ws = app.workspace
        assert ws is not None
        assert ws.failure_model.mode("promised-a-callback").task_type == row.task_type
        assert ws.explain(f"{row.source}:{row.id}").verdict is not None


async def test_a_taken_id_on_the_failure_model_screen_is_refused_by_the_same_check(
    app_factory: Callable[..., TriageApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await until(pilot, queue_ready(app))
        ws = app.workspace
        assert ws is not None
        taken = ws.failure_model.modes()[0]
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, FailureModelScreen))
        await pilot.press("n")
        await until(pilot, lambda: app.screen.__class__.__name__ == "ModeEditor")
        app.screen.query_one("#mode-title", Input).value = taken.title
        app.screen.query_one("#mode-id", Input).value = taken.id
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any("Not added" in n for n in notices(app)))
        assert any(f"failure mode {taken.id!r} already exists" in n for n in notices(app))
        assert ws.failure_model.mode(taken.id) == taken
