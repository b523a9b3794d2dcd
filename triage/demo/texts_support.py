"""Customer support replies from the support bot."""

from __future__ import annotations

from collections.abc import Callable

from triage.demo.slots import (
    ADDRESSES,
    CARRIERS,
    COLOURS,
    FRIENDS,
    HUBS,
    PART,
    Customer,
    Draft,
    Pick,
    dmy,
    greet,
    money,
    tool,
    weekday,
)

WRONG_REF = "wrong-order-number"
PROMISE = "promised-delivery-date"
Template = Callable[[Pick, Customer, str | None], Draft]


def _ref(p: Pick, order: str, fail: str | None) -> str:
    return p.near_miss(order) if fail == WRONG_REF else order


def _wrong_ref(draft: Draft, order: str, shown: str) -> Draft:
    if shown != order:
        draft.fail = WRONG_REF
        draft.note = f"Customer's order is {order}; the reply talks about {shown}."
    return draft


def where_is_order(p: Pick, c: Customer, fail: str | None) -> Draft:
    """A customer asks where their order is; the lookup is made with the right order."""
    o, prod, carrier, hub = p.order(), p.product().name, p.one(CARRIERS), p.one(HUBS)
    ordered, scan = p.ago(6, 10), p.ago(2, 4)
    shown = _ref(p, o, fail)
    inp = p.one(
        (
            f"Hi, I ordered the {prod} on {dmy(ordered)} (order {o}) and the tracking hasn't "
            f"moved since {weekday(scan)}. Any idea when it'll arrive?",
            f"Order {o} still says 'in transit' after a week. I need the {prod} before "
            f"{dmy(p.ahead(3, 6))}, we have people coming over.",
            f"hello, where is my order?? {o}. {carrier} just says 'parcel delayed'",
        )
    )
    last = (
        f"I've asked {carrier} to check it, and if there's no new scan by {dmy(p.ahead(2, 3))} "
        "I'll open a trace and send a replacement."
    )
    draft = Draft(inp, "", {"order_id": o})
    if fail == PROMISE:
        promised = p.ahead(1, 2)
        last = (
            f"I've checked with {carrier} and I can guarantee it will be with you on "
            f"{dmy(promised)} before 12:00."
        )
        draft.fail, draft.note = PROMISE, f"Guaranteed delivery {dmy(promised)} before noon."
    draft.output = (
        f"Thanks for your patience, {c.first}. Order {shown} left our warehouse on "
        f"{dmy(p.ago(4, 5))} with {carrier} and was last scanned at their {hub} depot on "
        f"{dmy(scan)}. Parcels that stall there usually move again within two working days. " + last
    )
    status = {"status": "in_transit", "carrier": carrier, "last_scan": f"{hub}, {scan}"}
    draft.tool_calls = [tool("lookup_order", {"order_id": o}, status)]
    return _wrong_ref(draft, o, shown)


def _damaged(p: Pick, c: Customer, fail: str | None) -> Draft:
    prod, o = p.product(), p.order()
    damage, new, shown = p.one(PART[prod.kind]), p.order(), _ref(p, o, fail)
    inp = p.one(
        (
            f"The {prod.name} from order {o} arrived with a {damage}. Photos attached. "
            "Really disappointed, it was a present.",
            f"Order {o}: {damage} on the {prod.name}, the box looked fine so it must have "
            "left like that. What now?",
        )
    )
    out = (
        f"I'm really sorry the {prod.name} arrived with a {damage}, {c.first}; that's not how "
        f"it should have left us. I've set up a free replacement for order {shown}, which "
        f"ships on {dmy(p.ahead(1, 2))}. There's no need to send the damaged one back."
    )
    calls = [
        tool("lookup_order", {"order_id": o}, {"status": "delivered", "items": [prod.sku]}),
        tool(
            "create_replacement",
            {"order_id": shown, "sku": prod.sku, "reason": "damaged_in_transit"},
            {"replacement_order": new},
        ),
    ]
    return _wrong_ref(Draft(inp, out, {"order_id": o}, calls), o, shown)


