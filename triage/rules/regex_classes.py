"""Characters and character classes of a Python pattern, written for RE2 with
Python's meaning.

Python's ``\\w`` is a Unicode letter, number or ``_``; ``\\d`` a Unicode decimal
digit; ``\\s`` one of a fixed list of spaces. RE2 writes the first two as Unicode
properties and the list as ranges. Under IGNORECASE the two engines fold case
alike except for one family, ``i``, ``I``, ``İ`` and ``ı``, which Python treats as
one letter and RE2 as two; those are written out. A class can hold what RE2's
``[...]`` cannot (``[\\Wx]``, ``[^\\W\\d_]``); it is rewritten as alternatives or
as a narrower property, and refused (``write`` returns ``None``) when neither
gives Python's answer.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from typing import Any

_c: Any = importlib.import_module("re._constants")

Ranges = list[tuple[int, int]]

MARK_CODE = 0xFDD0
_TOP = 0x10FFFF
_M = r"\x{FDD0}"
NEVER = r"[^\x{0}-\x{10FFFF}]"
_I_FAMILY: Ranges = [(0x49, 0x49), (0x69, 0x69), (0x130, 0x131)]
_SPACE: Ranges = [
    (0x09, 0x0D),
    (0x1C, 0x20),
    (0x85, 0x85),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
]
"""Python's ``\\s`` on text: every character ``str.isspace`` accepts."""
_ASCII: dict[Any, Ranges] = {
    _c.CATEGORY_DIGIT: [(0x30, 0x39)],
    _c.CATEGORY_SPACE: [(0x09, 0x0D), (0x20, 0x20)],
    _c.CATEGORY_WORD: [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
}
_NEGATED = {
    _c.CATEGORY_NOT_DIGIT: _c.CATEGORY_DIGIT,
    _c.CATEGORY_NOT_SPACE: _c.CATEGORY_SPACE,
    _c.CATEGORY_NOT_WORD: _c.CATEGORY_WORD,
}
_PROPERTY = {_c.CATEGORY_DIGIT: "Nd", _c.CATEGORY_WORD: "W"}
_WRITTEN = {"Nd": r"\p{Nd}", "W": r"\p{L}\p{N}_", "W-Nd": r"\p{L}\p{Nl}\p{No}_"}
_PY_WORD = re.compile(r"\w")
_PY_DIGIT = re.compile(r"\d")
_CHECKABLE = 4096


def escape(code: int) -> str:
    """One character in RE2's syntax."""
    ch = chr(code)
    if ch.isascii() and ch.isalnum():
        return ch
    return f"\\x{{{code:X}}}"


def char(code: int, ignorecase: bool, ascii_only: bool) -> str:
    """A literal character with Python's case folding."""
    if not ignorecase:
        return escape(code)
    if ascii_only:
        ch = chr(code)
        if ch.isascii() and ch.isalpha():
            return f"(?-i:{_pair(ch.lower(), ch.upper())})"
        return escape(code) if code < 128 else f"(?-i:{escape(code)})"
    if _overlaps([(code, code)], _I_FAMILY):
        return _brackets(_I_FAMILY)
    return escape(code)


@dataclass(slots=True)
class CharClass:
    """One ``[...]`` (or ``.``, ``\\w`` ...): explicit ranges plus Unicode properties
    (``Nd``, ``W``) and complements of properties, all joined, then maybe negated."""

    negate: bool = False
    ranges: Ranges = field(default_factory=list)
    props: set[str] = field(default_factory=set)
    negs: set[str] = field(default_factory=set)

    def write(
        self, *, ignorecase: bool, exclude_mark: bool, ascii_only: bool = False
    ) -> str | None:
        """The class in RE2's syntax; ``None`` when RE2 cannot say it exactly."""
        ranges = _merge(self.ranges)
        wrap = ignorecase and ascii_only
        if wrap:
            ranges = _merge(ranges + _ascii_cases(ranges))
        elif ignorecase and _overlaps(ranges, _I_FAMILY):
            ranges = _merge(ranges + _I_FAMILY)
        if exclude_mark and not self.negate:
            ranges = _without(ranges, MARK_CODE)
        written = (
            self._negated(ranges, exclude_mark)
            if self.negate
            else self._joined(ranges, exclude_mark)
        )
        if written is None or not wrap:
            return written
        return f"(?-i:{written})"

    def _joined(self, ranges: Ranges, exclude_mark: bool) -> str:
        if not self.props and not self.negs and len(ranges) == 2:
            (a, a_end), (b, b_end) = ranges
            if a == a_end and b == b_end and b < 128 and chr(a).swapcase() == chr(b):
                return _pair(chr(a), chr(b))
        body = _body(ranges) + "".join(_WRITTEN[p] for p in sorted(self.props))
        parts = [f"[{body}]"] if body else []
        mark = _M if exclude_mark else ""
        parts.extend(f"[^{_WRITTEN[n]}{mark}]" for n in sorted(self.negs))
        if not parts:
            return NEVER
        return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"

    def _negated(self, ranges: Ranges, exclude_mark: bool) -> str | None:
        mark = _M if exclude_mark else ""
        if not self.negs:
            body = _body(ranges) + "".join(_WRITTEN[p] for p in sorted(self.props)) + mark
            return f"[^{body}]" if body else r"[\x{0}-\x{10FFFF}]"
        # Not (ranges or props or not-N...): inside every N, outside the rest.
        if "Nd" in self.negs:
            if self.props:
                return NEVER  # every digit is also a word character
            if _holds(ranges, _PY_DIGIT) is not False:
                return None
            return f"[{_WRITTEN['Nd']}]"
        if "W" in self.props:
            return NEVER
        base = "W-Nd" if "Nd" in self.props else "W"
        written = _WRITTEN[base]
        rest = _without(ranges, 0x5F)
        if rest != ranges:
            written = written.removesuffix("_")
        if _holds(rest, _PY_WORD) is not False:
            return None
        return f"[{written}]"


def parse_class(items: list[tuple[Any, Any]], ascii_only: bool) -> CharClass:
    """The class of a parsed ``IN`` item."""
    out = CharClass()
    for op, arg in items:
        if op is _c.NEGATE:
            out.negate = True
        elif op is _c.LITERAL:
            out.ranges.append((arg, arg))
        elif op is _c.RANGE:
            out.ranges.append(arg)
        elif op is _c.CATEGORY:
            _category(out, arg, ascii_only)
        else:
            raise ValueError(f"unexpected item in a class: {op}")
    return out


def _category(out: CharClass, code: Any, ascii_only: bool) -> None:
    positive = _NEGATED.get(code, code)
    negated = positive is not code
    if ascii_only:
        ranges = _ASCII[positive]
        out.ranges.extend(_complement(ranges) if negated else ranges)
    elif positive is _c.CATEGORY_SPACE:
        out.ranges.extend(_complement(_SPACE) if negated else _SPACE)
    else:
        (out.negs if negated else out.props).add(_PROPERTY[positive])


def _merge(ranges: Ranges) -> Ranges:
    out: Ranges = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _complement(ranges: Ranges) -> Ranges:
    out: Ranges = []
    start = 0
    for lo, hi in _merge(ranges):
        if lo > start:
            out.append((start, lo - 1))
        start = hi + 1
    if start <= _TOP:
        out.append((start, _TOP))
    return out


def _without(ranges: Ranges, code: int) -> Ranges:
    out: Ranges = []
    for lo, hi in ranges:
        if lo <= code <= hi:
            out.extend(r for r in ((lo, code - 1), (code + 1, hi)) if r[0] <= r[1])
        else:
            out.append((lo, hi))
    return out


def _overlaps(ranges: Ranges, other: Ranges) -> bool:
    return any(lo <= b and a <= hi for lo, hi in ranges for a, b in other)


def _ascii_cases(ranges: Ranges) -> Ranges:
    out: Ranges = []
    for lo, hi in ranges:
        for code in range(max(lo, 0x41), min(hi, 0x7A) + 1):
            ch = chr(code)
            if ch.isalpha():
                other = ord(ch.swapcase())
                out.append((other, other))
    return out


def _holds(ranges: Ranges, test: re.Pattern[str]) -> bool | None:
    """Whether some character in ``ranges`` passes ``test``; ``None`` when there are
    too many to check."""
    if sum(hi - lo + 1 for lo, hi in ranges) > _CHECKABLE:
        return None
    return any(test.match(chr(code)) for lo, hi in ranges for code in range(lo, hi + 1))


def _pair(a: str, b: str) -> str:
    """Two cases of one ASCII letter. Never written ``[sS]``: RE2 reads that as ``s``
    folded and, once it merges it with other alternatives, folds it the Unicode way
    (adding ``ſ``) even where case matters."""
    return f"(?:{a}|{b})"


def _body(ranges: Ranges) -> str:
    return "".join(escape(lo) if lo == hi else f"{escape(lo)}-{escape(hi)}" for lo, hi in ranges)


def _brackets(ranges: Ranges) -> str:
    return f"[{_body(ranges)}]"
