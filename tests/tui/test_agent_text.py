"""AgentText: untrusted text shown inertly, wrapped, and fast at any size."""

from __future__ import annotations

import math
import random

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len, split_graphemes
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.strip import Strip

from triage.core.inert import inert
from triage.tui.widgets.agent_text import LONG_LINE, AgentText, wrap_line

RAW_CONTROLS = ("\x1b", "\x07", "\x00", "\x9b", "\u202e")
HOSTILE = (
    "\x1b[31mred\x1b[0m plain\n"
    "\x1b]0;pwned title\x07 and \x1b]52;c;SGVsbG8=\x07 clipboard\n"
    "[bold]x[/] [@click=app.quit]quit[/]\n"
    "abc\u202edef NUL\x00here CSI\x9b2J\n"
)


class TextApp(App[None]):
    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.text = text
        self.animation_level = "none"

    def compose(self) -> ComposeResult:
        yield AgentText(self.text)


def screen_text(widget: AgentText) -> list[str]:
    return [widget.render_line(y).text for y in range(widget.size.height)]


async def settle(pilot: Pilot[None], widget: AgentText) -> None:
    """Wait for the background pass; bounded by iterations, not by the clock."""
    for _ in range(2_000):
        if widget.layout_complete:
            return
        await pilot.pause(0.01)
    raise AssertionError("layout did not complete")


# -- the wrapping function ------------------------------------------------------

lines = st.text(st.characters(blacklist_characters="\n"), max_size=300)
inert_lines = st.text(max_size=300).map(lambda text: inert(text).replace("\n", " "))
mostly_words = st.lists(
    st.sampled_from(["a", "word", "longerword", " ", "  ", "漢字", "é", "🙂", "x" * 30]),
    max_size=60,
).map("".join)


def fits(row: str, width: int) -> bool:
    return cell_len(row) <= width or len(split_graphemes(row)[0]) == 1


@given(line=st.one_of(lines, inert_lines, mostly_words), width=st.integers(1, 60))
def test_word_wrap_rows_join_back_and_fit(line: str, width: int) -> None:
    rows = wrap_line(line, width)
    assert "".join(rows) == line
    assert all(rows) or rows == [""]
    # Spaces at a break hang past the edge (they are blank); the rest fits.
    assert all(fits(row.rstrip(" "), width) for row in rows)


@given(line=st.one_of(lines, inert_lines, mostly_words), width=st.integers(1, 60))
def test_hard_wrap_rows_join_back_and_fit(line: str, width: int) -> None:
    rows = wrap_line(line, width, hard=True)
    assert "".join(rows) == line
    assert all(rows) or rows == [""]
    assert all(fits(row, width) for row in rows)


