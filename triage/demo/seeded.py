"""Failures placed on purpose: the kinds of mistake each automated check is there for.

The dice (:mod:`triage.demo.drafts`) seed the week's recurring failures, most of which
only a person notices (a refund over the limit, a campaign to the wrong list). These
few are placed on fixed days so that the week always holds, with their verdicts, the
mistakes a check can catch: another customer's e-mail address or a full card number
in a reply, a link to a help site the shop doesn't own, an amount told that the refund
call didn't move, a send step that timed out, a summary cut off at the length limit,
a reference the request doesn't hold, a success claimed for a failed call, an
unfilled merge field. Three of them fall on the last day, so today's queue shows the
checks at work too.
"""

from __future__ import annotations

from triage.core.checks import PlatformStatus, platform_outcome
from triage.demo.drafts import TOOL_ERROR, ignore_tool_error
from triage.demo.slots import CARRIERS, Customer, Draft, Pick, dmy, tool
from triage.demo.specials import Special
from triage.demo.texts_mailer import PLACEHOLDER, make_outbound_email
from triage.demo.texts_refund import LEAK, TOLD, make_refund
from triage.demo.texts_summary import make_internal_summary
from triage.demo.texts_support import WRONG_REF, make_support_reply, where_is_order

LINK = "invented-link"
TRUNCATED = "output-truncated"

_HELP_HOSTS = ("help.linden-loom.com", "lindenloom-help.com", "support.lindenandloom.com")
"""Help sites a model makes up for the shop: close to its name, none of them its own."""


def _found_by_name(p: Pick, c: Customer, fail: str | None) -> Draft:
    """The order's e-mail address, looked up by name: two customers share it."""
    o = p.order()
    local = c.email.partition("@")[0]
    other = f"{local}{p.between(71, 99)}@{p.one(('example.net', 'example.org'))}"
    inp = p.one(
        (
            f"I never got a confirmation for order {o}. Which e-mail address did it go to?",
            f"Nothing from you about order {o}, not even in spam. Can you check the e-mail "
            "address on it?",
        )
    )
    matches = [
        {"name": c.name, "email": other, "last_order": p.order()},
        {"name": c.name, "email": c.email, "last_order": o},
    ]
    out = (
        f"I've checked, {c.first}: the confirmation for order {o} went to {other}. If that "
        "address is out of date, reply with the right one and I'll resend it straight away."
    )
    draft = Draft(
        inp, out, {"order_id": o}, [tool("find_customer", {"name": c.name}, {"matches": matches})]
    )
    draft.fail = LEAK
    draft.note = f"Two customers named {c.name}: quoted the other one's address; {o} is theirs."
    return draft


def _help_link(p: Pick, c: Customer, fail: str | None) -> Draft:
    """A return set up properly, with a guide on a help site that doesn't exist."""
    prod, o, carrier = p.product(), p.order(), p.one(CARRIERS)
    host, deadline = p.one(_HELP_HOSTS), p.ahead(14, 20)
    inp = p.one(
        (
            f"How do I send back the {prod.name} from order {o}? It doesn't suit the room.",
            f"I'd like to return the {prod.name} (order {o}). Do I need the original box?",
        )
    )
    out = (
        f"Of course. I've emailed you a prepaid return label for order {o}; drop the parcel "
        f"at any {carrier} point by {dmy(deadline)}. Our step-by-step guide, with how to pack "
        f"larger items, is at https://{host}/returns/how-to-return."
    )
    article = "https://lindenloom.com/help/returns-01"
    calls = [
        tool("search_help_centre", {"query": "start a return"}, {"article": article}),
        tool("create_return", {"order_id": o}, {"label": "sent", "deadline": str(deadline)}),
    ]
    draft = Draft(inp, out, {"order_id": o}, calls)
    draft.fail = LINK
    draft.note = f"Links to {host}, which isn't ours; the help centre article is {article}."
    return draft


def _seeded(draft: Draft) -> Draft:
    draft.seeded = True
    return draft


