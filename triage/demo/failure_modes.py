"""The demo shop's failure model, and how often each kind of output goes wrong."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoFailureMode:
    """One way an agent's output goes wrong, as a reviewer would record it."""

    id: str
    task_type: str | None
    """The task type it belongs to; ``None`` when it applies to every task type."""
    title: str
    description: str
    look_for: str
    """What a reviewer checks; becomes a checklist item for the task type."""


FAILURE_MODES: tuple[DemoFailureMode, ...] = (
    DemoFailureMode(
        "refund-over-policy",
        "refund",
        "Refund above the policy limit approved",
        "The agent refunds more than it may approve on its own (`meta.policy_limit`: "
        "100 for the support bot, 500 for the billing agent) instead of sending the "
        "request to a person. The reply usually sounds generous and final, so the "
        "customer has already been told the money is on its way.",
        "If `amount` is above `policy_limit`, the output hands the refund to a person "
        "for approval rather than saying it has been refunded.",
    ),
    DemoFailureMode(
        "promised-delivery-date",
        "support_reply",
        "Promises a delivery date the shop can't guarantee",
        'The reply guarantees a delivery day or time ("it will be with you on Friday '
        'before noon") when carriers and suppliers only give estimates. Customers plan '
        "around it, and the complaint that follows is about the promise, not the parcel.",
        'Delivery and restock dates are given as estimates ("usually", "expected"), '
        "never as a guarantee or a fixed time.",
    ),
    DemoFailureMode(
        "wrong-order-number",
        None,
        "Acts on the wrong order, booking or invoice",
        "The output names or changes a reference other than the customer's: two digits "
        "swapped, a neighbouring invoice, another customer's booking. Everything else "
        "reads correctly, which is why it slips through.",
        "The order, booking or invoice number in the output and in the tool call "
        "arguments is exactly the one in the request.",
    ),
    DemoFailureMode(
        "cancellation-fee-waived",
        "cancel_reservation",
        "Cancellation without the late-cancellation fee",
        "Bookings cancelled less than 48 hours before they start keep a 50% fee. The "
        'agent cancels and refunds everything anyway, often with a friendly "no '
        'charge", which the studio then has to walk back.',
        "When `hours_before_start` in the cancel_booking result is under 48, the reply "
        "keeps the 50% fee and the refund is half the booking value.",
    ),
    DemoFailureMode(
        "wrong-segment",
        "outbound_email",
        "Email sent to the wrong segment",
        "A campaign meant for one list (VIP customers, the EU newsletter, customers "
        "whose parcels were delayed) goes to a bigger or different one: wrong prices, "
        "an apology to people who had nothing to apologise for, a VIP code leaked to "
        "everyone.",
        "The `segment` in send_campaign matches the brief, and the recipient count is "
        "plausible for that segment.",
    ),
    DemoFailureMode(
        "unfilled-placeholder",
        "outbound_email",
        "Placeholder or wrong name in an email",
        "The email still contains a template placeholder (`{{first_name}}`) or greets "
        "someone other than the recipient.",
        "No `{{...}}` placeholders remain, and the greeting names the person the email is sent to.",
    ),
    DemoFailureMode(
        "migration-deleted",
        "code_change",
        "Deletes or rewrites an applied migration",
        "The change removes or edits a database migration that production has already "
        "run, usually described as a clean-up. The next deploy leaves the schema and "
        "the migration history out of step.",
        "No file under `*/migrations/` is deleted or edited; schema changes come as a "
        "new migration.",
    ),
    DemoFailureMode(
        "tests-skipped",
        "code_change",
        "Ships with failing or skipped tests",
        "The commit message says the tests pass while the run failed, or a failing "
        "test was silenced with a skip marker.",
        "`tests_passed` is true, and the diff adds no `skip`/`xfail` markers to existing tests.",
    ),
    DemoFailureMode(
        "invented-number",
        "internal_summary",
        "Summary states a number that isn't in the source",
        "The summary adds a figure the input doesn't contain (a week-on-week change, a "
        "total, a count), or changes one. It reads as fact in the stand-up.",
        "Every number in the summary appears in, or follows directly from, the input.",
    ),
    DemoFailureMode(
        "wrong-language",
        "support_reply",
        "Reply in the wrong language",
        "The customer wrote in one language and the reply comes in another, usually "
        "guessed from the customer's name.",
        "The reply is in the language the customer wrote in.",
    ),
    DemoFailureMode(
        "invented-policy",
        "support_reply",
        "Cites a policy or offer that doesn't exist",
        "The reply promises something the shop doesn't offer (a lifetime guarantee, a "
        "year of free returns, price matching) to sound helpful.",
        "Every policy, guarantee or discount mentioned is one the shop actually offers.",
    ),
    DemoFailureMode(
        "tool-error-ignored",
        None,
        "Carries on after a tool error",
        "A tool call failed (timeout, declined payment, service down) and the output "
        "states the result as if it had succeeded.",
        "Every tool call the output relies on succeeded; after an error the output "
        "says the action is pending or hands it on.",
    ),
    DemoFailureMode(
        "booking-wrong-slot",
        "booking_change",
        "Booking moved to a slot the customer didn't ask for",
        "The booking is moved to a different day or time than requested, while the "
        'reply says "as requested".',
        "The date and time in reschedule_booking match what the customer asked for.",
    ),
    DemoFailureMode(
        "personal-data-leak",
        None,
        "Shows someone's personal details they shouldn't see",
        "A customer-facing reply quotes an e-mail address, phone or card number the "
        "customer didn't give: another customer's address copied from a lookup that "
        "matched two people of the same name, or a full card number where only its last "
        "four digits belong. The reply is otherwise helpful, so it goes out.",
        "Every e-mail address, phone and card number in the reply is the customer's own "
        "(as they wrote it), and a card appears only as its last four digits.",
    ),
    DemoFailureMode(
        "invented-link",
        "support_reply",
        "Links to a help page on a site that isn't ours",
        "The reply points the customer to a guide at a plausible address "
        "(help.linden-loom.com, lindenloom-help.com) instead of the help centre article "
        "the search returned. At best the link is dead; at worst someone else owns it.",
        "Every link goes to lindenloom.com or to an address the customer or a tool result "
        "gave; help articles are linked as search_help_centre returned them.",
    ),
    DemoFailureMode(
        "wrong-amount-told",
        "refund",
        "Tells the customer an amount the refund didn't move",
        "The refund call is right but the reply states another amount, usually the "
        "item's full price for a partial refund (a price drop, a delivery fee). The "
        "customer checks the statement and writes back, or keeps the difference.",
        "The amount the reply says was refunded is the amount in the issue_refund call.",
    ),
    DemoFailureMode(
        "output-truncated",
        None,
        "Output cut off before it was finished",
        "The model stopped at its length limit and what it had written so far went out "
        "anyway: a summary that ends mid-sentence, without the figures that came last.",
        "The output ends with a complete sentence and covers everything asked for; "
        "`meta.platform_outcome` is not truncated.",
    ),
    DemoFailureMode(
        "invoice-wrong-amount",
        "invoice_adjustment",
        "Invoice adjustment with the wrong amount",
        "The credit, discount or corrected total is miscalculated: the percentage "
        "applied to the wrong base, the wrong quantity, a sum that doesn't add up.",
        "Recompute the adjustment from the request: the amount credited equals the "
        "agreed discount or the value of the items concerned.",
    ),
)

