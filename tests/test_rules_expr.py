"""The condition language: operators, missing values, errors, explanations."""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.core.models import Item, Novelty, ToolCall
from triage.core.signals import SIGNALS, compute_signals
from triage.rules import ConditionError, compile_condition

OUTPUT = "We GUARANTEE a full refund of 250 EUR within two days."


def make_signals(output: str = OUTPUT, **meta: Any) -> dict[str, Any]:
    item = Item(
        id="o-17",
        created_at=datetime(2025, 6, 3, 14, 30, tzinfo=UTC),
        agent="support-bot",
        task_type="refund",
        input="Please refund order 1042, the lamp arrived broken.",
        output=output,
        model="claude-sonnet-4-5",
        tool_calls=(
            ToolCall(name="lookup_order"),
            ToolCall(name="refund", is_error=True),
        ),
        meta=meta,
    )
    return compute_signals(item, novelty=Novelty(score=42.0, is_novel=True), history=12)


S = make_signals(
    amount=250,
    policy_limit=100,
    currency="EUR",
    customer_facing=True,
    touches=["docs", "tests"],
    customer={"tier": "vip", "since": 2019},
    **{"order id": "1042"},
)


def ev(text: str, signals: Mapping[str, Any] = S) -> Any:
    return compile_condition(text).evaluate(signals)


def error_of(text: str) -> ConditionError:
    with pytest.raises(ConditionError) as caught:
        compile_condition(text)
    return caught.value


# -- operators ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('task_type == "refund"', True),
        ('task_type == "Refund"', False),
        ('task_type != "refund"', False),
        ("meta.amount > 200", True),
        ("meta.amount > 250", False),
        ("meta.amount >= 250", True),
        ("meta.amount < 251", True),
        ("meta.amount <= 249.5", False),
        ("100 < meta.amount <= 250", True),
        ("100 < meta.amount < 250", False),
        ("0 < meta.policy_limit < meta.amount < 1000", True),
        ('day >= "2025-06-01" and day < "2025-07-01"', True),
        ('weekday == "tue" and hour == 14', True),
        ("meta.amount == 250.0", True),
    ],
)
def test_comparisons(text: str, expected: bool) -> None:
    assert ev(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"docs" in meta.touches', True),
        ('"auth" in meta.touches', False),
        ('"auth" not in meta.touches', True),
        ('"refund" in tool_names', True),
        ('"full refund" in output', True),
        ('"FULL REFUND" in output', False),  # substring tests are case-sensitive
        ('"amount" in meta', True),
        ('"colour" in meta', False),
        ('task_type in ["refund", "invoice_adjustment"]', True),
        ('task_type not in ["refund", "invoice_adjustment"]', False),
        ("meta.amount in [100, 250]", True),
        ("250 in meta.touches", False),
        ("meta.touches in [['docs', 'tests'], ['auth']]", True),
        ("1 in output", False),  # a number is never part of a text
        ('"x" in meta.amount', False),  # a number contains nothing
    ],
)
def test_membership(text: str, expected: bool) -> None:
    assert ev(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("meta.amount + 50", 300),
        ("meta.amount - meta.policy_limit", 150),
        ("meta.amount * 2", 500),
        ("meta.amount / 4", 62.5),
        ("-meta.amount", -250),
        ("+meta.amount", 250),
        ("meta.amount > 2 * meta.policy_limit", True),
        ("meta.amount / 0", None),
        ('meta.currency + "!"', None),  # arithmetic is for numbers only
        ("meta.customer_facing + 1", None),  # true is not a number here
        ("-meta.currency", None),
        ("[1, meta.amount, 'x']", [1, 250, "x"]),
        ("(1, 2)", [1, 2]),
    ],
)
def test_arithmetic_and_lists(text: str, expected: Any) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("is_novel and meta.customer_facing", True),
        ("is_novel and not meta.customer_facing", False),
        ("not is_novel or tool_errors > 0", True),
        ("(meta.missing or 0) + 1", 1),  # or gives the first true value, as in Python
        ("meta.missing and 1", None),
        ("true and True and not false and not False", True),
        ("null == None", True),
        ("meta.customer_facing == true", True),
        ("is_novel and tool_errors > 0 and history == 12 and novelty < 50", True),
        ("meta.missing or meta.other or meta.currency", "EUR"),
    ],
)
def test_boolean_logic(text: str, expected: Any) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("len(output)", len(OUTPUT)),
        ("len(meta.touches)", 2),
        ("len(meta)", 7),
        ("len(meta.amount)", None),
        ('lower(output) =~ "^we guarantee"', True),
        ('lower(meta.currency) == "eur"', True),
        ("lower(['A', 1])", ["a", 1]),
        ("lower(meta.amount)", None),
        ('any_in(meta.touches, ["auth", "docs"])', True),
        ('any_in(meta.touches, ["auth", "payments"])', False),
        ('all_in(meta.touches, ["docs", "tests", "ui"])', True),
        ('all_in(meta.touches, ["docs"])', False),
        ('all_in(meta.nothing, ["docs"])', False),
        ('all_in([], ["docs"])', False),  # an empty list is not "only docs"
        ('any_in(meta.currency, ["EUR"])', False),
    ],
)
def test_functions(text: str, expected: Any) -> None:
    assert ev(text) == expected


