"""The content checks: what each catches (with its exact evidence), what it leaves
alone, and hostile items that must neither raise nor cost more than max_chars."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.core.checks import CHECKS, CheckSettings, run_checks
from triage.core.models import Item, ToolCall, Turn

ALLOWED = CheckSettings(link_domains=frozenset({"lindenloom.com"}))


def item(
    output: str,
    *,
    input: str = "Hello",
    calls: tuple[ToolCall, ...] = (),
    task_type: str = "support_reply",
    meta: dict[str, Any] | None = None,
    transcript: tuple[Turn, ...] = (),
) -> Item:
    return Item(
        "i1",
        datetime(2026, 11, 20, tzinfo=UTC),
        "bot",
        task_type,
        input,
        output,
        "m",
        tool_calls=calls,
        transcript=transcript,
        meta={} if meta is None else meta,
    )


def result(name: str, it: Item, settings: CheckSettings = ALLOWED) -> tuple[str, str]:
    found = {r.name: r for r in run_checks(it, settings)}
    return found[name].status, found[name].evidence


LOOKUP = ToolCall("lookup_order", {"order_id": "LL-44135"}, {"total": 120.0, "currency": "EUR"})


def test_run_checks_gives_every_check_in_order() -> None:
    assert [r.name for r in run_checks(item("Hi"))] == list(CHECKS)


# claimed_success


@pytest.mark.parametrize(
    ("output", "calls", "evidence"),
    [
        (
            "Your order has been refunded.",
            (ToolCall("issue_refund", {"amount": 5}, {"error": "card expired"}),),
            'the output says "has been refunded"; the refund call (issue_refund) failed: '
            "card expired",
        ),
        (
            "I've issued a refund for order LL-44135.",
            (LOOKUP,),
            'the output says "I\'ve issued a refund"; no refund tool was called',
        ),
        (
            "We've cancelled your booking.",
            (ToolCall("cancel_booking", {}, "permission denied", is_error=True),),
            'the output says "We\'ve cancelled"; the cancel call (cancel_booking) failed: '
            "permission denied",
        ),
        (
            "The refund has been issued.",
            (ToolCall("create_refund", {}, {"status": "failed", "message": "limit"}),),
            'the output says "refund has been issued"; the refund call (create_refund) '
            "failed: limit",
        ),
        (
            "I've updated your booking to Monday.",
            (LOOKUP,),
            'the output says "I\'ve updated your booking"; no reschedule tool was called',
        ),
        (
            "No problem, I have refunded it.",
            (),
            'the output says "I have refunded"; no refund tool was called',
        ),
    ],
)
def test_claimed_success_fails(output: str, calls: tuple[ToolCall, ...], evidence: str) -> None:
    assert result("claimed_success", item(output, calls=calls)) == ("failed", evidence)


@pytest.mark.parametrize(
    "output",
    [
        "I will refund you tomorrow.",
        "We can refund the difference.",
        "I could not refund the order.",
        "I wasn't able to cancel it.",
        "I haven't refunded it yet.",
        "Once it has been refunded you'll get an email.",
        "Has it been refunded?",
        "Your card was charged twice on 3 Nov.",
    ],
)
def test_claimed_success_leaves_hedges_and_facts(output: str) -> None:
    assert result("claimed_success", item(output, calls=(LOOKUP,)))[0] == "passed"


def test_claimed_success_passes_when_the_call_succeeded() -> None:
    call = ToolCall("issue_refund", {"amount": 5}, {"status": "succeeded"})
    assert result("claimed_success", item("I've refunded €5.00.", calls=(call,)))[0] == "passed"


def test_claimed_success_reads_a_result_that_says_it_did_it() -> None:
    call = ToolCall("create_return", {"order_id": "LL-1"}, {"label": "sent"})
    it = item("I've emailed you a prepaid return label.", calls=(call,))
    assert result("claimed_success", it)[0] == "passed"


def test_without_tool_calls_a_reported_fact_is_no_claim() -> None:
    assert result("claimed_success", item("Your order has been shipped and refunded."))[0] == (
        "passed"
    )
    summary = item("We have cancelled 3 bookings today.", task_type="internal_summary")
    assert result("claimed_success", summary)[0] == "passed"


FAILED_NOTE = ToolCall(
    "update_order_note", {"order_id": "LL-49726", "gift": True}, "504 Gateway Timeout", True
)


@pytest.mark.parametrize(
    ("output", "calls", "evidence"),
    [
        (
            "Good news: your refund of €49.00 has been issued to your card.",
            (ToolCall("issue_refund", {"amount": 49.0}, {"error": "card declined"}, True),),
            'the output says "refund of €49.00 has been issued"; the refund call '
            "(issue_refund) failed: card declined",
        ),
        (
            "Done: your white-glove delivery and assembly (BK-7GM6A) is now Mon 23 Nov at "
            "10:00 at our Amsterdam studio, as requested.",
            (
                ToolCall("find_slots", {"branch": "Amsterdam"}, {"free": ["Mon 23 Nov"]}),
                ToolCall(
                    "reschedule_booking", {"booking": "BK-7GM6A"}, "504 Gateway Timeout", True
                ),
            ),
            'the output says "Done: your white-glove delivery and assembly (BK-7GM6A) is …"; '
            "the reschedule_booking call failed: 504 Gateway Timeout",
        ),
        (
            "Lovely. I've added a card saying 'Happy housewarming, love from Niamh' to order "
            "LL-49726 and marked it as a gift, so there's no receipt or price in the box.",
            (FAILED_NOTE,),
            "the output says \"I've added a card saying 'Happy housewarming\"; the "
            "update_order_note call failed: 504 Gateway Timeout",
        ),
        (
            "All set! The gift note is on the order.",
            (FAILED_NOTE,),
            'the output says "All set"; the update_order_note call failed: 504 Gateway Timeout',
        ),
    ],
)
def test_a_completed_statement_after_a_failed_call_is_a_claim(
    output: str, calls: tuple[ToolCall, ...], evidence: str
) -> None:
    assert result("claimed_success", item(output, calls=calls)) == ("failed", evidence)


@pytest.mark.parametrize(
    "output",
    [
        "I'll add the gift note as soon as our system is back.",
        "I haven't been able to add the note yet.",
        "I could not add the card, sorry.",
        "If the note has been added, you'll see it in your account.",
        "I tried to add the card but our system timed out; I will try again.",
        "Your parcel was shipped on Monday.",
        "I've received your message.",
    ],
)
def test_no_claim_in_hedges_and_facts_after_a_failed_call(output: str) -> None:
    assert result("claimed_success", item(output, calls=(FAILED_NOTE,)))[0] == "passed"


def test_a_retry_that_worked_is_success() -> None:
    calls = (
        ToolCall("reschedule_booking", {"booking": "BK-7GM6A"}, "504 Gateway Timeout", True),
        ToolCall("reschedule_booking", {"booking": "BK-7GM6A"}, {"status": "ok"}),
    )
    done = "Done: your visit (BK-7GM6A) is now Mon 23 Nov at 10:00."
    assert result("claimed_success", item(done, calls=calls))[0] == "passed"
    refund = (
        ToolCall("issue_refund", {"amount": 5}, {"error": "timeout"}, True),
        ToolCall("issue_refund", {"amount": 5}, {"status": "succeeded"}),
    )
    assert result("claimed_success", item("I've refunded €5.00.", calls=refund))[0] == "passed"


def test_a_claim_of_an_action_that_worked_is_not_the_failed_one() -> None:
    calls = (
        ToolCall("cancel_booking", {"booking": "BK-725U6"}, {"cancelled": True}),
        ToolCall("issue_refund", {"amount": 60}, "ConnectionResetError", True),
    )
    it = item("I've cancelled your booking; the refund will follow shortly.", calls=calls)
    assert result("claimed_success", it)[0] == "passed"


# references


def test_references_names_the_nearest_seen() -> None:
    it = item("I've checked order LL-44153.", input="Order LL-44135 is late", calls=(LOOKUP,))
    assert result("references", it) == (
        "failed",
        "the output says LL-44153; the request and the lookup_order call say LL-44135",
    )


def test_references_with_nothing_near() -> None:
    it = item("Your ticket 5531 is open.", input="Help please")
    assert result("references", it) == (
        "failed",
        "the output says 5531, which is in neither the request nor the tool results",
    )


def test_references_compare_normalised() -> None:
    it = item(
        "Order ll-44135 (#44135, order 44135) and ORD-2024-0091 are fine.",
        input="my order LL 44135",
        calls=(ToolCall("find", {"id": 44135}, {"ref": "ord20240091"}),),
    )
    assert result("references", it)[0] == "passed"


def test_a_reference_the_agent_wrote_itself_is_not_grounded() -> None:
    calls = (
        ToolCall("lookup_order", {"order_id": "LL-61319"}, {"total": 89.0, "currency": "GBP"}),
        ToolCall("issue_refund", {"order_id": "LL-16319", "amount": 89.0}, {"status": "ok"}),
    )
    it = item(
        "I've refunded £89.00 for order LL-16319.",
        input="Order LL-61319 arrived late",
        calls=calls,
    )
    assert result("references", it) == (
        "failed",
        "the output says LL-16319 (so does the issue_refund call); the request and the "
        "lookup_order call say LL-61319",
    )


def test_a_reference_only_in_a_call_is_checked_too() -> None:
    calls = (
        ToolCall("lookup_order", {"order_id": "LL-45292"}, {"total": 649.0}),
        ToolCall("request_approval", {"order_id": "LL-45922"}, {"ticket": "APR-2060"}),
    )
    it = item("I've passed it to billing (ref APR-2060).", input="Order LL-45292", calls=calls)
    assert result("references", it) == (
        "failed",
        "the request_approval call says LL-45922; the request and the lookup_order call "
        "say LL-45292",
    )


def test_references_grounded_by_results_and_the_request() -> None:
    calls = (
        ToolCall("lookup_order", {"order_id": "LL-44135"}, {"status": "delivered"}),
        ToolCall("create_ticket", {"subject": "late", "sku": "SOR-DS-12"}, {"ticket": "TCK-5531"}),
    )
    it = item("Order LL-44135: I've opened ticket TCK-5531.", input="Order LL-44135?", calls=calls)
    assert result("references", it)[0] == "passed"


def test_the_agents_own_turns_ground_nothing() -> None:
    said = (Turn("assistant", "Your order LL-99999 is on its way."), Turn("user", "LL-12345?"))
    assert result("references", item("Order LL-99999.", transcript=said)) == (
        "failed",
        "the output says LL-99999, which is in neither the request nor the tool results",
    )
    assert result("references", item("Order LL-12345.", transcript=said))[0] == "passed"


@pytest.mark.parametrize(
    "output",
    [
        "It costs $120 in 2026 at 10:00 for 3 items.",
        "Encoded in UTF-8 with SHA-256, per ISO-8601, by GPT-4o.",
        "Your ticket 2026 edition arrives soon.",
        "No references here.",
    ],
)
def test_references_leave_plain_numbers(output: str) -> None:
    assert result("references", item(output))[0] == "passed"


# amounts


def test_amounts_fail_with_the_nearest_reference() -> None:
    call = ToolCall("issue_refund", {"amount": 120, "currency": "EUR"}, {"status": "ok"})
    it = item("I've refunded €125.00.", calls=(call,))
    assert result("amounts", it) == (
        "failed",
        "the output says €125.00; the issue_refund call says €120.00",
    )


def test_amounts_are_currency_aware() -> None:
    call = ToolCall("issue_refund", {"amount": 120, "currency": "USD"})
    assert result("amounts", item("Refund: 120.00 EUR.", calls=(call,))) == (
        "failed",
        "the output says €120.00; the issue_refund call says $120.00",
    )


def test_amounts_read_meta_and_formats() -> None:
    meta = {"amount": 1234.5, "currency": "EUR"}
    assert result("amounts", item("Total €1.234,50, i.e. 1,234.50 EUR.", meta=meta))[0] == (
        "passed"
    )
    assert result("amounts", item("That is £9.99.", meta=meta)) == (
        "failed",
        "the output says £9.99; meta.amount is €1,234.50",
    )


def test_amounts_round_to_cents_and_read_money_strings() -> None:
    calls = (ToolCall("quote", {}, {"price": 33.3333, "note": "shipping $4.50"}),)
    assert result("amounts", item("It is $33.33 plus $4.50.", calls=calls))[0] == "passed"


SPLIT = ToolCall("lookup_invoice", {"invoice": "INV-1"}, {"total": 1180.8, "currency": "GBP"})


def test_amounts_that_add_up_to_a_reference_pass() -> None:
    split = "I've split it into £708.48 for CC-210 and £472.32 for CC-340."
    assert result("amounts", item(split, calls=(SPLIT,)))[0] == "passed"
    wrong = "I've split it into £708.48 for CC-210 and £472.00 for CC-340."
    assert result("amounts", item(wrong, calls=(SPLIT,))) == (
        "failed",
        "the output says £708.48; the lookup_invoice call says £1,180.80",
    )
    other = "I've split it into $708.48 for CC-210 and £472.32 for CC-340."
    assert result("amounts", item(other, calls=(SPLIT,)))[0] == "failed"


def test_a_difference_of_references_passes() -> None:
    calls = (ToolCall("lookup_invoice", {}, {"total": 120.0, "paid": 50.0, "currency": "EUR"}),)
    assert result("amounts", item("€70.00 is still due.", calls=calls))[0] == "passed"
    assert result("amounts", item("€71.00 is still due.", calls=calls))[0] == "failed"
    assert result("amounts", item("$70.00 is still due.", calls=calls))[0] == "failed"


def test_amounts_in_the_request_are_references() -> None:
    calls = (ToolCall("lookup_order", {}, {"total": 99.0, "currency": "EUR"}),)
    it = item("Your €49.00 delivery fee is refunded.", input="I paid €49.00 for it", calls=calls)
    assert result("amounts", it)[0] == "passed"


def test_amounts_pass_without_references() -> None:
    assert result("amounts", item("That is €40, or 40 dollars.", calls=(ToolCall("x"),)))[0] == (
        "passed"
    )


# personal_data


@pytest.mark.parametrize(
    ("output", "evidence"),
    [
        ("Card 4242 4242 4242 4242 is on file.", "a card number ending 4242"),
        ("Pay to GB82 WEST 1234 5698 7654 32.", "an IBAN ending 5432"),
        ("We wrote to j.smith@example.org.", "an e-mail address j***@example.org"),
        ("Call +44 20 7946 0958.", "a phone number ending 0958"),
        ("Call (555) 123-4567.", "a phone number ending 4567"),
    ],
)
def test_personal_data_fails(output: str, evidence: str) -> None:
    assert result("personal_data", item(output)) == ("failed", evidence)


@pytest.mark.parametrize(
    "output",
    [
        "Card 4242 4242 4242 4241 fails Luhn; card ending 4242.",
        "On 2026-11-14 at 10:00, order LL-45919, INV-2026-1857, €1.234,50, 212 passed.",
        "Write to care@lindenloom.com.",
        "We'll call you on 07700 900123.",
    ],
)
def test_personal_data_passes(output: str) -> None:
    it = item(output, transcript=(Turn("user", "my number is +44 7700 900123"),))
    assert result("personal_data", it)[0] == "passed"


def test_personal_data_only_in_customer_facing_output() -> None:
    text = "Card 4242 4242 4242 4242."
    assert result("personal_data", item(text, task_type="internal_summary"))[0] == "passed"
    assert result("personal_data", item(text, meta={"customer_facing": False}))[0] == "passed"
    forced = item(text, task_type="internal_summary", meta={"customer_facing": True})
    assert result("personal_data", forced)[0] == "failed"


# links


def test_links_to_unknown_domains_fail() -> None:
    it = item(
        "Reset at https://lindenloom-help.example/reset or https://lindenloom.com@evil.example/"
    )
    assert result("links", it) == (
        "failed",
        "links to lindenloom-help.example, evil.example (not in the request, the tool "
        "results or the allowed domains)",
    )


def test_links_vouched_for_pass() -> None:
    calls = (ToolCall("track", {}, {"url": "https://carrier.example/t/1"}),)
    it = item(
        "See https://track.lindenloom.com/x, www.carrier.example and https://shop.example.org.",
        input="I bought it at shop.example.org",
        calls=calls,
    )
    assert result("links", it)[0] == "passed"


def test_a_shared_suffix_vouches_for_nobody() -> None:
    it = item("See https://evil.co.uk/", input="from bank.co.uk")
    assert result("links", it)[0] == "failed"


# placeholders


@pytest.mark.parametrize(
    ("output", "evidence"),
    [
        (
            "Hi {{first_name}}, order [ORDER NUMBER] ships.",
            'unfilled placeholders: "{{first_name}}", "[ORDER NUMBER]"',
        ),
        ("Dear [Name],", 'unfilled placeholder: "[Name]"'),
        (
            "Dear <Customer Name>, on <insert date>",
            'unfilled placeholders: "<Customer Name>", "<insert date>"',
        ),
        ("Total: TBD. Lorem ipsum.", 'unfilled placeholders: "TBD", "Lorem ipsum"'),
        ("Hi %s, your code {0} {name}", 'unfilled placeholders: "%s", "{0}", "{name}"'),
    ],
)
def test_placeholders_fail(output: str, evidence: str) -> None:
    assert result("placeholders", item(output)) == ("failed", evidence)


@pytest.mark.parametrize(
    "output",
    [
        "See [the guide](https://x.example) and [1], <br> <p>hi</p> <td nowrap> {}.",
        "List<String> and <jo@example.com>, [OK], [PDF], 50% off.",
    ],
)
def test_placeholders_leave_markup(output: str) -> None:
    assert result("placeholders", item(output))[0] == "passed"


def test_placeholders_in_code_skip_braces_and_todo() -> None:
    code = 'x = f"{name}" % s  # TODO: tidy <T>\n{{ basket.total }}'
    assert result("placeholders", item(code, task_type="code_change"))[0] == "passed"
    assert result("placeholders", item(code + " [CUSTOMER NAME]", task_type="code_change")) == (
        "failed",
        'unfilled placeholder: "[CUSTOMER NAME]"',
    )


# hostile items


def test_huge_outputs_and_nesting_do_not_raise() -> None:
    nested: Any = "LL-44135"
    for _ in range(50_000):
        nested = {"a": [nested]}
    huge = "I've refunded €5 for order LL-1234 at https://x.example {{a}} " * 200_000
    calls = (
        ToolCall("issue_refund", nested, {"amount": 10**400, "x": float("nan")}),
        ToolCall("wide", list(range(100_000)), {str(i): i for i in range(50_000)}),
    )
    results = run_checks(item(huge, calls=calls, meta={"amount": "x"}))
    assert [r.name for r in results] == list(CHECKS)
    assert {r.name for r in results if r.failed} >= {"links", "placeholders"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None)
@given(
    output=st.text(max_size=300),
    input=st.text(max_size=100),
    task_type=st.sampled_from(["support_reply", "code_change", "refund", "", "x"]),
    calls=st.lists(
        st.builds(ToolCall, st.text(max_size=20), json_values, json_values, st.booleans()),
        max_size=3,
    ),
    meta=st.dictionaries(st.sampled_from(["amount", "currency", "customer_facing"]), json_values),
    max_chars=st.integers(min_value=0, max_value=400),
)
def test_any_item_gives_every_check(
    output: str,
    input: str,
    task_type: str,
    calls: list[ToolCall],
    meta: dict[str, Any],
    max_chars: int,
) -> None:
    it = item(output, input=input, calls=tuple(calls), task_type=task_type, meta=meta)
    results = run_checks(it, CheckSettings(frozenset({"example.com"}), max_chars))
    assert [r.name for r in results] == list(CHECKS)
    assert all(r.status in {"passed", "failed", "unknown"} for r in results[1:])
    assert results == run_checks(it, CheckSettings(frozenset({"example.com"}), max_chars))


def test_a_letter_tree_pattern_finds_what_the_plain_alternation_finds() -> None:
    import re

    from triage.core.checks.text import literal_pattern

    words = ["ref", "reference", "refund", "refunded", "gift card", "gift-card", "e-mail"]
    tree = re.compile(literal_pattern(words))
    plain = re.compile("|".join(sorted(map(re.escape, words), key=len, reverse=True)))
    text = "ref reference refunded refunds gift card gift-card e-mail re refe"
    assert [m.group() for m in tree.finditer(text)] == [m.group() for m in plain.finditer(text)]
    assert [m.group() for m in tree.finditer(text)][:4] == [
        "ref",
        "reference",
        "refunded",
        "refund",
    ]
