"""Reading a pattern's text before and after Python parses it: how deeply its
groups nest (checked first, so the parser never recurses too far), where each
construct that linear-time matching rules out is, and refusing those constructs
with the reason and what to write instead."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from typing import Any

from triage.errors import InvalidInput
from triage.rules.limits import MAX_DEPTH

_c: Any = importlib.import_module("re._constants")

_WHY = "patterns are matched in linear time (RE2), which rules this out"
_REPEAT = re.compile(r"\{(\d*)(?:,(\d*))?\}")


class PatternError(InvalidInput):
    """A pattern that cannot be used, and the 0-based offset in it at fault (or ``None``)."""

    def __init__(self, message: str, pos: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


@dataclass(slots=True)
class Found:
    """Where constructs first occur in a pattern's text (0-based offsets)."""

    text: str
    first: dict[str, int] = field(default_factory=dict)
    repeats: list[tuple[int, int]] = field(default_factory=list)
    """(offset, largest count) of each ``{m,n}``."""

    def at(self, kind: str) -> int | None:
        return self.first.get(kind)

    def first_class(self) -> int | None:
        return self.at("class")

    def first_boundary(self) -> int | None:
        return self.at("boundary")

    def repeat_over(self, limit: int) -> int | None:
        return next((pos for pos, count in self.repeats if count > limit), None)

    def note(self, kind: str, pos: int) -> None:
        self.first.setdefault(kind, pos)


_GROUP_KINDS = {
    "(?=": "lookahead",
    "(?!": "negative lookahead",
    "(?<=": "lookbehind",
    "(?<!": "negative lookbehind",
    "(?P=": "backreference",
    "(?(": "conditional",
    "(?>": "atomic",
}


def scan(pattern: str) -> Found:
    """Positions of interest in ``pattern``; :class:`PatternError` if its groups nest
    deeper than :data:`~triage.rules.limits.MAX_DEPTH`. Reads the text once, without
    recursion, so it is safe on any input."""
    found = Found(pattern)
    depth = deepest = 0
    index, size = 0, len(pattern)
    in_class = False
    while index < size:
        ch = pattern[index]
        if ch == "\\":
            nxt = pattern[index + 1 : index + 2]
            if not in_class and nxt in "123456789" and nxt:
                found.note("backreference", index)
            if not in_class and nxt in ("b", "B") and nxt:
                found.note("boundary", index)
            index += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
            index += 1
            continue
        if ch == "[":
            found.note("class", index)
            in_class = True
            index += 1
            if pattern[index : index + 1] == "^":
                index += 1
            if pattern[index : index + 1] == "]":
                index += 1  # a ] first in a class is a literal
            continue
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
            for prefix, kind in _GROUP_KINDS.items():
                if pattern.startswith(prefix, index):
                    found.note(kind, index)
                    break
        elif ch == ")":
            depth = max(depth - 1, 0)
        elif ch == "$":
            found.note("dollar", index)
        elif ch in "*+?}" and pattern[index + 1 : index + 2] == "+":
            found.note("possessive", index + 1)
        elif ch == "{":
            repeat = _REPEAT.match(pattern, index)
            if repeat is not None:
                counts = [int(g) for g in repeat.groups() if g]
                found.repeats.append((index, max(counts, default=0)))
        index += 1
    if deepest > MAX_DEPTH:
        raise PatternError(
            f"the pattern nests groups {deepest} deep (the limit is {MAX_DEPTH})", None
        )
    return found


def refuse_unsupported(parsed: Any, found: Found) -> None:
    """Raise :class:`PatternError` for the first construct of the parse that RE2
    cannot run in linear time. The walk uses its own stack: no recursion."""
    stack: list[Any] = [list(parsed.data)]
    while stack:
        for op, arg in stack.pop():
            problem = _refusal(op, arg, found)
            if problem is not None:
                raise problem
            stack.extend(_children(op, arg))


def _children(op: Any, arg: Any) -> list[Any]:
    if op is _c.BRANCH:
        return [list(branch) for branch in arg[1]]
    if op is _c.SUBPATTERN:
        return [list(arg[-1])]
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        return [list(arg[2])]
    return []


def _refusal(op: Any, arg: Any, found: Found) -> PatternError | None:
    if op is _c.GROUPREF:
        return PatternError(
            f"a backreference (\\{arg} or (?P=name)) is not supported: {_WHY}, since it "
            "compares the text with an earlier part of itself; write the repeated text "
            "out, e.g. (a|b)\\1 becomes (aa|bb)",
            found.at("backreference"),
        )
    if op is _c.GROUPREF_EXISTS:
        return PatternError(
            f"a conditional group (?(...)...) is not supported: {_WHY}; "
            "write the alternatives out with |",
            found.at("conditional"),
        )
    if op in (_c.ASSERT, _c.ASSERT_NOT):
        direction, _ = arg
        negative = op is _c.ASSERT_NOT
        name = ("negative " if negative else "") + ("lookahead" if direction == 1 else "lookbehind")
        written = {
            ("lookahead", False): "(?=...)",
            ("lookahead", True): "(?!...)",
            ("lookbehind", False): "(?<=...)",
            ("lookbehind", True): "(?<!...)",
        }[("lookahead" if direction == 1 else "lookbehind", negative)]
        hint = (
            'to exclude something, add a second test: output =~ "a" and not output =~ "b"'
            if negative
            else "write the text it looks for into the pattern, or add a second test: "
            'output =~ "a" and output =~ "b"'
        )
        return PatternError(f"{name} {written} is not supported: {_WHY}; {hint}", found.at(name))
    if op is _c.ATOMIC_GROUP or op is _c.POSSESSIVE_REPEAT:
        what = "an atomic group (?>...)" if op is _c.ATOMIC_GROUP else "a possessive repeat"
        kind = "atomic" if op is _c.ATOMIC_GROUP else "possessive"
        return PatternError(
            f"{what} is not supported, and not needed: matching here never backtracks; "
            "write a plain group (...) or drop the extra +",
            found.at(kind),
        )
    return None