def test_fields_and_subscripts() -> None:
    assert ev('meta.customer.tier == "vip"') is True
    assert ev("meta.customer.since") == 2019
    assert ev('meta["order id"]') == "1042"
    assert ev('meta["customer"]["tier"]') == "vip"
    assert ev("meta.touches[0]") == "docs"
    assert ev("meta.touches[-1]") == "tests"
    assert ev("meta.touches[5]") is None
    assert ev("tool_names[1]") == "refund"
    assert ev("stats.reviewed == 0 and stats.failure_rate == null") is True
    assert ev("lower(meta.touches)[1]") == "tests"


def test_regex_search_is_case_insensitive_and_anywhere() -> None:
    assert ev('output =~ "guarantee|promise"') is True
    assert ev('output =~ "refund of \\\\d+"') is True
    assert ev('output =~ r"refund of \\d+ eur"') is True
    assert ev('output =~ r"^we\\b"') is True
    assert ev('output =~ r"^refund"') is False
    assert ev('not output =~ "promise"') is True  # =~ binds tighter than not
    assert ev('output =~ "guarantee" and meta.amount > 200') is True


def test_regex_on_non_text_is_false() -> None:
    for text in ('meta.amount =~ "2"', 'meta.missing =~ ".*"', 'meta.touches =~ "docs"'):
        assert ev(text) is False


def test_regex_operator_inside_a_text_literal_is_just_text() -> None:
    signals = make_signals(note="a=~b")
    assert ev('meta.note == "a=~b"', signals) is True
    assert ev("meta.note =~ '=~'", signals) is True


def test_multiline_condition_with_comments() -> None:
    text = """
task_type == "refund"      # refunds only
  and meta.amount > 200    # real money
"""
    assert ev(text) is True


# -- missing and mismatched values ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "meta.missing > 5",
        "meta.missing <= 5",
        "meta.missing == 5",
        "meta.currency > 5",
        "meta.currency < 5",
        "5 < meta.missing < 10",
        "meta.missing + 1 > 0",
        "meta.amount.value > 0",
        "meta.customer.tier.level == 'x'",
        "meta > 1",
        "meta.touches > 1",
        '"x" in meta.missing',
        "meta.amount =~ 'x'",
        "len(meta.missing) > 0",
    ],
)
def test_missing_or_mismatched_values_make_tests_false(text: str) -> None:
    assert not ev(text)


def test_missing_values_are_null() -> None:
    assert ev("meta.missing == null") is True
    assert ev("meta.missing != null") is False
    assert ev('meta.missing != "email"') is True  # != is exactly not ==
    assert ev('"auth" not in meta.missing') is True  # not in is exactly not in
    assert ev("meta.missing + 1") is None
    assert ev("meta.missing * meta.amount") is None
    assert ev("meta.amount.value") is None
    assert ev("stats.failures.x") is None


def test_evaluates_against_hand_built_and_sparse_mappings() -> None:
    condition = compile_condition('task_type == "refund" and meta.amount > 200')
    assert condition.matches({"task_type": "refund", "meta": {"amount": 500}})
    assert not condition.matches({"task_type": "refund"})
    assert not condition.matches({})
    assert not condition.matches({"task_type": "refund", "meta": "not a mapping"})
    assert not condition.matches({"task_type": "refund", "meta": [1, 2]})


# -- compile errors ---------------------------------------------------------------------