def _product_question(p: Pick, c: Customer, fail: str | None) -> Draft:
    prod = p.product("furniture", "textile", "lighting")
    if prod.kind == "furniture":
        gap = p.between(55, 95)
        width = gap - p.between(4, 15)
        inp = f"Is the {prod.name} solid wood or veneer? Would it fit a {gap} cm gap?"
        out = (
            f"The {prod.name} is solid FSC-certified wood with an oil finish, no veneer. It "
            f"is {width} cm wide, so it fits your {gap} cm gap with {gap - width} cm to spare."
        )
        facts: dict[str, object] = {"material": "solid wood, oiled", "width_cm": width}
    elif prod.kind == "textile":
        inp = f"Can the {prod.name} go in the tumble dryer? Don't want it to shrink."
        out = (
            "It's pre-washed, so shrinkage stays under 2%. A low tumble-dry setting is fine, "
            "but the linen keeps its texture best dried on a line."
        )
        facts = {"care": "wash 40°C, tumble low", "pre_washed": True}
    else:
        inp = f"What bulb does the {prod.name} take, and does it work with a dimmer?"
        out = (
            f"The {prod.name} takes an E27 bulb up to 40 W (LED recommended). It works with "
            "a trailing-edge dimmer when you use a dimmable LED bulb."
        )
        facts = {"fitting": "E27", "max_watt": 40, "dimmable": "with dimmable LED"}
    calls = [tool("lookup_product", {"sku": prod.sku}, facts)]
    return Draft(inp, out, {}, calls)


def _change_address(p: Pick, c: Customer, fail: str | None) -> Draft:
    o, address = p.order(), p.one(ADDRESSES)
    shown = _ref(p, o, fail)
    inp = f"Can I change the delivery address for order {o}? We've just moved to {address}."
    out = (
        f"Done: order {shown} will now go to {address}. It hadn't been handed to the carrier "
        "yet, so the change is in time, and you'll get fresh tracking when it ships."
    )
    calls = [tool("update_order_address", {"order_id": shown, "address": address}, {"ok": True})]
    return _wrong_ref(Draft(inp, out, {"order_id": o}, calls), o, shown)


def _restock(p: Pick, c: Customer, fail: str | None) -> Draft:
    prod, colour, eta = p.product(), p.one(COLOURS), p.ahead(8, 20)
    inp = p.one(
        (
            f"When will the {prod.name} be back in stock in {colour}? I've been waiting weeks.",
            f"Any news on the {prod.name} ({colour})? It's been sold out since October.",
        )
    )
    out = (
        f"We expect the {prod.name} in {colour} back in our warehouse in the week of "
        f"{dmy(eta)}, though supplier dates can move. Tap 'notify me' on the product page "
        "and you'll get an email the moment it's available."
    )
    draft = Draft(inp, out, {})
    if fail == PROMISE:
        draft.output = (
            f"Good news: the {prod.name} in {colour} is back on {dmy(eta)}, and if you order "
            f"today I can guarantee delivery by {dmy(p.ahead(21, 23))}."
        )
        draft.fail, draft.note = PROMISE, "Guaranteed delivery on stock that hasn't arrived yet."
    draft.tool_calls = [
        tool("check_stock", {"sku": prod.sku, "colour": colour}, {"in_stock": 0, "eta": str(eta)})
    ]
    return draft


def _discount_code(p: Pick, c: Customer, fail: str | None) -> Draft:
    code = p.one(("WINTER15", "WELCOME10", "LINEN20", "HOMEWARM", "NOVNEWS"))
    pct, until = p.one((10, 15, 20)), p.ahead(1, 4)
    inp = f"The code {code} says it's expired but your email said valid until {dmy(until)}?"
    out = (
        f"You're right, {c.first}: {code} was set to expire early by mistake. I've added "
        f"{pct}% off to your account; it applies automatically at checkout until {dmy(until)}."
    )
    calls = [
        tool("check_discount", {"code": code}, {"valid": False, "expired_at": str(p.ago(0, 1))}),
        tool("grant_discount", {"customer": c.email, "percent": pct}, {"ok": True}),
    ]
    return Draft(inp, out, {}, calls)


