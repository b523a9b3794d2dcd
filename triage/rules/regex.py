"""Python regular expressions, rewritten for RE2, a matcher that runs in linear time.

A rule's pattern is written in Python's syntax and keeps Python's meaning
(case-insensitive search, ``\\w``, ``\\d`` and ``\\s`` as Unicode classes, ``$``
before a final newline, ``(?x)``, ``(?s)``, ``(?m)`` ...). Python's own parser
reads it, so its errors and their positions are Python's; the parsed tree is
then written out in RE2's syntax. RE2 never backtracks, so no pattern can make
a search take longer than a pass over the text: ``(a+)+$`` on forty ``a`` and a
``!`` answers at once.

What RE2 cannot do in linear time is refused with the reason:
backreferences, lookaround, conditional groups, atomic groups and possessive
repeats, repeat counts above 1,000, and patterns whose program would be too large.

One Python feature needs more than a rewrite: ``\\b`` and ``\\B`` count Unicode
letters and digits as word characters, RE2's count ASCII ones only. On ASCII
text the two agree. For other text the pattern has a second form, ``marked``,
which is searched in a copy of the text with two :data:`MARK` characters at
every word boundary (found by Python's own ``\\b``): there ``\\b`` takes a mark,
every other part of the pattern steps over marks, and the answer is Python's.
The few arrangements of tests this cannot say are refused
(:mod:`triage.rules.regex_gaps`).
"""

from __future__ import annotations

import importlib
import re
import warnings
from dataclasses import dataclass
from typing import Any

from triage.rules.regex_classes import NEVER, CharClass, char, parse_class
from triage.rules.regex_gaps import check_dollar, check_gaps, consumes
from triage.rules.regex_scan import PatternError, refuse_unsupported, scan

_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

MARK = "\ufdd0"
"""A Unicode noncharacter: the word-boundary mark of the ``marked`` form."""

_WORD = re.compile(r"\w")

MAX_REPEAT = 1000
"""The largest count RE2 accepts in ``{m,n}``."""

_M = r"\x{FDD0}"
_CONSUMING = {_c.LITERAL, _c.NOT_LITERAL, _c.IN, _c.ANY}
_STARTS = {_c.AT_BEGINNING, _c.AT_BEGINNING_STRING}
_ENDS = {_c.AT_END, _c.AT_END_STRING}
_NOT_BOUNDARY_HERE = (
    r"\B is supported only between two single characters or at an end of the pattern"
)

__all__ = ["MARK", "PatternError", "Translation", "translate"]


@dataclass(frozen=True, slots=True)
class Translation:
    r"""A pattern in RE2's syntax. ``native`` is exact on any text when ``marked`` is
    ``None``, and on ASCII text otherwise; ``marked`` is for the marked copy of
    non-ASCII text (see the module's docstring); ``empty`` (present when the
    pattern has ``\B``) is for the empty text, where Python's ``\B`` never holds.
    ``parsed`` is Python's parse."""

    native: str
    marked: str | None
    empty: str | None
    parsed: Any


def translate(pattern: str) -> Translation:
    """``pattern`` (Python syntax, searched case-insensitively) for RE2; raises
    :class:`PatternError` with the offset at fault when it cannot be translated."""
    found = scan(pattern)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "possible nested set" and the like
        try:
            parsed = _parser.parse(pattern, re.IGNORECASE)
        except re.error as err:
            raise PatternError(err.msg, err.pos) from None
    refuse_unsupported(parsed, found)
    flags = parsed.state.flags
    ascii_only = bool(flags & _c.SRE_FLAG_ASCII)
    start = _Flags(
        ignorecase=True,
        dotall=bool(flags & _c.SRE_FLAG_DOTALL),
        multiline=bool(flags & _c.SRE_FLAG_MULTILINE),
    )
    items = list(parsed.data)
    check_dollar(items, start.multiline, found.at("dollar"))
    native = _Writer(ascii_only, found, mode="native")
    native_text = native.top(items, start)
    marked = empty = None
    if native.boundaries and not ascii_only:
        check_gaps(items, found.first_boundary())
        marked = _Writer(ascii_only, found, mode="marked").top(items, start)
    if native.non_boundary and ascii_only:
        # RE2's \B also holds between the bytes of one character beyond ASCII.
        raise PatternError(
            r"\B with (?a) is not supported; without (?a), \B counts letters beyond "
            "ASCII as word characters",
            found.first_boundary(),
        )
    if native.non_boundary:
        empty = _Writer(ascii_only, found, mode="empty").top(items, start)
    return Translation(native=native_text, marked=marked, empty=empty, parsed=parsed)


