"""Outbound email from the mailer: one-to-one notifications and campaigns."""

from __future__ import annotations

from triage.demo.slots import CARRIERS, Draft, Pick, dmy, money, tool

SEGMENT = "wrong-segment"
PLACEHOLDER = "unfilled-placeholder"
_SIGN = "\n\nLinden & Loom"


def _one_to_one(p: Pick, fail: str | None) -> Draft:
    c = p.customer()
    other = p.customer()
    while other.first == c.first:
        other = p.customer()
    prod, o = p.product(), p.order()
    kind = p.between(0, 4)
    if kind == 0:
        carrier = p.one(CARRIERS)
        brief = f"Trigger: order {o} shipped with {carrier}. Send the shipping confirmation."
        subject = f"Order {o} is on its way"
        body = (
            f"Good news: order {o} left our warehouse this morning with {carrier}. You can "
            f"follow it at https://track.lindenloom.com/{o}. Delivery usually takes 2–4 "
            "working days."
        )
        template = "shipping_confirmation"
    elif kind == 1:
        brief = f"Trigger: basket abandoned 24 h ago ({prod.name}). Send the basket reminder."
        subject = "Still thinking it over?"
        body = (
            f"You left the {prod.name} in your basket. We've kept it for you until "
            f"{dmy(p.ahead(2, 3))}; after that it goes back into stock."
        )
        template = "basket_reminder"
    elif kind == 2:
        brief = f"Trigger: order {o} delivered 10 days ago. Send the review request."
        subject = f"How are you getting on with the {prod.name}?"
        body = (
            f"We hope your new {prod.name} has found its place. If you have two minutes, a short "
            "review helps other customers choose, and photos are very welcome."
        )
        template = "review_request"
    elif kind == 3:
        when = p.ahead(1, 2)
        workshop = p.one(("wreath-making workshop", "ceramics workshop", "table-setting class"))
        brief = f"Trigger: booking {p.booking()} starts {when}. Send the reminder."
        subject = f"See you {dmy(when)}: {workshop}"
        body = (
            f"A reminder that your {workshop} is on {dmy(when)} at 18:30 at our Shoreditch "
            "studio. Everything is provided; just bring an apron if you have a favourite."
        )
        template = "booking_reminder"
    else:
        price = p.price(prod, c.currency)
        brief = f"Trigger: price drop on {prod.sku} for a customer on its watchlist."
        subject = f"Price drop: {prod.name}"
        body = (
            f"The {prod.name} you saved now costs {money(round(price * 0.8, 2), c.currency)} "
            f"(was {money(price, c.currency)}) until Sunday."
        )
        template = "price_drop"
    brief += f" Recipient: {c.name} <{c.email}>."
    hello = f"Hi {c.first},"
    draft = Draft(brief, "", {"recipients": 1})
    if fail == PLACEHOLDER:
        if p.chance(0.5):
            hello = "Hi {{first_name}},"
            draft.note = "Sent with '{{first_name}}' left in the greeting."
        else:
            hello = f"Hi {other.first},"
            draft.note = f"Sent to {c.name} but greets {other.first}."
        draft.fail = PLACEHOLDER
    draft.output = f"Subject: {subject}\n\n{hello}\n\n{body}{_SIGN}"
    msg_id = f"<{p.token(12)}@mail.lindenloom.com>"
    draft.tool_calls = [tool("send_email", {"to": c.email, "template": template}, {"id": msg_id})]
    return draft


# (brief, intended segment, its size, a wrong segment, its size, subject, body)
_CAMPAIGNS: tuple[tuple[str, str, tuple[int, int], str, tuple[int, int], str, str], ...] = (
    (
        "Send the Black Friday early-access email to VIP customers only, code VIPEARLY20, "
        "valid until Monday. Keep it short.",
        "vip_customers",
        (310, 480),
        "all_subscribers",
        (3900, 4800),
        "Early access for you: 20% off everything",
        "Before anyone else: use VIPEARLY20 for 20% off the whole shop until Monday night.",
    ),
    (
        "Send the winter linen sale to the EU newsletter list (prices in euros).",
        "newsletter_eu",
        (2100, 2600),
        "newsletter_uk",
        (1500, 1900),
        "Winter linen: 25% off duvet covers and curtains",
        "The Halden duvet cover is now €89 and Mira curtains from €119 until 30 November.",
    ),
    (
        "Apologise to customers whose parcels are stuck at the Hamburg hub; offer free "
        "delivery on the next order.",
        "orders_delayed_hamburg",
        (40, 180),
        "orders_this_month",
        (1800, 2600),
        "Your parcel is running late, and we're sorry",
        "A problem at our carrier's Hamburg hub has delayed your order by a few days. "
        "Your next delivery is on us: the code SORRYSHIP applies automatically.",
    ),
    (
        "Tell the waitlist the Alba bouclé armchair is back in stock (oat and charcoal).",
        "waitlist:ALB-AC-BOU",
        (60, 190),
        "all_customers",
        (5200, 6100),
        "The Alba armchair is back",
        "You asked us to tell you first: the Alba bouclé armchair is back in oat and "
        "charcoal. The last batch sold out in nine days.",
    ),
    (
        "Remind members whose loyalty points expire on 30 November.",
        "points_expiring_nov",
        (120, 560),
        "loyalty_members",
        (2800, 3500),
        "Your points expire on 30 November",
        "You have points waiting: use them at checkout before 30 November, when this "
        "year's balance expires.",
    ),
)


def _campaign(p: Pick, fail: str | None) -> Draft:
    brief, seg, size, wrong, wrong_size, subject, body = p.one(_CAMPAIGNS)
    segment, recipients = seg, p.between(*size)
    draft = Draft(f"Marketing brief from Sofia: {brief}", "", {})
    hello = "Hi there,"
    if fail == SEGMENT:
        segment, recipients = wrong, p.between(*wrong_size)
        draft.fail = SEGMENT
        draft.note = f"Brief said {seg}; sent to {wrong} ({recipients:,} people)."
    elif fail == PLACEHOLDER:
        hello = "Hi {{first_name}},"
        draft.fail, draft.note = PLACEHOLDER, "Merge field not filled: '{{first_name}}'."
    draft.output = (
        f"Subject: {subject}\n\n{hello}\n\n{body}{_SIGN}\n\n"
        f"[sent to segment {segment}: {recipients:,} recipients]"
    )
    draft.meta["recipients"] = recipients
    campaign_id = f"cmp_{p.token(8)}"
    draft.tool_calls = [
        tool(
            "send_campaign",
            {"segment": segment, "subject": subject},
            {"campaign_id": campaign_id, "queued": recipients},
        )
    ]
    return draft


def make_outbound_email(p: Pick, fail: str | None, *, campaign: bool | None = None) -> Draft:
    """An email the mailer sent: mostly single notifications, some campaigns
    (``campaign`` says which when given)."""
    if campaign is None:
        campaign = fail == SEGMENT or p.chance(0.3)
    if campaign:
        draft = _campaign(p, fail)
    else:
        draft = _one_to_one(p, fail)
    draft.meta.update(customer_facing=True, channel="email")
    return draft
