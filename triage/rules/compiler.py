"""The compiler behind :func:`triage.rules.expr.compile_condition`: one method per
accepted ``ast`` node type; any other node type is refused with its position."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from triage.core.signals import SIGNALS
from triage.rules import values as v
from triage.rules.names import (
    ALIASES,
    FIELDED,
    call_with,
    getter,
    path_text,
    unknown_check,
    unknown_function,
    unknown_name,
)
from triage.rules.ops import binary_op, compare, join, negation, unary_op
from triage.rules.patterns import Pattern, PatternError, compile_pattern
from triage.rules.prefilter import lowered, required_words
from triage.rules.source import ConditionError, Source
from triage.rules.values import Evaluator, Signals

_LITERAL_TYPES = (str, int, float, bool, type(None))
_NO_SIGNALS: Signals = {}


@dataclass(slots=True)
class Value:
    """A compiled sub-expression: its function, its value when known at compile
    time, and its name path when it is one (``("meta", ("customer", "tier"))``)."""

    fn: Evaluator
    constant: bool = False
    value: Any = None
    path: tuple[str, tuple[v.Key, ...]] | None = None


def _constant(value: Any) -> Value:
    def fn(s: Signals) -> Any:
        return value

    return Value(fn, constant=True, value=value)


def _folded(fn: Evaluator, parts: list[Value]) -> Value:
    """``fn``, or its value computed now when every part is a constant."""
    if all(p.constant for p in parts):
        return _constant(fn(_NO_SIGNALS))
    return Value(fn)


class Compiler:
    """Compiles one condition; collects what ``explain`` shows and the signals read."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.shown: dict[str, tuple[Evaluator, Pattern | None]] = {}
        self.roots: set[str] = set()

    def error(self, node: ast.AST, message: str) -> ConditionError:
        line, column = self.source.node_position(node)
        return ConditionError(message, line, column)

    def value(self, node: ast.AST) -> Value:
        """``node`` compiled as an operand: a name path used here is shown by ``explain``."""
        result = self.raw(node)
        if result.path is not None:
            self.shown.setdefault(path_text(*result.path), (result.fn, None))
        return result

    def raw(self, node: ast.AST) -> Value:
        method = _VISITORS.get(type(node))
        if method is None:
            raise self.error(node, f"{self._describe(node)} is not supported in a condition")
        result: Value = method(self, node)
        return result

    # -- leaves ------------------------------------------------------------------

    def constant(self, node: ast.Constant) -> Value:
        if type(node.value) not in _LITERAL_TYPES:
            raise self.error(
                node, "only text, numbers, true, false and null can be written as values"
            )
        return _constant(node.value)

    def name(self, node: ast.Name) -> Value:
        name = node.id
        if name in ALIASES:
            return _constant(ALIASES[name])
        if name in SIGNALS:
            self.roots.add(name)
            return Value(getter(name, ()), path=(name, ()))
        if name in v.FUNCTIONS:
            raise self.error(node, f"{name} is a function: call it, e.g. {name}(output)")
        raise self.error(node, unknown_name(name))

    def attribute(self, node: ast.Attribute) -> Value:
        base = self.raw(node.value)
        if base.path is None or base.path[0] not in FIELDED:
            what = self.source.segment(node.value)
            raise self.error(
                node,
                f"{what} has no fields; only meta, stats and check do (e.g. meta.{node.attr})",
            )
        root, keys = base.path
        if root == "check" and not keys and (problem := unknown_check(node.attr)):
            raise self.error(node, problem)
        return self._path(root, (*keys, node.attr))

    def subscript(self, node: ast.Subscript) -> Value:
        key = self._key(node.slice)
        base = self.raw(node.value)
        if base.path is not None:
            if base.path == ("check", ()) and (problem := unknown_check(key)):
                raise self.error(node, problem)
            return self._path(base.path[0], (*base.path[1], key))
        inner = base.fn

        def fn(s: Signals) -> Any:
            return v.step(inner(s), key)

        return _folded(fn, [base])

    def _key(self, node: ast.expr) -> v.Key:
        value: Any = None
        if isinstance(node, ast.Constant):
            value = node.value
        elif (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
        ):
            value = node.operand.value
            value = -value if type(value) is int else None
        if type(value) is str or type(value) is int:
            return value
        raise self.error(
            node,
            'write the key in [...] as text or a whole number, e.g. meta["order id"] '
            "or tool_names[0]",
        )

    def _path(self, root: str, keys: tuple[v.Key, ...]) -> Value:
        return Value(getter(root, keys), path=(root, keys))

    # -- operators ---------------------------------------------------------------

    def bool_op(self, node: ast.BoolOp) -> Value:
        parts = [self.value(item) for item in node.values]
        return _folded(join(isinstance(node.op, ast.And), [p.fn for p in parts]), parts)

    def unary(self, node: ast.UnaryOp) -> Value:
        if isinstance(node.op, ast.Invert):
            raise self.error(node, "'~' is not an operator here (regex search is =~, no space)")
        operand = self.value(node.operand)
        if isinstance(node.op, ast.Not):
            return _folded(negation(operand.fn), [operand])
        return _folded(unary_op(isinstance(node.op, ast.USub), operand.fn), [operand])

    def binary(self, node: ast.BinOp) -> Value:
        if isinstance(node.op, ast.MatMult):
            return self._regex(node)
        function = _ARITHMETIC.get(type(node.op))
        if function is None:
            line, column = self.source.after(node.left)
            raise ConditionError(_BAD_OPERATORS.get(type(node.op), "operator"), line, column)
        for side in (node.left, node.right):
            if (
                isinstance(side, ast.BinOp)
                and isinstance(side.op, ast.MatMult)
                and not self.source.parenthesized(side)
            ):
                raise self.error(
                    side, "=~ gives true or false, not a number; write the pattern as one literal"
                )
        left, right = self.value(node.left), self.value(node.right)
        return _folded(binary_op(function, left.fn, right.fn), [left, right])

    def comparison(self, node: ast.Compare) -> Value:
        operands = [self.value(node.left)]
        previous: ast.expr = node.left
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.Is | ast.IsNot):
                line, column = self.source.after(previous)
                raise ConditionError(
                    "use == or != to compare (with null, true or false too), not 'is'",
                    line,
                    column,
                )
            operands.append(self.value(comparator))
            previous = comparator
        fn = compare(
            [type(op) for op in node.ops],
            [p.fn for p in operands],
            [(p.constant, p.value) for p in operands],
        )
        return _folded(fn, operands)

    def _regex(self, node: ast.BinOp) -> Value:
        pattern_node = node.right
        if not (isinstance(pattern_node, ast.Constant) and isinstance(pattern_node.value, str)):
            raise self.error(
                pattern_node,
                "the right side of =~ must be a text literal, the pattern, "
                'e.g. output =~ "refund|chargeback"',
            )
        pattern = self._pattern(pattern_node)
        left = self.raw(node.left)
        get = left.fn
        found = pattern.found
        words = required_words(pattern.pattern, pattern.parsed)

        def fn(s: Signals) -> Any:
            text = get(s)
            if not isinstance(text, str):
                return False
            if words is not None:
                low = lowered(text)
                for word in words:
                    if word in low:
                        break
                else:
                    return False  # no word the pattern needs: the search would fail
            return found(text)

        result = _folded(fn, [left])
        if not result.constant:
            self.shown.setdefault(self.source.segment(node), (get, pattern))
        return result

    def _pattern(self, node: ast.Constant) -> Pattern:
        text = str(node.value)
        literal = self.source.segment(node)
        prefix = literal[: len(literal) - len(literal.lstrip("rRuU"))]
        if "\b" in text and "r" not in prefix.lower():
            raise self.error(
                node,
                '"\\b" in a plain string is a backspace; write the pattern as r"..." '
                "for a word boundary",
            )
        try:
            return compile_pattern(text)
        except PatternError as err:
            line, column = self.source.node_position(node)
            quotes = 3 if literal[len(prefix) :].startswith(('"""', "'''")) else 1
            inner = literal[len(prefix) + quotes : len(literal) - quotes]
            if err.pos is not None and inner == text:
                column += len(prefix) + quotes + err.pos
            raise ConditionError(
                f"invalid regular expression: {err.message}", line, column
            ) from None

    # -- calls and lists -----------------------------------------------------------

    def call(self, node: ast.Call) -> Value:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else self.source.segment(func)
        if name not in v.FUNCTIONS:
            raise self.error(func, unknown_function(name))
        function, arity = v.FUNCTIONS[name]
        if node.keywords:
            raise self.error(node.keywords[0], f"{name}() takes plain arguments, not name=value")
        if len(node.args) != arity:
            plural = "argument" if arity == 1 else "arguments"
            raise self.error(func, f"{name}() takes {arity} {plural}, got {len(node.args)}")
        args = [self.value(arg) for arg in node.args]
        result = _folded(call_with(function, [a.fn for a in args]), args)
        if not result.constant:
            self.shown.setdefault(self.source.segment(node), (result.fn, None))
        return result

    def sequence(self, node: ast.List | ast.Tuple) -> Value:
        items = [self.value(item) for item in node.elts]
        if all(item.constant for item in items):
            return _constant([item.value for item in items])
        fns = [item.fn for item in items]

        def fn(s: Signals) -> Any:
            return [f(s) for f in fns]

        return Value(fn)

    def _describe(self, node: ast.AST) -> str:
        known = _DESCRIPTIONS.get(type(node))
        if known is not None:
            return known
        return repr(self.source.segment(node)) if hasattr(node, "lineno") else "this"


