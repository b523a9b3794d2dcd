"""A scrollable, wrapped view of one piece of untrusted agent text.

Everything shown is ``inert(text)`` rendered as plain segments: escape
sequences, markup and bidi overrides appear as visible characters and never
act on the terminal or the app.

The text is cut into blocks of about 8k characters, at line ends where
possible, and wrapped a block at a time. ``set_text`` and a resize wrap what
fits in about 20 ms plus the blocks on screen; the rest count with an
estimated number of rows until a background pass wraps them in short slices,
keeping the top row where it was. Small texts are therefore exact at once.

A line longer than a block is cut into blocks a whole number of rows long, so
it wraps seamlessly; only where inert stand-ins or wide characters lengthen a
block's part of it does that part end in a shorter row.
"""

from __future__ import annotations

import asyncio
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from time import monotonic
from typing import ClassVar

from rich.cells import cell_len, get_character_cell_size, split_graphemes
from rich.segment import Segment
from rich.style import Style
from textual import work
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.events import Resize
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.types import AnimationLevel, CallbackType, EasingFunction

from triage.core.inert import inert

LONG_LINE = 8_192
"""Lines longer than this (in characters) are cut into full-width chunks, not word-wrapped."""

NO_WRAP_WIDTH = 8_192
"""With wrapping off, a line is still cut after this many cells."""

_BLOCK_CHARS = LONG_LINE  # so a line long enough to span blocks is always cut, never word-wrapped
_SYNC_SECONDS = 0.02
_SLICE_SECONDS = 0.005
_PAUSE_SECONDS = 0.002
_STAND_IN = re.compile(r"[\u2400-\u2426]|<U\+[0-9A-F]{4,6}>")
_TOKEN = re.compile(r"[^ ]+| +")


@cache
def _single_cell() -> re.Pattern[str]:
    """A pattern matching strings made only of characters one cell wide."""
    ranges: list[str] = []
    start = -1
    for code in range(0x20, 0x3001):
        if code < 0x3000 and get_character_cell_size(chr(code)) == 1:
            start = code if start < 0 else start
        elif start >= 0:
            ranges.append(f"{re.escape(chr(start))}-{re.escape(chr(code - 1))}")
            start = -1
    return re.compile(f"[{''.join(ranges)}]*")


class _CellWidths(dict[str, int]):
    """Cell width per character, filled in on first sight."""

    def __missing__(self, character: str) -> int:
        width = self[character] = get_character_cell_size(character)
        return width


_WIDTHS = _CellWidths()


def _joins(text: str) -> bool:
    """Does ``text`` hold characters that change the width of their neighbours?"""
    return "\u200d" in text or "\ufe0f" in text


def _cells(text: str) -> int:
    if text.isascii():
        return len(text)
    if _joins(text):
        return cell_len(text)
    return sum(map(_WIDTHS.__getitem__, text))


def _chop(text: str, width: int) -> list[str]:
    """``text`` cut into rows of exactly ``width`` cells (the last may be shorter)."""
    if _single_cell().fullmatch(text):
        return [text[i : i + width] for i in range(0, len(text), width)]
    rows: list[str] = []
    row_start = 0
    if _joins(text):
        used = 0
        for start, _end, cells in split_graphemes(text)[0]:
            if used + cells > width and start > row_start:
                rows.append(text[row_start:start])
                row_start, used = start, 0
            used += cells
        rows.append(text[row_start:])
        return rows
    # Running cell totals; a zero-width character shares its base's total, so stays with it.
    ends = list(accumulate(map(_WIDTHS.__getitem__, text)))
    used = 0
    while row_start < len(text):
        row_end = max(row_start + 1, bisect_right(ends, used + width, row_start))
        rows.append(text[row_start:row_end])
        row_start, used = row_end, ends[row_end - 1]
    return rows


def _word_wrap(line: str, width: int) -> list[str]:
    rows: list[str] = []
    row_start = used = 0
    for match in _TOKEN.finditer(line):
        token = match.group()
        cells = _cells(token)
        if token[0] == " ":
            used += cells  # spaces at a break hang past the edge, where they are blank
            continue
        if used + cells <= width:
            used += cells
            continue
        if match.start() > row_start:
            rows.append(line[row_start : match.start()])
            row_start, used = match.start(), 0
        if cells <= width:
            used = cells
            continue
        *full, last = _chop(token, width)
        for piece in full:
            rows.append(piece)
            row_start += len(piece)
        used = _cells(last)
    rows.append(line[row_start:])
    return rows


