"""Fast JSON for the hot paths (storage of 100k-item pulls, content hashes).

orjson does the work; values it refuses (integers beyond 64 bits, which agent
metadata can hold) fall back to the standard library, so nothing is rejected
that ``json`` would store, with one exception: numbers JSON cannot carry.

``NaN``, ``Infinity``, ``-Infinity`` and numbers beyond the range of a double
(``1e999``) are not JSON, though Python's ``json`` writes and reads them. Stored,
they would turn into ``null`` without a word, so :func:`parse` refuses them with
:class:`NonFiniteNumber`, naming where in the value the number was.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

from triage.errors import InvalidInput

__all__ = [
    "NonFiniteNumber",
    "dumps",
    "dumps_sorted",
    "loads",
    "non_finite",
    "parse",
    "parse_page",
]

_SORTED = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


class NonFiniteNumber(InvalidInput):
    """A JSON value holds ``NaN``, an infinity or a number beyond double range.

    ``path`` is where (``meta.amount``, ``tool_calls[0].arguments.x``; empty for the
    value itself) and ``text`` the number as written; the message says both.
    """

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        where = f"'{path}'" if path else "the value"
        if text in ("NaN", "Infinity", "-Infinity"):
            why = f"{where} is {text}, which is not a number JSON can carry"
        else:
            why = f"{where} is {text}, a number beyond the range that can be stored"
        super().__init__(why)


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


class _Unfit:
    """Stands in for a number JSON cannot carry until its place is known."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def parse(data: bytes, *, allow_non_finite: bool = False) -> Any:
    """Parse untrusted JSON exactly as :func:`json.loads` would, only faster.

    orjson reads the common case. Whatever it refuses (NaN, lone surrogates) or
    might change (integers too long for 64 bits, which it turns into floats) is
    handed to the standard library, whose errors carry the line and column.

    A number JSON cannot carry raises :class:`NonFiniteNumber` naming its place;
    with ``allow_non_finite`` it is kept as a float (``nan``, ``inf``) instead, for
    callers that reject record by record (see :func:`non_finite`).
    """
    if not _has_long_number(data):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    text = data.decode("utf-8")
    if allow_non_finite:
        return json.loads(text)
    unfit: list[_Unfit] = []

    def constant(name: str) -> _Unfit:
        unfit.append(_Unfit(name))
        return unfit[-1]

    def number(literal: str) -> float | _Unfit:
        value = float(literal)
        if math.isfinite(value):
            return value
        return constant(literal)

    value = json.loads(text, parse_constant=constant, parse_float=number)
    if unfit:
        found = _find(value, lambda v: v is unfit[0])
        raise NonFiniteNumber(found[0] if found else "", unfit[0].text)
    return value


def parse_page(data: bytes) -> tuple[Any, bool]:
    """Parse an untrusted page of records as :func:`parse` with ``allow_non_finite``
    would, and say whether it may hold something each record must be searched for.

    orjson refuses every such thing (``NaN``, infinities, numbers beyond double
    range, unpaired surrogate escapes), so only a page the standard library had to
    read can hold one: ``True`` then, and the caller searches its records (with
    :func:`non_finite` and the surrogate check); ``False`` spares that search.
    """
    if not _has_long_number(data):
        try:
            return orjson.loads(data), False
        except orjson.JSONDecodeError:
            pass
    return json.loads(data.decode("utf-8")), True


def non_finite(value: Any) -> NonFiniteNumber | None:
    """The first ``NaN`` or infinite float inside a decoded value (dicts, lists,
    tuples), as the error :func:`parse` would raise; ``None`` when there is none."""
    found = _find(value, lambda v: type(v) is float and not math.isfinite(v))
    if found is None:
        return None
    path, number = found
    text = "NaN" if math.isnan(number) else ("Infinity" if number > 0 else "-Infinity")
    return NonFiniteNumber(path, text)


def _find(value: Any, wanted: Any) -> tuple[str, Any] | None:
    """The dotted path (``a.b[2].c``) and value of the first part of ``value`` that
    is ``wanted``, depth first; iterative, so deep nesting cannot overflow the stack."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, current = stack.pop()
        if wanted(current):
            return path, current
        if isinstance(current, dict):
            children = [
                (f"{path}.{key}" if path else str(key), child) for key, child in current.items()
            ]
        elif isinstance(current, list | tuple):
            children = [(f"{path}[{index}]", child) for index, child in enumerate(current)]
        else:
            continue
        stack.extend(reversed(children))
    return None
