"""Bounded views of one item's text, shared by the content checks.

An item's fields are untrusted: the output may be 10 MB, a tool result may be a JSON
value nested thousands of levels deep or hold numbers too long to print. Every view
here is cut so that the work per item is bounded by :attr:`CheckSettings.max_chars`
whatever the item holds:

- :attr:`ItemText.output`: the output, cut to ``max_chars``; :attr:`ItemText.lower`
  is the same lower-cased, built once.
- :attr:`ItemText.request`: the input and the transcript's turns, cut to ``max_chars``
  in total; :attr:`ItemText.asked` leaves out the assistant's own turns: what the
  customer (or whoever asked) said.
- :attr:`ItemText.parts`: each tool call's arguments and result flattened to text
  (their scalars, one a line), labelled with the call ("the issue_refund call"); at
  most ``2 * max_chars`` characters in all, flattened only when a check asks.
- :attr:`ItemText.segments`: the request, then each call's arguments and result;
  :attr:`ItemText.haystack` is them joined: everything an output's facts may come from.
- :attr:`ItemText.grounds`: the request without the assistant's turns, then each
  call's result only: what the item was given, leaving out what the agent wrote itself.

Flattening visits at most :data:`MAX_NODES` JSON values and :data:`MAX_DEPTH` levels.
Views are built on first use, so a check that finds nothing to verify costs only its
own scan of the output.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any, Final, Generic, TypeVar, overload

from triage.core.models import Item, ToolCall

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "REQUEST_LABEL",
    "ItemText",
    "call_label",
    "clip",
    "leaves",
    "literal_pattern",
    "scalar_text",
]

_T = TypeVar("_T")


class lazy(Generic[_T]):  # noqa: N801 - named as the decorator it is used as
    """A view computed on first use and then kept on the instance: what
    ``functools.cached_property`` does, without the lock it takes on every first use
    (the checks build a dozen views per item, and the lock was a tenth of their cost)."""

    def __init__(self, compute: Callable[[Any], _T]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type) -> lazy[_T]: ...
    @overload
    def __get__(self, instance: object, owner: type) -> _T: ...
    def __get__(self, instance: object, owner: type) -> lazy[_T] | _T:
        if instance is None:
            return self
        value = self.compute(instance)
        instance.__dict__[self.name] = value
        return value


def literal_pattern(words: Iterable[str]) -> str:
    """A pattern matching any of ``words`` (the longest at a place), built as a tree
    of their letters: the regex engine then tries one branch at each position rather
    than every word in turn, which halves the cost of a scan."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + build(node[ch]) for ch in sorted(k for k in node if k)]
        if not alts:
            return ""
        if "" in node:
            return "(?:" + "|".join(alts) + ")?"
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return build(tree)


MAX_DEPTH: Final = 32
"""Levels of nesting followed inside one tool call's arguments or result."""
MAX_NODES: Final = 5_000
"""JSON values visited inside one tool call's arguments or result."""
REQUEST_LABEL: Final = "the request"
"""How evidence names the input and the transcript."""
_QUOTE_LIMIT: Final = 80
_OWN_ROLES: Final = frozenset({"assistant", "model", "ai", "bot"})
"""Transcript roles that are the agent's own words, not what it was given."""


def clip(text: str, limit: int = _QUOTE_LIMIT) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis: how a fragment
    of untrusted text is quoted in evidence."""
    flat = " ".join(text[: limit * 4].split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def call_label(call: ToolCall) -> str:
    """How evidence names a tool call: ``the issue_refund call``."""
    return f"the {tool_name(call)} call"


def tool_name(call: ToolCall) -> str:
    """The call's name, cut short; ``tool`` when it has none usable."""
    name = call.name if isinstance(call.name, str) else ""
    if 0 < len(name) <= 60 and name.isidentifier():
        return name  # the usual name, already fit to quote
    return clip(name, 60) or "tool"


def scalar_text(value: object) -> str | None:
    """A JSON scalar as text, or ``None`` for anything else (and for numbers too long to
    print, which Python refuses to turn into text)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value) if -(10**30) < value < 10**30 else None
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    return None


def leaves(value: Any) -> Iterator[tuple[str | None, Any, Mapping[Any, Any] | None]]:
    """Every scalar inside ``value`` as ``(key, scalar, the mapping holding it)``; keys are
    ``None`` inside lists and at the top. Visits at most :data:`MAX_NODES` values and
    :data:`MAX_DEPTH` levels, depth first, in order; never raises on odd types."""
    stack: list[tuple[Any, str | None, Mapping[Any, Any] | None, int]] = [(value, None, None, 0)]
    # Count values as they are queued, so a wide node cannot queue more than the budget.
    room = MAX_NODES - 1
    while stack:
        node, key, parent, depth = stack.pop()
        kind = type(node)
        if kind is str or kind is int or kind is float:
            yield key, node, parent
        elif kind is dict or isinstance(node, Mapping):
            if depth >= MAX_DEPTH or room <= 0:
                continue
            try:
                pairs = list(islice(node.items(), room))
            except Exception:  # a hostile mapping type: nothing to read
                continue
            room -= len(pairs)
            for k, v in reversed(pairs):
                stack.append((v, k if isinstance(k, str) else None, node, depth + 1))
        elif kind is list or kind is tuple or isinstance(node, list | tuple):
            if depth >= MAX_DEPTH or room <= 0:
                continue
            children = node[:room]
            room -= len(children)
            for v in reversed(children):
                stack.append((v, None, None, depth + 1))
        else:
            yield key, node, parent


def flatten(value: Any, budget: int) -> str:
    """``value``'s scalars as text, one a line, at most ``budget`` characters."""
    parts: list[str] = []
    used = 0
    for _, scalar, _ in leaves(value):
        text = scalar if type(scalar) is str else scalar_text(scalar)
        if text is None:
            continue
        if used + len(text) >= budget:
            parts.append(text[: max(0, budget - used)])
            break
        parts.append(text)
        used += len(text) + 1
    return "\n".join(parts)


