"""Where things are in a rule file, for problems reported as ``file:line``.

:mod:`tomllib` returns values without positions, so the raw text is scanned
once: each table header (``[[rule]]``, ``[settings]``, ...) starts a block, and
each ``key =`` line inside a block is remembered. The N-th ``[[rule]]`` block
is the N-th entry of the parsed ``rule`` list. Multi-line strings are tracked
so a ``[[rule]]`` or ``key =`` inside a long ``notes`` text is not mistaken for
structure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Each part has one way to match, so a long line without "]" costs one pass.
_HEADER = re.compile(r"\s*(\[\[?)([^\]]*)\]\]?")
_KEY = re.compile(r"""\s*([A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')\s*[.=]""")


@dataclass
class KeyLine:
    """A ``key = value`` line: its number and what follows the ``=``."""

    line: int
    rest: str


@dataclass
class Block:
    """One table of a file: the top level (``name == ""``) or a ``[header]``."""

    name: str
    line: int
    array: bool = False
    """Written with double brackets, ``[[name]]``."""
    keys: dict[str, KeyLine] = field(default_factory=dict)

    def line_of(self, key: str) -> int:
        """The line of ``key =`` in this block, else the block's header line."""
        found = self.keys.get(key)
        return found.line if found is not None else self.line


@dataclass
class Layout:
    """The blocks of one rule file, in order."""

    blocks: list[Block]
    _by_name: dict[str, list[Block]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for block in self.blocks:
            self._by_name.setdefault(block.name, []).append(block)

    def tables(self, name: str) -> list[Block]:
        """The blocks headed ``[name]`` or ``[[name]]``, in file order."""
        return list(self._by_name.get(name, ()))

    @property
    def top(self) -> Block:
        return self.blocks[0]


def scan(text: str) -> Layout:
    """The layout of a TOML file's text."""
    top = Block(name="", line=1)
    blocks = [top]
    last: dict[str, Block] = {}  # the latest block of each name
    current = top
    open_string: str | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        start = 0
        if open_string is not None:
            end = _closing(line, 0, open_string)
            if end < 0:
                continue
            open_string, start = None, end + 3
        else:
            header = _HEADER.match(line)
            if header is not None and not line.lstrip().startswith(('["', "['")):
                name = _unquote_dotted(header.group(2).strip())
                current = Block(name=name, line=number, array=header.group(1) == "[[")
                if "." in name:
                    # [rule.extra] adds a key "extra" to the last [[rule]]
                    parent, _, child = name.partition(".")
                    if parent in last:
                        last[parent].keys.setdefault(child, KeyLine(number, ""))
                blocks.append(current)
                last[name] = current
                continue
            key = _KEY.match(line)
            if key is not None:
                name = key.group(1).strip("\"'")
                current.keys.setdefault(name, KeyLine(number, line[key.end() :]))
                start = key.end()
        open_string = _open_string_after(line, start)
    return Layout(blocks)


def _unquote_dotted(name: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in name.split("."))


def _closing(line: str, start: int, delimiter: str) -> int:
    """Index of the delimiter closing a multi-line string in ``line``, or -1."""
    if delimiter == "'''":
        return line.find("'''", start)
    i = start
    while i < len(line):
        if line[i] == "\\":
            i += 2
        elif line.startswith('"""', i):
            return i
        else:
            i += 1
    return -1


def _open_string_after(line: str, i: int) -> str | None:
    """The delimiter of a multi-line string still open at the end of ``line``."""
    while i < len(line):
        c = line[i]
        if c == "#":
            return None
        if line.startswith('"""', i) or line.startswith("'''", i):
            delimiter = line[i : i + 3]
            end = _closing(line, i + 3, delimiter)
            if end < 0:
                return delimiter
            i = end + 3
        elif c == '"':
            i = _closing_quote(line, i + 1)
        elif c == "'":
            end = line.find("'", i + 1)
            i = len(line) if end < 0 else end + 1
        else:
            i += 1
    return None


def _closing_quote(line: str, i: int) -> int:
    while i < len(line):
        if line[i] == "\\":
            i += 2
        elif line[i] == '"':
            return i + 1
        else:
            i += 1
    return len(line)
