"""Closures for the condition language's operators.

Each factory returns a small function of the signals mapping. The common
shapes (a name compared with a literal, ``x in [...]`` with a literal list)
get their own closures, because a rule set is evaluated for every item and
one function call less per test is most of the cost.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

from triage.rules.values import Evaluator, Signals, contains

Test = Callable[[Any, Any], bool]

_ORDER: dict[type[ast.cmpop], Test] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_HASHABLE = (str, int, float, bool, type(None))


def _ordered(op: Test) -> Test:
    def test(a: Any, b: Any) -> bool:
        if a is None or b is None:  # the usual case of a missing value: skip the raise
            return False
        try:
            return op(a, b)
        except TypeError:  # null vs number, text vs number, ...: not comparable
            return False
        except RecursionError:  # lists nested too deeply to compare (item data can be)
            return False

    return test


def _not_contains(a: Any, b: Any) -> bool:
    return not contains(a, b)


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except RecursionError:  # two values nested too deeply to compare: not equal
        return False


def _unequal(a: Any, b: Any) -> bool:
    return not _equal(a, b)


TESTS: dict[type[ast.cmpop], Test] = {
    ast.Eq: _equal,
    ast.NotEq: _unequal,
    ast.In: contains,
    ast.NotIn: _not_contains,
    **{op: _ordered(fn) for op, fn in _ORDER.items()},
}
"""What each comparison operator does with two values; none of them raises."""


def compare(
    ops: list[type[ast.cmpop]],
    fns: list[Evaluator],
    constants: list[tuple[bool, Any]],
) -> Evaluator:
    """``a op b [op c ...]``: every adjacent pair must hold; each operand is read once."""
    if len(ops) == 1:
        right_constant, right = constants[1]
        if right_constant:
            special = _against_constant(ops[0], fns[0], right)
            if special is not None:
                return special
        test = TESTS[ops[0]]
        left_fn, right_fn = fns

        def pair(s: Signals) -> bool:
            return test(left_fn(s), right_fn(s))

        return pair
    first = fns[0]
    rest = [(TESTS[op], fn) for op, fn in zip(ops, fns[1:], strict=True)]

    def chain(s: Signals) -> bool:
        a = first(s)
        for test, fn in rest:
            b = fn(s)
            if not test(a, b):
                return False
            a = b
        return True

    return chain


def _against_constant(op: type[ast.cmpop], get: Evaluator, c: Any) -> Evaluator | None:
    if op is ast.Eq:

        def eq(s: Signals) -> bool:
            return bool(get(s) == c)

        return eq
    if op is ast.NotEq:

        def ne(s: Signals) -> bool:
            return bool(get(s) != c)

        return ne
    order = _ORDER.get(op)
    if order is not None:

        def ordered(s: Signals) -> bool:
            value = get(s)
            if value is None:
                return False
            try:
                return order(value, c)
            except TypeError:
                return False

        return ordered
    if isinstance(c, list) and all(type(item) in _HASHABLE for item in c):
        # A literal list of plain values: a set lookup. A list or mapping on the
        # left is unhashable, and it could not equal a plain value anyway.
        members = frozenset(c)
        negated = op is ast.NotIn

        def member(s: Signals) -> bool:
            try:
                found = get(s) in members
            except TypeError:
                found = False
            return found is not negated

        return member
    return None


def join(is_and: bool, fns: list[Evaluator]) -> Evaluator:
    """``a and b ...`` / ``a or b ...`` with Python's short-circuit and result values."""
    if len(fns) == 2:
        a, b = fns
        if is_and:

            def and2(s: Signals) -> Any:
                return a(s) and b(s)

            return and2

        def or2(s: Signals) -> Any:
            return a(s) or b(s)

        return or2
    head, last = fns[:-1], fns[-1]
    if is_and:

        def and_n(s: Signals) -> Any:
            for fn in head:
                value = fn(s)
                if not value:
                    return value
            return last(s)

        return and_n

    def or_n(s: Signals) -> Any:
        for fn in head:
            value = fn(s)
            if value:
                return value
        return last(s)

    return or_n


def negation(fn: Evaluator) -> Evaluator:
    def negated(s: Signals) -> bool:
        return not fn(s)

    return negated


def unary_op(negative: bool, fn: Evaluator) -> Evaluator:
    """``-x`` / ``+x``: numbers only, anything else is null."""
    numbers = (int, float)

    def sign(s: Signals) -> Any:
        value = fn(s)
        if type(value) not in numbers:
            return None
        return -value if negative else value

    return sign


def binary_op(function: Callable[[Any, Any], Any], left: Evaluator, right: Evaluator) -> Evaluator:
    def arithmetic(s: Signals) -> Any:
        return function(left(s), right(s))

    return arithmetic