def test_unknown_name_suggests_the_close_one() -> None:
    err = error_of('tasktype == "refund"')
    assert err.message == "unknown name 'tasktype' (did you mean 'task_type'?)"
    assert (err.line, err.column) == (1, 1)
    assert str(err) == "column 1: unknown name 'tasktype' (did you mean 'task_type'?)"


def test_unknown_name_column_and_meta_hint() -> None:
    err = error_of('task_type == "refund" and amount > 200')
    assert err.column == 27
    assert "meta.amount" in err.message
    assert error_of("tool_error > 0").message.endswith("(did you mean 'tool_errors'?)")
    assert "'null'" in error_of("nul == 1").message


def test_columns_count_characters_not_bytes() -> None:
    assert error_of('output == "é€ü" and bogus').column == 21


def test_error_line_within_a_multiline_condition() -> None:
    err = error_of('task_type == "refund"\n  and meta.amount > 2\n  and bogus > 1')
    assert (err.line, err.column) == (3, 7)
    assert str(err).startswith("line 3, column 7: unknown name 'bogus'")


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ('output =~ "(unclosed"', 12, "invalid regular expression: missing )"),
        ('output =~ "abc)"', 15, "invalid regular expression: unbalanced parenthesis"),
        ('output =~ r"a{2,1}"', 15, "invalid regular expression: min repeat greater"),
        ('output =~ "é(x"', 13, "invalid regular expression"),
        ("output =~ meta.pattern", 11, "must be a text literal"),
        ('output =~ "a" + "b"', 1, "write the pattern as one literal"),
        ('output =~ "\\bword"', 11, "backspace"),
    ],
)
def test_regex_errors(text: str, column: int, fragment: str) -> None:
    err = error_of(text)
    assert fragment in err.message
    assert err.column == column


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ('task_type = "refund"', 11, "to compare, write '=='"),
        ("meta.amount > ", 15, "invalid syntax"),
        ("is_novel and (meta.amount > 2", 14, "'(' was never closed"),
        ("meta.a) or (meta.b", 7, "unmatched ')'"),
        ("[1, 2)", 6, "does not match"),
        ("", 1, "the condition is empty"),
        ("   # just a comment", 1, "the condition is empty"),
        ("is_novel, model_is_new", 9, "join tests with 'and' or 'or'"),
        ("meta.a % 2 == 0", 8, "'%' is not supported"),
        ("meta.a // 2", 8, "'//' is not supported"),
        ("meta.a ** 2", 8, "'**' is not supported"),
        ("is_novel & model_is_new", 10, "write 'and'"),
        ("is_novel | model_is_new", 10, "write 'or'"),
        ("meta.a is null", 8, "use == or !="),
        ("meta.a is not null", 8, "use == or !="),
        ("~meta.a", 1, "'~' is not an operator"),
        ("meta.a @ 'x'", 8, "'@' is not an operator"),
        ("{'a': 1}", 1, "mapping is not supported"),
        ("{1, 2}", 1, "set is not supported"),
        ("[x for x in tool_names]", 1, "comprehension is not supported"),
        ("lambda: 1", 1, "lambda is not supported"),
        ("1 if is_novel else 2", 1, "is not supported"),
        ('f"{output}"', 1, "f-string is not supported"),
        ("(x := 1)", 2, "':=' is not supported"),
        ("tool_names[1:2]", 12, "text or a whole number"),
        ("meta[task_type]", 6, "text or a whole number"),
        ("meta[true]", 6, "text or a whole number"),
        ('b"bytes" == output', 1, "only text, numbers"),
        ("output == 1j", 11, "only text, numbers"),
        ("output.lower", 1, "output has no fields; only meta, stats and check do"),
        ("output.lower()", 1, "unknown function 'output.lower'"),
        ("upper(output)", 1, "unknown function 'upper'"),
        ("lenn(output)", 1, "did you mean 'len'?"),
        ("len(output, 2)", 1, "len() takes 1 argument, got 2"),
        ("any_in(tool_names)", 1, "any_in() takes 2 arguments, got 1"),
        ("len(x=output)", 5, "plain arguments"),
        ("len > 2", 1, "len is a function"),
        ('__import__("os")', 1, "unknown function '__import__'"),
        ("().__class__", 1, "has no fields"),
        ("output.__class__", 1, "has no fields"),
    ],
)
def test_compile_errors(text: str, column: int, fragment: str) -> None:
    err = error_of(text)
    assert fragment in err.message, err.message
    assert err.column == column, err


