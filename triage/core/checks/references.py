"""The ``references`` check: order, booking, invoice, ticket or account references in the
output (or in the agent's own call arguments) that nothing the item was given contains.

A reference in the output (its first ``max_chars``) is one of:

- a code: two to six capital letters, then dash-joined groups, at least one with a
  digit and three characters or more after the letters: ``LL-44153``,
  ``ORD-2024-0091``, ``INV-88123``, ``BK-4TWWX``, ``CC-210``;
- a hash and three or more digits: ``#10423``;
- a keyword (order, booking, reservation, invoice, ticket, account, case, reference,
  ref, confirmation, gift card; optionally followed by ``no.``, ``number``, ``id``,
  ``#`` or ``:``) and a value of three or more letters, digits and dashes with at
  least one digit: ``order 10423``, ``booking ABC123``, ``ticket no. 5531``,
  ``account 4471-22``.

Each is compared, upper-cased and without ``#``, dashes, dots, slashes, underscores
or a space between letters and digits, against what the item was given: the input,
the transcript's turns but the assistant's own, and every tool call's *result*,
treated the same way; it must appear there as a whole token (a plain number may also
stand at the end of a code: ``order 44153`` is found in ``LL-44153``). What the agent
wrote itself grounds nothing: a reference in its own call's arguments is no proof
(an agent that got the number wrong uses it everywhere), while a lookup by a number
from the request is grounded by the request and a ticket the agent created comes back
in the call's result. A reference-shaped value in a call's arguments under a key
naming a reference (``order_id``, ``booking``, ``invoice``, ``id``) is checked the
same way, so a wrong number the output leaves out is caught too. The check fails on
the first reference found nowhere (the output's first), naming the calls whose
arguments carry it and the most similar token the request or a call holds, when one
is close enough.

It does not flag plain numbers (amounts, times, quantities, years: ``ticket 2026`` is
read as a year), technical names shaped like codes (``UTF-8``, ``SHA-256``,
``ISO-8601``, ``GPT-4o``), lower-case codes, or a reference the request mentions but
the output gets subtly wrong in a way that is still present elsewhere (two orders in
the request, the output naming the other one).

Example: the request and the lookup_order call say ``LL-61319``, the output and the
issue_refund call's arguments say ``LL-16319``: fails with ``the output says LL-16319
(so does the issue_refund call); the request and the lookup_order call say
LL-61319``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Final

from triage.core.checks.result import FAILED, PASSED, CheckResult
from triage.core.checks.text import (
    REQUEST_LABEL,
    ItemText,
    call_label,
    clip,
    leaves,
    literal_pattern,
)

__all__ = ["check_references", "output_references"]

_PASSED: Final = CheckResult("references", PASSED)
"""The result when nothing is found: one value, as results are immutable."""

_TECHNICAL: Final = frozenset(
    "UTF ISO SHA RFC CVE GPT HTTP TLS SSL IPV MD AES RSA PEP ECMA IEEE COVID USB HDMI MP "
    "WCAG PCI GDPR ES TS CSS HTML CSV API".split()
)
"""Code prefixes of standards and technical names, never an order or a booking."""
_KEYWORDS: Final = (
    r"order|booking|reservation|invoice|ticket|account|case|reference|ref|confirmation"
    r"|gift[ -]card"
)
_CODE: Final = r"[A-Z]{2,6}(?:-[A-Z0-9]+)+"
# Three cheap scans rather than one pattern: each starts with a literal or a class of
# capitals, which the regex engine skips to quickly; boundaries are tested by hand.
_CODE_RE: Final = re.compile(_CODE)
_HASH_RE: Final = re.compile(r"#\d{3,}")
_KEYWORD_WORDS: Final = (
    "order", "booking", "reservation", "invoice", "ticket", "account", "case", "reference",
    "ref", "confirmation", "gift card", "gift-card",
)  # fmt: skip
_KEYWORD_RE: Final = re.compile(literal_pattern(_KEYWORD_WORDS))
_VALUE_RE: Final = re.compile(
    r"(?:\s+(?:no\.?|number|num|id|#|:))?\s*:?\s*#?"
    r"((?=[a-z0-9-]*\d)[a-z0-9][a-z0-9-]{2,30})(?![\w-])"
)
_DIGIT: Final = re.compile(r"\d")
_SEPARATORS: Final = re.compile(r"[-_#./]")
_MAX_REFS: Final = 50
_SHOWN: Final = 2


def _normal(ref: str) -> str:
    return _SEPARATORS.sub("", ref.upper()) if not ref.isalnum() else ref.upper()


def _code_ok(code: str) -> bool:
    """Whether a code-shaped string is a reference rather than a technical name."""
    prefix, _, rest = code.partition("-")
    body = rest.replace("-", "")
    # The body is letters and digits: it holds a digit unless it is all letters.
    return len(body) >= 3 and not body.isalpha() and prefix not in _TECHNICAL


def _value_ok(ref: str) -> bool:
    """Whether a keyword's value is a reference rather than a year or a technical name."""
    digits = ref.lstrip("#")
    if digits.isdigit() and len(digits) == 4 and 1900 <= int(digits) <= 2100:
        return False  # a year
    if "-" not in ref:
        return True  # not shaped like a code, so not a technical name either
    upper = ref.upper()
    return not (_CODE_ONLY.fullmatch(upper) and not _code_ok(upper))


