"""Fast JSON for the hot paths (storage of 100k-item pulls, content hashes).

orjson does the work; values it refuses (integers beyond 64 bits, which agent
metadata can hold) fall back to the standard library, so nothing is rejected
that ``json`` would store.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_SORTED = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> str:
    """``value`` as compact JSON text."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def dumps_sorted(value: Any) -> bytes:
    """Canonical JSON bytes (keys sorted): equal values give equal bytes."""
    try:
        return orjson.dumps(value, option=_SORTED)
    except (TypeError, orjson.JSONEncodeError):
        text = json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str
        )
        return text.encode("utf-8", "surrogatepass")


def loads(text: str | bytes) -> Any:
    """Parse JSON text (used for reading back stored columns)."""
    return orjson.loads(text)


_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0000000000")
_LONG_DIGITS = b"0" * 19


def _has_long_number(data: bytes) -> bool:
    # Nineteen digits in a row may be an integer orjson cannot keep exact. A
    # translate-and-find does in a few milliseconds what a regex needs 60 for.
    return _LONG_DIGITS in data.translate(_DIGITS_AS_ZERO)


def parse(data: bytes) -> Any:
    """Parse untrusted JSON exactly as :func:`json.loads` would, only faster.

    orjson reads the common case. Whatever it refuses (NaN, lone surrogates) or
    might change (integers too long for 64 bits, which it turns into floats) is
    handed to the standard library, whose errors carry the line and column.
    """
    if not _has_long_number(data):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data.decode("utf-8"))
