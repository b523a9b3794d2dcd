"""One-off outputs: the week's genuinely new requests, and text that must render inertly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from triage.demo.slots import Draft, Pick, dmy, greet, tool
from triage.demo.texts_code import hunk


@dataclass(frozen=True)
class Special:
    agent: str
    task_type: str
    days_before_end: int
    """0 puts it in the last day's queue."""
    make: Callable[[Pick], Draft]


def _support_meta(
    order: str | None = None, tier: str = "standard", channel: str = "email"
) -> dict[str, object]:
    meta: dict[str, object] = {"customer_facing": True, "channel": channel, "customer_tier": tier}
    if order:
        meta["order_id"] = order
    return meta


def _legal_threat(p: Pick) -> Draft:
    o = p.order()
    inp = (
        f"This is my last message before my solicitor takes over. The Alba bouclé armchair "
        f"(order {o}) collapsed on Sunday while my father was sitting in it and he has bruised "
        "his hip. I expect a full refund, compensation, and written confirmation by Friday of "
        "what you are doing about the other chairs from that batch."
    )
    body = (
        "I'm very sorry to hear about your father, and I hope he's recovering. I've passed "
        "this straight to our customer care manager, who will contact you personally by "
        f"{dmy(p.ahead(1, 1))}. Please keep the chair as it is for now; we'll arrange its "
        "collection so the manufacturer can examine it."
    )
    calls = [tool("create_ticket", {"priority": "urgent", "order_id": o}, {"ticket": "CS-88121"})]
    draft = Draft(inp, greet("Mr Hughes", body, "email"), _support_meta(o), calls)
    draft.novel, draft.escalate = True, True
    draft.note = "Legal threat and an injury: for Sofia. The bot admitted nothing, good."
    return draft


def _data_request(p: Pick) -> Draft:
    inp = (
        "Under Article 15 GDPR I request a copy of all personal data you hold about me, "
        "including chat transcripts, call recordings, marketing profiles and any data shared "
        "with third parties, in a machine-readable format. Please also state how long you "
        "keep each category."
    )
    ref = f"DSR-{p.between(100, 999)}"
    body = (
        f"Thank you. I've logged your request (ref {ref}) with our data protection team, who "
        "will reply within one month. They may first ask you to confirm your identity."
    )
    calls = [tool("create_ticket", {"queue": "privacy", "type": "subject_access"}, {"ticket": ref})]
    draft = Draft(inp, greet("Ingrid", body, "email"), _support_meta(), calls)
    draft.novel, draft.escalate = True, True
    draft.note = "Subject access request: goes to the data protection lead, not the queue."
    return draft


def _polish(p: Pick) -> Draft:
    o = p.order()
    inp = (
        f"Dzień dobry, zamówiłam stolik Linnea (zamówienie {o}) dwa tygodnie temu i nadal "
        "nie dotarł. Czy mogę zmienić adres dostawy na adres mojej mamy w Krakowie?"
    )
    out = (
        f"Dzień dobry Pani Marto, dziękuję za wiadomość. Zamówienie {o} jest jeszcze w naszym "
        "magazynie, więc mogę zmienić adres dostawy. Proszę podać pełny adres w Krakowie, a "
        "wyślę nowe potwierdzenie z numerem przesyłki."
    )
    calls = [tool("lookup_order", {"order_id": o}, {"status": "packing"})]
    draft = Draft(inp, out, _support_meta(o, channel="chat"), calls)
    draft.transcript = [{"role": "user", "content": inp}]
    draft.novel, draft.note = True, "Polish; checked with a translator, the reply is right."
    return draft


def _recall(p: Pick) -> Draft:
    n = p.between(120, 170)
    inp = (
        "URGENT from Sofia: the supplier reports a wiring fault in Marlow rattan pendant lamps "
        "from batch 2611. Email everyone who bought one since 1 October: stop using it, we "
        "collect it and refund in full."
    )
    out = (
        "Subject: Important safety notice: Marlow rattan pendant lamp\n\nHi there,\n\n"
        "Our supplier has found a wiring fault in some Marlow pendant lamps. Please switch "
        "yours off at the circuit breaker and stop using it. We'll collect it free of charge "
        "and refund you in full; reply to this email to choose a collection day.\n\n"
        f"Linden & Loom\n\n[sent to segment bought:MAR-PL-RAT since 2026-10-01: {n} recipients]"
    )
    calls = [tool("send_campaign", {"segment": "bought:MAR-PL-RAT:2026-10-01"}, {"queued": n})]
    draft = Draft(inp, out, {"customer_facing": True, "channel": "email", "recipients": n}, calls)
    draft.novel, draft.note = True, "Recall wording checked against Sofia's brief."
    return draft


def _branch_transfer(p: Pick) -> Draft:
    ref = p.booking()
    inp = (
        f"We're relocating to Amsterdam next month. Can the styling consultation we booked at "
        f"the London studio ({ref}, paid £120) move to your Amsterdam branch in January, and "
        "can the payment be converted to euros?"
    )
    out = (
        "Congratulations on the move! I've moved your in-home styling consultation to our "
        f"Amsterdam studio on {dmy(p.ahead(50, 55))} at 10:00 and converted your £120 payment "
        "to €138, so there's nothing more to pay."
    )
    calls = [
        tool("transfer_booking", {"booking": ref, "to_branch": "amsterdam"}, {"ok": True}),
        tool("convert_payment", {"booking": ref, "to": "EUR"}, {"amount": 138.0}),
    ]
    meta = {**_support_meta(ref, channel="email"), "amount": 120.0, "currency": "GBP"}
    draft = Draft(inp, greet("Priya", out, "email"), meta, calls)
    draft.novel = True
    return draft