class ItemText:
    """The bounded views of one item the checks read; each is built once, on first use."""

    def __init__(self, item: Item, max_chars: int) -> None:
        self.item = item
        """The item looked at."""
        self.max_chars = max(1, max_chars)
        """Characters of any one text looked at."""

    @lazy
    def output(self) -> str:
        """The output, cut to ``max_chars``."""
        out = self.item.output
        return out[: self.max_chars] if isinstance(out, str) else ""

    @lazy
    def lower(self) -> str:
        """:attr:`output` lower-cased, character for character (same length and indices),
        for cheap case-blind searches."""
        low = self.output.lower()
        if len(low) == len(self.output):
            return low
        # A few characters lower-case to two ("İ"); keep those as they are.
        return "".join(c if len(c.lower()) != 1 else c.lower() for c in self.output)

    @lazy
    def task_type(self) -> str:
        """The task type, or ``""`` when it is not text."""
        task = self.item.task_type
        return task if isinstance(task, str) else ""

    @lazy
    def meta(self) -> Mapping[str, Any]:
        """The item's ``meta``, or an empty mapping when it is not one."""
        meta = self.item.meta
        return meta if isinstance(meta, Mapping) else {}

    @lazy
    def calls(self) -> tuple[ToolCall, ...]:
        """The tool calls (at most 1,000), leaving out anything that is not one."""
        calls = self.item.tool_calls
        if not isinstance(calls, tuple | list):
            return ()
        return tuple(c for c in calls[:1000] if isinstance(c, ToolCall))

    @lazy
    def request(self) -> str:
        """The input and the transcript's turns, ``max_chars`` in total."""
        given = self.item.input
        if not self.item.transcript and type(given) is str:
            return given[: self.max_chars]  # the usual item: nothing to join
        return self._joined(assistant=True)

    @lazy
    def asked(self) -> str:
        """The input and the transcript's turns but the assistant's, ``max_chars`` in
        total: what the item was asked, not what the agent answered along the way."""
        turns = self.item.transcript
        if not turns:
            return self.request
        if not isinstance(turns, tuple | list) or not any(
            getattr(t, "role", None) in _OWN_ROLES for t in turns[:10_000]
        ):
            return self.request
        return self._joined(assistant=False)

    def _joined(self, *, assistant: bool) -> str:
        budget = self.max_chars
        parts: list[str] = []
        texts: list[object] = [self.item.input]
        turns = self.item.transcript
        if isinstance(turns, tuple | list):
            texts.extend(
                getattr(t, "content", None)
                for t in turns[:10_000]
                if assistant or getattr(t, "role", None) not in _OWN_ROLES
            )
        for text in texts:
            if budget <= 0:
                break
            if isinstance(text, str) and text:
                parts.append(text[:budget])
                budget -= len(parts[-1]) + 1
        return "\n".join(parts)

    @lazy
    def parts(self) -> tuple[tuple[str, str, str], ...]:
        """``(where, arguments, result)`` for each tool call, flattened to text, at
        most ``2 * max_chars`` characters in all (less the request's)."""
        budget = 2 * self.max_chars - len(self.request)
        out: list[tuple[str, str, str]] = []
        for call in self.calls:
            if budget <= 0:
                break
            args = flatten(call.arguments, budget) if call.arguments is not None else ""
            budget -= len(args) + 1
            result = flatten(call.result, budget) if call.result is not None else ""
            budget -= len(result) + 1
            out.append((call_label(call), args, result))
        return tuple(out)

    @lazy
    def segments(self) -> tuple[tuple[str, str], ...]:
        """``(where, text)``: the request, then each tool call's arguments and result."""
        out = [(REQUEST_LABEL, self.request)]
        out.extend((where, f"{args}\n{result}") for where, args, result in self.parts)
        return tuple(out)

    @lazy
    def haystack(self) -> str:
        """Every segment's text joined: where an output's facts may come from."""
        return "\n".join(text for _, text in self.segments)

    @lazy
    def grounds(self) -> tuple[tuple[str, str], ...]:
        """``(where, text)``: :attr:`asked`, then each tool call's result (``the
        lookup_order result``): what the item was given, not what the agent wrote.
        The results are flattened on their own, without the arguments, so a check
        that needs only these never flattens the rest."""
        if "parts" in self.__dict__:  # already flattened for another check
            results = [(w, r) for w, _, r in self.parts]
        else:
            budget = 2 * self.max_chars - len(self.request)
            results = []
            for call in self.calls:
                if budget <= 0:
                    break
                text = flatten(call.result, budget) if call.result is not None else ""
                budget -= len(text) + 1
                results.append((call_label(call), text))
        out = [(REQUEST_LABEL, self.asked)]
        out.extend((where.removesuffix(" call") + " result", r) for where, r in results if r)
        return tuple(out)