_VISITORS: dict[type[ast.AST], Callable[[Compiler, Any], Value]] = {
    ast.Constant: Compiler.constant,
    ast.Name: Compiler.name,
    ast.Attribute: Compiler.attribute,
    ast.Subscript: Compiler.subscript,
    ast.BoolOp: Compiler.bool_op,
    ast.UnaryOp: Compiler.unary,
    ast.BinOp: Compiler.binary,
    ast.Compare: Compiler.comparison,
    ast.Call: Compiler.call,
    ast.List: Compiler.sequence,
    ast.Tuple: Compiler.sequence,
}

_ARITHMETIC: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: v.add,
    ast.Sub: v.subtract,
    ast.Mult: v.multiply,
    ast.Div: v.divide,
}

_BAD_OPERATORS: dict[type[ast.operator], str] = {
    ast.BitAnd: "'&' is not supported; write 'and'",
    ast.BitOr: "'|' is not supported; write 'or' (inside a regex pattern, | is fine)",
    ast.BitXor: "'^' is not supported",
    ast.Mod: "'%' is not supported",
    ast.FloorDiv: "'//' is not supported; use '/'",
    ast.Pow: "'**' is not supported",
    ast.LShift: "'<<' is not supported",
    ast.RShift: "'>>' is not supported",
}

_DESCRIPTIONS: dict[type[ast.AST], str] = {
    ast.Dict: "a {...} mapping",
    ast.Set: "a {...} set",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Lambda: "lambda",
    ast.IfExp: "'x if test else y'",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "':='",
    ast.Starred: "'*' unpacking",
    ast.Slice: "a slice",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}
