"""Internal summaries for the team's Slack, from the summarizer."""

from __future__ import annotations

from collections.abc import Callable

from triage.demo.slots import HUBS, Draft, Pick, dmy, money, tool

INVENTED = "invented-number"
# (input, summary, summary with an invented number, reviewer note)
Made = tuple[str, str, str, str]


def _support_digest(p: Pick) -> Made:
    tickets, prev = p.between(110, 190), p.between(100, 180)
    late, damaged, codes, questions = (
        p.between(a, b) for a, b in ((15, 40), (5, 18), (3, 12), (25, 50))
    )
    refunds, total = p.between(5, 14), round(p.between(30_000, 120_000) / 100, 2)
    esc = p.between(1, 5)
    inp = (
        f"Summarise for #team-daily (yesterday, {dmy(p.ago(1, 1))}):\n"
        f"- tickets: {tickets} (day before: {prev})\n- median first reply: 4 min\n"
        f"- reasons: product questions {questions}, late delivery {late}, damaged {damaged}, "
        f"discount codes {codes}\n- refunds: {refunds}, total {money(total, 'EUR')}\n"
        f"- escalations: {esc}"
    )
    ok = (
        f"Support handled {tickets} tickets yesterday ({tickets - prev:+d} on the day before), "
        f"median first reply 4 min. Product questions ({questions}) and late deliveries ({late}) "
        f"led; {damaged} damaged-on-arrival. {refunds} refunds went out, {money(total, 'EUR')} "
        f"in total, and {esc} conversations were escalated."
    )
    pct = p.between(20, 45)
    bad = ok.replace(
        f"late deliveries ({late})", f"late deliveries ({late}, up {pct}% on last week)"
    )
    return inp, ok, bad, f"'up {pct}% on last week': there's no weekly figure in the data."


def _returns(p: Pick) -> Made:
    a, b, c = p.between(12, 20), p.between(5, 11), p.between(2, 4)
    rate = round(p.between(30, 70) / 10, 1)
    inp = (
        "Weekly returns for #ops:\nSora dinner set: "
        f"{a} (colour not as expected)\nVale jute rug: {b} (size)\nAsp bedside lamp: {c} "
        f"(faulty switch)\nreturn rate overall: {rate}%"
    )
    ok = (
        f"Returns this week: {a + b + c} in total, {rate}% overall. The Sora dinner set leads "
        f"with {a} (colour), then the Vale rug ({b}, size) and the Asp lamp ({c}, faulty "
        "switch): worth checking the switch batch."
    )
    bad = ok.replace(f"{a + b + c} in total", f"{a + b + c + p.between(6, 15)} in total")
    return inp, ok, bad, f"The three lines add up to {a + b + c}, not the total given."


def _warehouse_thread(p: Pick) -> Made:
    hub, pallets, days = p.one(HUBS), p.between(3, 9), p.between(2, 5)
    inp = (
        f"Summarise the #ops-warehouse thread:\nJens: {pallets} pallets of Halden duvet covers "
        f"stuck at {hub}, customs paperwork\nMia: supplier resent the invoice this morning\n"
        f"Jens: carrier says release in {days} working days if docs are ok\n"
        "Mia: I'll hold the pre-orders email until we know"
    )
    ok = (
        f"{pallets} pallets of Halden duvet covers are held at {hub} over customs paperwork. "
        f"The supplier resent the invoice; the carrier expects release in {days} working days "
        "if the documents are accepted. Mia is holding the pre-order email until then."
    )
    orders = p.between(120, 400)
    bad = ok.replace("The supplier", f"About {orders} customer orders are affected. The supplier")
    return inp, ok, bad, f"'{orders} customer orders affected' isn't in the thread."


def _feedback(p: Pick) -> Made:
    n, avg = p.between(24, 60), round(p.between(38, 47) / 10, 1)
    chips = p.between(3, 9)
    inp = (
        f"Summarise reviews of the Sora dinner set this month: {n} reviews, average {avg}/5. "
        f"Mentions: 'colour darker than photos' ×{p.between(5, 12)}, 'chipped on arrival' "
        f"×{chips}, 'heavy, feels premium' ×{p.between(8, 20)}."
    )
    ok = (
        f"The Sora dinner set averages {avg}/5 over {n} reviews this month. People like the "
        f"weight and feel; the complaints are the colour looking darker than the photos and "
        f"{chips} reports of chips on arrival, which points at packaging."
    )
    bad = ok.replace(f"{avg}/5", f"{round(avg + 0.3, 1)}/5")
    return inp, ok, bad, f"Average is {avg}/5 in the data, the summary says {round(avg + 0.3, 1)}."


