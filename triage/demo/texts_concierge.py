"""Booking changes and cancellations from the concierge (studios, visits, workshops)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from triage.demo.slots import (
    ADDRESSES,
    FRIENDS,
    Customer,
    Draft,
    Pick,
    dmy,
    greet,
    money,
    tool,
)
from triage.demo.texts_support import chat

WRONG_SLOT = "booking-wrong-slot"
WRONG_REF = "wrong-order-number"
FEE_WAIVED = "cancellation-fee-waived"

SERVICES: tuple[tuple[str, float], ...] = (
    ("in-home styling consultation", 120.0),
    ("wreath-making workshop", 55.0),
    ("ceramics workshop", 65.0),
    ("white-glove delivery and assembly", 89.0),
    ("colour consultation", 75.0),
    ("curtain measuring visit", 45.0),
    ("table-setting masterclass", 48.0),
)
BRANCHES: tuple[tuple[str, str], ...] = (
    ("London Shoreditch studio", "GBP"),
    ("Copenhagen showroom", "EUR"),
    ("Amsterdam studio", "EUR"),
)
_REASONS = (
    "our daughter has come down with a fever",
    "my flight home was cancelled",
    "the builders haven't finished the kitchen",
    "we double-booked ourselves",
    "I've been called into work",
    "the snow means we can't get there",
    "we're moving house that week",
    "we've decided to go with a different design",
)
_CANCEL_ASKS = (
    "Hi, I need to cancel {when} ({ref}), {why}.",
    "Please cancel booking {ref}, {when}. {Why}, unfortunately.",
    "{Why}, so we can't make {when}. Can you cancel {ref}?",
    "Can I get my money back for {when}? Booking {ref}. {Why}.",
    "cancel {ref} please, {why}. thanks",
    "Hello, unfortunately {why}, so we'll have to cancel {when} (ref {ref}).",
    "Is it too late to cancel {when}? {Why}. It's booking {ref}.",
    "We won't make it to {when} after all ({ref}): {why}.",
)
# (request, slot asked for, slot booked when right, slot booked when wrong or None, extra)
Case = tuple[str, str, str | None, str]
Change = Callable[[Pick, Customer, str, str], Case]


def _move_day(p: Pick, c: Customer, svc: str, ref: str) -> Case:
    d1, d2 = p.ahead(2, 5), p.ahead(7, 12)
    inp = f"Could we move our {svc} ({ref}) from {dmy(d1)} to {dmy(d2)}? Mornings suit us best."
    return inp, f"{dmy(d2)} at 09:30", f"{dmy(d2)} at 14:30", f"The {dmy(d1)} slot is released."


def _morning(p: Pick, c: Customer, svc: str, ref: str) -> Case:
    d = p.ahead(2, 6)
    inp = f"For {ref} on {dmy(d)}, can the {svc} be in the morning (8–12) instead? We both work."
    return (
        inp,
        f"{dmy(d)}, 08:00–12:00",
        f"{dmy(d)}, 12:00–16:00",
        "The team will call 30 minutes before.",
    )


def _add_guest(p: Pick, c: Customer, svc: str, ref: str) -> Case:
    d, friend = p.ahead(3, 9), p.one(FRIENDS)
    inp = f"Is there room to add my friend {friend} to the {svc} on {dmy(d)}? Booking {ref}."
    wrong = d + timedelta(days=7)
    extra = f"{friend} is added, so that's two places; the extra place is charged to your card."
    return inp, f"{dmy(d)} at 18:30", f"{dmy(wrong)} at 18:30", extra


def _new_address(p: Pick, c: Customer, svc: str, ref: str) -> Case:
    d, address = p.ahead(4, 10), p.one(ADDRESSES)
    inp = f"We've moved! Can the {svc} on {dmy(d)} ({ref}) happen at {address} instead?"
    return inp, f"{dmy(d)} at 10:00", None, f"The visit address is now {address}."


def _late(p: Pick, c: Customer, svc: str, ref: str) -> Case:
    inp = f"Running about 20 minutes late for the {svc} at 11:00 today ({ref}), sorry!"
    return inp, f"{dmy(p.day)} at 11:30", f"{dmy(p.day + timedelta(days=1))} at 11:30", "No rush."


def _swap_session(p: Pick, c: Customer, svc: str, ref: str) -> Case:
    thu = p.ahead(2, 5)
    sat = thu + timedelta(days=(5 - thu.weekday()) % 7 or 7)
    inp = f"Can I swap my {svc} ({ref}) from the {dmy(thu)} evening session to Saturday morning?"
    return inp, f"{dmy(sat)} at 10:00", f"{dmy(sat + timedelta(days=7))} at 10:00", "Same price."


def _evening_delivery(p: Pick, c: Customer, svc: str, ref: str) -> Case:
    d = p.ahead(2, 6)
    inp = f"Can the {svc} for {ref} be after 5pm on {dmy(d)}? Nobody's home before then."
    return (
        inp,
        f"{dmy(d)}, 17:00–20:00",
        f"{dmy(d)}, 12:00–16:00",
        "The driver texts an hour ahead.",
    )


def _group(p: Pick, c: Customer, svc: str, ref: str) -> Case:
    d = p.ahead(5, 12)
    inp = f"We're now four people for the {svc} on {dmy(d)} ({ref}), is there space?"
    return inp, f"{dmy(d)} at 18:00", None, "You're at the big table now, four places."


CHANGES: tuple[Change, ...] = (
    _move_day,
    _morning,
    _add_guest,
    _new_address,
    _late,
    _swap_session,
    _evening_delivery,
    _group,
)


def _free(asked: str, wrong: str | None) -> list[str]:
    """The slots find_slots offered: the one asked for, and the wrong one if there is one."""
    return [asked] if wrong is None else sorted((asked, wrong))


def _base(p: Pick) -> tuple[Customer, str, float, str, str, str]:
    branch, cur = p.one(BRANCHES)
    svc, price = p.one(SERVICES)
    c = p.customer(vip=0.1, currency=cur)
    return c, svc, price if cur == "EUR" else round(price * 0.87), branch, cur, p.booking()


def _finish(p: Pick, draft: Draft, c: Customer, ref: str, value: float, cur: str) -> Draft:
    channel = p.one(("sms", "email", "chat"))
    draft.output = greet(c.first, draft.output, channel)
    if channel == "chat":
        draft.transcript = chat(p, draft.input)
    draft.meta = {
        "customer_facing": True,
        "channel": channel,
        "customer_tier": c.tier,
        "order_id": ref,
        "amount": value,
        "currency": cur,
    }
    return draft


def make_booking_change(p: Pick, fail: str | None) -> Draft:
    """A rescheduled booking; ``booking-wrong-slot`` books a slot the customer didn't ask for."""
    c, svc, price, branch, cur, ref = _base(p)
    changes = CHANGES if fail != WRONG_SLOT else tuple(CHANGES[i] for i in (0, 1, 2, 4, 5, 6))
    inp, asked, wrong, extra = p.one(changes)(p, c, svc, ref)
    slot, shown = asked, p.near_miss(ref) if fail == WRONG_REF else ref
    draft = Draft(inp, "", {})
    if fail == WRONG_SLOT and wrong is not None:
        slot, draft.fail = wrong, WRONG_SLOT
        draft.note = f"Asked for {asked}; booked {wrong}."
    elif shown != ref:
        draft.fail, draft.note = WRONG_REF, f"Rescheduled {shown}; the customer's booking is {ref}."
    draft.output = (
        f"Done: your {svc} ({shown}) is now {slot} at our {branch}, as requested. {extra}"
    )
    draft.tool_calls = [
        tool("find_slots", {"service": svc, "branch": branch}, {"free": _free(asked, wrong)}),
        tool("reschedule_booking", {"booking": shown, "slot": slot}, {"ok": True}),
    ]
    return _finish(p, draft, c, ref, price, cur)