@dataclass(frozen=True, slots=True)
class _Flags:
    ignorecase: bool
    dotall: bool
    multiline: bool


class _Writer:
    r"""Writes one form of a parsed pattern in RE2's syntax.

    In the marked form a sequence is written as its parts with a *gap* between
    each two, and before the first and after the last: the place a mark may sit
    in the marked text. A gap holds the zero-width tests written there: ``\b``
    needs the mark, ``\B`` needs none, anchors for the start of a line or text are
    tested before the mark and anchors for the end after it; a gap with neither
    ``\b`` nor ``\B`` lets a mark be. Gaps of nested parts may stand next to each
    other; each is optional but for ``\b``, so together they still allow exactly
    what one would.
    """

    def __init__(self, ascii_only: bool, found: Any, *, mode: str) -> None:
        self.ascii_only = ascii_only
        self.found = found
        self.mode = mode
        self.marked = mode == "marked"
        self.boundaries = False
        r"""Whether the pattern has a \b or \B (set while writing)."""
        self.non_boundary = False
        r"""Whether it has a \B."""

    def top(self, items: list[tuple[Any, Any]], flags: _Flags) -> str:
        return self.sequence(items, flags, top=True)

    def sequence(
        self, items: list[tuple[Any, Any]], flags: _Flags, top: bool = False, edges: bool = False
    ) -> str:
        """``items`` written out. A gap without tests at either end is left to the
        enclosing sequence, whose gaps stand at the same places, except in a
        repeated part (``edges``), whose ends meet each other between passes."""
        out: list[str] = []
        pending: list[Any] = []
        before: Any = None  # the op of the part before the pending tests; None at the start
        previous: Any = None  # that part's argument
        for op, arg in items:
            if op is _c.AT:
                pending.append(arg)
                continue
            if self.marked and not pending and _same_kind(before, previous, op, arg):
                # Two letters (or two non-letters) in a row: never a boundary between.
                out.append(self.item(op, arg, flags))
                previous = arg
                continue
            if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and (arg[1] == 0 or not consumes(arg[2])):
                # x{0} matches nothing and tests nothing; a repeat of zero-width tests
                # is those tests, once or optionally.
                inner = "" if arg[1] == 0 else self.sequence(list(arg[2]), flags)
                out.append(self.gap(pending, before, op, flags, top))
                out.append(f"(?:{inner})" + ("" if arg[0] >= 1 or not inner else "?"))
                pending, before, previous = [], op, arg
                continue
            if pending or before is not None or edges or not self.marked:
                out.append(self.gap(pending, before, op, flags, top))
            out.append(self.item(op, arg, flags))
            pending, before, previous = [], op, arg
        if pending or edges or not self.marked or before is None:
            out.append(self.gap(pending, before, None, flags, top, end=True))
        return "".join(out)

    def gap(
        self,
        codes: list[Any],
        before: Any,
        after: Any,
        flags: _Flags,
        top: bool,
        end: bool = False,
    ) -> str:
        boundary = _c.AT_BOUNDARY in codes
        non_boundary = _c.AT_NON_BOUNDARY in codes
        self.boundaries = self.boundaries or boundary or non_boundary
        self.non_boundary = self.non_boundary or non_boundary
        starts = "".join(self.anchor(c, flags) for c in codes if c in _STARTS)
        ends = "".join(self.anchor(c, flags) for c in codes if c in _ENDS)
        if boundary and non_boundary:
            return NEVER
        if not self.marked:
            if non_boundary and self.mode == "empty":
                return NEVER
            tests = {_c.AT_BOUNDARY: r"\b", _c.AT_NON_BOUNDARY: r"\B"}
            return "".join(tests.get(c) or self.anchor(c, flags) for c in codes)
        if boundary:
            return starts + _M + _M + "?" + ends
        if not non_boundary:
            return starts + _M + "?" + _M + "?" + ends
        # \B: no mark in this gap. Only a gap between two single characters (or at an
        # end of the whole pattern) is this one gap alone; elsewhere a neighbour's
        # gap could hold the mark.
        start_side = before in _CONSUMING or (before is None and top)
        end_side = after in _CONSUMING or (after is None and end and top)
        if not (start_side and end_side):
            raise PatternError(_NOT_BOUNDARY_HERE, self.found.first_boundary())
        lead = f"(?:\\A|[^{_M}])" if before is None else ""
        trail = f"(?:[^{_M}]|\\z)" if after is None else ""
        return lead + starts + ends + trail

    def item(self, op: Any, arg: Any, flags: _Flags) -> str:
        if op in _CONSUMING:
            return self.atom(op, arg, flags)
        if op is _c.BRANCH:
            return "(?:" + "|".join(self.sequence(list(b), flags) for b in arg[1]) + ")"
        if op is _c.SUBPATTERN:
            return self.group(arg, flags)
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            low, high, body = arg
            if low > MAX_REPEAT or (high is not _c.MAXREPEAT and high > MAX_REPEAT):
                raise PatternError(
                    f"repeat counts above {MAX_REPEAT} are not supported "
                    "(linear-time matching has to unroll them)",
                    self.found.repeat_over(MAX_REPEAT),
                )
            inner = self.sequence(list(body), flags, edges=True)
            return f"(?:{inner}){_count(low, high)}" + ("?" if op is _c.MIN_REPEAT else "")
        raise PatternError(f"this part of the pattern is not supported ({op})", None)

    def atom(self, op: Any, arg: Any, flags: _Flags) -> str:
        if op is _c.LITERAL:
            if self.marked and arg == ord(MARK):
                return NEVER
            return char(arg, flags.ignorecase, self.ascii_only)
        if op is _c.ANY:
            cls = CharClass(negate=True, ranges=[] if flags.dotall else [(10, 10)])
        elif op is _c.NOT_LITERAL:
            cls = CharClass(negate=True, ranges=[(arg, arg)])
        else:
            cls = parse_class(arg, self.ascii_only)
        written = cls.write(
            ignorecase=flags.ignorecase, exclude_mark=self.marked, ascii_only=self.ascii_only
        )
        if written is None:
            raise PatternError(
                "this class cannot be matched in linear time; "
                r"write it without \W or \D inside [^...]",
                self.found.first_class(),
            )
        return written

    def anchor(self, code: Any, flags: _Flags) -> str:
        if code is _c.AT_BEGINNING:
            return "(?m:^)" if flags.multiline else r"\A"
        if code is _c.AT_BEGINNING_STRING:
            return r"\A"
        if code is _c.AT_END:
            # Python's $ also matches before a newline that ends the text.
            return "(?m:$)" if flags.multiline else r"(?:\n?\z)"
        if code is _c.AT_END_STRING:
            return r"\z"
        raise PatternError(f"this anchor is not supported ({code})", None)

    def group(self, arg: Any, flags: _Flags) -> str:
        _, add, remove, body = arg
        scoped = _c.SRE_FLAG_ASCII | _c.SRE_FLAG_LOCALE
        if (add | remove) & scoped:
            raise PatternError(
                "(?a:...) works only for a whole pattern: write (?a) at its start", None
            )
        inner_flags = _Flags(
            ignorecase=_flag(flags.ignorecase, _c.SRE_FLAG_IGNORECASE, add, remove),
            dotall=_flag(flags.dotall, _c.SRE_FLAG_DOTALL, add, remove),
            multiline=_flag(flags.multiline, _c.SRE_FLAG_MULTILINE, add, remove),
        )
        inner = self.sequence(list(body), inner_flags)
        if inner_flags.ignorecase == flags.ignorecase:
            return f"(?:{inner})"
        return f"(?{'i' if inner_flags.ignorecase else '-i'}:{inner})"


def _same_kind(before: Any, previous: Any, op: Any, arg: Any) -> bool:
    """Whether two literal characters in a row are both word characters or both not
    (as Python counts them): then no word boundary can fall between them."""
    if before is not _c.LITERAL or op is not _c.LITERAL:
        return False
    return bool(_WORD.match(chr(previous))) == bool(_WORD.match(chr(arg)))


def _flag(value: bool, bit: int, add: int, remove: int) -> bool:
    if add & bit:
        return True
    if remove & bit:
        return False
    return value


def _count(low: int, high: Any) -> str:
    if high is _c.MAXREPEAT:
        return {0: "*", 1: "+"}.get(low, f"{{{low},}}")
    if (low, high) == (0, 1):
        return "?"
    return f"{{{low}}}" if low == high else f"{{{low},{high}}}"
