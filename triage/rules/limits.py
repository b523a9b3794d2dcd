"""How large a rule may be, and measuring it without recursion.

The limits sit far above any rule a person writes (the shipped rules nest at
most 5 deep and hold at most 12 terms) and far below what the parser, the
compiler and evaluation can take at Python's default recursion limit, so a
rule folder is refused with ``file:line`` long before anything could overflow.
``rules/README.md`` states them for the people who write rules.

Every measure here walks its input with an explicit stack or a flat loop: it is
safe on any text, however deep.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass

MAX_DEPTH = 64
"""How deeply a condition may nest: brackets, and operations inside operations
(``not``, signs, arithmetic, fields, calls). Also the limit for groups in a
pattern and for arrays and tables in a rule file."""

MAX_TERMS = 256
"""How many names and values a condition may hold (each entry of a list counts)."""

MAX_CONDITION_LENGTH = 10_000
"""Characters in one condition, comments included."""

MAX_PATTERN_SIZE = 20_000
"""Steps of the program RE2 compiles a pattern into; matching costs at most this
much per character of text, so it bounds the work a pattern can ask for."""

MAX_RULES = 1_000
"""Rules in one folder, over all its files."""

MAX_FILE_BYTES = 1_000_000
"""Size of one rule file."""

PARSER_MARGIN = 4
"""The token-level estimate of nesting that is refused before the parser runs is
this many times :data:`MAX_DEPTH`: the estimate counts generously (``a * b + c``
as 2 where the tree nests 2), and anything under it is far from the depth where
Python's parser would fail."""

_OPEN = {"(", "[", "{"}
_CLOSE = {")", "]", "}"}
_CHAIN = {"not", "-", "+", "*", "/", "%", "//", "**", "@", "~", ".", "&", "|", "^", "<<", ">>"}
_RESET = {"and", "or", ",", "==", "!=", "<", "<=", ">", ">=", "in", "is", "if", "else", ":", "="}


@dataclass(frozen=True, slots=True)
class Measure:
    """A size and the 1-based line of the condition where it was reached."""

    value: int
    line: int


def text_nesting(text: str) -> tuple[Measure, Measure]:
    """(bracket nesting, estimated nesting) of a condition's text, from its tokens.

    The estimate adds, to the brackets, each run of operators that nest in the
    tree (``not not x``, ``a + b + c``, ``meta.a.b``), restarting at ``and``,
    ``or``, commas and comparisons, which join their parts side by side. The
    tokens are read up to the first one that does not tokenize; what follows is
    the parser's to report."""
    stack: list[tuple[int, int]] = []
    base = run = 0
    brackets, estimate = Measure(0, 1), Measure(0, 1)
    for tok in _tokens(text):
        word, line = tok.string, tok.start[0]
        if tok.type == tokenize.OP and word in _OPEN:
            stack.append((base, run))
            base, run = base + run + 1, 0
            if len(stack) > brackets.value:
                brackets = Measure(len(stack), line)
        elif tok.type == tokenize.OP and word in _CLOSE:
            if stack:
                base, run = stack.pop()
                run += 1  # the bracketed part is an operand a chain may continue on
        elif word in _CHAIN and tok.type in (tokenize.OP, tokenize.NAME):
            run += 1
        elif word in _RESET and tok.type in (tokenize.OP, tokenize.NAME):
            run = 0
        if base + run > estimate.value:
            estimate = Measure(base + run, line)
    return brackets, estimate


def _tokens(text: str) -> Iterator[tokenize.TokenInfo]:
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.ERRORTOKEN and not tok.string.isspace():
                return
            yield tok
    except (tokenize.TokenError, SyntaxError):
        return


def tree_size(node: ast.AST) -> tuple[Measure, Measure]:
    """(depth, terms) of a parsed condition. Depth counts the expressions from the
    top one to the deepest (``a > 1`` is 2); terms count names and values, but not
    a function's name or a key in brackets, and their line is where the count
    passed :data:`MAX_TERMS`. Line numbers are the parser's (the first is 1)."""
    depth, terms, terms_line = Measure(0, 1), 0, 1
    skip: set[int] = set()
    stack: list[tuple[ast.AST, int]] = [(node, 1)]
    while stack:
        current, level = stack.pop()
        line = getattr(current, "lineno", 1)
        if level > depth.value:
            depth = Measure(level, line)
        if isinstance(current, ast.Call):
            skip.add(id(current.func))
        elif isinstance(current, ast.Subscript):
            skip.add(id(current.slice))
        if isinstance(current, ast.Name | ast.Constant) and id(current) not in skip:
            terms += 1
            if terms == MAX_TERMS + 1:
                terms_line = line
        children = [c for c in ast.iter_child_nodes(current) if isinstance(c, ast.expr)]
        stack.extend((child, level + 1) for child in reversed(children))  # in text order
    return depth, Measure(terms, terms_line)


def toml_nesting(text: str) -> Measure:
    """How deeply arrays and inline tables nest in a TOML text, and the line where
    it is deepest; strings and comments are skipped. Table headers count too, so
    this is an upper bound of what ``tomllib`` recurses on."""
    deepest = Measure(0, 1)
    depth, line, index, size = 0, 1, 0, len(text)
    while index < size:
        ch = text[index]
        if ch == "\n":
            line += 1
        elif ch == "#":
            end = text.find("\n", index)
            index = size if end < 0 else end
            continue
        elif ch in "\"'":
            quote = ch * 3 if text.startswith(ch * 3, index) else ch
            end = _string_end(text, index + len(quote), quote)
            line += text.count("\n", index, end)
            index = end
            continue
        elif ch in "[{":
            depth += 1
            if depth > deepest.value:
                deepest = Measure(depth, line)
        elif ch in "]}":
            depth = max(depth - 1, 0)
        index += 1
    return deepest


def _string_end(text: str, start: int, quote: str) -> int:
    """The offset just past the string that opened with ``quote`` before ``start``."""
    index, size = start, len(text)
    while index < size:
        if quote[0] == '"' and text[index] == "\\":
            index += 2
            continue
        if text.startswith(quote, index):
            end = index + len(quote)
            while len(quote) == 3 and end < size and text[end] == quote[0] and end - index < 5:
                end += 1  # up to two quotes may close a multi-line string's content
            return end
        if len(quote) == 1 and text[index] == "\n":
            return index  # an unclosed one-line string: tomllib reports it
        index += 1
    return size