def _bookings(p: Pick) -> Made:
    lon, cph, ams = p.between(6, 14), p.between(3, 10), p.between(2, 8)
    inp = (
        f"Today's bookings for the studio leads: London {lon}, Copenhagen {cph}, Amsterdam "
        f"{ams}. Two cancellations in London, one workshop full (wreath-making, Sat)."
    )
    ok = (
        f"{lon + cph + ams} bookings today: London {lon}, Copenhagen {cph}, Amsterdam {ams}. "
        "London had two cancellations and Saturday's wreath-making workshop is now full."
    )
    bad = ok.replace("is now full", f"is now full with a waitlist of {p.between(8, 20)}")
    return inp, ok, bad, "The waitlist number isn't in the input."


def _supplier_call(p: Pick) -> Made:
    weeks, pct = p.between(6, 10), p.between(3, 7)
    inp = (
        f"Notes from the Nordwood call: oak lead time now {weeks} weeks (was 5). Price increase "
        f"{pct}% from January. They can hold December volumes if we confirm by Friday."
    )
    ok = (
        f"Nordwood's oak lead time has grown to {weeks} weeks (from 5), and prices rise {pct}% "
        "in January. They'll hold December volumes if we confirm by Friday."
    )
    bad = ok.replace(f"{pct}% in January", f"{pct + 4}% in January")
    return inp, ok, bad, f"Notes say {pct}%, the summary says {pct + 4}%."


def _incident(p: Pick) -> Made:
    start, mins, failed = p.between(10, 16), p.between(12, 45), p.between(60, 300)
    inp = (
        f"Incident notes: checkout errors from {start}:02 to {start}:{2 + mins:02d}, payment "
        f"provider timeouts, {failed} failed checkouts, retried automatically after fix; "
        "no double charges found."
    )
    ok = (
        f"Checkout failed for {mins} minutes from {start}:02 because of payment provider "
        f"timeouts: {failed} checkouts failed and were retried after the fix. No double "
        "charges were found."
    )
    lost = p.between(4000, 15000)
    bad = ok + f" Estimated lost revenue: €{lost:,}."
    return inp, ok, bad, f"Lost revenue of €{lost:,} isn't in the incident notes."


def _stock(p: Pick) -> Made:
    a, b = p.between(2, 9), p.between(5, 15)
    inp = (
        f"Low stock report: Linnea oak side table {a} left (reorder at 10), Fjord wool throw "
        f"{b} left (reorder at 20), Kasa glass carafe 0 (on order, due {dmy(p.ahead(5, 9))})."
    )
    ok = (
        f"Low stock: {a} Linnea side tables and {b} Fjord throws left, both below their "
        "reorder points; the Kasa carafe is out, with a delivery on the way."
    )
    bad = ok.replace(f"{b} Fjord", f"{b + 10} Fjord")
    return inp, ok, bad, f"Report says {b} Fjord throws, summary says {b + 10}."


TEMPLATES: tuple[Callable[[Pick], Made], ...] = (
    _support_digest,
    _returns,
    _warehouse_thread,
    _feedback,
    _bookings,
    _supplier_call,
    _incident,
    _stock,
)


def make_internal_summary(p: Pick, fail: str | None) -> Draft:
    """A summary posted to Slack; ``invented-number`` adds or changes a figure."""
    inp, ok, bad, note = p.one(TEMPLATES)(p)
    draft = Draft(inp, ok, {"customer_facing": False, "channel": "slack"})
    if fail == INVENTED:
        draft.output, draft.fail, draft.note = bad, INVENTED, note
    channel = p.one(("#team-daily", "#ops", "#studio-leads"))
    draft.tool_calls = [
        tool(
            "post_message",
            {"channel": channel},
            {
                "ok": True,
                "ts": f"{p.between(1_763_000_000, 1_764_000_000)}.{p.between(100000, 999999)}",
            },
        )
    ]
    if fail == "tool-error-ignored" or p.chance(0.3):
        draft.tool_calls.insert(
            0,
            tool("fetch_thread", {"channel": channel, "limit": 50}, {"messages": p.between(4, 40)}),
        )
    draft.relies_on = 0
    return draft
