"""The ``amounts`` check: money amounts in the output that no tool call, no
``meta.amount`` and nothing in the request carries or adds up to.

Amounts in the output (its first ``max_chars``) are a number with a currency: a symbol
before or after it (``$120``, ``€1.234,50``, ``£9.99``, ``120 €``), a three-letter
code (``USD 40``, ``120.00 EUR``) or a currency word after it (``40 dollars``, ``12
euros``, ``9 pounds``). ``$`` reads as USD, ``€`` as EUR, ``£`` as GBP, ``¥`` as JPY.
Both ``1,234.50`` and ``1.234,50`` are read; a lone separator followed by three digits
is a thousands separator (``€1.234`` is 1234).

Reference amounts are gathered from every tool call's arguments and result: numbers
(or numeric strings) under a money-ish key (``amount``, ``total``, ``price``,
``refund``, ``value``, ``cost``, ``fee``, ``balance``, ``charge``, ``credit``,
``paid``, ``due``, ``held``, ``deposit``, ``subtotal``; not counts, ids, rates or
percentages such as ``total_items``), in the currency named by a ``currency`` key
beside them, in minor units when the key ends in ``_cents`` or ``_minor``; and every
money-formatted string (``"€120.00"``) anywhere in them. ``meta.amount`` is one too,
in ``meta.currency``, and so is every amount written in the request (input and the
transcript's turns but the assistant's). A reference without a currency matches an
output amount of any currency; otherwise the currencies must agree.

An output amount is accounted for when it is within half a cent of a reference
amount; when it is one of a run of two to six same-currency output amounts, in the
order written, that add up to the cent to a reference amount (a £1,180.80 invoice
split into £708.48 and £472.32); or when it is, to the cent, one reference amount less
another of its currency (a €120.00 total of which €50.00 is paid leaves €70.00). The
check fails on the first amount not accounted for; it passes when the output has no
amounts or there is no reference amount to compare with (a reply quoting prices with
no tool call behind it is left to other checks). It does not recompute shares, rates
or conversions: €32.50 said to be half of a €65.00 booking fails unless €32.50 itself
appears somewhere, and so does £23,302.00 for a €26,784.00 invoice reissued in pounds.

Example: the issue_refund call carries ``{"amount": 120, "currency": "EUR"}`` and the
output says "I've refunded €125.00": fails with ``the output says €125.00; the
issue_refund call says €120.00``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from triage.core.checks.result import FAILED, PASSED, CheckResult
from triage.core.checks.text import REQUEST_LABEL, ItemText, call_label, leaves

__all__ = ["Money", "check_amounts", "money_in"]

_PASSED: Final = CheckResult("amounts", PASSED)
"""The result when nothing is found: one value, as results are immutable."""

_SYMBOLS: Final = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
_CODES: Final = (
    "USD EUR GBP JPY CHF CAD AUD NZD SEK NOK DKK PLN CZK HUF INR CNY HKD SGD ZAR BRL MXN"
)
_WORDS: Final = {
    "dollar": "USD",
    "dollars": "USD",
    "euro": "EUR",
    "euros": "EUR",
    "pound": "GBP",
    "pounds": "GBP",
    "yen": "JPY",
}
_SHOWN_SYMBOL: Final = {v: k for k, v in _SYMBOLS.items()}
_MONEY_KEYS: Final = (
    "amount",
    "total",
    "price",
    "refund",
    "value",
    "cost",
    "fee",
    "balance",
    "charge",
    "credit",
    "paid",
    "due",
    "held",
    "deposit",
)
_NOT_MONEY: Final = (
    "count",
    "qty",
    "quantity",
    "items",
    "_id",
    "number",
    "percent",
    "pct",
    "rate",
    "ratio",
    "hours",
    "days",
    "currency",
)
_CURRENCY_KEYS: Final = ("currency", "currency_code", "ccy")
_NUMBER: Final = r"\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_CODE_SET: Final = frozenset(_CODES.split())
_DIGIT: Final = re.compile(r"\d")
# Amounts are found from their currency (a symbol, a code, a word), located by cheap
# literal scans; the number beside it is read with a pattern anchored there. One
# pattern of every form tried at every position costs ten times more.
_AFTER_SYMBOL: Final = re.compile(rf"\s?({_NUMBER})(?!\d)")
_BEFORE_SYMBOL: Final = re.compile(rf"(?<![\w.,])({_NUMBER})\s?$")
_SYMBOL_FIRST: Final = re.compile(rf"[$€£¥]\s?(?:{_NUMBER})(?!\d)")
_ANY_CODE: Final = re.compile("|".join(sorted(_CODE_SET)))
"""Any currency code: alternatives that all start with a capital, so the scan skips
the rest of the text quickly."""
_UPPER3: Final = re.compile(r"(?<![A-Za-z])[A-Z]{3}(?![A-Za-z])")
_WORD_AFTER: Final = re.compile(rf"(?<![\w.,])({_NUMBER})\s(?:dollars?|euros?|pounds?|yen)\b")
_WORD_HINTS: Final = ("dollar", "euro", "pound", "yen")
_REACH: Final = 40
"""Characters read before a currency for the number it follows."""
_MAX_TRIES: Final = 2_000
"""Currency marks looked at in one text, whether or not a number stands by them."""
_MAX_AMOUNTS: Final = 100
_MAX_REFERENCES: Final = 2_000
_STRING_SCAN: Final = 2_000
"""Characters of one tool string scanned for money-formatted amounts."""


@dataclass(frozen=True, slots=True)
class Money:
    """An amount and its currency (``None`` when nothing says which)."""

    value: float
    currency: str | None

    def __str__(self) -> str:
        symbol = _SHOWN_SYMBOL.get(self.currency or "")
        if symbol:
            return f"{symbol}{self.value:,.2f}"
        if self.currency:
            return f"{self.value:,.2f} {self.currency}"
        return f"{self.value:,.2f}"


def _parse_number(text: str) -> float | None:
    """``1,234.50``, ``1.234,50``, ``1 234``, ``9.99`` as a number."""
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace(" ", "")
    last_dot, last_comma = text.rfind("."), text.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        decimal = "." if last_dot > last_comma else ","
    elif last_dot >= 0 or last_comma >= 0:
        sep = "." if last_dot >= 0 else ","
        tail = len(text) - text.rfind(sep) - 1
        decimal = sep if text.count(sep) == 1 and tail != 3 else ""
    else:
        decimal = ""
    thousands = {".", ","} - {decimal}
    for sep in thousands:
        text = text.replace(sep, "")
    if decimal:
        text = text.replace(decimal, ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def money_in(
    text: str, limit: int = _MAX_AMOUNTS, low: str | None = None
) -> list[tuple[Money, str]]:
    """The money amounts written in ``text`` with the text that says each, in order;
    ``low`` is ``text`` lower-cased, when already at hand."""
    spans: list[tuple[int, int, str, str]] = []  # start, end, number, currency
    if "€" in text or "$" in text or "£" in text or "¥" in text:
        _symbol_amounts(text, spans, limit)
    if _ANY_CODE.search(text):
        _code_amounts(text, spans, limit)
    low = text.lower() if low is None else low
    for word in _WORD_HINTS:
        if word in low:
            for match in _WORD_AFTER.finditer(low):
                named = _WORDS[low[match.end(1) + 1 : match.end()]]
                spans.append((match.start(), match.end(), match.group(1), named))
                if len(spans) >= 4 * limit:
                    break
            break
    spans.sort()
    found: list[tuple[Money, str]] = []
    end = -1
    for start, stop, number, currency in spans:
        if start < end:
            continue  # read already as part of another amount: "€120 EUR"
        value = _parse_number(number)
        if value is not None:
            end = stop
            found.append((Money(value, currency), text[start:stop].strip()))
            if len(found) >= limit:
                break
    return found


def _symbol_amounts(text: str, spans: list[tuple[int, int, str, str]], limit: int) -> None:
    """``$120``, ``€ 1.234,50`` and ``120 €``: each symbol and the number beside it."""
    taken: set[int] = set()
    for match in _SYMBOL_FIRST.finditer(text):
        start = match.start()
        taken.add(start)
        number = _AFTER_SYMBOL.match(text, start + 1)
        if number is not None:
            spans.append((start, number.end(), number.group(1), _SYMBOLS[text[start]]))
        if len(spans) >= 4 * limit:
            return
    tries = 0
    for sym, currency in _SYMBOLS.items():
        at = text.find(sym)
        while at >= 0 and tries < _MAX_TRIES:
            tries += 1
            if at not in taken:
                before = _BEFORE_SYMBOL.search(text, max(0, at - _REACH), at)
                if before is not None:
                    spans.append((before.start(), at + 1, before.group(1), currency))
            at = text.find(sym, at + 1)


def _code_amounts(text: str, spans: list[tuple[int, int, str, str]], limit: int) -> None:
    """``USD 40`` and ``120.00 EUR``: each currency code and the number beside it."""
    tries = 0
    for match in _UPPER3.finditer(text):
        tries += 1
        if tries > _MAX_TRIES or len(spans) >= 4 * limit:
            return
        code = match.group()
        if code not in _CODE_SET:
            continue
        start, end = match.span()
        before = _BEFORE_SYMBOL.search(text, max(0, start - _REACH), start)
        if before is not None:
            spans.append((before.start(), end, before.group(1), code))
            continue
        after = _AFTER_SYMBOL.match(text, end)
        if after is not None:
            spans.append((start, after.end(), after.group(1), code))


def _currency_of(parent: Mapping[Any, Any] | None) -> str | None:
    if parent is None:
        return None
    for key in _CURRENCY_KEYS:
        try:
            raw = parent.get(key)
        except Exception:  # a hostile mapping type
            return None
        if isinstance(raw, str) and raw.strip():
            code = raw.strip()
            return _SYMBOLS.get(code, code.upper()[:8])
    return None


@lru_cache(maxsize=1024)
def _money_key(key: str) -> bool:
    """Whether a key names money; keys repeat from call to call, so it is remembered."""
    low = key[:80].lower()
    return any(k in low for k in _MONEY_KEYS) and not any(k in low for k in _NOT_MONEY)


def _as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(value) if -(10**15) < value < 10**15 else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str) and 0 < len(value) <= 40:
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _meta_reference(text: ItemText) -> list[tuple[Money, str]]:
    meta_amount = _as_number(text.meta.get("amount"))
    if meta_amount is None:
        return []
    return [(Money(meta_amount, _currency_of(text.meta)), "meta.amount")]


def references(text: ItemText) -> list[tuple[Money, str]]:
    """Every reference amount and what carries it (``the issue_refund call``,
    ``meta.amount``, ``the request``)."""
    out = _meta_reference(text)
    out.extend((money, REQUEST_LABEL) for money, _ in money_in(text.asked, 50))
    for call in text.calls:
        label = call_label(call)
        for part in (call.arguments, call.result):
            for key, scalar, parent in leaves(part):
                if len(out) >= _MAX_REFERENCES:
                    return out
                if isinstance(scalar, str):
                    has_digit = _DIGIT.search(scalar, 0, _STRING_SCAN) is not None
                    for money, _ in money_in(scalar[:_STRING_SCAN], 20) if has_digit else ():
                        out.append((money, label))
                    if key is None or not _money_key(key):
                        continue
                elif key is None or not _money_key(key):
                    continue
                number = _as_number(scalar)
                if number is None:
                    continue
                if key.lower().endswith(("_cents", "_minor")):
                    number /= 100
                out.append((Money(number, _currency_of(parent)), label))
    return out


def _matches(said: Money, ref: Money) -> bool:
    if ref.currency is not None and said.currency is not None and ref.currency != said.currency:
        return False
    return abs(said.value - ref.value) <= 0.005 + 1e-9


def _cents(value: float) -> int:
    return round(value * 100)


_MAX_PARTS: Final = 6
"""Output amounts, one after another, that may add up to a reference amount."""
_MAX_DIFFERENCES: Final = 200
"""Reference amounts paired up for differences (the first so many)."""


def _in_sums(said: list[Money], refs: list[Money]) -> set[int]:
    """Indices of the output amounts that belong to a run of two to
    :data:`_MAX_PARTS` same-currency amounts, in the order written, adding up to the
    cent to a reference amount: "£708.48 for CC-210 and £472.32 for CC-340" of a
    £1,180.80 invoice."""
    targets: dict[str | None, set[int]] = {}
    for ref in refs:
        targets.setdefault(ref.currency, set()).add(_cents(ref.value))
    anyone = targets.get(None, set())
    covered: set[int] = set()
    for currency in {m.currency for m in said}:
        wanted = targets.get(currency, set()) | anyone
        if not wanted or currency is None:
            continue
        run = [i for i, m in enumerate(said) if m.currency == currency]
        for i in range(len(run)):
            total = 0
            for j in range(i, min(len(run), i + _MAX_PARTS)):
                total += _cents(said[run[j]].value)
                if j > i and total in wanted:
                    covered.update(run[i : j + 1])
    return covered


def _a_difference(money: Money, refs: list[Money]) -> bool:
    """Whether ``money`` is, to the cent, one reference amount less another of the
    same currency (a balance left, a part paid, a difference refunded)."""
    amount = _cents(money.value)
    if amount <= 0:
        return False
    same = [r for r in refs[:_MAX_DIFFERENCES] if r.currency in (money.currency, None)]
    values = {_cents(r.value) for r in same}
    return any(v - amount in values for v in values if v > amount)


def check_amounts(text: ItemText) -> CheckResult:
    """The ``amounts`` check on one item: see the module's docstring."""
    said = money_in(text.output, low=text.lower)
    if not said:
        return _PASSED
    meta = _meta_reference(text)  # most often all an output says: looked at first
    if meta and all(_matches(money, meta[0][0]) for money, _ in said):
        return _PASSED
    refs = references(text)
    if not refs:
        return _PASSED
    unmatched = [
        i for i, (money, _) in enumerate(said) if not any(_matches(money, r) for r, _ in refs)
    ]
    if not unmatched:
        return _PASSED
    plain = [r for r, _ in refs]
    summed = _in_sums([m for m, _ in said], plain)
    for i in unmatched:
        money = said[i][0]
        if i in summed or _a_difference(money, plain):
            continue
        same = [r for r in refs if r[0].currency in (money.currency, None)] or refs
        ref, where = min(same, key=lambda r: abs(r[0].value - money.value))
        verb = "is" if where == "meta.amount" else "says"
        shown = Money(ref.value, ref.currency or money.currency)
        return CheckResult("amounts", FAILED, f"the output says {money}; {where} {verb} {shown}")
    return _PASSED