def _email_leak(p: Pick) -> Draft:
    return _seeded(make_support_reply(p, LEAK, template=_found_by_name))


def _invented_link(p: Pick) -> Draft:
    return _seeded(make_support_reply(p, LINK, template=_help_link))


def _wrong_order(p: Pick) -> Draft:
    return _seeded(make_support_reply(p, WRONG_REF, template=where_is_order))


def _card_leak(p: Pick) -> Draft:
    return _seeded(make_refund(p, LEAK))


def _amount_told(p: Pick) -> Draft:
    return _seeded(make_refund(p, TOLD))


def _refund_failed(p: Pick) -> Draft:
    return _seeded(ignore_tool_error(p, make_refund(p, None, within_limit=True)))


def _merge_field(p: Pick) -> Draft:
    return _seeded(make_outbound_email(p, PLACEHOLDER, campaign=True))


def _send_timed_out(p: Pick, campaign: bool) -> Draft:
    """An email whose send step timed out: the run errored, the output reads as sent."""
    draft = make_outbound_email(p, None, campaign=campaign)
    call = draft.tool_calls[-1]
    wait = p.one((30, 60))
    call["result"] = f"TimeoutError: no response from the mail provider after {wait} s"
    call["is_error"] = True
    draft.meta["platform_outcome"] = platform_outcome(
        PlatformStatus.ERRORED, f"step {call['name']} timed out after {wait} s; run aborted"
    )
    who = f"{draft.meta['recipients']:,} recipients" if campaign else "the customer"
    draft.fail = TOOL_ERROR
    draft.note = f"The run errored at {call['name']} (timed out); logged as sent to {who}."
    return _seeded(draft)


def _campaign_timed_out(p: Pick) -> Draft:
    return _send_timed_out(p, campaign=True)


def _email_timed_out(p: Pick) -> Draft:
    return _send_timed_out(p, campaign=False)


def _summary_cut_off(p: Pick) -> Draft:
    """A summary posted as far as the model got before its length limit."""
    draft = make_internal_summary(p, None)
    words = draft.output.split(" ")
    cut = max(6, len(words) * p.between(45, 65) // 100)
    draft.output = " ".join(words[:cut]).rstrip(",;:(")
    draft.meta["platform_outcome"] = platform_outcome(
        PlatformStatus.TRUNCATED, "finish_reason: length (max_tokens 96)"
    )
    draft.fail = TRUNCATED
    draft.note = f'Posted cut off after "…{" ".join(words[cut - 4 : cut])}"; the rest is missing.'
    return _seeded(draft)


SEEDED_SHARE = 0.035
"""At most this share of a span's outputs is placed here, so a short or thin demo keeps
a plausible share of failures (the dice's seed most of them)."""

SEEDED: tuple[Special, ...] = (
    Special("support-bot", "support_reply", 0, _email_leak),
    Special("mailer", "outbound_email", 1, _campaign_timed_out),
    Special("billing-agent", "refund", 2, _card_leak),
    Special("support-bot", "refund", 1, _amount_told),
    Special("support-bot", "support_reply", 0, _invented_link),
    Special("mailer", "outbound_email", 2, _merge_field),
    Special("summarizer", "internal_summary", 3, _summary_cut_off),
    Special("support-bot", "support_reply", 4, _invented_link),
    Special("support-bot", "support_reply", 3, _email_leak),
    Special("support-bot", "support_reply", 4, _wrong_order),
    Special("support-bot", "refund", 5, _refund_failed),
    Special("mailer", "outbound_email", 0, _email_timed_out),
)
"""Each on the day ``days_before_end`` before the last, in order of priority: a span
takes those whose day it reaches (never moved to an earlier day) up to its
:data:`SEEDED_SHARE`; a week of 50 a day takes them all."""


def seeded_for(days: int, per_day: int) -> tuple[Special, ...]:
    """The placements a span of ``days`` days of ``per_day`` outputs takes."""
    fits = [s for s in SEEDED if s.days_before_end < days]
    return tuple(fits[: round(days * per_day * SEEDED_SHARE)])