_CODE_ONLY: Final = re.compile(_CODE)


def _glued(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is part of a longer word or code."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return before.isalnum() or before in "_-" or after.isalnum() or after in "_-"


def output_references(output: str, low: str | None = None) -> list[str]:
    """The references in ``output`` as written, each once (by normal form), in order
    of where they stand; ``low`` is ``output`` lower-cased, when already at hand."""
    found: list[tuple[int, str]] = []
    # Every code holds a dash and every hash reference a "#": skip the scans without.
    for match in _CODE_RE.finditer(output) if "-" in output else ():
        start, end = match.span()
        if not _glued(output, start, end) and _code_ok(match.group()):
            found.append((start, match.group()))
    for match in _HASH_RE.finditer(output) if "#" in output else ():
        start, end = match.span()
        before = output[start - 1] if start else " "
        after = output[end] if end < len(output) else " "
        if not (before.isalnum() or before in "_&#" or after.isalnum() or after == "_"):
            if _value_ok(match.group()):
                found.append((start, match.group()))
    low = output.lower() if low is None else low
    for match in _KEYWORD_RE.finditer(low):
        start, end = match.span()
        if (start and low[start - 1].isalnum()) or not _DIGIT.search(low, end, end + 48):
            continue  # part of a word, or no digit near enough to be its value
        value = _VALUE_RE.match(low, end, end + 60)
        if value is None:
            continue
        ref = output[value.start(1) : value.end(1)]
        if _value_ok(ref):
            found.append((value.start(1), ref))
    found.sort()
    seen: set[str] = set()
    refs: list[str] = []
    for _, ref in found:
        key = _normal(ref)
        if key not in seen:
            seen.add(key)
            refs.append(ref)
            if len(refs) >= _MAX_REFS:
                break
    return refs


_LETTER_SPACE_DIGIT: Final = re.compile(r"(?<=[A-Z]) (?=\d)")
_REF_KEY: Final = re.compile(rf"{_KEYWORDS}|\bid\b|_id\b")
"""Argument keys that name a reference: ``order_id``, ``booking``, ``invoice``."""
_ARG_REF: Final = re.compile(r"#?(?=[A-Za-z0-9-]*\d)[A-Za-z0-9][A-Za-z0-9-]{2,30}")
_MAX_CALLS: Final = 100
_SCALARS: Final = frozenset({str, int, float, bool, type(None)})
_FLAT: Final = 50
"""Items of a flat argument mapping read without walking it."""


def _present(key: str, compact: str) -> bool:
    """Whether ``key`` is a whole token of ``compact``; a number may end a code."""
    start = compact.find(key)
    numeric = key.isdigit()
    while start >= 0:
        before = compact[start - 1] if start else " "
        end = start + len(key)
        after = compact[end] if end < len(compact) else " "
        if not after.isalnum() and (not before.isalnum() or (numeric and not before.isdigit())):
            return True
        start = compact.find(key, start + 1)
    return False


_CANDIDATE: Final = re.compile(r"(?<![\w-])#?(?=[\w-]*\d)[A-Za-z0-9][A-Za-z0-9-]{2,30}(?![\w-])")
_MAX_CANDIDATES: Final = 2_000


def _compact(texts: list[str]) -> tuple[str, str]:
    """``texts`` joined, upper-cased and without separators; and the same with
    the space between letters and digits gone too ("LL 44135" is LL-44135)."""
    compact = "\n".join(texts).upper()
    for sep in "-_#./":
        if sep in compact:
            compact = compact.replace(sep, "")
    return compact, _LETTER_SPACE_DIGIT.sub("", compact)


def _grounded(ref: str, compact: tuple[str, str]) -> bool:
    key = _normal(ref)
    return _present(key, compact[0]) or _present(key, compact[1])


def _nearest(ref: str, text: ItemText) -> tuple[str, list[str]] | None:
    """The seen token most like ``ref`` (a reference or any token with a digit) and
    every place it was seen (the request, a call's arguments or result), when one is
    close enough."""
    from rapidfuzz import fuzz  # imported here: only a failing item needs it

    key = _normal(ref)
    best: tuple[float, str, str] | None = None
    where_seen: dict[str, list[str]] = {}
    budget = _MAX_CANDIDATES
    places = [(REQUEST_LABEL, text.asked)]
    places.extend((where, f"{args}\n{result}") for where, args, result in text.parts)
    for where, segment in places:
        for match in _CANDIDATE.finditer(segment):
            budget -= 1
            if budget < 0:
                break
            seen = match.group()
            norm = _normal(seen)
            if norm == key:
                continue
            score = fuzz.ratio(key, norm)
            if score < 70:
                continue
            spots = where_seen.setdefault(norm, [])
            if where not in spots:
                spots.append(where)
            if best is None or score > best[0]:
                best = (score, seen, norm)
    if best is None:
        return None
    return best[1], where_seen[best[2]]


def _written_by(ref: str, text: ItemText) -> list[str]:
    """The calls whose arguments carry ``ref``: the agent's own writing of it."""
    key = _normal(ref)
    return [where for where, args, _ in text.parts if args and _grounded(key, _compact([args]))]


def _evidence(ref: str, said_in: str, text: ItemText, others: list[str]) -> str:
    said = f"{said_in} says {clip(ref, 40)}"
    calls = [w for w in _written_by(ref, text) if w != said_in]
    if calls:
        said += f" (so does {' and '.join(calls[:2])})"
    near = _nearest(ref, text)
    if near is not None:
        seen, places = near
        verb = "says" if len(places) == 1 else "say"
        said += f"; {' and '.join(places[:3])} {verb} {clip(seen, 40)}"
    else:
        said += ", which is in neither the request nor the tool results"
    if others:
        shown = ", ".join(clip(r, 40) for r in others[:_SHOWN])
        more = ", …" if len(others) > _SHOWN else ""
        said += f" (also not found: {shown}{more})"
    return said


def _argument_references(text: ItemText) -> list[tuple[str, str]]:
    """``(the call, reference)`` for each reference-shaped value a call's arguments
    hold under a key naming a reference (``order_id``, ``booking``, ``invoice``)."""
    found: list[tuple[str, str]] = []
    for call in text.calls[:_MAX_CALLS]:
        args = call.arguments
        if type(args) is not dict and not isinstance(args, Mapping):
            continue
        for key, value in _pairs(args):
            if type(value) is not str or type(key) is not str or not _reference_key(key):
                continue
            ref = value[:40]
            if not _ARG_REF.fullmatch(ref):
                continue
            if _value_ok(ref) and (not ref[:1].isalpha() or _code_ok(ref)):
                found.append((call_label(call), ref))
                if len(found) >= _MAX_REFS:
                    return found
    return found


def _pairs(args: Mapping[object, object]) -> Iterable[tuple[object, object]]:
    """``(key, scalar)`` inside ``args``: its own items when it is a flat dict (the usual
    shape, read without walking), else every scalar :func:`leaves` reaches."""
    if type(args) is dict and len(args) < _FLAT and all(type(v) in _SCALARS for v in args.values()):
        return args.items()
    return [(key, value) for key, value, _ in leaves(args) if key is not None]


@lru_cache(maxsize=1024)
def _reference_key(key: str) -> bool:
    """Whether an argument's key names a reference; keys repeat, so it is remembered."""
    return _REF_KEY.search(key[:60].lower()) is not None


def _in_request(ref: str, asked: str) -> bool:
    """Whether ``ref`` stands in the request as written, as a whole token: the usual
    case, found without normalising anything."""
    start = asked.find(ref)
    while start >= 0:
        end = start + len(ref)
        if not _glued(asked, start, end):
            return True
        start = asked.find(ref, start + 1)
    return False


def check_references(text: ItemText) -> CheckResult:
    """The ``references`` check on one item: see the module's docstring."""
    refs = output_references(text.output, text.lower)
    written = _argument_references(text)
    asked = text.asked
    refs = [r for r in refs if not _in_request(r, asked)]
    written = [(w, r) for w, r in written if not _in_request(r, asked)]
    if not refs and not written:
        return _PASSED
    compact = _compact([ground for _, ground in text.grounds])
    missing = [r for r in refs if not _grounded(r, compact)]
    if missing:
        return CheckResult(
            "references", FAILED, _evidence(missing[0], "the output", text, missing[1:])
        )
    for where, ref in written:
        if not _grounded(ref, compact):
            return CheckResult("references", FAILED, _evidence(ref, where, text, []))
    return _PASSED
