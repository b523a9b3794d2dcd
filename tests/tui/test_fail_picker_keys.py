"""The fail picker by keyboard alone: space marks while the text box is empty, tab
marks whatever is typed, space types once something is, and the verdict carries
every marked mode."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input, Label, OptionList
from tui.conftest import until
from tui.test_app import open_first_deep

from triage.tui.app import TriageApp
from triage.tui.screens.item import ItemScreen
from triage.tui.screens.modals import FailureModePicker


async def open_picker(app: TriageApp, pilot) -> tuple[ItemScreen, FailureModePicker]:  # type: ignore[no-untyped-def]
    item = await open_first_deep(app, pilot)
    assert len(item.modes) >= 3, "the demo's deep items have several failure modes"
    await pilot.press("x")
    await until(pilot, lambda: isinstance(app.screen, FailureModePicker))
    picker = app.screen
    assert isinstance(picker, FailureModePicker)
    return item, picker


def highlighted(picker: FailureModePicker) -> str:
    options = picker.query_one("#picker-options", OptionList)
    assert options.highlighted is not None
    option_id = options.get_option_at_index(options.highlighted).id
    assert option_id is not None
    return option_id


async def test_space_marks_several_modes_and_the_verdict_has_them_all(
    app_factory: Callable[..., TriageApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        item, picker = await open_picker(app, pilot)
        row = item.view.row(item.index)
        assert app.workspace is not None
        shown = app.workspace.reviews.current([row.pk]).get(row.pk)
        box = picker.query_one("#picker-input", Input)
        assert box.has_focus and box.value == ""
        first = highlighted(picker)
        await pilot.press("space")
        assert picker.marked == {first} and box.value == ""  # marked, not typed
        await pilot.press("down", "down")
        third = highlighted(picker)
        await pilot.press("space", "up")
        second = highlighted(picker)
        await pilot.press("space", "space")  # marks and unmarks again
        assert picker.marked == {first, third}
        await pilot.press("escape")  # back on the item; nothing recorded
        await until(pilot, lambda: isinstance(app.screen, ItemScreen))
        ws = app.workspace
        assert ws is not None and ws.reviews.current([row.pk]).get(row.pk) == shown

        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, FailureModePicker))
        picker = app.screen
        assert isinstance(picker, FailureModePicker)
        await pilot.press("space", "down", "space", "down", "space", "up")
        assert picker.marked == {first, second, third}
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ItemScreen))
        verdict = ws.reviews.current([row.pk])[row.pk]
        assert verdict.outcome == "fail" and verdict.reviewer == "ana"
        assert verdict.modes == tuple(sorted({first, second, third}))


async def test_tab_marks_while_typing_and_space_types_a_new_modes_name(
    app_factory: Callable[..., TriageApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        item, picker = await open_picker(app, pilot)
        row = item.view.row(item.index)
        box = picker.query_one("#picker-input", Input)
        first = highlighted(picker)
        await pilot.press("tab")
        assert picker.marked == {first} and box.has_focus
        await pilot.press(*"totally new", "space", *"thing")
        assert box.value == "totally new thing"
        assert picker.marked == {first}  # the spaces were typed, nothing toggled
        await pilot.press("enter")  # the highlighted "+ new failure mode" entry
        await until(pilot, lambda: isinstance(app.screen, ItemScreen))
        ws = app.workspace
        assert ws is not None
        verdict = ws.reviews.current([row.pk])[row.pk]
        assert verdict.modes == tuple(sorted({first, "totally-new-thing"}))
        mode = ws.reviews.failure_mode("totally-new-thing")
        assert mode is not None and mode.title == "totally new thing"


async def test_the_keys_line_shows_the_live_bindings(app_factory: Callable[..., TriageApp]) -> None:
    app = app_factory(keys={"picker-mark": "ctrl+t,space"})
    async with app.run_test(size=(120, 36)) as pilot:
        _, picker = await open_picker(app, pilot)
        help_line = picker.query_one("#picker-help", Label)
        assert picker.keys_line() == "enter: choose · ^t / space: mark several · esc: cancel"
        assert str(help_line.render()) == picker.keys_line()
        first = highlighted(picker)
        await pilot.press("ctrl+t")  # the remapped key marks
        assert picker.marked == {first}
        await pilot.press("a")
        assert picker.keys_line() == "enter: choose · ^t: mark several · esc: cancel"
        assert str(help_line.render()) == picker.keys_line()
        await pilot.press("space")
        assert picker.query_one("#picker-input", Input).value == "a "
        assert picker.marked == {first}