def _care(p: Pick, c: Customer, fail: str | None) -> Draft:
    prod = p.product("furniture")
    inp = p.one(
        (
            f"How do I get a water ring off the {prod.name}? Someone put a glass down.",
            f"There's a white mark on our {prod.name} from a hot mug. Is it ruined?",
        )
    )
    out = (
        "Don't worry, it's almost always in the oil rather than the wood. Rub the mark gently "
        "along the grain with a soft cloth and a little of the care oil from the box. If it's "
        "still there once dry, a light pass with 400-grit paper before re-oiling lifts it."
    )
    calls = [tool("search_help_centre", {"query": "water mark oiled oak"}, {"article": "care-23"})]
    return Draft(inp, out, {}, calls)


def _return_howto(p: Pick, c: Customer, fail: str | None) -> Draft:
    prod, o, colour, carrier = p.product(), p.order(), p.one(COLOURS), p.one(CARRIERS)
    shown, deadline = _ref(p, o, fail), p.ahead(14, 20)
    inp = (
        f"I'd like to return the {prod.name} from order {o}, the {colour} is much darker "
        "than on the website. How do I do that?"
    )
    out = (
        f"No problem. I've emailed you a prepaid return label for order {shown}; drop the "
        f"parcel at any {carrier} point by {dmy(deadline)}. Once it reaches us, the refund "
        "goes back to your card within 5 working days."
    )
    calls = [
        tool("create_return", {"order_id": shown}, {"label": "sent", "deadline": str(deadline)})
    ]
    return _wrong_ref(Draft(inp, out, {"order_id": o}, calls), o, shown)


def _missing_parts(p: Pick, c: Customer, fail: str | None) -> Draft:
    prod, o = p.product("furniture"), p.order()
    shown = _ref(p, o, fail)
    inp = f"The {prod.name} (order {o}) came without the screws for the legs. Can't build it."
    out = (
        f"Sorry about that, {c.first}. I've sent the fixing kit (8 × M6 bolts and the Allen "
        f"key) by tracked post under order {shown}; it usually arrives in 2–3 working days."
    )
    calls = [tool("send_parts", {"order_id": shown, "kit": f"{prod.sku}-FIX"}, {"ok": True})]
    return _wrong_ref(Draft(inp, out, {"order_id": o}, calls), o, shown)


def _gift(p: Pick, c: Customer, fail: str | None) -> Draft:
    o, friend = p.order(), p.one(FRIENDS)
    shown = _ref(p, o, fail)
    inp = (
        f"Can you add a gift message to order {o}? 'Happy housewarming, love from {friend}'. "
        "And please leave the receipt out."
    )
    out = (
        f"Lovely. I've added a card saying 'Happy housewarming, love from {friend}' to order "
        f"{shown} and marked it as a gift, so there's no receipt or price in the box."
    )
    calls = [tool("update_order_note", {"order_id": shown, "gift": True}, {"ok": True})]
    return _wrong_ref(Draft(inp, out, {"order_id": o}, calls), o, shown)


def _gift_card(p: Pick, c: Customer, fail: str | None) -> Draft:
    amount = float(p.one((25, 50, 75, 100)))
    code = p.token(4, "ABCDEFGHJKLMNPQRSTUVWXYZ").upper() + "-" + p.token(4, "23456789")
    inp = f"My gift card {code} shows a balance of zero but I haven't used it. It was {amount:.0f}."
    out = (
        f"I've checked gift card {code}: the {money(amount, c.currency)} balance was held by an "
        "unfinished checkout from last week. I've released it, so the full amount is usable now."
    )
    calls = [tool("lookup_gift_card", {"code": code}, {"balance": 0, "held": amount})]
    return Draft(inp, out, {}, calls)