@given(length=st.integers(LONG_LINE + 1, 3 * LONG_LINE), width=st.integers(2, 200))
def test_long_ascii_lines_are_cut_every_width_cells(length: int, width: int) -> None:
    rows = wrap_line("ab c" * (length // 4) + "x" * (length % 4), width)
    assert len(rows) == math.ceil(length / width)
    assert all(len(row) == width for row in rows[:-1])


def test_word_wrap_breaks_between_words() -> None:
    assert wrap_line("the quick brown fox", 10) == ["the quick ", "brown fox"]
    assert wrap_line("tiny", 10) == ["tiny"]
    assert wrap_line("", 10) == [""]
    assert wrap_line("a " + "z" * 25, 10) == ["a ", "z" * 10, "z" * 10, "z" * 5]


def test_wide_characters_are_measured_in_cells() -> None:
    rows = wrap_line("漢字" * 10, 7)
    assert rows == ["漢字漢", "字漢字"] * 3 + ["漢字"]
    assert wrap_line("漢", 1) == ["漢"]


# -- the widget -------------------------------------------------------------------


async def test_hostile_text_is_shown_inertly() -> None:
    app = TextApp(HOSTILE)
    async with app.run_test(size=(80, 24)):
        widget = app.query_one(AgentText)
        shown = "\n".join(screen_text(widget))
        for raw in RAW_CONTROLS:
            assert raw not in shown
        assert "␛[31mred␛[0m plain" in shown
        assert "␛]0;pwned title␇" in shown
        assert "␛]52;c;SGVsbG8=␇ clipboard" in shown
        assert "[bold]x[/] [@click=app.quit]quit[/]" in shown
        assert "abc<U+202E>def" in shown
        assert "NUL␀here" in shown
        assert "CSI<U+009B>2J" in shown


async def test_stand_ins_are_styled_as_controls() -> None:
    app = TextApp("a\x1bb\u202ec")
    async with app.run_test(size=(80, 24)):
        widget = app.query_one(AgentText)
        segments = list(widget.render_line(0))
        styled = {segment.text for segment in segments if segment.style and segment.style.reverse}
        assert styled == {"␛", "<U+202E>"}


async def test_clicking_markup_does_nothing() -> None:
    app = TextApp("[@click=app.quit]quit[/] [@click=app.bell]bell[/]")
    async with app.run_test(size=(80, 24)) as pilot:
        widget = app.query_one(AgentText)
        assert "@click" not in widget.get_style_at(3, 0).meta
        await pilot.click(AgentText, offset=(3, 0))
        await pilot.pause()
        assert app.is_running
        assert app.return_code is None


async def test_a_200k_character_line_wraps_into_full_rows() -> None:
    line = "0123456789" * 20_000
    app = TextApp(line)
    async with app.run_test(size=(80, 24)) as pilot:
        widget = app.query_one(AgentText)
        await settle(pilot, widget)
        width = widget.wrap_width
        assert width == 78  # 80 columns less the vertical scrollbar
        assert widget.total_lines == math.ceil(200_000 / width)
        assert widget.text_length == 200_000
        first = screen_text(widget)
        assert first[0].startswith(line[:width])
        assert first[1].startswith(line[width : 2 * width])

        widget.scroll_end(animate=False)
        await pilot.pause()
        last_row = (widget.total_lines - 1) * width
        shown = [row.rstrip() for row in screen_text(widget)]
        assert shown[-1] == line[last_row:]
        assert shown[-2] == line[last_row - width : last_row]


async def test_ten_megabytes_render_first_and_last_screens() -> None:
    text = "".join(f"line {n:06} of agent output with some words in it\n" for n in range(200_000))
    assert len(text) >= 10_000_000
    app = TextApp()
    async with app.run_test(size=(80, 24)) as pilot:
        widget = app.query_one(AgentText)
        widget.set_text(text)
        await pilot.pause()
        assert screen_text(widget)[0].startswith("line 000000 of agent output")

        widget.scroll_end(animate=False)
        await pilot.pause()
        assert screen_text(widget)[-1].startswith("line 199999 of agent output")

        await settle(pilot, widget)
        assert widget.total_lines == 200_000
        widget.scroll_end(animate=False)
        await pilot.pause()
        assert screen_text(widget)[-1].startswith("line 199999 of agent output")


async def test_background_wrapping_keeps_the_view_in_place() -> None:
    paragraph = " ".join(f"w{n}" for n in range(60))  # wraps into a few rows
    text = "".join(f"{n:07} {paragraph}\n" for n in range(40_000))
    app = TextApp()
    async with app.run_test(size=(80, 24)) as pilot:
        widget = app.query_one(AgentText)
        widget.set_text(text)
        widget.scroll_end(animate=False)
        await pilot.pause()
        widget.scroll_to(y=widget.scroll_offset.y - 5_000, animate=False)
        await pilot.pause()
        before = screen_text(widget)
        await settle(pilot, widget)
        await pilot.pause()
        assert screen_text(widget) == before


async def test_rows_match_the_wrapping_function_across_blocks() -> None:
    rng = random.Random(7)
    pieces = ["word", "\x1b[1m", "[b]", "\t", "漢字", "🙂", "x" * 90, "\u202e", " ", "  "]
    text = "\n".join(
        "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 400))) for _ in range(300)
    )
    app = TextApp(text)
    async with app.run_test(size=(80, 24)) as pilot:
        widget = app.query_one(AgentText)
        await settle(pilot, widget)
        width = widget.wrap_width
        expected = [row for line in inert(text).split("\n") for row in wrap_line(line, width)]
        assert widget.total_lines == len(expected)
        for top in (0, len(expected) // 3, len(expected) - 24):
            widget.scroll_to(y=top, animate=False)
            await pilot.pause()
            shown = [row.rstrip(" ") for row in screen_text(widget)]
            assert shown == [row.rstrip(" ") for row in expected[top : top + 24]]


async def test_long_lines_ending_at_a_block_edge_add_no_rows() -> None:
    app = TextApp()
    async with app.run_test(size=(80, 24)) as pilot:
        widget = app.query_one(AgentText)
        width = widget.wrap_width
        block = width * math.ceil(LONG_LINE / width)  # blocks are whole rows of long lines
        lengths = [block - 1, block, block + 1, 2 * block, 2 * block + width, 3 * block - 1]
        widget.set_text("".join("y" * n + "\nshort\n" for n in lengths))
        await settle(pilot, widget)
        assert widget.total_lines == sum(math.ceil(n / width) + 1 for n in lengths)


async def test_wide_characters_keep_rows_within_the_width() -> None:
    text = "漢字かな🙂" * 60 + "\nascii after"
    app = TextApp(text)
    async with app.run_test(size=(80, 24)):
        widget = app.query_one(AgentText)
        strips: list[Strip] = [widget.render_line(y) for y in range(widget.total_lines)]
        assert all(strip.cell_length == widget.size.width for strip in strips)
        rows = [strip.text.rstrip(" ") for strip in strips]
        assert all(cell_len(row) <= widget.wrap_width for row in rows)
        assert "".join(rows[:-1]) == "漢字かな🙂" * 60
        assert rows[-1] == "ascii after"


async def test_empty_text_shows_the_placeholder() -> None:
    app = TextApp()
    async with app.run_test(size=(80, 24)):
        widget = app.query_one(AgentText)
        assert widget.render_line(0).text.strip() == "(empty)"
        widget.set_text("", placeholder="(no tool result)")
        assert widget.render_line(0).text.strip() == "(no tool result)"
        assert widget.total_lines == 0
        assert widget.text_length == 0
        widget.set_text("now something")
        assert widget.render_line(0).text.strip() == "now something"


async def test_resize_rewraps() -> None:
    text = "word " * 400
    app = TextApp(text)
    async with app.run_test(size=(80, 24)) as pilot:
        widget = app.query_one(AgentText)
        assert widget.total_lines == len(wrap_line(text, 78))
        await pilot.resize_terminal(40, 24)
        await pilot.pause()
        assert widget.wrap_width == 38
        assert widget.total_lines == len(wrap_line(text, 38))
        assert all(cell_len(row.rstrip()) <= 38 for row in screen_text(widget))


async def test_line_numbers_in_a_gutter() -> None:
    text = "first\n" + "long " * 30 + "\nthird"
    app = TextApp(text)
    async with app.run_test(size=(80, 24)) as pilot:
        widget = app.query_one(AgentText)
        widget.show_line_numbers = True
        await pilot.pause()
        assert widget.wrap_width == 78 - 2
        rows = screen_text(widget)[:4]
        assert rows[0].startswith("1 first")
        assert rows[1].startswith("2 long long")
        assert rows[2].startswith("  long")
        assert rows[3].startswith("3 third")


async def test_without_wrapping_lines_scroll_sideways() -> None:
    text = "".join(str(n % 10) for n in range(500)) + "\nsecond"
    app = TextApp(text)
    async with app.run_test(size=(80, 24)) as pilot:
        widget = app.query_one(AgentText)
        widget.wrap = False
        await pilot.pause()
        assert widget.total_lines == 2
        assert widget.max_scroll_x > 0
        widget.scroll_to(x=100, animate=False)
        await pilot.pause()
        assert widget.render_line(0).text.startswith(text[100:150])
        assert widget.render_line(1).text.strip() == ""


async def test_keys_scroll() -> None:
    text = "\n".join(f"row {n}" for n in range(200))
    app = TextApp(text)
    async with app.run_test(size=(80, 24)) as pilot:
        widget = app.query_one(AgentText)
        widget.focus()
        await pilot.pause()
        await pilot.press("end")
        await pilot.pause()
        assert widget.scroll_offset.y == widget.max_scroll_y
        assert screen_text(widget)[-1].startswith("row 199")
        await pilot.press("home")
        await pilot.pause()
        assert widget.scroll_offset.y == 0
        await pilot.press("pagedown", "down")
        await pilot.pause()
        assert widget.scroll_offset.y == 25
        ids = {binding.id for binding in AgentText.BINDINGS if not isinstance(binding, tuple)}
        assert {"agent-text.top", "agent-text.bottom", "agent-text.page-down"} <= ids
