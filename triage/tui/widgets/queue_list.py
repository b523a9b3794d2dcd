"""The review queue as a virtual list: one line per row, only visible lines built.

Rows come from a :class:`RowSource`, which may page them from a database; the
list asks it for a row only when that row is on screen (or under the cursor),
so moving through 100,000 rows costs the same as moving through ten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from triage.core.inert import one_line

if TYPE_CHECKING:
    # Only the type: the storage package pulls in SQLAlchemy, which the UI
    # should not pay for before its first paint.
    from triage.core.models import QueueEntry

__all__ = ["IndexedRowSource", "QueueList", "RowSource"]


class RowSource(Protocol):
    """What the list reads rows from. ``row`` may be slow on a cache miss."""

    def __len__(self) -> int: ...

    def row(self, index: int) -> QueueEntry: ...


@runtime_checkable
class IndexedRowSource(RowSource, Protocol):
    """A source that can also find a row by primary key without a scan."""

    def index_of(self, pk: int) -> int | None: ...


class _NoRows:
    """The source of a list that has not been given one yet."""

    def __len__(self) -> int:
        return 0

    def row(self, index: int) -> QueueEntry:
        raise IndexError(index)


ID_WIDTH = 16
TIME_WIDTH = 11
TASK_WIDTH = 18
KEEP_WINDOW = 50
"""Without ``index_of``, ``set_source(keep=…)`` looks this many rows either side
of the cursor for the kept row; further away the cursor is clamped instead."""

_MARKERS = {"ok": "\u2713", "fail": "\u2717", "escalate": "\u2191"}


def _fit(text: str, width: int) -> str:
    """``text`` made inert and exactly ``width`` cells: padded, or cut with ``…``."""
    flat = one_line(text, width)
    if cell_len(flat) > width:  # wide characters: cut by cells, not characters
        return set_cell_size(flat, width - 1) + "\u2026"
    return set_cell_size(flat, width)


class QueueList(ScrollView, can_focus=True):
    """A keyboard-driven list of queue rows that stays instant at 100,000 rows."""

    ALLOW_SELECT = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Open", id="queue-select", tooltip="Open the highlighted row"),
        # Movement is what every list does; it stays out of the footer.
        Binding("down,j", "cursor_down", "Down", show=False, id="queue-cursor-down"),
        Binding("up,k", "cursor_up", "Up", show=False, id="queue-cursor-up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="queue-page-down"),
        Binding("pageup", "page_up", "Page up", show=False, id="queue-page-up"),
        Binding("home,g", "first", "First", show=False, id="queue-first"),
        Binding("end,G,shift+g", "last", "Last", show=False, id="queue-last"),
    ]
    """
    | Key(s) | ID | Action |
    | :- | :- | :- |
    | enter | `queue-select` | Post `Selected` for the highlighted row. |
    | down, j | `queue-cursor-down` | Highlight the next row. |
    | up, k | `queue-cursor-up` | Highlight the previous row. |
    | pagedown | `queue-page-down` | Scroll down a page, the cursor with it. |
    | pageup | `queue-page-up` | Scroll up a page, the cursor with it. |
    | home, g | `queue-first` | Highlight the first row. |
    | end, G | `queue-last` | Highlight the last row. |
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "queue-list--cursor",
        "queue-list--reviewed",
        "queue-list--muted",
        "queue-list--hint",
        "queue-list--lane-deep",
        "queue-list--lane-scan",
        "queue-list--lane-pass",
        "queue-list--verdict-ok",
        "queue-list--verdict-fail",
        "queue-list--verdict-escalate",
    }
    """
    | Class | Description |
    | :- | :- |
    | `queue-list--cursor` | The highlighted row. |
    | `queue-list--reviewed` | Rows that already have a verdict. |
    | `queue-list--muted` | The time and task-type columns. |
    | `queue-list--hint` | The line shown when there are no rows. |
    | `queue-list--lane-*` | The lane badge, per lane. |
    | `queue-list--verdict-*` | The verdict marker, per verdict. |
    """

    DEFAULT_CSS = """
    QueueList {
        height: 1fr;
        overflow-x: hidden;
        background: $surface;
        & > .queue-list--cursor {
            color: $block-cursor-blurred-foreground;
            background: $block-cursor-blurred-background;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .queue-list--cursor {
            color: $block-cursor-foreground;
            background: $block-cursor-background;
            text-style: $block-cursor-text-style;
        }
        & > .queue-list--reviewed { text-style: dim; }
        & > .queue-list--muted { color: $text-muted; }
        & > .queue-list--hint { color: $text-muted; text-style: italic; }
        & > .queue-list--lane-deep { color: $text-error; text-style: bold; }
        & > .queue-list--lane-scan { color: $text-warning; }
        & > .queue-list--lane-pass { color: $text-success; }
        & > .queue-list--verdict-ok { color: $text-success; }
        & > .queue-list--verdict-fail { color: $text-error; }
        & > .queue-list--verdict-escalate { color: magenta; }
    }
    """

    cursor: reactive[int] = reactive(0, repaint=False, init=False)
    """Index of the highlighted row; always within the source (0 when it is empty)."""

    empty_hint: reactive[str] = reactive("Nothing in this lane. Pull outputs with `triage pull`.")
    """The line centred in the list when the source has no rows (plain text, not markup)."""

    @dataclass
    class Highlighted(Message):
        """The cursor came to rest on a row. Rapid moves coalesce to the latest."""

        index: int
        row: QueueEntry
        queue_list: QueueList = field(kw_only=True, repr=False, compare=False)

        @property
        def control(self) -> QueueList:
            return self.queue_list

        def can_replace(self, message: Message) -> bool:
            return (
                isinstance(message, QueueList.Highlighted) and message.queue_list is self.queue_list
            )

    @dataclass
    class Selected(Message):
        """The reviewer chose a row (enter, or a click on the highlighted row)."""

        index: int
        row: QueueEntry
        queue_list: QueueList = field(kw_only=True, repr=False, compare=False)

        @property
        def control(self) -> QueueList:
            return self.queue_list

    def __init__(
        self,
        source: RowSource | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._source: RowSource = _NoRows() if source is None else source
        self._count = len(self._source)
        self._strips: LRUCache[tuple[int, bool], Strip] = LRUCache(256)
        self._strip_width = -1
        self._styles: dict[tuple[str, ...], Style] = {}
        self._announced: tuple[int, int] | None = None

    # -- data ----------------------------------------------------------------

    @property
    def source(self) -> RowSource:
        """The rows shown; replace with :meth:`set_source`."""
        return self._source

    @property
    def row_count(self) -> int:
        """How many rows the source had at the last ``set_source``/``refresh_rows``."""
        return self._count

    @property
    def highlighted_row(self) -> QueueEntry | None:
        """The row under the cursor, or ``None`` when the list is empty."""
        return self._source.row(self.cursor) if self._count else None

    def set_source(self, source: RowSource, *, keep: int | None = None) -> None:
        """Show ``source`` instead. With ``keep`` (a primary key) the cursor follows
        that row if it can be found cheaply; otherwise it keeps its index, clamped."""
        self._source = source
        self._count = len(source)
        index = self._find(keep) if keep is not None else None
        self._reload(self.cursor if index is None else index)

    def refresh_rows(self) -> None:
        """Re-read the source after its contents changed (a verdict recorded, rows
        dropped from the end); the cursor stays at its index, clamped."""
        self._count = len(self._source)
        self._reload(self.cursor)

    def select_index(self, index: int) -> None:
        """Move the cursor to ``index`` (clamped) and scroll it into view."""
        self.cursor = index

    def _find(self, pk: int) -> int | None:
        source = self._source
        if isinstance(source, IndexedRowSource):
            return source.index_of(pk)
        # Nearest first, so a row that moved by one or two is found at once.
        for step in range(KEEP_WINDOW + 1):
            for index in {self.cursor - step, self.cursor + step}:
                if 0 <= index < self._count and source.row(index).pk == pk:
                    return index
        return None

    def _reload(self, index: int) -> None:
        self._strips.clear()
        self._update_virtual_size()
        old = self.cursor
        self.cursor = index
        if self.cursor == old:  # the watcher did not run; do its work here
            self._scroll_to_cursor()
            self._announce()
        self.refresh()

    # -- cursor --------------------------------------------------------------

    def validate_cursor(self, index: int) -> int:
        return max(0, min(index, self._count - 1))

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old)
        self.refresh_line(new)
        self._scroll_to_cursor()
        self._announce()

    def _announce(self) -> None:
        """Post ``Highlighted`` unless this very row was the last one announced."""
        if not self._count:
            self._announced = None
            return
        if not self.is_mounted:
            return
        row = self._source.row(self.cursor)
        if self._announced != (self.cursor, row.pk):
            self._announced = (self.cursor, row.pk)
            self.post_message(self.Highlighted(self.cursor, row, queue_list=self))

    def _scroll_to_cursor(self) -> None:
        height = self.scrollable_content_region.height
        if height <= 0:
            return
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, force=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, force=True)

    @property
    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_cursor_up(self) -> None:
        """Highlight the previous row."""
        self.cursor -= 1

    def action_cursor_down(self) -> None:
        """Highlight the next row."""
        self.cursor += 1

    def action_page_up(self) -> None:
        """Scroll a page up, the cursor with it."""
        page = self._page
        self.scroll_to(y=self.scroll_offset.y - page, animate=False, force=True)
        self.cursor -= page

    def action_page_down(self) -> None:
        """Scroll a page down, the cursor with it."""
        page = self._page
        self.scroll_to(y=self.scroll_offset.y + page, animate=False, force=True)
        self.cursor += page

    def action_first(self) -> None:
        """Highlight the first row."""
        self.cursor = 0

    def action_last(self) -> None:
        """Highlight the last row."""
        self.cursor = self._count - 1

    def action_select(self) -> None:
        """Post ``Selected`` for the highlighted row."""
        if self._count:
            row = self._source.row(self.cursor)
            self.post_message(self.Selected(self.cursor, row, queue_list=self))

    # -- events --------------------------------------------------------------

    def _on_mount(self, event: events.Mount) -> None:
        self._update_virtual_size()
        self._announce()

    def _on_resize(self) -> None:
        self._update_virtual_size()
        self._scroll_to_cursor()

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = self.scroll_offset.y + offset.y
        if not 0 <= index < self._count:
            return
        if index == self.cursor:
            self.action_select()
        else:
            self.cursor = index

    def notify_style_update(self) -> None:
        self._strips.clear()
        self._styles.clear()
        super().notify_style_update()

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self._count)

    # -- rendering -----------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if width != self._strip_width:
            self._strips.clear()
            self._strip_width = width
        if not self._count:
            return self._hint_line(y, width)
        index = self.scroll_offset.y + y
        if index >= self._count:
            return Strip.blank(width, self._style())
        key = (index, index == self.cursor)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(self._source.row(index), key[1], width)
            self._strips[key] = strip
        return strip

    def _hint_line(self, y: int, width: int) -> Strip:
        base = self._style()
        if y != self.scrollable_content_region.height // 2:
            return Strip.blank(width, base)
        hint = _fit(self.empty_hint, width).rstrip()
        left = (width - cell_len(hint)) // 2
        segments = [Segment(" " * left, base), Segment(hint, self._style("queue-list--hint"))]
        return Strip(segments).adjust_cell_length(width, base)

    def _style(self, *names: str) -> Style:
        """The Rich style of the widget under component classes ``names``, layered in
        order (so a muted colour with alpha blends over the cursor background)."""
        style = self._styles.get(names)
        if style is None:
            known = tuple(name for name in names if name in self.COMPONENT_CLASSES)
            style = self._styles[names] = self.get_visual_style(*known).rich_style
        return style

    def _render_row(self, row: QueueEntry, is_cursor: bool, width: int) -> Strip:
        state: tuple[str, ...] = ("queue-list--cursor",) if is_cursor else ()
        if row.verdict is not None:
            state += ("queue-list--reviewed",)
        base = self._style(*state)
        muted = self._style(*state, "queue-list--muted")
        lane = str(row.lane)  # a StrEnum: "deep", "scan", "pass"
        marker = " " if row.verdict is None else _MARKERS.get(row.verdict, "?")
        fixed = 1 + 5 + 1 + 1 + 1 + ID_WIDTH + 1 + TIME_WIDTH + 1 + TASK_WIDTH + 1
        segments = [
            Segment(" ", base),
            Segment(
                _fit(lane, 4) + ("*" if row.audit_sample else " "),
                self._style(*state, f"queue-list--lane-{lane}"),
            ),
            Segment(" ", base),
            Segment(marker, self._style(*state, f"queue-list--verdict-{row.verdict}")),
            Segment(" ", base),
            Segment(_fit(row.id, ID_WIDTH), base),
            Segment(" ", base),
            Segment(row.created_at.strftime("%m-%d %H:%M"), muted),
            Segment(" ", base),
            Segment(_fit(row.task_type, TASK_WIDTH), muted),
            Segment(" ", base),
        ]
        if width > fixed:
            segments.append(Segment(_fit(row.reason, width - fixed), base))
        return Strip(segments).adjust_cell_length(width, base)
