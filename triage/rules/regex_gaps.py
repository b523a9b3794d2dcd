"""Which patterns the marked form (``\\b`` on non-ASCII text) can say exactly.

In the marked form each place between two characters of the text holds a mark
or not, and the pattern is written with a *gap* wherever such a place can be
(see :class:`triage.rules.regex._Writer`). Several gaps can fall on one place:
either side of a group, or either side of a part that may match nothing
(``\\d*``). Each boundary carries two marks, so two gaps testing ``\\b`` can share a place
(``\\b.{0,40}\\b`` when ``.{0,40}`` takes nothing); any other test (``\\B``,
``^``, ``$`` ...) must be alone at its place. :func:`check_gaps` refuses a
pattern where that does not hold, such as ``\\b(^|x)``: writing the tests side
by side (``(\\b^|\\bx)``) avoids it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from triage.rules.regex_scan import PatternError

_c: Any = importlib.import_module("re._constants")

_CONSUMING = {_c.LITERAL, _c.NOT_LITERAL, _c.IN, _c.ANY}
_TOGETHER = (
    r"\b or \B would be tested at the same place as another test (^, $, \B, \A ...) "
    r"across a group or a part that can match nothing, as in \b(^|x); write the tests "
    r"side by side: (\b^|\bx)"
)


Load = tuple[int, int]
"""Tests at one place: (gaps holding only ``\\b``, gaps holding anything else)."""

_NONE: Load = (0, 0)


def _add(a: Load, b: Load) -> Load:
    return a[0] + b[0], a[1] + b[1]


def _fits(load: Load) -> bool:
    """Each boundary has two marks, so two ``\\b`` can share a place; a gap with
    another test must be the place's only one."""
    bs, others = load
    return (others == 0 and bs <= 2) or (others == 1 and bs == 0)


def _more(a: Load, b: Load) -> Load:
    return max(a[0], b[0]), max(a[1], b[1])


@dataclass(frozen=True, slots=True)
class _Info:
    lead: Load
    """Tests in the gaps where the part starts."""
    trail: Load
    """Tests in the gaps where it ends."""
    nullable: bool
    """The part can match nothing."""
    empty: Load
    """Tests on its way of matching nothing."""


_PLAIN = _Info(lead=_NONE, trail=_NONE, nullable=False, empty=_NONE)


def consumes(items: Any) -> bool:
    """Whether a parsed sequence can take a character (its stack is explicit)."""
    stack = [list(items)]
    while stack:
        for op, arg in stack.pop():
            if op in _CONSUMING:
                return True
            if op is _c.BRANCH:
                stack.extend(list(b) for b in arg[1])
            elif op is _c.SUBPATTERN:
                stack.append(list(arg[-1]))
            elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and arg[1] != 0:
                stack.append(list(arg[2]))
    return False


def check_dollar(items: list[tuple[Any, Any]], multiline: bool, pos: int | None) -> None:
    """Refuse a ``$`` (without ``(?m)``) that more of the pattern may follow: Python's
    ``$`` also holds before a final newline, which RE2 can only test by taking it,
    and what follows would then start one character late."""
    _dollar(items, multiline, tail=True, pos=pos)


def _dollar(items: list[tuple[Any, Any]], multiline: bool, *, tail: bool, pos: int | None) -> None:
    later = False  # whether anything of the pattern comes after the current item
    for op, arg in reversed(items):
        here = tail and not later
        if op is _c.AT and arg is _c.AT_END and not multiline and not here:
            raise PatternError(
                "$ followed by more of the pattern is not supported: put $ at the end, "
                "or write \\n? and \\Z for the newline that may end the text",
                pos,
            )
        if op is _c.SUBPATTERN:
            _, add, remove, body = arg
            inner = bool(add & _c.SRE_FLAG_MULTILINE) or (
                multiline and not remove & _c.SRE_FLAG_MULTILINE
            )
            _dollar(list(body), inner, tail=here, pos=pos)
        elif op is _c.BRANCH:
            for branch in arg[1]:
                _dollar(list(branch), multiline, tail=here, pos=pos)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            again = arg[1] != 1 and consumes(arg[2])
            _dollar(list(arg[2]), multiline, tail=here and not again, pos=pos)
        later = True


def check_gaps(items: list[tuple[Any, Any]], pos: int | None) -> None:
    """Raise :class:`PatternError` (at ``pos``) if tests can meet at one place in a
    way the marked form cannot say (see :func:`_fits`)."""
    _sequence(items, pos)


def _check(load: Load, pos: int | None) -> Load:
    if not _fits(load):
        raise PatternError(_TOGETHER, pos)
    return load


def _sequence(items: list[tuple[Any, Any]], pos: int | None) -> _Info:
    count = _NONE  # tests at the current place
    lead: Load | None = None
    pending: list[Any] = []
    for op, arg in items:
        if op is _c.AT:
            pending.append(arg)
            continue
        if pending:
            count = _check(_add(count, _unit(pending)), pos)
            pending = []
        info = _item(op, arg, pos)
        _check(_add(count, info.lead), pos)
        if info.nullable:
            # Taking something leaves its trail; taking nothing carries the place on.
            count = _check(_more(info.trail, _add(count, info.empty)), pos)
            continue
        if lead is None:
            lead = _add(count, info.lead)
        count = info.trail
    if pending:
        count = _check(_add(count, _unit(pending)), pos)
    if lead is None:  # nothing in the sequence must take a character
        return _Info(lead=count, trail=count, nullable=True, empty=count)
    return _Info(lead=lead, trail=count, nullable=False, empty=_NONE)


def _unit(codes: list[Any]) -> Load:
    if all(code is _c.AT_BOUNDARY for code in codes):
        return (1, 0)
    return (0, 1)


def _item(op: Any, arg: Any, pos: int | None) -> _Info:
    if op is _c.SUBPATTERN:
        return _sequence(list(arg[-1]), pos)
    if op is _c.BRANCH:
        infos = [_sequence(list(branch), pos) for branch in arg[1]]
        lead = trail = empty = _NONE
        for info in infos:
            lead, trail, empty = (
                _more(lead, info.lead),
                _more(trail, info.trail),
                _more(empty, info.empty),
            )
        return _Info(lead=lead, trail=trail, nullable=any(i.nullable for i in infos), empty=empty)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
        low, high, body = arg
        if high == 0:  # x{0}: nothing to match, nothing tested
            return _Info(lead=_NONE, trail=_NONE, nullable=True, empty=_NONE)
        info = _sequence(list(body), pos)
        empty = info.empty
        if high != 1 and consumes(body):
            _check(_add(info.trail, info.lead), pos)  # one pass ends where the next begins
            # Passes that take nothing pile their tests up at one place; at least
            # ``low`` of them are needed.
            empty = _check((empty[0] * max(low, 1), empty[1] * max(low, 1)), pos)
        return _Info(
            lead=info.lead,
            trail=info.trail,
            nullable=info.nullable or low == 0,
            empty=empty if low > 0 else _NONE,
        )
    return _PLAIN