def make_cancel_reservation(p: Pick, fail: str | None) -> Draft:
    """A cancellation; under 48 hours' notice the policy keeps a 50% fee."""
    c, svc, price, branch, cur, ref = _base(p)
    late = fail == FEE_WAIVED or p.chance(0.55)
    while True:
        hours = p.between(3, 46) if late else p.between(50, 400)
        start = p.day + timedelta(hours=hours + 9)
        if start.weekday() != 6:  # the studios are closed on Sundays
            break
    days_off = (start - p.day).days
    when = {0: f"today's {svc}", 1: f"tomorrow's {svc}"}.get(days_off, f"the {svc} on {dmy(start)}")
    why = p.one(_REASONS)
    inp = p.one(_CANCEL_ASKS).format(when=when, ref=ref, why=why, Why=why[0].upper() + why[1:])
    if late and inp[-1] in ".?" and p.chance(0.6):
        inp += " Sorry for the short notice."
    shown = p.near_miss(ref) if fail == WRONG_REF else ref
    fee = round(price / 2, 2)
    draft = Draft(inp, "", {})
    if late and fail != FEE_WAIVED:
        refund = price - fee
        draft.output = (
            f"I've cancelled your {svc} on {dmy(start)} ({shown}). As it's less than 48 hours "
            f"before the start, our terms keep a late-cancellation fee of {money(fee, cur)} "
            f"(50%); the remaining {money(refund, cur)} goes back to your card. If you'd rather "
            "move it instead, I can still do that without the fee."
        )
    else:
        refund = price
        draft.output = (
            f"I've cancelled your {svc} on {dmy(start)} ({shown}) and refunded the full "
            f"{money(price, cur)} to your card; it shows within 3–5 working days."
        )
        if late:
            draft.output += " No charge this time, of course."
            draft.fail = FEE_WAIVED
            draft.note = (
                f"Cancelled {hours} h before the start; the 50% fee ({money(fee, cur)}) applies."
            )
    if shown != ref:
        draft.fail, draft.note = WRONG_REF, f"Cancelled {shown}; the customer's booking is {ref}."
    draft.tool_calls = [
        tool(
            "lookup_booking", {"booking": ref}, {"service": svc, "branch": branch, "value": price}
        ),
        tool(
            "cancel_booking", {"booking": shown}, {"cancelled": True, "hours_before_start": hours}
        ),
        tool(
            "issue_refund",
            {"booking": shown, "amount": refund, "currency": cur},
            {"status": "succeeded"},
        ),
    ]
    return _finish(p, draft, c, ref, price, cur)
