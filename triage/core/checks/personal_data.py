"""The ``personal_data`` check: someone's card number, IBAN, e-mail address or phone
number in customer-facing output that the customer did not give.

An item is customer-facing when ``meta.customer_facing`` is true; when it is false the
check passes; when it is missing (or not a boolean) the item is customer-facing if its
task type is in :data:`CUSTOMER_FACING_TASKS`. In customer-facing output (its first
``max_chars``) it finds:

- card numbers: 13 to 19 digits, optionally grouped by single spaces or dashes, that
  pass the Luhn checksum (``4242 4242 4242 4242``);
- IBANs: two letters, two check digits and 11 to 30 letters or digits, optionally
  grouped by spaces, that pass the mod-97 checksum (``GB82 WEST 1234 5698 7654 32``);
- e-mail addresses (``jo@example.org``), except at one of ``settings.link_domains``
  (the business's own addresses);
- phone numbers: ``+`` and 8 to 15 digits in groups (``+44 20 7946 0958``), or three
  or more groups of digits joined by single spaces, dashes or dots, 9 to 12 digits in
  all, the first of two to five digits (``020 7946 0958``, ``(555) 123-4567``).

Each found value is compared with the same kinds of value in the request (input and
transcript: what the customer wrote, so their own details): card numbers and IBANs by
their digits and letters, e-mail addresses case-blind, phone numbers by their last nine
digits (``+44 7700 900123`` is ``07700 900123``). The check fails on the first value the
request does not hold, naming its kind and a masked form of it.

It does not flag masked numbers (``card ending 4242``, ``**** 4242``), numbers that fail
their checksum, dates, times, amounts, order numbers (``LL-45919``, ``INV-2026-1857``: a
number glued to letters or a dash is not a phone), unbroken runs of digits as phones,
postal addresses or names. Details that tool results hold (another customer's address
returned by a lookup) still count as not the customer's own.

Example: a support reply says "we've sent it to j.smith@example.org" while the customer
wrote from ``ana@example.com``: fails with ``an e-mail address j***@example.org``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from triage.core.checks.result import FAILED, PASSED, CheckResult
from triage.core.checks.text import ItemText

__all__ = ["CUSTOMER_FACING_TASKS", "check_personal_data", "customer_facing"]

_PASSED: Final = CheckResult("personal_data", PASSED)
"""The result when nothing is found: one value, as results are immutable."""

CUSTOMER_FACING_TASKS: Final = frozenset(
    {
        "support_reply",
        "refund",
        "outbound_email",
        "booking_change",
        "cancel_reservation",
        "customer_reply",
    }
)
"""Task types whose output reaches a customer when ``meta.customer_facing`` is missing."""

_CARD: Final = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
_IBAN: Final = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_EMAIL: Final = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+"
)
_PHONE: Final = re.compile(
    r"(?<![\w+.,/:-])(?:"
    r"\+\d{1,3}(?:[ .-]?\(?\d{1,5}\)?){2,6}"
    r"|(?:\(\d{2,5}\)|\d{2,5})(?:[ .-]\d{2,5}){2,4}"
    r")(?![\w-]|[.,]\d)"
)
# Each kind is looked for only where a cheap scan says it may be: e-mail addresses
# around an "@", IBANs from two capitals and two digits, cards and phones inside runs
# of eight or more digits and separators. Every pattern tried at every position of
# every output costs five times more.
_RUN: Final = re.compile(r"[+(\d][\d ().-]{7,}")
_IBAN_START: Final = re.compile(r"[A-Z][A-Z]\d\d")
_MAX_RUNS: Final = 2_000
"""Digit runs looked at in one text."""

_KIND_CARD: Final = "a card number"
_KIND_IBAN: Final = "an IBAN"
_KIND_EMAIL: Final = "an e-mail address"
_KIND_PHONE: Final = "a phone number"
_MAX_FOUND: Final = 200


def customer_facing(text: ItemText) -> bool:
    """Whether the item's output reaches a customer (see the module's docstring)."""
    said = text.meta.get("customer_facing")
    if isinstance(said, bool):
        return said
    return text.task_type in CUSTOMER_FACING_TASKS


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _iban_ok(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _found(text: str) -> Iterator[tuple[str, str, str]]:
    """``(kind, normal form, as written)`` for each value in ``text``, cards first."""
    taken: list[tuple[int, int]] = []
    count = 0
    runs = _runs(text)
    for start, end in runs:
        for match in _CARD.finditer(text, start, end):
            digits = _digits(match.group())
            if 13 <= len(digits) <= 19 and _luhn(digits):
                taken.append(match.span())
                yield _KIND_CARD, digits, match.group()
                count += 1
                if count >= _MAX_FOUND:
                    return
    first = _IBAN_START.search(text)
    if first is not None:
        for match in _IBAN.finditer(text, max(0, first.start() - 1)):
            iban = match.group().replace(" ", "")
            if 15 <= len(iban) <= 34 and _iban_ok(iban):
                taken.append(match.span())
                yield _KIND_IBAN, iban, match.group()
                count += 1
                if count >= _MAX_FOUND:
                    return
    at = text.find("@")
    if at >= 0:
        for match in _EMAIL.finditer(text, max(0, at - 64)):
            address = match.group().rstrip(".-")
            taken.append(match.span())
            yield _KIND_EMAIL, address.lower(), address
            count += 1
            if count >= _MAX_FOUND:
                return
    for start, end in runs:
        for match in _PHONE.finditer(text, start, end):
            start, end = match.span()
            if any(s < end and start < e for s, e in taken):
                continue
            digits = _digits(match.group())
            plus = match.group().startswith("+")
            if not (8 <= len(digits) <= 15 if plus else 9 <= len(digits) <= 12):
                continue
            yield _KIND_PHONE, digits[-9:], match.group()
            count += 1
            if count >= _MAX_FOUND:
                return


def _runs(text: str) -> list[tuple[int, int]]:
    """Where cards and phones may stand: each run of eight or more digits and
    separators, widened by the characters the patterns look at around a match (the
    end of a pattern's window reads as the end of the text)."""
    out: list[tuple[int, int]] = []
    for match in _RUN.finditer(text):
        start, end = match.span()
        if sum(map(str.isdigit, match.group())) >= 8:
            out.append((max(0, start - 1), min(len(text), end + 2)))
            if len(out) >= _MAX_RUNS:
                break
    return out


def _masked(kind: str, normal: str, written: str) -> str:
    if kind == _KIND_EMAIL:
        local, _, domain = written.partition("@")
        return f"{local[:1]}***@{domain[:60]}"
    tail = normal[-4:]
    return f"ending {tail}"


def _own_address(address: str, domains: frozenset[str]) -> bool:
    host = address.rpartition("@")[2]
    return any(host == d or host.endswith("." + d) for d in domains)


def check_personal_data(text: ItemText, link_domains: frozenset[str]) -> CheckResult:
    """The ``personal_data`` check on one item: see the module's docstring."""
    if not customer_facing(text):
        return _PASSED
    known: set[tuple[str, str]] | None = None
    domains: frozenset[str] | None = None
    for kind, normal, written in _found(text.output):
        if kind == _KIND_EMAIL:
            if domains is None:
                domains = frozenset(d.lower() for d in link_domains if isinstance(d, str))
            if _own_address(normal, domains):
                continue
        if known is None:
            known = {(k, n) for k, n, _ in _found(text.request)}
        if (kind, normal) in known:
            continue
        return CheckResult("personal_data", FAILED, f"{kind} {_masked(kind, normal, written)}")
    return _PASSED
