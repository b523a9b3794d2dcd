"""The queue list: keys, messages, rendering of hostile text, and that it only
ever reads the rows it shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from textual import on
from textual.app import App, ComposeResult
from textual.message import Message

from triage.core.models import Lane, QueueEntry
from triage.tui.widgets.queue_list import QueueList

BASE = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
LANES = (Lane.DEEP, Lane.SCAN, Lane.PASS)
SIZE = (100, 20)


def entry(index: int, **overrides: object) -> QueueEntry:
    row = QueueEntry(
        pk=index + 1,
        source="files",
        id=f"it-{index:06d}",
        created_at=BASE + timedelta(minutes=index),
        agent="support-bot",
        task_type="support_reply",
        lane=LANES[index % 3],
        risk=0.5,
        reason=f"reason for row {index}",
        audit_sample=index % 7 == 0,
    )
    return replace(row, **overrides)  # type: ignore[arg-type]


class FakeSource:
    """An in-memory source that records which rows were asked for."""

    def __init__(self, count: int, make: Callable[[int], QueueEntry] = entry) -> None:
        self.count = count
        self.make = make
        self.asked: set[int] = set()

    def __len__(self) -> int:
        return self.count

    def row(self, index: int) -> QueueEntry:
        if not 0 <= index < self.count:
            raise IndexError(index)
        self.asked.add(index)
        return self.make(index)


class ListApp(App[None]):
    def __init__(self, source: FakeSource) -> None:
        super().__init__()
        self.source = source
        self.highlighted: list[QueueList.Highlighted] = []
        self.selected: list[QueueList.Selected] = []

    def compose(self) -> ComposeResult:
        yield QueueList(self.source, id="queue")

    @on(QueueList.Highlighted, "#queue")
    def _highlighted(self, message: QueueList.Highlighted) -> None:
        self.highlighted.append(message)

    @on(QueueList.Selected, "#queue")
    def _selected(self, message: QueueList.Selected) -> None:
        self.selected.append(message)

    @property
    def queue(self) -> QueueList:
        return self.query_one("#queue", QueueList)


def screen_text(widget: QueueList) -> list[str]:
    return [widget.render_line(y).text for y in range(widget.scrollable_content_region.height)]


async def test_arrows_and_vi_keys_move_the_cursor() -> None:
    app = ListApp(FakeSource(50))
    async with app.run_test(size=SIZE) as pilot:
        assert app.queue.has_focus
        await pilot.press("down", "j", "j", "up")
        assert app.queue.cursor == 2
        await pilot.press("k", "k", "up")  # stops at the top
        assert app.queue.cursor == 0
        await pilot.pause()
        last = app.highlighted[-1]
        assert (last.index, last.row.pk, last.control) == (0, 1, app.queue)


async def test_paging_and_jumps_read_only_visible_rows() -> None:
    source = FakeSource(100_000)
    app = ListApp(source)
    async with app.run_test(size=SIZE) as pilot:
        queue = app.queue
        height = queue.scrollable_content_region.height
        await pilot.press("pagedown")
        assert queue.cursor == height - 1
        await pilot.press("end")
        assert queue.cursor == 99_999
        assert queue.scroll_offset.y == 100_000 - height
        assert screen_text(queue)[-1].startswith(" deep    it-099999")
        await pilot.press("pageup")
        assert queue.cursor == 99_999 - (height - 1)
        await pilot.press("home")
        assert (queue.cursor, queue.scroll_offset.y) == (0, 0)
        await pilot.press("G")
        assert queue.cursor == 99_999
        await pilot.press("g")
        assert queue.cursor == 0
        await pilot.pause()
        assert app.highlighted[-1].index == 0
    # Only the rows of the screens shown (two at each end) were ever read.
    assert all(i < 2 * height or i >= 100_000 - 2 * height for i in source.asked)
    assert len(source.asked) <= 4 * height


async def test_enter_selects_the_highlighted_row() -> None:
    app = ListApp(FakeSource(10))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "enter")
        await pilot.pause()
        [selected] = app.selected
        assert (selected.index, selected.row.pk, selected.control) == (1, 2, app.queue)


async def test_select_index_clamps_and_scrolls() -> None:
    app = ListApp(FakeSource(1_000))
    async with app.run_test(size=SIZE) as pilot:
        app.queue.select_index(500)
        await pilot.pause()
        assert app.queue.cursor == 500
        assert app.queue.scroll_offset.y <= 500 < app.queue.scroll_offset.y + SIZE[1]
        assert app.highlighted[-1].index == 500
        app.queue.select_index(5_000)
        assert app.queue.cursor == 999
        app.queue.select_index(-3)
        assert app.queue.cursor == 0


async def test_hostile_row_text_is_shown_literally() -> None:
    hostile = {
        0: entry(0, reason="[@click=app.quit]", id="[bold]x"),
        1: entry(1, reason="\x1b[2J\x1b]0;pwned\x07 gone", task_type="\x1b[31mred"),
        2: entry(2, reason="line one\nline two\r\u202eevil"),
    }
    app = ListApp(FakeSource(3, lambda i: hostile[i]))
    async with app.run_test(size=SIZE) as pilot:
        queue = app.queue
        strips = [queue.render_line(y) for y in range(3)]
        text = [strip.text for strip in strips]
        assert "[@click=app.quit]" in text[0]
        assert "[bold]x" in text[0]
        assert "\u241b[2J\u241b]0;pwned\u2407 gone" in text[1]
        assert "\u241b[31mred" in text[1]
        assert "line one \u23ce line two\u240d<U+202E>evil" in text[2]
        for strip in strips:
            assert strip.cell_length == queue.scrollable_content_region.width
            for segment in strip:
                assert not any(c in segment.text for c in "\x1b\x07\n\r\u202e")
                assert segment.style is None or not (segment.style.meta or segment.style.link)
        await pilot.click(QueueList, offset=(30, 0))  # the row with the fake action
        await pilot.pause()
        assert app.is_running
        assert "\x1b" not in app.export_screenshot()


async def test_long_reason_is_cut_with_an_ellipsis() -> None:
    app = ListApp(FakeSource(1, lambda i: entry(i, reason="word " * 100)))
    async with app.run_test(size=SIZE):
        line = app.queue.render_line(0)
        assert line.text.endswith("\u2026")
        assert line.cell_length == app.queue.scrollable_content_region.width


async def test_columns_cursor_and_reviewed_styles() -> None:
    rows = {0: entry(0), 1: entry(1, verdict="ok"), 2: entry(2, verdict="fail")}
    rows[3] = entry(3, verdict="escalate", audit_sample=True)
    app = ListApp(FakeSource(4, lambda i: rows[i]))
    async with app.run_test(size=SIZE):
        queue = app.queue
        text = screen_text(queue)
        assert text[0].startswith(
            " deep*   it-000000        11-16 09:00 support_reply      reason for row 0"
        )
        assert text[1].startswith(" scan  \u2713 it-000001")
        assert text[2].startswith(" pass  \u2717 ")
        assert text[3].startswith(" deep* \u2191 ")
        cursor_bg = queue.get_component_rich_style("queue-list--cursor").bgcolor
        first, second = queue.render_line(0), queue.render_line(1)
        assert all(s.style is not None and s.style.bgcolor == cursor_bg for s in first)
        assert not any(s.style is not None and s.style.dim for s in first)
        assert all(s.style is not None and s.style.dim for s in second)
        lane_deep = queue.get_component_rich_style("queue-list--lane-deep", partial=True)
        badge = next(s for s in first if s.text.startswith("deep"))
        assert badge.style is not None and badge.style.color == lane_deep.color
        assert badge.style.bold


async def test_empty_source_shows_a_hint() -> None:
    app = ListApp(FakeSource(0))
    async with app.run_test(size=SIZE) as pilot:
        queue = app.queue
        lines = screen_text(queue)
        hint = "Nothing in this lane. Pull outputs with `triage pull`."
        [hint_line] = [line for line in lines if line.strip()]
        assert hint_line.strip() == hint
        assert lines.index(hint_line) == len(lines) // 2
        left = len(hint_line) - len(hint_line.lstrip())
        assert abs(left - (len(hint_line) - len(hint_line.rstrip()))) <= 1  # centred
        await pilot.press("down", "end", "enter")
        await pilot.pause()
        assert queue.cursor == 0
        assert (app.highlighted, app.selected) == ([], [])


async def test_set_source_clamps_or_keeps_the_row() -> None:
    app = ListApp(FakeSource(100))
    async with app.run_test(size=SIZE) as pilot:
        queue = app.queue
        queue.select_index(60)
        # The same rows shifted down by three: the cursor follows pk 61.
        queue.set_source(FakeSource(100, lambda i: entry(i - 3)), keep=61)
        assert queue.cursor == 63
        assert queue.render_line(queue.cursor - queue.scroll_offset.y).text.find("it-000060") > 0
        # A shorter source without the kept row: clamp.
        queue.set_source(FakeSource(10), keep=999)
        assert queue.cursor == 9
        await pilot.pause()
        assert (app.highlighted[-1].index, app.highlighted[-1].row.pk) == (9, 10)
        queue.set_source(FakeSource(0))
        assert queue.cursor == 0
        assert queue.virtual_size.height == 0


async def test_refresh_rows_rerenders_and_clamps() -> None:
    verdicts: dict[int, str] = {}
    source = FakeSource(20, lambda i: entry(i, verdict=verdicts.get(i)))
    app = ListApp(source)
    async with app.run_test(size=SIZE) as pilot:
        queue = app.queue
        assert "\u2713" not in queue.render_line(0).text
        verdicts[0] = "ok"
        queue.refresh_rows()
        assert queue.render_line(0).text.startswith(" deep* \u2713")
        queue.select_index(19)
        source.count = 5
        queue.refresh_rows()
        await pilot.pause()
        assert queue.cursor == 4
        assert queue.virtual_size.height == 5
        assert app.highlighted[-1].index == 4


async def test_click_moves_then_selects() -> None:
    app = ListApp(FakeSource(30))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click(QueueList, offset=(10, 4))
        assert app.queue.cursor == 4
        assert app.selected == []
        await pilot.click(QueueList, offset=(10, 4))
        await pilot.pause()
        assert [m.index for m in app.selected] == [4]


def test_highlights_from_one_list_coalesce() -> None:
    one, two = QueueList(FakeSource(3)), QueueList(FakeSource(3))
    first = QueueList.Highlighted(0, entry(0), queue_list=one)
    later = QueueList.Highlighted(1, entry(1), queue_list=one)
    other = QueueList.Highlighted(1, entry(1), queue_list=two)
    selected: Message = QueueList.Selected(1, entry(1), queue_list=one)
    assert first.can_replace(later)
    assert not first.can_replace(other)
    assert not first.can_replace(selected)


async def test_a_list_built_without_rows_takes_them_later() -> None:
    queue = QueueList()
    queue.set_source(FakeSource(40))
    queue.select_index(30)

    class Holder(App[None]):
        def compose(self) -> ComposeResult:
            yield queue

    async with Holder().run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert queue.cursor == 30
        assert queue.scroll_offset.y <= 30 < queue.scroll_offset.y + SIZE[1]
        assert "it-000030" in queue.render_line(30 - queue.scroll_offset.y).text
        queue.set_source(FakeSource(0))
        queue.empty_hint = "Opening the database [b]…[/b]"
        await pilot.pause()
        assert "Opening the database [b]…[/b]" in "".join(screen_text(queue))


async def test_cursor_style_follows_focus_and_theme() -> None:
    app = ListApp(FakeSource(5))
    async with app.run_test(size=SIZE) as pilot:
        queue = app.queue

        def cursor_background() -> object:
            first = next(iter(queue.render_line(0)))
            assert first.style is not None
            return first.style.bgcolor

        focused = cursor_background()
        queue.blur()
        await pilot.pause()
        blurred = cursor_background()
        assert blurred != focused
        queue.focus()
        app.theme = "textual-light"
        await pilot.pause()
        assert cursor_background() not in (focused, blurred)