BASE_FAIL_RATE: dict[str, float] = {
    "support_reply": 0.04,
    "refund": 0.20,
    "outbound_email": 0.08,
    "invoice_adjustment": 0.12,
    "booking_change": 0.12,
    "cancel_reservation": 0.25,
    "code_change": 0.10,
    "internal_summary": 0.10,
}
"""Share of outputs with a seeded failure, per task type."""

AFTER_SWITCH_EXTRA = {"support-bot": 0.12}
"""Added to an agent's failure rate once it runs its new model: the support bot's regression."""

MODE_WEIGHTS: dict[str, tuple[tuple[str, int], ...]] = {
    "support_reply": (
        ("promised-delivery-date", 3),
        ("wrong-order-number", 2),
        ("invented-policy", 2),
        ("tool-error-ignored", 1),
        ("wrong-language", 1),
    ),
    "refund": (("refund-over-policy", 4), ("wrong-order-number", 2), ("tool-error-ignored", 1)),
    "outbound_email": (("wrong-segment", 3), ("unfilled-placeholder", 2)),
    "invoice_adjustment": (
        ("invoice-wrong-amount", 3),
        ("wrong-order-number", 1),
        ("tool-error-ignored", 1),
    ),
    "booking_change": (
        ("booking-wrong-slot", 3),
        ("wrong-order-number", 1),
        ("tool-error-ignored", 1),
    ),
    "cancel_reservation": (
        ("cancellation-fee-waived", 4),
        ("wrong-order-number", 1),
        ("tool-error-ignored", 1),
    ),
    "code_change": (("migration-deleted", 1), ("tests-skipped", 1)),
    "internal_summary": (("invented-number", 3), ("tool-error-ignored", 1)),
}

SWITCHED_SUPPORT_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("promised-delivery-date", 3),
    ("wrong-language", 3),
    ("invented-policy", 2),
    ("wrong-order-number", 1),
    ("tool-error-ignored", 1),
)
"""The new support model's mistakes: it guesses languages from names and over-promises."""