TEMPLATES: tuple[tuple[Template, frozenset[str]], ...] = (
    (where_is_order, frozenset({PROMISE, WRONG_REF})),
    (_damaged, frozenset({WRONG_REF})),
    (_product_question, frozenset()),
    (_change_address, frozenset({WRONG_REF})),
    (_restock, frozenset({PROMISE})),
    (_discount_code, frozenset()),
    (_care, frozenset()),
    (_return_howto, frozenset({WRONG_REF})),
    (_missing_parts, frozenset({WRONG_REF})),
    (_gift, frozenset({WRONG_REF})),
    (_gift_card, frozenset()),
)

_FOREIGN = {
    "de": (
        "German",
        "Hallo {first}, vielen Dank für Ihre Nachricht. Ich habe mir Ihr Anliegen angesehen "
        "und kümmere mich darum; Sie erhalten innerhalb von 24 Stunden eine Bestätigung per "
        "E-Mail.",
    ),
    "nl": (
        "Dutch",
        "Hoi {first}, bedankt voor je bericht. Ik heb je vraag bekeken en regel het; je "
        "ontvangt binnen 24 uur een bevestiging per e-mail.",
    ),
    "fr": (
        "French",
        "Bonjour {first}, merci pour votre message. J'ai bien regardé votre demande et je "
        "m'en occupe ; vous recevrez une confirmation par e-mail sous 24 heures.",
    ),
    "da": (
        "Danish",
        "Hej {first}, tak for din besked. Jeg har set på din henvendelse og ordner det; du "
        "får en bekræftelse på e-mail inden for 24 timer.",
    ),
}

_POLICIES = (
    "As a thank-you, every order over €100 now comes with free returns for a full year.",
    "All our furniture carries a lifetime guarantee, so you're covered whatever happens.",
    "We also price-match any other retailer, so send me a link if you see it cheaper.",
    "Since you're a returning customer, your next delivery is free automatically.",
)


def make_support_reply(p: Pick, fail: str | None, *, template: Template | None = None) -> Draft:
    """A support reply; ``fail`` names the failure mode to seed, if any, and ``template``
    the request it answers (one that can show ``fail`` when not given)."""
    c = p.customer()
    while fail == "wrong-language" and c.lang not in _FOREIGN:
        c = p.customer()  # the model guesses the language from the customer's name
    channel = p.one(("chat", "chat", "email"))
    if template is None:
        fits = [t for t, supports in TEMPLATES if fail in supports] or [t for t, _ in TEMPLATES]
        template = p.one(fits)
    draft = template(p, c, fail)
    if fail == "wrong-language":
        name, text = _FOREIGN[c.lang]
        draft.output = text.format(first=c.first)
        channel = "chat"  # the foreign text carries its own greeting
        draft.fail, draft.note = fail, f"Customer wrote in English; the reply is in {name}."
    elif fail == "invented-policy":
        policy = p.one(_POLICIES)
        draft.output += " " + policy
        draft.fail, draft.note = fail, f'No such policy: "{policy}"'
    draft.output = greet(c.first, draft.output, channel)
    draft.meta.update(customer_facing=True, channel=channel, customer_tier=c.tier)
    if channel == "chat":
        draft.transcript = chat(p, draft.input)
    return draft


def chat(p: Pick, message: str) -> list[dict[str, str]]:
    """The chat that led to ``message``: a greeting, sometimes a question first."""
    turns = [
        {"role": "assistant", "content": "Hi! I'm the Linden & Loom assistant. How can I help?"}
    ]
    if p.chance(0.4):
        turns += [
            {"role": "user", "content": p.one(("hi", "hello, quick question", "hi there"))},
            {"role": "assistant", "content": "Of course, what can I do for you?"},
        ]
    turns.append({"role": "user", "content": message})
    return turns
