"""Compiled patterns of ``=~``: searched by RE2, in time linear in the text.

:func:`compile_pattern` turns a rule's pattern (Python syntax, see
:mod:`triage.rules.regex`) into a :class:`Pattern` or raises
:class:`~triage.rules.regex_scan.PatternError`. A search encodes the text to
UTF-8 once and remembers it, since several patterns usually test the same
output in turn; the marked copy of a non-ASCII text (for ``\\b``) is remembered
the same way. RE2 is imported on first use.
"""

from __future__ import annotations

import re
from typing import Any

from triage.rules.limits import MAX_PATTERN_SIZE
from triage.rules.regex import MARK, PatternError, translate

__all__ = ["Pattern", "PatternError", "compile_pattern"]

_BOUNDARY = re.compile(r"\b")  # a zero-width search: one pass over the text, no backtracking
_WORDY = re.compile(r"[^\W\x00-\x7f]")
"""A word character beyond ASCII. Without one, ASCII and Unicode ``\\b`` agree
(RE2's ``\\B`` does not: it also holds inside a character of several bytes)."""
_last_utf8: tuple[str, bytes] = ("", b"")
_last_marked: tuple[str, str, bytes] = ("", "", b"")


class Pattern:
    """One compiled pattern: ``found`` for the answer, ``span`` for where it matched.

    ``found`` asks an RE2 set of one pattern, which answers yes or no without
    working out where the match is: the cheapest question RE2 can be asked."""

    __slots__ = ("pattern", "parsed", "_native", "_marked", "_empty", "_sets")

    def __init__(
        self, pattern: str, parsed: Any, native: Any, marked: Any, empty: Any, sets: Any
    ) -> None:
        self.pattern = pattern
        """The pattern as written."""
        self.parsed = parsed
        """Python's parse of it (the prefilter reads it)."""
        self._native = native
        self._marked = marked
        self._empty = empty
        self._sets = sets

    def found(self, text: str) -> bool:
        """Whether the pattern matches somewhere in ``text`` (case-insensitively)."""
        native, marked, empty = self._sets
        if not text and empty is not None:
            return bool(empty.Match(b""))
        if marked is None or text.isascii() or (empty is None and not _WORDY.search(text)):
            return bool(native.Match(_utf8(text)))
        return bool(marked.Match(_marked(text)[1]))

    def span(self, text: str) -> tuple[int, int] | None:
        """(start, end) in characters of the first match in ``text``, or ``None``."""
        if not text and self._empty is not None:
            return None if self._empty.search(b"") is None else (0, 0)
        if (
            self._marked is None
            or text.isascii()
            or (self._empty is None and not _WORDY.search(text))
        ):
            data = _utf8(text)
            match = self._native.search(data)
            if match is None:
                return None
            start, end = match.span()
            if text.isascii():
                return start, end
            return _chars(data, start), _chars(data, end)
        marked, data = _marked(text)
        match = self._marked.search(data)
        if match is None:
            return None
        start, end = (_chars(data, offset) for offset in match.span())
        # Offsets in the marked copy, less the marks before them.
        return start - marked.count(MARK, 0, start), end - marked.count(MARK, 0, end)

    def __repr__(self) -> str:
        return f"Pattern({self.pattern!r})"


def compile_pattern(pattern: str) -> Pattern:
    """``pattern`` compiled for case-insensitive search; :class:`PatternError` (with
    the offset at fault when known) if it cannot be matched in linear time."""
    import re2  # deferred: only loading rules needs it
    from re2 import _re2

    translation = translate(pattern)
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = False
    compiled: list[Any] = []
    sets: list[Any] = []
    for form in (translation.native, translation.marked, translation.empty):
        if form is None:
            compiled.append(None)
            sets.append(None)
            continue
        try:
            regexp = re2.compile(form, options)
        except re2.error as err:
            raise PatternError(_re2_message(err), None) from None
        if regexp.programsize > MAX_PATTERN_SIZE:
            raise PatternError(
                f"the pattern is too large: it compiles to {regexp.programsize:,} steps "
                f"(the limit is {MAX_PATTERN_SIZE:,}); shorten it or lower its {{m,n}} counts",
                None,
            )
        compiled.append(regexp)
        one = _re2.Set(_re2.RE2.Anchor.UNANCHORED, options)
        one.Add(form.encode("utf-8"))
        one.Compile()
        sets.append(one)
    native, marked, empty = compiled
    return Pattern(pattern, translation.parsed, native, marked, empty, tuple(sets))


def _re2_message(err: Any) -> str:
    text = str(err.args[0] if err.args else err)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    if "repetition" in text:
        return (
            "repeat counts may reach 1000 in all (nested repeats multiply): "
            f"the linear-time matcher says {text!r}"
        )
    if "too large" in text:
        return f"the pattern is too large for the linear-time matcher ({text})"
    return f"the linear-time matcher cannot use this pattern ({text})"


def _utf8(text: str) -> bytes:
    global _last_utf8
    last = _last_utf8
    if last[0] is text:
        return last[1]
    data = text.encode("utf-8", "surrogatepass")
    _last_utf8 = (text, data)
    return data


def _marked(text: str) -> tuple[str, bytes]:
    """``text`` with two :data:`MARK` at each word boundary (a mark already in the
    text becomes U+FFFD first), as text and as UTF-8."""
    global _last_marked
    last = _last_marked
    if last[0] is text:
        return last[1], last[2]
    marked = _BOUNDARY.sub(MARK + MARK, text.replace(MARK, "\ufffd"))
    data = marked.encode("utf-8", "surrogatepass")
    _last_marked = (text, marked, data)
    return marked, data


def _chars(data: bytes, offset: int) -> int:
    """The character offset of byte ``offset`` in UTF-8 ``data``."""
    try:
        return len(data[:offset].decode("utf-8", "surrogatepass"))
    except UnicodeDecodeError:  # an offset inside an odd sequence: close enough to show
        return len(data[:offset].decode("utf-8", "ignore"))
