"""What a condition does with values while it is evaluated.

Every helper here is total on the values a signals mapping holds (text, numbers,
true/false, null, lists and mappings, nested freely): it returns a value or
``None``, it never raises. That is what lets a rule folder promise that a
condition cannot crash triage on an odd item; ``rules/README.md`` spells out
the same semantics for the people writing rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Signals = Mapping[str, Any]
"""What a condition is evaluated against: the output of ``compute_signals``."""

Evaluator = Callable[[Signals], Any]
"""A compiled (sub-)condition."""

Key = str | int
"""A step into a value: a mapping key (text) or a list position (whole number)."""

NUMBERS = frozenset({int, float})
"""The types arithmetic works on. ``bool`` is deliberately absent: ``true + 1`` is null."""

TEXT_WIDTH = 80
"""Text longer than this is cut (with an ellipsis) when shown as a matched value."""

_CONTEXT = 30
_MAX_ITEMS = 20
_MAX_DEPTH = 4


def step(value: Any, key: Key) -> Any:
    """``value[key]`` when there is such an entry, else ``None``."""
    if type(value) is dict:
        return value.get(key)
    if isinstance(value, Mapping):
        return value.get(key)
    if type(key) is int and isinstance(value, list | tuple | str):
        try:
            return value[key]
        except IndexError:
            return None
    return None


def contains(item: Any, container: Any) -> bool:
    """The ``in`` operator: list membership, substring of text, key of a mapping."""
    if isinstance(container, str):
        return isinstance(item, str) and item in container
    if isinstance(container, list | tuple):
        try:
            return item in container
        except RecursionError:  # entries nested too deeply to compare: not found
            return False
    if isinstance(container, Mapping):
        try:
            return item in container
        except TypeError:  # an unhashable value (a list) is never a key
            return False
    return False


def add(a: Any, b: Any) -> Any:
    if type(a) in NUMBERS and type(b) in NUMBERS:
        try:
            return a + b
        except OverflowError:
            return None
    return None


def subtract(a: Any, b: Any) -> Any:
    if type(a) in NUMBERS and type(b) in NUMBERS:
        try:
            return a - b
        except OverflowError:
            return None
    return None


def multiply(a: Any, b: Any) -> Any:
    if type(a) in NUMBERS and type(b) in NUMBERS:
        try:
            return a * b
        except OverflowError:
            return None
    return None


def divide(a: Any, b: Any) -> Any:
    if type(a) in NUMBERS and type(b) in NUMBERS:
        try:
            return a / b
        except (ZeroDivisionError, OverflowError):
            return None
    return None


def negate(a: Any) -> Any:
    return -a if type(a) in NUMBERS else None


def plus(a: Any) -> Any:
    return a if type(a) in NUMBERS else None


def length(value: Any) -> Any:
    """``len(x)``: characters of text, entries of a list or mapping; else null."""
    if isinstance(value, str | list | tuple | Mapping):
        return len(value)
    return None


def lower(value: Any) -> Any:
    """``lower(x)``: text in lower case; for a list, each text entry lowered."""
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, list | tuple):
        return [v.lower() if isinstance(v, str) else v for v in value]
    return None


def _member_test(allowed: Any) -> Callable[[Any], bool]:
    """``lambda v: contains(v, allowed)``, but for a list ``allowed`` in time that
    does not grow with its length: plain entries go into a set once. A set finds
    exactly what ``in`` on the list finds (equal values hash alike), and a list or
    mapping can only equal another list or mapping, so those are compared with
    the few unhashable entries alone."""
    if not isinstance(allowed, list | tuple) or len(allowed) < 8:
        return lambda value: contains(value, allowed)
    plain: set[Any] = set()
    others: list[Any] = []
    for entry in allowed:
        try:
            plain.add(entry)
        except TypeError:
            others.append(entry)

    def member(value: Any) -> bool:
        try:
            return value in plain
        except TypeError:
            return contains(value, others)

    return member


def any_in(values: Any, allowed: Any) -> bool:
    """``any_in(a, b)``: ``a`` is a list and at least one of its entries is ``in b``."""
    if not isinstance(values, list | tuple):
        return False
    member = _member_test(allowed)
    return any(member(v) for v in values)


def all_in(values: Any, allowed: Any) -> bool:
    """``all_in(a, b)``: ``a`` is a non-empty list and every entry is ``in b``."""
    if not isinstance(values, list | tuple) or not values:
        return False
    member = _member_test(allowed)
    return all(member(v) for v in values)


FUNCTIONS: dict[str, tuple[Callable[..., Any], int]] = {
    "len": (length, 1),
    "lower": (lower, 1),
    "any_in": (any_in, 2),
    "all_in": (all_in, 2),
}
"""The functions a condition may call, with how many arguments each takes."""


def brief(value: Any, depth: int = 0) -> Any:
    """``value`` cut down for showing to a reviewer: long text and long lists shortened."""
    if isinstance(value, str):
        if len(value) <= TEXT_WIDTH:
            return value
        return value[: TEXT_WIDTH - 1] + "\u2026"
    if depth >= _MAX_DEPTH and isinstance(value, list | tuple | Mapping):
        return "\u2026"
    if isinstance(value, list | tuple):
        shown: list[Any] = [brief(v, depth + 1) for v in value[:_MAX_ITEMS]]
        if len(value) > _MAX_ITEMS:
            shown.append(f"\u2026 {len(value) - _MAX_ITEMS} more")
        return shown
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for index, (k, v) in enumerate(value.items()):
            if index == _MAX_ITEMS:
                out["\u2026"] = f"{len(value) - _MAX_ITEMS} more"
                break
            out[str(k)] = brief(v, depth + 1)
        return out
    return value


def excerpt(text: str, span: tuple[int, int]) -> str:
    """The matched part of ``text`` (``span``: start and end) with a little context
    either side."""
    start, end = span
    if end - start > TEXT_WIDTH:
        end = start + TEXT_WIDTH
    left = max(0, start - _CONTEXT)
    right = min(len(text), end + _CONTEXT)
    return (
        ("\u2026" if left > 0 else "")
        + " ".join(text[left:right].split("\n"))
        + ("\u2026" if right < len(text) else "")
    )
