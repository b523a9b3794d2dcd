"""The screens' nets catch the error family only: a refusal is a notice, a bug is a crash.

A ``KeyError`` raised by a bug once showed as a polite "Not saved" notice, because
the screens caught the built-in ``LookupError`` family as if it were a refusal. A
bug must surface (Pilot re-raises what crashed the app); a
:class:`~triage.errors.TriageError` is what a person can act on and stays a notice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input
from tui.conftest import until
from tui.test_app import queue_ready

from triage.errors import Refused
from triage.tui.app import TriageApp
from triage.tui.screens.failure_model import FailureModelScreen
from triage.tui.screens.rules import RulesScreen


def notices(app: TriageApp) -> list[str]:
    return [str(n.message) for n in app._notifications]  # type: ignore[attr-defined]


def broken(error: BaseException) -> Callable[..., Any]:
    def fail(*_args: object, **_kwargs: object) -> Any:
        raise error

    return fail


async def open_failure_model(app: TriageApp, pilot: Pilot[None]) -> FailureModelScreen:
    await until(pilot, queue_ready(app))
    await pilot.press("M")
    await until(pilot, lambda: isinstance(app.screen, FailureModelScreen))
    screen = app.screen
    assert isinstance(screen, FailureModelScreen)
    await until(pilot, lambda: bool(screen.modes))
    return screen


async def save_a_rule_edit(app: TriageApp, pilot: Pilot[None]) -> None:
    await until(pilot, queue_ready(app))
    await pilot.press("R")
    await until(pilot, lambda: isinstance(app.screen, RulesScreen))
    screen = app.screen
    assert isinstance(screen, RulesScreen)
    await until(pilot, lambda: screen.ruleset is not None)
    screen.query_one("#rules-table", DataTable).focus()
    await pilot.press("e")
    await until(pilot, lambda: app.screen.__class__.__name__ == "RuleEditor")
    app.screen.query_one("#rule-why", Input).value = "A new reason."
    await pilot.press("ctrl+s")


async def test_a_refusal_on_the_failure_model_screen_is_a_notice(
    app_factory: Callable[..., TriageApp],
) -> None:
    app = app_factory(leads=("dana",))  # ana reviews, and is not a lead
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        screen = await open_failure_model(app, pilot)
        await pilot.press("r")
        await until(pilot, lambda: any("Not changed" in n for n in notices(app)))
        assert app.screen is screen
        (notice,) = [n for n in notices(app) if "Not changed" in n]
        assert "ana is not a lead" in notice
        assert app.workspace is not None
        assert all(m.status == "active" for m in app.workspace.failure_model.modes())


async def test_a_bug_on_the_failure_model_screen_is_not_a_notice(
    app_factory: Callable[..., TriageApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("triage.learn.failure_model.retire_mode", broken(KeyError("status")))
    app = app_factory()
    with pytest.raises(KeyError, match="status"):
        async with app.run_test(size=(140, 40), notifications=True) as pilot:
            await open_failure_model(app, pilot)
            await pilot.press("r")
            await pilot.pause()
    assert not any("Not changed" in n for n in notices(app))


async def test_a_refusal_in_a_rules_screen_worker_is_a_notice(
    app_factory: Callable[..., TriageApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    refusal = Refused("the rules folder is being changed by someone else")
    monkeypatch.setattr("triage.learn.rule_changes.edit_rule", broken(refusal))
    app = app_factory()
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await save_a_rule_edit(app, pilot)
        await until(pilot, lambda: any("Not saved" in n for n in notices(app)))
        assert isinstance(app.screen, RulesScreen)
        assert any("being changed by someone else" in n for n in notices(app))


async def test_a_bug_in_a_rules_screen_worker_is_not_a_notice(
    app_factory: Callable[..., TriageApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("triage.learn.rule_changes.edit_rule", broken(KeyError("lane")))
    app = app_factory()
    with pytest.raises(KeyError, match="lane"):
        async with app.run_test(size=(140, 40), notifications=True) as pilot:
            await save_a_rule_edit(app, pilot)
            for _ in range(100):  # the worker runs in a thread; its crash ends the app
                await pilot.pause(0.02)
    assert not any("Not saved" in n for n in notices(app))