def wrap_line(line: str, width: int, *, hard: bool = False) -> list[str]:
    """``line`` (no newlines) cut into rows of at most ``width`` cells.

    The rows join back to ``line`` exactly. Lines up to ``LONG_LINE``
    characters are word-wrapped: a row breaks before a word that would not fit,
    and the spaces before the break stay at the end of the row (past the edge,
    where they are blank); a word wider than a row is cut. Longer lines, or
    any line with ``hard``, are cut every ``width`` cells regardless of words.
    A character wider than ``width`` gets a row of its own.
    """
    width = max(1, width)
    if line.isascii():
        if len(line) <= width:
            return [line]
        if hard or len(line) > LONG_LINE:
            return [line[i : i + width] for i in range(0, len(line), width)]
        return _word_wrap(line, width)
    if hard or len(line) > LONG_LINE:
        return _chop(line, width)
    if _cells(line) <= width:
        return [line]
    return _word_wrap(line, width)


def _window(row: str, start: int, width: int) -> tuple[str, int]:
    """The part of ``row`` covering cells ``start`` to ``start + width``, and its first cell.

    Lets a long row scrolled sideways be styled and cropped without handling all of it.
    """
    if _single_cell().fullmatch(row):
        return row[start : start + width], start
    if _joins(row):
        return row, 0
    ends = list(accumulate(map(_WIDTHS.__getitem__, row)))
    first = bisect_right(ends, start)
    last = bisect_left(ends, start + width) + 1
    return row[first:last], ends[first - 1] if first else 0


@dataclass(slots=True)
class _Block:
    """A run of the raw text, wrapped as one unit."""

    start: int
    end: int
    first_line: int
    """Logical line number (from 0) of the block's first piece."""
    continues: bool
    """The first piece continues a line cut at the end of the previous block."""
    cut: bool
    """The last piece is cut here and goes on in the next block."""
    rows: int
    """Row count: an estimate until ``exact``."""
    exact: bool = False
    cells: int = 0
    """Widest row in cells, once exact."""


@dataclass(slots=True)
class _Layout:
    rows: list[str]
    first_rows: list[int]
    """Index of each piece's first row."""


