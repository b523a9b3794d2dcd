"""The condition language: a rule's ``when``, compiled into a plain Python function.

A condition is a Python-like boolean expression over the names in
:data:`triage.core.signals.SIGNALS`, plus ``=~`` for a case-insensitive regex
search. It is parsed with :mod:`ast` and turned, node by node, into nested
closures (:mod:`triage.rules.compiler`); only the node types handled there are
accepted, and the text is never handed to ``eval``, ``exec`` or ``compile``.

Evaluation is total: a missing key is null, a comparison of values that cannot
be compared is false, arithmetic on anything but numbers is null (see
:mod:`triage.rules.values`). A compiled condition can also *explain* itself:
the values of every name it refers to and what each regex matched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from triage.rules import values as v
from triage.rules.compiler import Compiler
from triage.rules.names import ALIASES, required_values
from triage.rules.patterns import Pattern
from triage.rules.source import ConditionError, parse
from triage.rules.values import Evaluator, Signals

__all__ = ["ALIASES", "Condition", "ConditionError", "Evaluator", "Signals", "compile_condition"]


class Condition:
    """A compiled ``when``: evaluate it, test it, or explain what it saw."""

    __slots__ = ("source", "evaluate", "signals_used", "requires", "_shown")

    def __init__(
        self,
        source: str,
        evaluate: Evaluator,
        signals_used: frozenset[str],
        shown: tuple[tuple[str, Evaluator, Pattern | None], ...],
        requires: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        self.source = source
        """The condition's text, as written."""
        self.evaluate = evaluate
        """The compiled function: signals → value (truthy means the rule matches)."""
        self.signals_used = signals_used
        """The names from ``SIGNALS`` the condition reads."""
        self.requires: Mapping[str, frozenset[str]] = requires or {}
        """Names pinned to text values by a top-level ``and`` part (``task_type ==
        "refund"``): the condition is false whenever the name has another value."""
        self._shown = shown

    def matches(self, signals: Signals) -> bool:
        """Whether the condition holds for ``signals``."""
        return bool(self.evaluate(signals))

    def explain(self, signals: Signals) -> dict[str, Any]:
        """The values the condition looked at: each name path (``meta.amount``) and
        function call (``len(output)``) with its value, long text cut to about 80
        characters, and each regex test (``output =~ "promise"``) with the matched
        excerpt, or null when it did not match."""
        out: dict[str, Any] = {}
        for key, get, pattern in self._shown:
            value = get(signals)
            if pattern is None:
                out[key] = v.brief(value)
                continue
            span = pattern.span(value) if isinstance(value, str) else None
            out[key] = v.excerpt(value, span) if span is not None else None
        return out

    def __repr__(self) -> str:
        return f"Condition({self.source!r})"


def compile_condition(text: str) -> Condition:
    """Compile ``text``; raises :class:`ConditionError` with the line and column at fault."""
    node, source = parse(text)
    compiler = Compiler(source)
    result = compiler.value(node)
    return Condition(
        source=text,
        evaluate=result.fn,
        signals_used=frozenset(compiler.roots),
        shown=tuple((key, get, pattern) for key, (get, pattern) in compiler.shown.items()),
        requires=required_values(node),
    )