# -- explanations -----------------------------------------------------------------------


def test_explain_lists_each_referenced_path() -> None:
    condition = compile_condition(
        'task_type == "refund" and meta.amount > meta.policy_limit and meta.customer.tier == "vip"'
    )
    assert condition.explain(S) == {
        "task_type": "refund",
        "meta.amount": 250,
        "meta.policy_limit": 100,
        "meta.customer.tier": "vip",
    }
    assert condition.signals_used == frozenset({"task_type", "meta"})


def test_explain_writes_odd_keys_with_brackets() -> None:
    explained = compile_condition('meta["order id"] == "1042" and tool_names[0] != ""').explain(S)
    assert explained == {'meta["order id"]': "1042", "tool_names[0]": "lookup_order"}


def test_explain_shows_regex_matches_with_context() -> None:
    long_text = "Hello Ana. " + "x" * 60 + " We promise it arrives Friday. " + "y" * 60
    signals = make_signals(output=long_text)
    condition = compile_condition('output =~ "guarantee|promise" and output_length > 10')
    explained = condition.explain(signals)
    excerpt = explained['output =~ "guarantee|promise"']
    assert "promise" in excerpt
    assert excerpt.startswith("\u2026") and excerpt.endswith("\u2026")
    assert len(excerpt) < 100
    assert explained["output_length"] == len(long_text)
    assert "output" not in explained  # the excerpt stands for the whole text


def test_explain_regex_without_match_is_null() -> None:
    assert compile_condition('output =~ "chargeback"').explain(S) == {
        'output =~ "chargeback"': None
    }


def test_explain_cuts_long_text_and_shows_calls() -> None:
    signals = make_signals(output="z" * 500)
    explained = compile_condition("len(output) > 400").explain(signals)
    assert explained["len(output)"] == 500
    assert len(explained["output"]) == 80
    assert explained["output"].endswith("\u2026")


def test_explain_of_a_constant_condition_is_empty() -> None:
    assert compile_condition("true").explain(S) == {}


def test_matches_is_a_bool() -> None:
    assert compile_condition("meta.currency").matches(S) is True
    assert compile_condition("meta.missing").matches(S) is False


# -- property: compiled evaluation agrees with a plain reference, and never raises ----


def _lookup(value: Any, key: Any) -> Any:
    if isinstance(value, Mapping):
        return value.get(key)
    if isinstance(key, int) and isinstance(value, list | tuple | str):
        return value[key] if -len(value) <= key < len(value) else None
    return None


def _member(item: Any, container: Any) -> bool:
    if isinstance(container, str):
        return isinstance(item, str) and item in container
    if isinstance(container, list | tuple):
        return item in container
    if isinstance(container, Mapping):
        try:
            return item in container
        except TypeError:
            return False
    return False


def _number(value: Any) -> bool:
    return type(value) in (int, float)