def _cut_blocks(text: str, width: int) -> list[_Block]:
    # A multiple of the width, so a long line cut across blocks wraps seamlessly.
    size = width * -(-_BLOCK_CHARS // width)
    blocks: list[_Block] = []
    pos, line, continues, length = 0, 0, False, len(text)
    while pos < length:
        end, cut = min(pos + size, length), False
        if end < length:
            newline = text.rfind("\n", pos, end + 1)
            end, cut = (newline + 1, False) if newline >= 0 else (end, True)
        newlines = text.count("\n", pos, end)
        pieces = newlines + (text[end - 1] != "\n")
        rows = max(pieces, -(-(end - pos - newlines) // width))
        blocks.append(_Block(pos, end, line, continues, cut, rows))
        pos, line, continues = end, line + newlines, cut
    return blocks


class AgentText(ScrollView, can_focus=True):
    """One piece of agent text, shown inertly, wrapped to the width and scrollable."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "agent-text--control",
        "agent-text--line-number",
        "agent-text--placeholder",
    }
    DEFAULT_CSS = """
    AgentText {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        &:focus { background-tint: $foreground 5%; }
        &.-no-wrap { overflow-x: auto; }
        & > .agent-text--control { text-style: dim reverse; }
        & > .agent-text--line-number { color: $text-muted; }
        & > .agent-text--placeholder { color: $text-muted; text-style: italic; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll_up", "Scroll up", show=False, id="agent-text.scroll-up"),
        Binding("down", "scroll_down", "Scroll down", show=False, id="agent-text.scroll-down"),
        Binding("left", "scroll_left", "Scroll left", show=False, id="agent-text.scroll-left"),
        Binding("right", "scroll_right", "Scroll right", show=False, id="agent-text.scroll-right"),
        Binding("pageup", "page_up", "Page up", show=False, id="agent-text.page-up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="agent-text.page-down"),
        Binding("home", "scroll_home", "Top", show=False, id="agent-text.top"),
        Binding("end", "scroll_end", "Bottom", show=False, id="agent-text.bottom"),
    ]

    show_line_numbers: reactive[bool] = reactive(False, init=False)
    """Show logical line numbers in a gutter on the left."""

    wrap: reactive[bool] = reactive(True, init=False)
    """Wrap lines to the width; when off, scroll sideways instead."""

    def __init__(
        self,
        text: str = "",
        *,
        placeholder: str = "(empty)",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._text = ""
        self._placeholder = placeholder
        self._line_count = 0
        self._width = 0
        self._blocks: list[_Block] = []
        self._starts: list[int] = [0]
        self._starts_stale = False
        self._layouts: LRUCache[int, _Layout] = LRUCache(256)
        self._generation = 0
        self._commit_pending = False
        self.set_text(text, placeholder=placeholder)

    # -- public API ---------------------------------------------------------

    def set_text(self, text: str, *, placeholder: str = "(empty)") -> None:
        """Show ``text`` (inertly), or ``placeholder`` when it is empty."""
        self._text = text
        self._placeholder = placeholder
        self._line_count = text.count("\n") + (not text.endswith("\n")) if text else 0
        self._generation += 1
        self._width = 0
        self._blocks = []
        self._layouts.clear()
        self._starts_stale = True
        if self.is_mounted:
            self.scroll_to(0, 0, animate=False)
        self._relayout(keep_place=False)

    @property
    def text(self) -> str:
        """The raw text as given (not made inert)."""
        return self._text

    @property
    def text_length(self) -> int:
        """Length of the raw text in characters."""
        return len(self._text)

    @property
    def total_lines(self) -> int:
        """Rows after wrapping; estimated for large texts until ``layout_complete``."""
        return self._row_starts()[-1]

    @property
    def layout_complete(self) -> bool:
        """Every block of the text is wrapped, so ``total_lines`` is exact."""
        return all(block.exact for block in self._blocks)

    @property
    def wrap_width(self) -> int:
        """Cells per row the text is wrapped to: ``NO_WRAP_WIDTH`` when not wrapping, 0 before
        the widget has a size."""
        return self._width

    # -- layout -------------------------------------------------------------

    def _gutter_width(self) -> int:
        return len(str(self._line_count)) + 1 if self.show_line_numbers else 0

    def _target_width(self) -> int:
        if not self.is_mounted:
            return 0
        if not self.wrap:
            return NO_WRAP_WIDTH
        available = self.scrollable_content_region.width
        return max(2, available - self._gutter_width()) if available else 0

    def _row_starts(self) -> list[int]:
        if self._starts_stale:
            self._starts = list(accumulate((block.rows for block in self._blocks), initial=0))
            self._starts_stale = False
        return self._starts

    def _block_at(self, row: int) -> int:
        return max(0, min(bisect_right(self._row_starts(), row) - 1, len(self._blocks) - 1))

    def _layout(self, index: int) -> _Layout:
        """The wrapped rows of block ``index``, which is exact afterwards."""
        layout = self._layouts.get(index)
        if layout is not None:
            return layout
        block = self._blocks[index]
        raw = self._text[block.start : block.end]
        lines = inert(raw).split("\n")
        if raw.endswith("\n"):
            lines.pop()
        width = self._width
        rows: list[str] = []
        first_rows: list[int] = []
        last = len(lines) - 1
        for number, line in enumerate(lines):
            first_rows.append(len(rows))
            if len(line) <= width and line.isascii():
                rows.append(line)
            else:
                hard = (number == 0 and block.continues) or (number == last and block.cut)
                rows.extend(wrap_line(line, width, hard=hard))
        layout = _Layout(rows, first_rows)
        self._layouts.set(index, layout)
        if not block.exact:
            if block.rows != len(rows):
                block.rows = len(rows)
                self._starts_stale = True
            block.exact = True
            if not self.wrap:
                block.cells = max(map(cell_len, rows))
        return layout

    def _row(self, row: int) -> tuple[str, int | None] | None:
        """Text of ``row`` and the 1-based line number it starts (if it starts one)."""
        index = self._block_at(row)
        while not self._blocks[index].exact:
            self._layout(index)
            self._schedule_commit()
            index = self._block_at(row)
        if row >= self.total_lines:  # the estimate was high
            return None
        block, layout = self._blocks[index], self._layout(index)
        offset = row - self._row_starts()[index]
        piece = bisect_right(layout.first_rows, offset) - 1
        starts_line = layout.first_rows[piece] == offset and not (piece == 0 and block.continues)
        return layout.rows[offset], block.first_line + piece + 1 if starts_line else None

    def _piece_starts(self, block: _Block) -> list[int]:
        raw = self._text[block.start : block.end]
        return list(accumulate((len(line) + 1 for line in raw.split("\n")), initial=block.start))

    def _place(self) -> int | None:
        """Raw offset of the text at the top of the view, to find it again after re-wrapping."""
        if not self._blocks or self.scroll_offset.y == 0:
            return None
        index = self._block_at(self.scroll_offset.y)
        layout = self._layout(index)
        offset = min(self.scroll_offset.y - self._row_starts()[index], len(layout.rows) - 1)
        piece = bisect_right(layout.first_rows, offset) - 1
        bounds = [*layout.first_rows, len(layout.rows)]
        fraction = (offset - bounds[piece]) / (bounds[piece + 1] - bounds[piece])
        raw = self._piece_starts(self._blocks[index])
        piece_end = min(raw[piece + 1] - 1, self._blocks[index].end)
        return raw[piece] + int(fraction * (piece_end - raw[piece]))

    def _row_of(self, place: int) -> int:
        index = bisect_right([block.start for block in self._blocks], place) - 1
        layout = self._layout(index)
        raw = self._piece_starts(self._blocks[index])
        piece = min(bisect_right(raw, place) - 1, len(layout.first_rows) - 1)
        bounds = [*layout.first_rows, len(layout.rows)]
        piece_end = min(raw[piece + 1] - 1, self._blocks[index].end)
        fraction = (place - raw[piece]) / max(1, piece_end - raw[piece])
        rows = bounds[piece + 1] - bounds[piece]
        within = min(rows - 1, int(fraction * rows))
        return self._row_starts()[index] + bounds[piece] + within

    def _relayout(self, *, keep_place: bool = True, force: bool = False) -> None:
        width = self._target_width()
        if width == 0 or (width == self._width and self._blocks and not force):
            self._commit()
            return
        place = self._place() if keep_place else None
        self._generation += 1
        self._width = width
        self._blocks = _cut_blocks(self._text, width)
        self._layouts.clear()
        self._starts_stale = True
        deadline = monotonic() + _SYNC_SECONDS
        for index in range(len(self._blocks)):
            if monotonic() > deadline:
                break
            self._layout(index)
        top = 0 if place is None else self._row_of(place)
        self._settle(top, top + self.scrollable_content_region.height)
        self._commit()
        if self.is_mounted:
            self.scroll_to(y=top, animate=False)
        if not self.layout_complete:
            self._lay_out_rest(self._generation)

    def _settle(self, first: int, stop: int) -> None:
        """Wrap every block holding rows ``first`` to ``stop``."""
        index = self._block_at(first)
        while index < len(self._blocks) and self._row_starts()[index] < stop:
            self._layout(index)
            index += 1

    def _settle_tail(self) -> None:
        rows, height = 0, self.scrollable_content_region.height
        for index in reversed(range(len(self._blocks))):
            self._layout(index)
            rows += self._blocks[index].rows
            if rows > height:
                break
        self._commit()

    def _schedule_commit(self) -> None:
        if not self._commit_pending:
            self._commit_pending = True
            self.call_after_refresh(self._commit)

    def _commit(self, anchor: tuple[int, int] | None = None, *, repaint: bool = True) -> None:
        """Publish the size; with ``anchor`` (block, row in it), keep that row on top."""
        self._commit_pending = False
        if not self.is_mounted:
            return
        if self.wrap:
            width = self.scrollable_content_region.width
        else:
            widest = max((block.cells for block in self._blocks), default=0)
            width = self._gutter_width() + widest
        size = Size(width, self.total_lines)
        if size != self.virtual_size:
            self.virtual_size = size
            repaint = True
        if anchor is not None:
            index, offset = anchor
            top = self._row_starts()[index] + offset
            if top != self.scroll_offset.y:
                self.scroll_to(y=top, animate=False)
        if repaint:
            self.refresh()

    @work(exclusive=True, group="agent-text-layout", exit_on_error=False)
    async def _lay_out_rest(self, generation: int) -> None:
        """Wrap the remaining blocks a slice at a time, keeping the top row in place."""
        index = 0
        while generation == self._generation and index < len(self._blocks):
            top = self.scroll_offset.y
            anchor_block = self._block_at(top)
            anchor = (anchor_block, top - self._row_starts()[anchor_block])
            deadline = monotonic() + _SLICE_SECONDS
            while index < len(self._blocks) and monotonic() < deadline:
                self._layout(index)
                index += 1
            self._commit(anchor, repaint=False)
            await asyncio.sleep(_PAUSE_SECONDS)

    # -- events and scrolling ----------------------------------------------

    def on_resize(self, event: Resize) -> None:
        self._relayout()

    def watch_wrap(self, wrap: bool) -> None:
        self.set_class(not wrap, "-no-wrap")
        self._relayout(force=True)

    def watch_show_line_numbers(self) -> None:
        self._relayout()

    def scroll_end(
        self,
        *,
        animate: bool = True,
        speed: float | None = None,
        duration: float | None = None,
        easing: EasingFunction | str | None = None,
        force: bool = False,
        on_complete: CallbackType | None = None,
        level: AnimationLevel = "basic",
        immediate: bool = False,
        x_axis: bool = True,
        y_axis: bool = True,
    ) -> None:
        """Scroll to the end, wrapping the last screen first so the end is exact."""
        if y_axis:
            self._settle_tail()
        super().scroll_end(
            animate=animate,
            speed=speed,
            duration=duration,
            easing=easing,
            force=force,
            on_complete=on_complete,
            level=level,
            immediate=immediate,
            x_axis=x_axis,
            y_axis=y_axis,
        )

    # -- rendering ----------------------------------------------------------

    def _component_style(self, name: str, base: Style) -> Style:
        """A component's text style and colour over ``base``, keeping the widget's background."""
        colour = self.get_component_rich_style(name).color
        return base + self.get_component_rich_style(name, partial=True) + Style(color=colour)

    def _segments(self, text: str, base: Style) -> list[Segment]:
        if not _STAND_IN.search(text):
            return [Segment(text, base)]
        control = self._component_style("agent-text--control", base)
        segments: list[Segment] = []
        position = 0
        for match in _STAND_IN.finditer(text):
            if match.start() > position:
                segments.append(Segment(text[position : match.start()], base))
            segments.append(Segment(match.group(), control))
            position = match.end()
        if position < len(text):
            segments.append(Segment(text[position:], base))
        return segments

    def render_line(self, y: int) -> Strip:
        """Row ``y`` of the view: gutter, then the visible part of the wrapped row."""
        width = self.size.width
        base = self.visual_style.rich_style
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        if not self._text:
            if y != 0:
                return Strip.blank(width, base)
            style = self._component_style("agent-text--placeholder", base)
            placeholder = inert(self._placeholder, multiline=False)
            return Strip([Segment(placeholder, style)]).crop_extend(0, width, base)
        found = self._row(row) if self._blocks and row < self.total_lines else None
        if found is None:
            return Strip.blank(width, base)
        text, number = found
        gutter = self._gutter_width()
        content_width = max(0, self.scrollable_content_region.width - gutter)
        text, begin = _window(text, scroll_x, content_width) if len(text) > 256 else (text, 0)
        content = Strip(self._segments(text, base), cell_len(text))
        left = scroll_x - begin
        strips = [content.crop_extend(left, left + content_width, base)]
        if gutter:
            label = f"{number:>{gutter - 1}} " if number is not None else " " * gutter
            style = self._component_style("agent-text--line-number", base)
            strips.insert(0, Strip([Segment(label, style)], gutter))
        return Strip.join(strips).crop_extend(0, width, base)
