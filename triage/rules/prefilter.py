"""A cheap first test before a regex search: does the text contain a word the
pattern cannot match without?

A regex search reads every character of a long output for a pattern like
``\\b(guarantee|promise)\\b`` under IGNORECASE, and first encodes it to UTF-8. Most
outputs contain none of the pattern's words, and a plain substring test tells
so in a fraction of that time. From the parsed pattern we take a set of
literal strings, at least one of which every match contains; when the
lower-cased text contains none of them, the search cannot succeed and is
skipped. Otherwise the regex runs as usual, so the answer is always the
regex's own.

Lower-casing alone is not quite what IGNORECASE does: exactly four non-ASCII
characters match ASCII letters under it (``İ`` and ``ı`` match ``i``, ``ſ``
matches ``s``, the Kelvin sign matches ``k``), so those are folded to their
ASCII letter too. The words themselves are ASCII only, which keeps the test
exact for any text.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)}
_ATOMIC = getattr(_c, "ATOMIC_GROUP", None)


_last: tuple[str, str] = ("", "")


def lowered(text: str) -> str:
    """``text`` lower-cased as IGNORECASE compares it with ASCII letters; remembered
    for the last text, since several patterns usually test the same output in turn."""
    global _last
    last = _last
    if last[0] is text:
        return last[1]
    low = text.lower()
    if not low.isascii():
        # lower() already turns the Kelvin sign into k, and İ into i plus a
        # combining dot; dropping the dot can only add substrings, never lose one.
        low = low.replace("\u0307", "").replace("\u0131", "i").replace("\u017f", "s")
    _last = (text, low)
    return low


def required_words(pattern: str, parsed: Any = None) -> frozenset[str] | None:
    """Lower-case ASCII strings, at least one of which is in every match of
    ``pattern`` (case-insensitive); ``None`` when no such set is known. ``parsed``
    is Python's parse of the pattern, when the caller already has it."""
    try:
        if parsed is None:
            parsed = _parser.parse(pattern, re.IGNORECASE)
        found = _sequence(list(parsed.data))
    except (re.error, AttributeError, IndexError, TypeError, ValueError, RecursionError):
        return None  # an unfamiliar parse tree: no shortcut, the regex decides alone
    if not found or any(not word for word in found):
        return None
    return frozenset(found)


def _sequence(items: list[tuple[Any, Any]]) -> set[str] | None:
    """The best set of required words for a sequence of parsed items."""
    candidates: list[set[str]] = []
    run: list[str] = []
    for op, arg in items:
        if op is _c.LITERAL and arg < 128:
            run.append(chr(arg).lower())
            continue
        if run:
            candidates.append({"".join(run)})
            run = []
        inner = _item(op, arg)
        if inner is not None:
            candidates.append(inner)
    if run:
        candidates.append({"".join(run)})
    if not candidates:
        return None
    # The set whose shortest word is longest is the most selective.
    return max(candidates, key=lambda words: (min(map(len, words)), -len(words)))


def _item(op: Any, arg: Any) -> set[str] | None:
    if op is _c.SUBPATTERN:
        return _sequence(list(arg[-1]))
    if op is _c.BRANCH:
        union: set[str] = set()
        for branch in arg[1]:
            words = _sequence(list(branch))
            if words is None:
                return None
            union |= words
        return union
    if op in _REPEATS:
        low, _, body = arg
        return _sequence(list(body)) if low >= 1 else None
    if _ATOMIC is not None and op is _ATOMIC:
        return _sequence(list(arg))
    return None
