"""Turning a condition's text into a Python ``ast`` tree, with positions kept.

Conditions use Python's expression syntax plus one operator of their own,
``=~`` (regex search). Two adjustments make the standard parser accept them
while every column still points at the text a lead wrote:

* the text is wrapped in parentheses, so a condition may span several lines
  (a TOML ``'''`` string) and carry ``#`` comments;
* ``=~`` is replaced by ``@`` plus a space (same width), found with
  :mod:`tokenize` so an ``=~`` inside a string literal is left alone. A real
  ``@`` in the text is refused, so every ``@`` the parser sees is a regex test.
"""

from __future__ import annotations

import ast
import io
import tokenize
import warnings
from dataclasses import dataclass

from triage.errors import InvalidInput
from triage.rules.limits import (
    MAX_CONDITION_LENGTH,
    MAX_DEPTH,
    MAX_TERMS,
    PARSER_MARGIN,
    text_nesting,
    tree_size,
)

_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}


class ConditionError(InvalidInput):
    """A condition that cannot be compiled, with where in its text the problem is.

    ``line`` and ``column`` are 1-based and count characters within the
    condition's own text (line 1 is the first line of the ``when`` value).
    ``whole`` marks a problem of the condition as a whole (it is too large, see
    :mod:`triage.rules.limits`): it has a line but no column.
    """

    def __init__(
        self, message: str, line: int = 1, column: int = 1, *, whole: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.whole = whole

    def __str__(self) -> str:
        if self.whole:
            return self.message if self.line == 1 else f"line {self.line}: {self.message}"
        if self.line == 1:
            return f"column {self.column}: {self.message}"
        return f"line {self.line}, column {self.column}: {self.message}"


@dataclass(frozen=True, slots=True)
class Source:
    """A condition's text as written, and as handed to the parser."""

    text: str
    lines: tuple[str, ...]
    wrapped_lines: tuple[str, ...]

    def position(self, wrapped_line: int, char_col: int) -> tuple[int, int]:
        """(line, column), 1-based in the original text, of a 0-based parser position."""
        last = len(self.lines)
        if wrapped_line > last:  # the closing parenthesis we added: point past the end
            return last, len(self.lines[-1]) + 1
        if wrapped_line == 1:
            char_col -= 1  # the opening parenthesis we added
        return wrapped_line, max(char_col, 0) + 1

    def node_position(self, node: ast.AST) -> tuple[int, int]:
        """(line, column) of where ``node`` starts."""
        line: int = getattr(node, "lineno", 1)
        col: int = getattr(node, "col_offset", 0)
        return self.position(line, self._chars(line, col))

    def after(self, node: ast.AST) -> tuple[int, int]:
        """(line, column) of the first character after ``node`` that is not a space or
        a closing parenthesis: where the operator following an operand is."""
        end_line: int = getattr(node, "end_lineno", None) or 1
        end_byte: int = getattr(node, "end_col_offset", None) or 0
        line, column = self.position(end_line, self._chars(end_line, end_byte))
        while line <= len(self.lines):
            text = self.lines[line - 1]
            while column <= len(text) and text[column - 1] in " \t)":
                column += 1
            if column <= len(text):
                return line, column
            line, column = line + 1, 1
        return len(self.lines), len(self.lines[-1]) + 1

    def parenthesized(self, node: ast.AST) -> bool:
        """Whether ``node`` is written inside its own pair of parentheses."""
        line, column = self.node_position(node)
        before = "\n".join(self.lines[: line - 1] + (self.lines[line - 1][: column - 1],))
        end_line: int = getattr(node, "end_lineno", None) or line
        end_byte: int = getattr(node, "end_col_offset", None) or 0
        end_line, end_col = self.position(end_line, self._chars(end_line, end_byte))
        after = "\n".join((self.lines[end_line - 1][end_col - 1 :], *self.lines[end_line:]))
        return before.rstrip().endswith("(") and after.lstrip().startswith(")")

    def segment(self, node: ast.AST) -> str:
        """The original text of ``node``, on one line."""
        start_line, start_col = self.node_position(node)
        end_line: int = getattr(node, "end_lineno", None) or start_line
        end_byte: int = getattr(node, "end_col_offset", None) or 0
        end_line, end_col = self.position(end_line, self._chars(end_line, end_byte))
        if start_line == end_line:
            text = self.lines[start_line - 1][start_col - 1 : end_col - 1]
        else:
            parts = [self.lines[start_line - 1][start_col - 1 :]]
            parts.extend(self.lines[start_line : end_line - 1])
            parts.append(self.lines[end_line - 1][: end_col - 1])
            text = " ".join(parts)
        return " ".join(text.split())

    def _chars(self, wrapped_line: int, byte_col: int) -> int:
        # The parser counts columns in UTF-8 bytes; a reader counts characters.
        if wrapped_line > len(self.wrapped_lines):
            return byte_col
        line = self.wrapped_lines[wrapped_line - 1]
        if line.isascii():
            return byte_col
        return len(line.encode("utf-8")[:byte_col].decode("utf-8", "replace"))


def parse(text: str) -> tuple[ast.expr, Source]:
    """The expression tree of ``text`` and the position map; ``ConditionError`` if invalid
    or larger than :mod:`triage.rules.limits` allows (checked before parsing, so the
    parser never meets a text deep enough to overflow it)."""
    norm = text.replace("\r\n", "\n").replace("\r", "\n")
    _check_text(norm)
    lines = tuple(norm.split("\n"))
    wrapped = "(" + norm + "\n)"
    rewritten, bracket_error, assign = _rewrite(wrapped, lines)
    source = Source(text=norm, lines=lines, wrapped_lines=tuple(rewritten.split("\n")))
    if not norm.strip():
        raise ConditionError("the condition is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "invalid decimal literal" and the like
            tree = ast.parse(rewritten, mode="eval")
    except SyntaxError as err:
        if bracket_error is not None:
            raise bracket_error from None
        line, col = source.position(err.lineno or 1, (err.offset or 1) - 1)
        message = _syntax_message(err.msg)
        if message == _ASSIGN and assign is not None:
            line, col = assign
        raise ConditionError(message, line, col) from None
    if bracket_error is not None:
        raise bracket_error
    body = tree.body
    _check_tree(body)
    # A tuple starting at our own opening parenthesis was written without one:
    # "a, b" (or nothing at all) rather than a literal "(a, b)".
    if isinstance(body, ast.Tuple) and (body.lineno, body.col_offset) == (1, 0):
        if not body.elts:
            raise ConditionError("the condition is empty")
        line, col = source.after(body.elts[0])
        raise ConditionError(
            "a condition is one expression; join tests with 'and' or 'or', not a comma",
            line,
            col,
        )
    return body, source


def _too_deep(depth: int | None, line: int) -> ConditionError:
    size = f"more than {MAX_DEPTH}" if depth is None else str(depth)
    return ConditionError(
        f"condition is nested {size} deep (the limit is {MAX_DEPTH})", line, whole=True
    )


def _check_text(norm: str) -> None:
    if len(norm) > MAX_CONDITION_LENGTH:
        raise ConditionError(
            f"condition is {len(norm):,} characters long (the limit is {MAX_CONDITION_LENGTH:,})",
            whole=True,
        )
    brackets, estimate = text_nesting(norm)
    if brackets.value > MAX_DEPTH:
        raise _too_deep(brackets.value, brackets.line)
    if estimate.value > PARSER_MARGIN * MAX_DEPTH:
        raise _too_deep(None, estimate.line)


def _check_tree(body: ast.expr) -> None:
    depth, terms = tree_size(body)
    if depth.value > MAX_DEPTH:
        raise _too_deep(depth.value, depth.line)
    if terms.value > MAX_TERMS:
        raise ConditionError(
            f"condition has {terms.value} terms, names and values (the limit is {MAX_TERMS})",
            terms.line,
            whole=True,
        )


def _rewrite(
    wrapped: str, lines: tuple[str, ...]
) -> tuple[str, ConditionError | None, tuple[int, int] | None]:
    """``wrapped`` with each ``=~`` replaced by ``@ ``; the first bracket problem found;
    and where the first lone ``=`` is (a comparison written as an assignment)."""
    source = Source(text="", lines=lines, wrapped_lines=tuple(wrapped.split("\n")))
    closing_line = len(lines) + 1
    edits: list[tuple[int, int]] = []
    equals: list[tuple[int, int]] = []
    stack: list[tuple[str, int, int]] = []
    bracket_error: ConditionError | None = None
    previous: tokenize.TokenInfo | None = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(wrapped).readline):
            if tok.type == tokenize.ERRORTOKEN and not tok.string.isspace():
                break  # a stray character: the parser describes it better
            if tok.type != tokenize.OP:
                previous = tok
                continue
            row, col = tok.start
            if tok.string in ("@", "@="):
                line, column = source.position(row, col)
                raise ConditionError(
                    "'@' is not an operator here (regex search is =~)", line, column
                )
            if (
                tok.string == "~"
                and previous is not None
                and previous.string == "="
                and previous.end == tok.start
            ):
                edits.append(previous.start)
            elif tok.string == "=":
                equals.append(tok.start)
            elif tok.string in _OPENERS:
                stack.append((tok.string, row, col))
            elif tok.string in _CLOSERS and bracket_error is None:
                bracket_error = _check_closer(tok, stack, source, closing_line)
            previous = tok
    except (tokenize.TokenError, SyntaxError):
        pass  # unfinished input: the parser reports it with a better message
    out = list(wrapped.split("\n"))
    for row, col in edits:
        text = out[row - 1]
        out[row - 1] = text[:col] + "@ " + text[col + 2 :]
    lone = [pos for pos in equals if pos not in edits]
    assign = source.position(*lone[0]) if lone else None
    return "\n".join(out), bracket_error, assign


def _check_closer(
    tok: tokenize.TokenInfo,
    stack: list[tuple[str, int, int]],
    source: Source,
    closing_line: int,
) -> ConditionError | None:
    row, col = tok.start
    if row == closing_line and len(stack) > 1:
        opener, o_row, o_col = stack[-1]
        line, column = source.position(o_row, o_col)
        return ConditionError(f"'{opener}' was never closed", line, column)
    if row != closing_line and len(stack) <= 1:
        line, column = source.position(row, col)
        return ConditionError(f"unmatched '{tok.string}'", line, column)
    opener, _, _ = stack.pop()
    if _OPENERS[opener] != tok.string:
        line, column = source.position(row, col)
        return ConditionError(f"closing '{tok.string}' does not match '{opener}'", line, column)
    return None


_ASSIGN = "'=' assigns; to compare, write '=='"


def _syntax_message(message: str) -> str:
    if "Maybe you meant '==' or ':='" in message:
        return _ASSIGN
    if message.startswith("invalid syntax"):
        return "invalid syntax" + message[len("invalid syntax") :].replace(". Perhaps", "; perhaps")
    return message
