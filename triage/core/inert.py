"""Make untrusted agent text safe to show on a terminal.

Agent output may carry ANSI/OSC escape sequences, NULs, bidi overrides and
other control characters. Nothing of it may reach the terminal as a control:
every such character is replaced by a visible stand-in, so the reader sees
*that* it was there without the terminal acting on it. Markup is not a
concern here; callers render the result as plain text (``rich.text.Text``),
never through a markup parser.
"""

from __future__ import annotations

_BIDI = {
    0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
    0x2066, 0x2067, 0x2068, 0x2069,
}  # fmt: skip


def _stand_in(code: int) -> str:
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control pictures" block: ␀ ␛ …
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


def _build_table(keep_newlines: bool) -> dict[int, str]:
    table: dict[int, str] = {}
    for code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *_BIDI]:
        table[code] = _stand_in(code)
    # Line/paragraph separators would break a row the same way a newline does.
    table[0x2028] = "<U+2028>"
    table[0x2029] = "<U+2029>"
    if keep_newlines:
        table[0x0A] = "\n"
        table[0x09] = "    "
    return table


_MULTILINE = _build_table(keep_newlines=True)
_ONE_LINE = _build_table(keep_newlines=False)
_ONE_LINE[0x0A] = " \u23ce "  # ⏎ keeps the break visible in a one-line cell
_ONE_LINE[0x09] = " "


def inert(text: str, *, multiline: bool = True) -> str:
    """``text`` with every control, escape and bidi-override character made visible.

    With ``multiline`` (the default) newlines are kept and tabs become spaces;
    otherwise the result is one line, newlines shown as ``⏎``.
    """
    out = text.translate(_MULTILINE if multiline else _ONE_LINE)
    if not out.replace("\n", "").isprintable():
        # What is left are other format characters (zero-width, private use,
        # unassigned): show them too, so a line cannot be hidden or reordered.
        out = "".join(c if c.isprintable() or c in "\n " else _format_char(c) for c in out)
    return out


def _format_char(c: str) -> str:
    return f"<U+{ord(c):04X}>"


def one_line(text: str, width: int = 80) -> str:
    """A single inert line of at most ``width`` characters (ellipsis when cut)."""
    flat = inert(text[: width * 4], multiline=False)
    if len(flat) > width:
        return flat[: max(0, width - 1)] + "\u2026"
    return flat
