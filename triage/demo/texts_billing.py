"""Invoice adjustments for trade customers, from the billing agent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from triage.demo.slots import Draft, Pick, convert, greet, money, tool
from triage.demo.vocab import CREDIT_LIMIT

WRONG_AMOUNT = "invoice-wrong-amount"
WRONG_REF = "wrong-order-number"

_COMPANIES = (
    ("Studio Maren Interiors", "Maren", "EUR"),
    ("Café Lindholm", "Erik", "EUR"),
    ("Hotel Vester", "Louise", "EUR"),
    ("Kobe & Co. Architects", "Hiro", "GBP"),
    ("The Fern Room", "Claire", "GBP"),
    ("Nordlys Coworking", "Sigrid", "EUR"),
    ("Bloom Dental Clinic", "Aisling", "EUR"),
    ("Harbour House B&B", "Gwen", "GBP"),
    ("Loft 19 Studios", "Dana", "USD"),
)


@dataclass
class Case:
    """One invoice request: what was asked, what was done, and for how much."""

    p: Pick
    inv: str
    shown: str
    """The invoice the agent acted on (differs from ``inv`` when it picked the wrong one)."""
    cur: str
    unit: float
    total: float
    wrong: bool
    request: str = ""
    did: str = ""
    amount: float = 0.0
    note: str = ""
    credit: bool = True
    """A credit that needs finance above the limit (reissues and splits don't)."""

    def m(self, value: float, currency: str | None = None) -> str:
        return money(value, currency or self.cur)


def _trade_discount(c: Case) -> None:
    pct = c.p.one((10, 12, 15))
    right = round(c.total * pct / 100, 2)
    c.amount = round(c.total / 1.25 * pct / 100, 2) if c.wrong else right
    c.request = f"Our {pct}% trade discount is missing from {c.inv} ({c.m(c.total)}). Please fix."
    if c.wrong:
        c.note = f"{pct}% of {c.m(c.total)} is {c.m(right)}, not {c.m(c.amount)}."
    c.did = (
        f"applied the {pct}% trade discount to {c.shown}: {pct}% of {c.m(c.total)} is "
        f"{c.m(c.amount)}, issued as a credit note"
    )


def _vat_number(c: Case) -> None:
    vat = f"{c.p.one(('DK', 'NL', 'IE', 'GB'))}{c.p.between(10_000_000, 99_999_999)}"
    c.request = f"Please reissue {c.inv} with our VAT number {vat}; we can't reclaim without it."
    c.did, c.credit = f"reissued {c.shown} with VAT number {vat}; the amounts are unchanged", False


def _short_delivery(c: Case) -> None:
    prod = c.p.product("furniture", "textile", "tableware").name
    qty, short = c.p.between(8, 16), c.p.between(1, 3)
    billed = short + 1 if c.wrong else short
    c.amount = round(c.unit * billed, 2)
    c.request = f"{c.inv} bills {qty} × {prod} but only {qty - short} arrived. Credit the rest?"
    if c.wrong:
        c.note = (
            f"{short} missing × {c.m(c.unit)} = {c.m(c.unit * short)}; credited {c.m(c.amount)}."
        )
    c.did = f"issued a credit note against {c.shown} for the missing {prod}: {c.m(c.amount)}"


def _returned(c: Case) -> None:
    prod = c.p.product("furniture", "lighting").name
    qty = c.p.between(1, 4)
    c.amount = round(c.unit * (qty + 2 if c.wrong else qty), 2)
    c.request = f"We returned {qty} × {prod} last week (on {c.inv}). Can we have the credit note?"
    if c.wrong:
        c.note = f"Returned {qty}; the credit note is for {qty + 2}."
    c.did = f"credited {c.m(c.amount)} against {c.shown} for the returned {prod}"


def _late_fee(c: Case) -> None:
    fee = float(c.p.one((25, 40, 50)))
    c.amount = fee * 10 if c.wrong else fee
    ref = f"TRX-{c.p.between(10000, 99999)}"
    c.request = f"There's a {c.m(fee)} late fee on {c.inv} but we paid on time, ref {ref}."
    if c.wrong:
        c.note = f"The late fee was {c.m(fee)}; credited {c.m(c.amount)}."
    c.did = f"confirmed your payment arrived in time and credited the {c.m(c.amount)} late fee"


def _currency(c: Case) -> None:
    c.cur = "EUR"
    right = convert(c.total, "GBP")
    gbp = round(c.total / 0.87, 2) if c.wrong else right
    c.amount, c.credit = c.total, False
    c.request = f"Can you reissue {c.inv} ({c.m(c.total)}) in pounds? It's for our London office."
    if c.wrong:
        c.note = f"Converted the wrong way: {c.m(c.total)} is about {c.m(right, 'GBP')}."
    c.did = f"reissued {c.shown} in pounds: {c.m(gbp, 'GBP')} at today's rate"


def _split(c: Case) -> None:
    first = round(c.total * 0.6, 2)
    second = round(c.total * 0.24 if c.wrong else c.total - first, 2)
    c.amount, c.credit = c.total, False
    c.request = f"Please split {c.inv} ({c.m(c.total)}) 60/40 between CC-210 and CC-340."
    if c.wrong:
        c.note = f"{c.m(first)} + {c.m(second)} is not {c.m(c.total)}."
    c.did = f"split {c.shown} into {c.m(first)} for CC-210 and {c.m(second)} for CC-340"


def _duplicate(c: Case) -> None:
    dup = f"INV-2026-{int(c.inv[-4:]) + 1:04d}"
    c.amount, c.credit = c.total, False
    c.request = (
        f"We got {c.inv} and {dup} for the same order, {c.m(c.total)} each. We paid {c.inv}."
    )
    if c.shown != c.inv:  # the agent is to act on the wrong invoice: the paid one
        c.shown, c.note = c.inv, f"Voided {c.inv}, which was paid; the duplicate was {dup}."
    else:
        c.shown = dup
    c.did = f"voided {c.shown} as a duplicate; nothing more is owed on that order"


KINDS: tuple[Callable[[Case], None], ...] = (
    _trade_discount,
    _vat_number,
    _short_delivery,
    _returned,
    _late_fee,
    _currency,
    _split,
    _duplicate,
)
_CAN_BE_WRONG = (_trade_discount, _short_delivery, _returned, _late_fee, _currency, _split)


def make_invoice_adjustment(p: Pick, fail: str | None) -> Draft:
    """A corrected invoice or credit note; credits above ``policy_limit`` need finance."""
    company, contact, cur = p.one(_COMPANIES)
    inv = p.invoice()
    unit = convert(p.product("furniture", "textile", "tableware", "lighting").price, cur)
    total = round(unit * p.between(6, 24) * 0.9, 2)
    wrong = fail == WRONG_AMOUNT
    shown = p.near_miss(inv) if fail == WRONG_REF else inv
    case = Case(p, inv, shown, cur, unit, total, wrong)
    p.one(_CAN_BE_WRONG if wrong else KINDS)(case)
    lookup = {"total": total, "currency": cur, "status": "open"}
    draft = Draft(f"From {contact} at {company}: {case.request}", "", {})
    draft.tool_calls = [tool("lookup_invoice", {"invoice": inv}, lookup)]
    if case.credit and case.amount > CREDIT_LIMIT and not wrong:
        body = (
            "I've prepared this for our finance team to sign off, as it's above what I can "
            f"issue myself: {case.did}. You'll have the document within one working day."
        )
        args = {"invoice": case.shown, "amount": case.amount}
        draft.tool_calls.append(tool("draft_credit_note", args, {"status": "awaiting_approval"}))
    else:
        body = f"Thanks for flagging this. I've {case.did}. The new document is in your account."
        args = {"invoice": case.shown, "amount": case.amount, "currency": case.cur}
        result = {"document": f"CN-2026-{p.between(100, 999)}"}
        draft.tool_calls.append(tool("adjust_invoice", args, result))
    if wrong:
        draft.fail, draft.note = WRONG_AMOUNT, case.note
    elif fail == WRONG_REF:
        draft.fail = WRONG_REF
        draft.note = case.note or f"Adjusted {case.shown}; the customer asked about {inv}."
    draft.output = greet(contact, body, "email")
    draft.meta = {
        "customer_facing": True,
        "amount": case.amount,
        "currency": case.cur,
        "policy_limit": CREDIT_LIMIT,
        "order_id": inv,
        "customer_tier": "vip" if company.startswith("Hotel") else "standard",
        "channel": "email",
    }
    return draft
