"""A verdict the database cannot store (a full disk) is said not to be saved, the
item stays open with the reviewer's work on it, and pressing the key again retries.

The full disk is SQLite's own: ``PRAGMA max_page_count`` set to the database's
current size on every connection of the app's engine, after filling the free room
in its last pages with verdicts on other items, so the next write needs a page it
cannot have and fails with "database or disk is full".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from textual.widgets import Input, OptionList, Static, TextArea
from tui.conftest import until
from tui.test_app import open_first_deep

from triage.core.models import FailureMode, Lane, Outcome, QueueFilter
from triage.errors import DatabaseFull
from triage.service.workspace import Workspace
from triage.tui.app import TriageApp
from triage.tui.screens.item import ItemScreen
from triage.tui.screens.modals import FailureModePicker, NoteEditor


class Disk:
    """The app's database file, made unable to grow and given room again."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.engine: Engine = workspace.store.engine
        self.pages: int | None = None
        event.listen(self.engine, "connect", self._limit)

    def _limit(self, dbapi_connection: Any, _record: Any) -> None:
        if self.pages is not None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {self.pages}")

    def fill(self, spare: list[int]) -> None:
        """No room left: the file may not grow, and the room left in its last pages
        goes to verdicts on the items ``spare`` (pks), then to new failure modes,
        until neither fits any more."""
        with self.engine.connect() as conn:
            self.pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())
        self.engine.dispose()  # pooled connections come back with the limit
        add_mode = self.workspace.reviews.add_failure_mode
        _until_full(
            partial(self.workspace.record_verdict, pk, Outcome.OK, reviewer="filler")
            for pk in spare
        )
        _until_full(
            partial(add_mode, FailureMode(id=f"filler-{n}", title="filler"), actor="filler")
            for n in range(10_000)
        )

    def free(self) -> None:
        """Room again (someone cleared the disk)."""
        self.pages = None
        self.engine.dispose()


def _until_full(writes: Iterable[Callable[[], object]]) -> None:
    for write in writes:
        try:
            write()
        except (DatabaseFull, OperationalError) as exc:
            if "full" not in str(exc):
                raise
            return
    raise AssertionError("the disk never filled up")


def spare_items(workspace: Workspace, keep: int) -> list[int]:
    """Open scan-lane items other than ``keep``, to fill the disk with."""
    keys = workspace.store.queue_keys(QueueFilter(lane=Lane.SCAN, open_only=True))
    return [key.pk for key in keys if key.pk != keep]


def verdicts(workspace: Workspace, pk: int) -> list[Any]:
    return list(workspace.reviews.for_item(pk))


def in_force(workspace: Workspace, pk: int) -> int | None:
    """The pk of the verdict in force on item ``pk`` (``None``: none)."""
    verdict = workspace.reviews.current([pk]).get(pk)
    return verdict.pk if verdict is not None else None


def pending(item: ItemScreen) -> str:
    return str(item.query_one("#pending", Static).render())


async def test_a_verdict_on_a_full_disk_is_not_lost_and_can_be_retried(
    app_factory: Callable[..., TriageApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        item = await open_first_deep(app, pilot)
        ws = app.workspace
        assert ws is not None
        row = item.view.row(item.index)
        before = len(verdicts(ws, row.pk))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NoteEditor))
        app.screen.query_one("#note-text", TextArea).text = "amount checked against the order"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ItemScreen))
        await pilot.press("1")  # a checklist answer
        checks = dict(item.checks)
        assert checks

        disk = Disk(ws)
        disk.fill(spare_items(ws, row.pk))
        await pilot.press("a")
        await pilot.pause()
        assert app.is_running and app.screen is item
        assert item.view.row(item.index).pk == row.pk  # the same item, still open
        assert len(verdicts(ws, row.pk)) == before  # nothing stored…
        assert "NOT saved" in pending(item) and "full" in pending(item)  # …and it says so
        assert item.note == "amount checked against the order" and item.checks == checks

        disk.free()
        await pilot.press("a")  # the retry
        await until(pilot, lambda: len(verdicts(ws, row.pk)) == before + 1)
        stored = ws.reviews.current([row.pk])[row.pk]
        assert stored.outcome == "ok" and stored.note == "amount checked against the order"
        await until(pilot, lambda: item.view.row(item.index).pk != row.pk)  # moved on
        assert "NOT saved" not in pending(item)


async def test_picked_failure_modes_survive_a_failed_save(
    app_factory: Callable[..., TriageApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        item = await open_first_deep(app, pilot)
        ws = app.workspace
        assert ws is not None
        row = item.view.row(item.index)
        before = len(verdicts(ws, row.pk))
        disk = Disk(ws)
        disk.fill(spare_items(ws, row.pk))

        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, FailureModePicker))
        picker = app.screen
        assert isinstance(picker, FailureModePicker)
        existing = item.modes[0].id
        picker.query_one("#picker-options", OptionList).highlighted = 0
        picker.action_mark()  # mark the first mode
        assert picker.marked == {existing}
        picker.query_one("#picker-input", Input).value = "Totally new failure"
        await pilot.pause()
        await pilot.press("enter")  # create it on the spot, with the marked one
        await until(pilot, lambda: isinstance(app.screen, ItemScreen))
        await pilot.pause()
        assert len(verdicts(ws, row.pk)) == before and "NOT saved" in pending(item)
        assert ws.reviews.failure_mode("totally-new-failure") is None

        disk.free()
        await pilot.press("x")  # the picker comes back as it was left
        await until(pilot, lambda: isinstance(app.screen, FailureModePicker))
        picker = app.screen
        assert isinstance(picker, FailureModePicker)
        assert existing in picker.marked
        assert picker.query_one("#picker-input", Input).value == "Totally new failure"
        options = picker.query_one("#picker-options", OptionList)
        assert options.get_option_at_index(options.highlighted or 0).id == "__new__"
        await pilot.press("enter")
        await until(pilot, lambda: len(verdicts(ws, row.pk)) == before + 1)
        stored = ws.reviews.current([row.pk])[row.pk]
        assert stored.outcome == "fail"
        assert set(stored.modes) == {existing, "totally-new-failure"}


async def test_an_undo_on_a_full_disk_can_be_retried(
    app_factory: Callable[..., TriageApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 36)) as pilot:
        item = await open_first_deep(app, pilot)
        ws = app.workspace
        assert ws is not None
        row = item.view.row(item.index)
        earlier = in_force(ws, row.pk)
        await pilot.press("a")
        await until(pilot, lambda: item.view.row(item.index).pk != row.pk)
        recorded = in_force(ws, row.pk)
        assert recorded != earlier

        disk = Disk(ws)
        disk.fill(spare_items(ws, row.pk))
        await pilot.press("u")
        await pilot.pause()
        assert app.is_running and app.screen is item
        assert in_force(ws, row.pk) == recorded  # not undone…
        assert app.sitting is not None and app.sitting.reviewed == 1  # …and still undoable

        disk.free()
        await pilot.press("u")
        await until(pilot, lambda: in_force(ws, row.pk) == earlier)
        assert item.view.row(item.index).pk == row.pk  # back on the item