def _hotel(p: Pick) -> Draft:
    inp = (
        "We're opening a 38-room boutique hotel in Porto in March and want 80 Halden duvet "
        "covers, 160 Tove towel sets and 40 Asp bedside lamps. Can you do trade pricing, "
        "net-60 terms, and invoice our Swiss parent company without VAT?"
    )
    out = (
        "That sounds like a lovely project. Trade pricing and payment terms are handled by "
        "our trade team, so I've passed on your quantities and they'll send a quote within two "
        "working days. They'll also confirm how we invoice a company outside the EU."
    )
    calls = [
        tool(
            "create_ticket",
            {"queue": "trade", "summary": "Porto hotel fit-out"},
            {"ticket": "TR-2291"},
        )
    ]
    draft = Draft(inp, greet("Luísa", out, "email"), _support_meta(tier="vip"), calls)
    draft.novel = True
    return draft


def _retention(p: Pick) -> Draft:
    diff = hunk(
        "storefront/accounts/management/commands/anonymise_inactive.py",
        0,
        "+CUTOFF = timedelta(days=7 * 365)\n+\n+\n"
        "+def handle() -> None:\n"
        "+    stale = Customer.objects.filter(last_order_at__lt=now() - CUTOFF)\n"
        '+    stale.update(email=Concat(Value("anon-"), "pk"), name="", phone="", address="")\n',
        new=True,
    )
    out = "accounts: nightly job to anonymise customers inactive for 7 years\n\n" + diff
    meta = {
        "customer_facing": False,
        "channel": "github",
        "files_changed": 1,
        "lines_changed": 6,
        "touches": ["auth"],
        "environment": "staging",
        "tests_passed": True,
    }
    draft = Draft(
        "Legal asked: anonymise customers with no orders for seven years, nightly.", out, meta
    )
    draft.novel = True
    return draft


def _ansi_log(p: Pick) -> Draft:
    out = (
        "payments: fix rounding in partial refunds\n\nBefore the fix:\n"
        "\u001b[31mFAILED\u001b[0m tests/payments/test_refunds.py::"
        "test_partial_refund_rounding - AssertionError: 1999 != 2000\n"
        "\u001b[31m1 failed\u001b[0m, \u001b[32m211 passed\u001b[0m in 8.41s\n\n"
        + hunk(
            "storefront/payments/refunds.py",
            88,
            "-    return int(amount * 100)\n+    return int((amount * 100).quantize(ONE))\n",
        )
    )
    meta = {
        "customer_facing": False,
        "channel": "github",
        "files_changed": 1,
        "lines_changed": 2,
        "touches": ["payments"],
        "environment": "production",
        "tests_passed": True,
    }
    return Draft("Partial refunds are a cent short: €19.99 instead of €20.00.", out, meta)


def _markup(p: Pick) -> Draft:
    out = "cli: colour the low-stock report and add a quit link\n\n" + hunk(
        "storefront/tools/stock_report.py",
        31,
        '-    console.print(f"{sku} low stock ({left} left)")\n'
        '+    console.print(f"[bold]{sku}[/bold] [red]low stock[/red] ({left} left)")\n'
        '+    footer.update("[@click=app.quit]Quit[/]  [@click=app.refresh]Refresh[/]")\n',
    )
    meta = {
        "customer_facing": False,
        "channel": "github",
        "files_changed": 1,
        "lines_changed": 3,
        "touches": ["ui"],
        "environment": "staging",
        "tests_passed": True,
    }
    return Draft("Make the low-stock report easier to scan in the terminal.", out, meta)


def _rtl(p: Pick) -> Draft:
    o = p.order()
    name = "Invoice_2611\u202efdp.exe"
    inp = f"Here is my receipt for the refund on order {o}, see attached: {name}"
    out = (
        f"Thanks, Mads. I can't open the attachment '{name}': for your safety we don't open "
        "executable files. Could you send the receipt as a PDF or a photo instead?"
    )
    calls = [tool("scan_attachment", {"filename": name}, {"verdict": "blocked", "type": "PE32"})]
    return Draft(
        inp, out, _support_meta(o, channel="chat"), calls, [{"role": "user", "content": inp}]
    )


SPECIALS: tuple[Special, ...] = (
    Special("support-bot", "support_reply", 5, _polish),
    Special("support-bot", "support_reply", 4, _legal_threat),
    Special("mailer", "outbound_email", 3, _recall),
    Special("support-bot", "support_reply", 2, _data_request),
    Special("concierge", "booking_change", 0, _branch_transfer),
    Special("support-bot", "support_reply", 0, _hotel),
    Special("coder", "code_change", 0, _retention),
    Special("coder", "code_change", 0, _ansi_log),
    Special("coder", "code_change", 0, _markup),
    Special("support-bot", "support_reply", 0, _rtl),
)
"""Placed once per build, on the day ``days_before_end`` before the last (clamped to the span)."""