_ORDER: dict[type, Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_ARITH: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def _pair(op: ast.cmpop, a: Any, b: Any) -> bool:
    if isinstance(op, ast.Eq):
        return bool(a == b)
    if isinstance(op, ast.NotEq):
        return bool(a != b)
    if isinstance(op, ast.In):
        return _member(a, b)
    if isinstance(op, ast.NotIn):
        return not _member(a, b)
    try:
        return _ORDER[type(op)](a, b)
    except TypeError:
        return False


def _call(name: str, args: list[Any]) -> Any:
    if name == "len":
        (x,) = args
        return len(x) if isinstance(x, str | list | tuple | Mapping) else None
    if name == "lower":
        (x,) = args
        if isinstance(x, str):
            return x.lower()
        if isinstance(x, list | tuple):
            return [e.lower() if isinstance(e, str) else e for e in x]
        return None
    a, b = args
    if not isinstance(a, list | tuple):
        return False
    if name == "any_in":
        return any(_member(e, b) for e in a)
    return bool(a) and all(_member(e, b) for e in a)


def reference(node: ast.AST, s: Mapping[str, Any]) -> Any:
    """The documented semantics, written out plainly."""
    match node:
        case ast.Expression(body=body):
            return reference(body, s)
        case ast.Constant(value=value):
            return value
        case ast.Name(id=name):
            return {"true": True, "false": False, "null": None}.get(name, s.get(name))
        case ast.Attribute(value=base, attr=attr):
            return _lookup(reference(base, s), attr)
        case ast.Subscript(value=base, slice=key):
            return _lookup(reference(base, s), reference(key, s))
        case ast.BoolOp(op=op, values=values):
            result: Any = None
            for item in values:
                result = reference(item, s)
                if isinstance(op, ast.And) and not result:
                    return result
                if isinstance(op, ast.Or) and result:
                    return result
            return result
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return not reference(operand, s)
        case ast.UnaryOp(op=op, operand=operand):
            value = reference(operand, s)
            if not _number(value):
                return None
            return -value if isinstance(op, ast.USub) else value
        case ast.BinOp(left=left, op=ast.MatMult(), right=ast.Constant(value=pattern)):
            text = reference(left, s)
            return isinstance(text, str) and re.search(pattern, text, re.IGNORECASE) is not None
        case ast.BinOp(left=left, op=op, right=right):
            a, b = reference(left, s), reference(right, s)
            if not (_number(a) and _number(b)):
                return None
            try:
                return _ARITH[type(op)](a, b)
            except (ZeroDivisionError, OverflowError):
                return None
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            a = reference(left, s)
            for op, comparator in zip(ops, comparators, strict=True):
                b = reference(comparator, s)
                if not _pair(op, a, b):
                    return False
                a = b
            return True
        case ast.Call(func=ast.Name(id=name), args=args):
            return _call(name, [reference(arg, s) for arg in args])
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            return [reference(e, s) for e in elts]
    raise AssertionError(f"unexpected node {ast.dump(node)}")


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


WORDS = ["refund", "Refund", "docs", "tests", "auth", "vip", "EUR", "", "a b", "x"]
PATTERNS = ['"refund"', '"^re"', '"d$"', '"guarantee|promise"', r'r"\bvip\b"', '"[0-9]+"']
TEXT = st.sampled_from(WORDS) | st.text(alphabet="abcRefund ", max_size=8)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-1000, 1000)
    | st.floats(-1e6, 1e6, allow_nan=False)
    | TEXT
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["amount", "tier", "customer", "order id", "x"]), inner)
    ),
    max_leaves=12,
)
META = st.fixed_dictionaries(
    {},
    optional={
        "amount": st.integers(-1000, 1000) | st.floats(-1e4, 1e4, allow_nan=False) | JSON,
        "policy_limit": st.integers(0, 600) | JSON,
        "customer_facing": st.booleans() | JSON,
        "customer": st.fixed_dictionaries({}, optional={"tier": TEXT | JSON}) | JSON,
        "touches": st.lists(st.sampled_from(WORDS), max_size=4) | JSON,
        "order id": TEXT | JSON,
    },
)
TYPED: dict[str, st.SearchStrategy[Any]] = {
    "meta": META,
    "stats": st.fixed_dictionaries(
        {
            "reviewed": st.integers(0, 100),
            "failures": st.integers(0, 100),
            "failure_rate": st.none() | st.floats(0, 1),
        }
    ),
    "tool_names": st.lists(TEXT, max_size=4),
    "is_novel": st.booleans(),
    "model_is_new": st.booleans(),
    "model_age_days": st.none() | st.floats(0, 100),
}
SIGNAL_VALUES = st.fixed_dictionaries(
    {
        name: TYPED.get(name, st.integers(0, 5000) if "length" in name else TEXT) | JSON
        for name in SIGNALS
    }
)

