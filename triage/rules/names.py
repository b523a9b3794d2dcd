"""Names in conditions: reading a name path from the signals, writing it for a
reader, and suggesting the right name for a misspelt one."""

from __future__ import annotations

import ast
import json
import keyword
from collections.abc import Callable
from typing import Any

from rapidfuzz import fuzz, process, utils

from triage.core.checks import CHECKS
from triage.core.signals import SIGNALS
from triage.rules import values as v
from triage.rules.values import Evaluator, Signals

ALIASES: dict[str, Any] = {"true": True, "false": False, "null": None}
"""Lower-case spellings accepted for Python's ``True``, ``False`` and ``None``."""

FIELDED = ("meta", "stats", "check")
"""The signals whose fields can be reached with a dot: ``meta.amount``, ``stats.reviewed``,
``check.references``."""


def required_values(node: ast.expr) -> dict[str, frozenset[str]]:
    """Names the condition pins to a few text values: for each top-level ``and`` part
    of the form ``name == "x"`` or ``name in ["x", "y"]``, the values ``name`` must
    have for the condition to hold. A rule set uses this to skip, say, the refund
    rules for an item whose ``task_type`` is not ``refund``."""
    parts = node.values if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And) else [node]
    out: dict[str, frozenset[str]] = {}
    for part in parts:
        if not (isinstance(part, ast.Compare) and len(part.ops) == 1):
            continue
        left, op, right = part.left, part.ops[0], part.comparators[0]
        if isinstance(op, ast.Eq) and isinstance(right, ast.Name):
            left, right = right, left
        if not (isinstance(left, ast.Name) and left.id in SIGNALS):
            continue
        values = _texts(right) if isinstance(op, ast.In) else None
        if isinstance(op, ast.Eq) and isinstance(right, ast.Constant):
            values = frozenset([right.value]) if isinstance(right.value, str) else None
        if values is not None:
            out[left.id] = out[left.id] & values if left.id in out else values
    return out


def _texts(node: ast.expr) -> frozenset[str] | None:
    if not isinstance(node, ast.List | ast.Tuple):
        return None
    items = [e.value for e in node.elts if isinstance(e, ast.Constant)]
    texts = [item for item in items if isinstance(item, str)]
    return frozenset(texts) if len(texts) == len(node.elts) else None


def getter(root: str, keys: tuple[v.Key, ...]) -> Evaluator:
    """A function reading ``root`` from the signals, then each key in turn, safely."""
    if not keys:

        def get_root(s: Signals) -> Any:
            return s.get(root)

        return get_root
    if len(keys) == 1:
        key = keys[0]
        step = v.step

        def get_one(s: Signals) -> Any:
            value = s.get(root)
            if type(value) is dict:
                return value.get(key)
            return step(value, key)

        return get_one

    def get_path(s: Signals) -> Any:
        value = s.get(root)
        for key in keys:
            value = v.step(value, key)
        return value

    return get_path


def call_with(function: Callable[..., Any], args: list[Evaluator]) -> Evaluator:
    if len(args) == 1:
        (a,) = args

        def call1(s: Signals) -> Any:
            return function(a(s))

        return call1

    def call(s: Signals) -> Any:
        return function(*[arg(s) for arg in args])

    return call


def path_text(root: str, keys: tuple[v.Key, ...]) -> str:
    """How a path is written: ``meta.customer.tier``, ``meta["order id"]``, ``tool_names[0]``."""
    parts = [root]
    for key in keys:
        if isinstance(key, int):
            parts.append(f"[{key}]")
        elif key.isidentifier() and not keyword.iskeyword(key):
            parts.append("." + key)
        else:
            parts.append("[" + json.dumps(key, ensure_ascii=False) + "]")
    return "".join(parts)


def _closest(word: str, choices: list[str]) -> str | None:
    found = process.extractOne(
        word, choices, scorer=fuzz.WRatio, processor=utils.default_process, score_cutoff=75
    )
    return None if found is None else str(found[0])


def unknown_name(name: str) -> str:
    """The message for a name that is not in SIGNALS, with a suggestion when one is close."""
    guess = _closest(name, [*SIGNALS, *ALIASES])
    if guess is not None:
        return f"unknown name {name!r} (did you mean {guess!r}?)"
    return (
        f"unknown name {name!r}; item metadata is under meta (meta.{name}), "
        "and rules/README.md lists every name"
    )


def unknown_check(name: object) -> str | None:
    """The message for ``check.<name>`` naming no check (``None`` when it names one)."""
    if name in CHECKS:
        return None
    known = ", ".join(CHECKS)
    guess = _closest(name, list(CHECKS)) if isinstance(name, str) else None
    hint = f" (did you mean {guess!r}?)" if guess is not None else ""
    return f"unknown check {name!r}{hint}; checks: {known}"


def unknown_function(name: str) -> str:
    guess = _closest(name, list(v.FUNCTIONS))
    known = ", ".join(v.FUNCTIONS)
    if guess is not None:
        return f"unknown function {name!r} (did you mean {guess!r}?); functions: {known}"
    return f"unknown function {name!r}; functions: {known}"
