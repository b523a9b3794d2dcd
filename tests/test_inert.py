"""Untrusted text is made inert before it reaches a terminal."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from triage.core.inert import inert, one_line

HOSTILE = "ok\x1b[2J\x1b]0;pwned\x07\x1b]52;c;Y2xpcA==\x07\u202eevil\x00\x9b31m[bold]x[/bold]"


def test_escape_sequences_become_visible_characters() -> None:
    shown = inert(HOSTILE)
    assert "\x1b" not in shown and "\x07" not in shown and "\x00" not in shown
    assert "\x9b" not in shown and "\u202e" not in shown
    assert "␛[2J" in shown and "␛]0;pwned␇" in shown and "<U+202E>evil" in shown
    assert "[bold]x[/bold]" in shown  # markup stays literal text


def test_multiline_keeps_newlines_one_line_does_not() -> None:
    assert inert("a\nb\tc") == "a\nb    c"
    assert one_line("a\nb", 20) == "a ⏎ b"
    assert one_line("x" * 100, 10) == "x" * 9 + "…"


@given(st.text())
def test_no_control_character_survives(text: str) -> None:
    for out in (inert(text), one_line(text, 500)):
        assert all(c.isprintable() or c in "\n " for c in out)
