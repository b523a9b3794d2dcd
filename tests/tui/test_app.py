"""The reviewer app driven by its real keys, checked against the database."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input
from tui.conftest import until

from triage.core.models import Lane
from triage.tui.app import TriageApp
from triage.tui.screens.item import ItemScreen
from triage.tui.screens.modals import FailureModePicker
from triage.tui.screens.queue import QueueScreen
from triage.tui.widgets.queue_list import QueueList


def queue_ready(app: TriageApp) -> Callable[[], bool]:
    def ready() -> bool:
        screen = app.queue_screen
        return isinstance(screen, QueueScreen) and screen.view is not None

    return ready


async def open_first_deep(app: TriageApp, pilot) -> ItemScreen:  # type: ignore[no-untyped-def]
    await until(pilot, queue_ready(app))
    await pilot.press("1")
    await until(pilot, lambda: app.queue_screen.where.lane is Lane.DEEP)  # type: ignore[union-attr]
    await until(pilot, queue_ready(app))
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ItemScreen))
    assert isinstance(app.screen, ItemScreen)
    return app.screen


async def test_queue_shows_lanes_and_opens_items(app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, queue_ready(app))
        screen = app.queue_screen
        assert isinstance(screen, QueueScreen) and screen.view is not None
        assert len(screen.view) > 0
        lanes = str(screen.query_one("#lanes").render())
        assert "deep" in lanes and "scan" in lanes and "min" in lanes
        item = await open_first_deep(app, pilot)
        assert item.explanation is not None
        assert item.explanation.decision.lane is Lane.DEEP
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))


async def test_ok_records_and_advances_then_undo_walks_back(
    app_factory: Callable[..., TriageApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        item = await open_first_deep(app, pilot)
        first = item.view.row(item.index)
        ws = app.workspace
        assert ws is not None
        before = {pk: v.pk for pk, v in ws.reviews.current(list(range(1, 200))).items()}
        await pilot.press("a")
        await until(pilot, lambda: item.index != 0)
        second = item.view.row(item.index)
        assert second.pk != first.pk
        assert ws.reviews.current([first.pk])[first.pk].outcome == "ok"
        assert ws.reviews.current([first.pk])[first.pk].reviewer == "ana"

        await pilot.press("e")
        await until(pilot, lambda: item.view.row(item.index).pk != second.pk)
        assert ws.reviews.current([second.pk])[second.pk].outcome == "escalate"

        await pilot.press("u")
        await until(pilot, lambda: item.view.row(item.index).pk == second.pk)
        await pilot.press("backspace")
        await until(pilot, lambda: item.view.row(item.index).pk == first.pk)
        after = {pk: v.pk for pk, v in ws.reviews.current(list(range(1, 200))).items()}
        assert after == before  # back to exactly what was in force before
        assert [v.outcome for v in ws.reviews.for_item(first.pk)][-2:] == ["ok", "undo"]


async def test_fail_picks_or_creates_a_failure_mode(app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        item = await open_first_deep(app, pilot)
        row = item.view.row(item.index)
        await pilot.press("n")
        await until(pilot, lambda: app.screen.__class__.__name__ == "NoteEditor")
        await pilot.press(*"agent skipped the limit")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ItemScreen))
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, FailureModePicker))
        picker = app.screen
        picker.query_one("#picker-input", Input).value = "Quoted the wrong warranty"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ItemScreen))
        ws = app.workspace
        assert ws is not None
        verdict = ws.reviews.current([row.pk])[row.pk]
        assert verdict.outcome == "fail"
        assert verdict.modes == ("quoted-the-wrong-warranty",)
        assert verdict.note == "agent skipped the limit"
        mode = ws.reviews.failure_mode("quoted-the-wrong-warranty")
        assert mode is not None and mode.title == "Quoted the wrong warranty"
        assert mode.task_type == row.task_type


async def test_checklist_answers_are_saved_with_the_verdict(
    app_factory: Callable[..., TriageApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        item = await open_first_deep(app, pilot)
        assert item.modes, "the first deep item's task type has failure modes"
        first = item.modes[0].id  # read before the screen moves on to the next item
        row = item.view.row(item.index)
        await pilot.press("1", "1")  # found → clear
        await pilot.press("a")
        await until(pilot, lambda: item.view.row(item.index).pk != row.pk)
        ws = app.workspace
        assert ws is not None
        record = ws.reviews.current([row.pk])[row.pk]
        with ws.store.engine.connect() as conn:
            from sqlalchemy import text

            checklist = conn.execute(
                text("select checklist from verdict where pk = :pk"), {"pk": record.pk}
            ).scalar_one()
        assert first in str(checklist) and "absent" in str(checklist)


async def test_keys_can_be_remapped(app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory(keys={"verdict-ok": "y"})
    async with app.run_test(size=(120, 36)) as pilot:
        item = await open_first_deep(app, pilot)
        row = item.view.row(item.index)
        ws = app.workspace
        assert ws is not None
        count = len(ws.reviews.for_item(row.pk))
        await pilot.press("a")  # no longer bound
        await pilot.pause()
        assert len(ws.reviews.for_item(row.pk)) == count
        await pilot.press("y")
        await until(pilot, lambda: len(ws.reviews.for_item(row.pk)) == count + 1)
        assert ws.reviews.for_item(row.pk)[-1].outcome == "ok"


async def test_time_box_plans_what_fits(app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, queue_ready(app))
        await pilot.press("t")
        await until(pilot, lambda: app.screen.__class__.__name__ == "TimeBox")
        app.screen.query_one("#timebox-minutes", Input).value = "10"
        await pilot.press("enter")
        screen = app.queue_screen
        assert isinstance(screen, QueueScreen)
        await until(pilot, lambda: screen.plan is not None and screen.view is not None)
        assert screen.plan is not None and screen.view is not None
        assert len(screen.view) == len(screen.plan.pks) > 0
        assert screen.plan.minutes <= 10
        assert "time box" in str(screen.query_one("#status").render())
        assert screen.query_one(QueueList).cursor == 0


async def test_filters_narrow_the_queue(app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, queue_ready(app))
        screen = app.queue_screen
        assert isinstance(screen, QueueScreen) and screen.view is not None
        everything = len(screen.view)
        await pilot.press("f")
        await until(pilot, lambda: app.screen.__class__.__name__ == "FilterDialog")
        from textual.widgets import Select

        app.screen.query_one("#filter-task", Select).value = "refund"
        app.screen.query_one("#filter-day", Input).value = "2026-11-20"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: screen.where.task_type == "refund")
        await until(pilot, queue_ready(app))
        await pilot.pause(0.1)
        view = screen.view
        assert view is not None and 0 < len(view) < everything
        rows = [view.row(i) for i in range(len(view))]
        assert {r.task_type for r in rows} == {"refund"}
        assert {r.created_at.date().isoformat() for r in rows} == {"2026-11-20"}
        assert "refund" in str(screen.query_one("#lanes").render())


async def test_reopening_resumes_the_lane_and_item(app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        item = await open_first_deep(app, pilot)
        await pilot.press("j")
        await until(pilot, lambda: item.index == 1)
        opened = item.view.row(item.index).pk
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
    again = app_factory()
    async with again.run_test(size=(120, 36)) as pilot:
        await until(pilot, queue_ready(again))
        screen = again.queue_screen
        assert isinstance(screen, QueueScreen) and screen.where.lane is Lane.DEEP
        await pilot.pause(0.1)
        assert screen.query_one(QueueList).highlighted_row.pk == opened  # type: ignore[union-attr]


async def test_help_lists_the_live_keys(app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory(keys={"verdict-ok": "y"})
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, queue_ready(app))
        await pilot.press("question_mark")
        await until(pilot, lambda: app.screen.__class__.__name__ == "HelpScreen")
        rows = {does: keys for _, keys, does in app.screen.rows()}  # type: ignore[attr-defined]
        assert rows["OK"] == "y"
        assert rows["Fail"] == "x" and rows["Undo"] == "u / ⌫"
        assert rows["Help"] == "?" and rows["Rules"] == "R"
        assert "Time box" in rows


async def test_a_verdict_recorded_elsewhere_is_not_doubled(
    app_factory: Callable[..., TriageApp],
) -> None:
    from triage.core.models import Outcome

    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        item = await open_first_deep(app, pilot)
        row = item.view.row(item.index)
        ws = app.workspace
        assert ws is not None
        # Another instance (another reviewer) judges the same item meanwhile.
        ws.record_verdict(row.pk, Outcome.FAIL, reviewer="bo", modes=["wrong-order-number"])
        count = len(ws.reviews.for_item(row.pk))
        await pilot.press("a")
        await pilot.pause()
        assert len(ws.reviews.for_item(row.pk)) == count  # nothing added blindly
        assert item.view.row(item.index).pk == row.pk  # still on it, now showing bo's fail
        assert item.explanation is not None and item.explanation.verdict is not None
        assert item.explanation.verdict.reviewer == "bo"
        await pilot.press("a")  # a deliberate correction
        await until(pilot, lambda: len(ws.reviews.for_item(row.pk)) == count + 1)
