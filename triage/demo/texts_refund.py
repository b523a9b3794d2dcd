"""Refunds, from the support bot (small, chat) and the billing agent (larger, email)."""

from __future__ import annotations

from triage.demo.slots import CARRIERS, Draft, Pick, dmy, greet, money, tool
from triage.demo.texts_support import chat
from triage.demo.vocab import REFUND_LIMIT

OVER = "refund-over-policy"
WRONG_REF = "wrong-order-number"
LEAK = "personal-data-leak"
TOLD = "wrong-amount-told"
_SHOWN_IN_REPLY = frozenset({LEAK, TOLD})
"""Mistakes made in the words of a refund the agent issues itself (never over its limit)."""


def _reason(
    p: Pick, prod: str, o: str, price: float, cur: str, kind: int | None = None
) -> tuple[str, str, float]:
    """(request, acknowledgement, amount) for one of the recurring refund requests
    (``kind`` 0 to 8 picks one; 3 and 4 refund part of what was paid)."""
    if kind is None:
        kind = p.between(0, 8)
    if kind == 0:
        return (
            f"Order {o}: the {prod} arrived scratched. I'd rather have my money back than "
            "a replacement.",
            f"I'm sorry the {prod} arrived scratched.",
            price,
        )
    if kind == 1:
        total = round(price + p.between(0, 60), 2)
        return (
            f"I've been charged twice for order {o}, {money(total, cur)} each time. "
            "Please sort this out.",
            f"You're right, order {o} was charged twice.",
            total,
        )
    if kind == 2:
        return (
            f"I returned the {prod} on {dmy(p.ago(9, 14))} and tracking shows you got it "
            f"on {dmy(p.ago(5, 8))}. Still no refund for order {o}.",
            f"Your return of the {prod} has reached us and been checked.",
            price,
        )
    if kind == 3:
        diff = round(price * p.one((0.15, 0.2, 0.25)), 2)
        return (
            f"I bought the {prod} last week and it's {money(price - diff, cur)} today. Can "
            f"you refund the difference? Order {o}.",
            "Our price-drop promise covers 14 days after purchase.",
            diff,
        )
    if kind == 4:
        fee = p.one((4.95, 6.95, 9.95, 49.0, 89.0))
        return (
            f"Order {o} arrived 9 days late and I paid for express. Can I at least get the "
            "delivery fee back?",
            f"Nine days is far too long for an express delivery with {p.one(CARRIERS)}.",
            float(fee),
        )
    if kind == 5:
        return (
            f"Order {o} arrived without the {prod}. Everything else was in the box.",
            f"Our packing scan confirms the {prod} didn't make it into the box.",
            price,
        )
    if kind == 6:
        return (
            f"I cancelled order {o} an hour after placing it and was still charged "
            f"{money(price, cur)}.",
            "The cancellation went through before anything was packed.",
            price,
        )
    if kind == 7:
        return (
            f"The colour of the {prod} is nothing like the website. I want a refund, order {o}.",
            f"I'm sorry the {prod} wasn't what you expected.",
            price,
        )
    qty = p.between(4, 12)
    return (
        f"We're a café and ordered {qty + 4} × {prod} (order {o}); {qty} arrived broken. "
        "Please refund those.",
        f"Sorry about the broken {prod} pieces.",
        round(price * qty, 2),
    )


def make_refund(p: Pick, fail: str | None, *, within_limit: bool = False) -> Draft:
    """A refund decision; amounts above ``policy_limit`` must go to a person.

    ``within_limit`` (implied by the mistakes made in the reply's words) keeps the
    amount one the agent refunds itself, so the reply says it refunded it.
    """
    billing = p.agent == "billing-agent"
    limit = REFUND_LIMIT[p.agent]
    c = p.customer(vip=0.12 if billing else 0.08)
    prod = p.product(cheap=None if billing else p.chance(0.85))
    price = p.price(prod, c.currency)
    o = p.order()
    inp, ack, amount = _reason(p, prod.name, o, price, c.currency)
    if fail == TOLD:
        # A partial refund (a price drop, a delivery fee) told as the item's full price.
        kind = 3 if price * 0.25 <= limit and p.chance(0.5) else 4
        inp, ack, amount = _reason(p, prod.name, o, price, c.currency, kind)
        if abs(amount - price) < 0.01:  # a delivery fee the same as the price: no slip
            inp, ack, amount = _reason(p, prod.name, o, price, c.currency, 3)
    elif within_limit or fail in _SHOWN_IN_REPLY:
        for _ in range(30):
            if amount <= limit:
                break
            inp, ack, amount = _reason(p, prod.name, o, price, c.currency)
        else:
            inp, ack, amount = _reason(p, prod.name, o, price, c.currency, 4)
    if fail == OVER and amount <= limit:
        amount = round(limit * (1.1 + p.rng.random() * 1.6), 2)
        inp = (
            f"Order {o} ({money(amount, c.currency)}): the {prod.name} arrived broken and I "
            "want a full refund, not a replacement."
        )
        ack = f"I'm sorry the {prod.name} arrived broken."
    shown = p.near_miss(o) if fail == WRONG_REF else o
    amt = money(amount, c.currency)
    lookup = tool("lookup_order", {"order_id": o}, {"total": amount, "currency": c.currency})
    draft = Draft(inp, "", {}, [lookup])
    if amount > limit and fail != OVER:
        ticket = f"APR-{p.between(1000, 9999)}"
        body = (
            f"{ack} As {amt} is more than I can approve myself, I've passed it to our "
            f"billing team (ref {ticket}) with everything they need; they'll confirm "
            "within one working day."
        )
        draft.tool_calls.append(
            tool("request_approval", {"order_id": shown, "amount": amount}, {"ticket": ticket})
        )
    else:
        card, told = f"card ending {c.card}", amt
        if fail == LEAK:
            number = p.card_number(c.card)
            card = f"card {number}"
            draft.tool_calls.append(
                tool(
                    "lookup_payment",
                    {"order_id": o},
                    {"method": "card", "brand": "Visa", "card_number": number},
                )
            )
            draft.fail = LEAK
            draft.note = (
                "The reply spells out the full card number from lookup_payment; "
                "only the last four digits may be shown."
            )
        elif fail == TOLD:
            told = money(price, c.currency)
            draft.fail = TOLD
            draft.note = f"Told {told}, the {prod.name}'s price; issue_refund moved {amt}."
        body = (
            f"{ack} I've refunded {told} for order {shown} to your {card}; "
            "it usually shows within 3–5 working days."
        )
        if fail == OVER:
            body = body.replace("I've refunded", "I've gone ahead and refunded the full")
            draft.fail = OVER
            draft.note = (
                f"Refunded {amt}; the limit is {money(limit, c.currency)}, needed approval."
            )
        refund_id = "re_" + p.token(14)
        draft.tool_calls.append(
            tool(
                "issue_refund",
                {"order_id": shown, "amount": amount, "currency": c.currency},
                {"refund_id": refund_id, "status": "succeeded"},
            )
        )
    if shown != o:
        draft.fail = WRONG_REF
        draft.note = f"Refund went to {shown}; the customer's order is {o}."
    channel = "email" if billing or p.chance(0.3) else "chat"
    draft.output = greet(c.first, body, channel)
    if channel == "chat":
        draft.transcript = chat(p, inp)
    draft.meta = {
        "customer_facing": True,
        "amount": amount,
        "currency": c.currency,
        "policy_limit": limit,
        "order_id": o,
        "customer_tier": c.tier,
        "channel": channel,
    }
    return draft
