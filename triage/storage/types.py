"""Column types that keep untrusted text whole on every backend.

PostgreSQL ``text`` cannot hold NUL characters, yet agent output may contain
them (and must be stored and shown as it was). On PostgreSQL only, NUL is
written as the private-use character U+E000 followed by ``0``, and U+E000
itself is doubled, so reading back gives exactly the original text. SQLite
stores the text as is.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

_ESC = "\ue000"


def encode_nul(value: str) -> str:
    """``value`` with NUL and the escape character made storable on PostgreSQL."""
    if "\x00" not in value and _ESC not in value:
        return value
    return value.replace(_ESC, _ESC + _ESC).replace("\x00", _ESC + "0")


def decode_nul(value: str) -> str:
    """The inverse of :func:`encode_nul`."""
    if _ESC not in value:
        return value
    out: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == _ESC and i + 1 < len(value):
            nxt = value[i + 1]
            out.append("\x00" if nxt == "0" else nxt)
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class SafeText(TypeDecorator[str]):
    """``Text`` that round-trips NUL characters on PostgreSQL."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is not None and dialect.name == "postgresql":
            return encode_nul(value)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is not None and dialect.name == "postgresql":
            return decode_nul(value)
        return value