LEAVES = (
    st.sampled_from(list(SIGNALS))
    | st.sampled_from(
        [
            "meta.amount",
            "meta.policy_limit",
            "meta.customer.tier",
            'meta["order id"]',
            "meta.touches",
            "meta.touches[0]",
            "meta.touches[-1]",
            "meta.missing",
            "stats.failure_rate",
            "tool_names[1]",
            "true",
            "false",
            "null",
        ]
    )
    | st.integers(-300, 300).map(str)
    | st.floats(-300, 300, allow_nan=False).map(repr)
    | st.sampled_from(WORDS).map(repr)
    | st.lists(st.sampled_from(["'docs'", "'auth'", "1", "2.5", "null"]), max_size=3).map(
        lambda items: "[" + ", ".join(items) + "]"
    )
)
COMPARE = ["==", "!=", "<", "<=", ">", ">=", "in", "not in"]


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(inner, inner)
    return (
        st.tuples(pair, st.sampled_from(["and", "or"])).map(
            lambda t: f"({t[0][0]}) {t[1]} ({t[0][1]})"
        )
        | inner.map(lambda a: f"not ({a})")
        | inner.map(lambda a: f"-({a})")
        | st.tuples(pair, st.sampled_from(COMPARE)).map(lambda t: f"({t[0][0]}) {t[1]} ({t[0][1]})")
        | st.tuples(inner, inner, inner).map(lambda t: f"({t[0]}) < ({t[1]}) <= ({t[2]})")
        | st.tuples(pair, st.sampled_from("+-*/")).map(lambda t: f"({t[0][0]}) {t[1]} ({t[0][1]})")
        | st.tuples(inner, st.sampled_from(PATTERNS)).map(lambda t: f"({t[0]}) =~ {t[1]}")
        | st.tuples(st.sampled_from(["len", "lower"]), inner).map(lambda t: f"{t[0]}({t[1]})")
        | st.tuples(st.sampled_from(["any_in", "all_in"]), pair).map(
            lambda t: f"{t[0]}({t[1][0]}, {t[1][1]})"
        )
        | pair.map(lambda p: f"[{p[0]}, {p[1]}]")
        | inner.map(lambda a: f"lower({a})[0]")
    )


EXPRESSIONS = st.recursive(LEAVES, _grow, max_leaves=10)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=EXPRESSIONS, signals=SIGNAL_VALUES)
def test_compiled_agrees_with_reference_and_never_raises(
    text: str, signals: dict[str, Any]
) -> None:
    condition = compile_condition(text)
    got = condition.evaluate(signals)
    tree = ast.parse(text.replace("=~", "@"), mode="eval")
    assert same(got, reference(tree, signals)), text
    condition.matches(signals)
    condition.explain(signals)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(signals=SIGNAL_VALUES)
def test_typical_conditions_never_raise_on_odd_signals(signals: dict[str, Any]) -> None:
    for text in (
        'task_type == "refund" and (meta.amount > 200 or meta.amount > meta.policy_limit)',
        'meta.customer_facing == true and output =~ r"\\b(guarantee|promise)"',
        'any_in(meta.touches, ["payments", "auth"]) or len(output) > 4000',
        "stats.reviewed >= 30 and stats.failure_rate * 100 >= 20",
        'all_in(meta.touches, ["docs", "tests"]) and -meta.amount < 0',
    ):
        condition = compile_condition(text)
        condition.matches(signals)
        condition.explain(signals)


# -- the regex shortcut must never change an answer -----------------------------------------

PATTERN_PARTS = st.sampled_from(
    ["promise", "Guarantee", "k", "s", "i", "st", "ß", "é", " ", "-", r"\d", r"\b", ".", "[ks]"]
)


def _pattern(parts: list[str], shape: int) -> str:
    if shape == 0:
        return "".join(parts)
    if shape == 1:
        return "|".join(parts)
    if shape == 2:
        return "(" + "|".join(parts) + ")+x?"
    return "(?:" + "".join(parts) + ")?" + "".join(reversed(parts))


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(PATTERN_PARTS, min_size=1, max_size=3),
    shape=st.integers(0, 3),
    text=st.text(
        alphabet="PROMISE promise guarantee kKsSiI\u212a\u017f\u0130\u0131\u00df\u00e9-1",
        max_size=30,
    ),
)
def test_regex_answers_match_plain_search(parts: list[str], shape: int, text: str) -> None:
    pattern = _pattern(parts, shape)
    condition = compile_condition('output =~ r"' + pattern + '"')
    expected = re.search(pattern, text, re.IGNORECASE) is not None
    assert condition.evaluate({"output": text}) is expected, (pattern, text)


def test_requires_pins_names_to_values() -> None:
    assert compile_condition('task_type == "refund" and meta.amount > 1').requires == {
        "task_type": frozenset({"refund"})
    }
    assert compile_condition('"refund" == task_type').requires == {
        "task_type": frozenset({"refund"})
    }
    both = compile_condition('task_type in ["a", "b"] and agent == "x" and task_type != "a"')
    assert both.requires == {"task_type": frozenset({"a", "b"}), "agent": frozenset({"x"})}
    narrowed = compile_condition('task_type in ("a", "b") and task_type == "b"')
    assert narrowed.requires == {"task_type": frozenset({"b"})}
    for loose in ('task_type == "a" or is_novel', 'not task_type == "a"', "task_type == 1"):
        assert compile_condition(loose).requires == {}
