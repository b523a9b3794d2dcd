"""The content checks' cost: every check on one item, in µs.

Prints µs per item for all checks on the demo week's items (goal ≤ 50 µs), the
slowest check there, and the cost of one item with a 10 MB output, plain, full of
references, amounts and links, and with a deeply nested 10 MB tool result: the work
is bounded by ``max_chars``, so these cost about as much as a 200 KB output.
"""

from __future__ import annotations

from datetime import UTC, datetime

from _common import Timer

from triage.core.checks import CheckSettings, run_checks
from triage.core.checks.amounts import check_amounts
from triage.core.checks.claims import check_claimed_success
from triage.core.checks.links import check_links
from triage.core.checks.personal_data import check_personal_data
from triage.core.checks.placeholders import check_placeholders
from triage.core.checks.references import check_references
from triage.core.checks.text import ItemText
from triage.core.models import Item, ToolCall
from triage.demo import build_demo
from triage.platforms.native import parse_record

ROUNDS = 20
SETTINGS = CheckSettings(link_domains=frozenset({"lindenloom.com"}))


def _huge(output: str, calls: tuple[ToolCall, ...] = ()) -> Item:
    return Item(
        "huge",
        datetime(2026, 11, 20, tzinfo=UTC),
        "bench",
        "support_reply",
        "Please refund order LL-44135, it arrived broken.",
        output,
        "bench",
        tool_calls=calls,
        meta={"customer_facing": True, "amount": 42.0, "currency": "EUR"},
    )


def main() -> None:
    items = [parse_record(r, source="bench") for r in build_demo().records]
    for item in items:  # warm the regex caches and the lazy imports
        run_checks(item, SETTINGS)
    with Timer() as t:
        for _ in range(ROUNDS):
            for item in items:
                run_checks(item, SETTINGS)
    per_item = t.seconds / (ROUNDS * len(items)) * 1e6
    print(f"checks: {len(items)} demo items x {ROUNDS} rounds")
    print(f"  {per_item:,.1f} µs per item for all checks (goal <= 50)")
    singles = {
        "claimed_success": check_claimed_success,
        "references": check_references,
        "amounts": check_amounts,
        "personal_data": lambda x: check_personal_data(x, SETTINGS.link_domains),
        "links": lambda x: check_links(x, SETTINGS.link_domains),
        "placeholders": check_placeholders,
    }
    for name, check in singles.items():
        with Timer() as t:
            for _ in range(ROUNDS):
                for item in items:
                    check(ItemText(item, SETTINGS.max_chars))
        print(f"    {name}: {t.seconds / (ROUNDS * len(items)) * 1e6:,.1f} µs")

    ten_mb = 10_000_000
    plain = ("The parcel will arrive soon, we promise. " * 250_000)[:ten_mb]
    busy = (
        "I've refunded €42.00 for order LL-44153, see https://evil.example/x "
        "or mail j.doe@example.org {{name}}. "
    ) * 100_000
    nested: object = "LL-44135"
    for _ in range(100_000):
        nested = [nested]
    wide = ToolCall(
        "lookup_order", {"rows": [{"amount": i, "note": "x" * 90} for i in range(100_000)]}
    )
    cases = {
        "10 MB plain output": _huge(plain),
        "10 MB output of claims, references, amounts, links": _huge(busy[:ten_mb]),
        "200 KB of the same": _huge(busy[:200_000]),
        "10 MB output, 100,000-deep tool result": _huge(
            busy[:ten_mb], (ToolCall("issue_refund", nested, nested),)
        ),
        "10 MB output, 100,000-row tool result": _huge(busy[:ten_mb], (wide,)),
    }
    for label, item in cases.items():
        with Timer() as t:
            results = run_checks(item, SETTINGS)
        failed = sum(r.failed for r in results)
        print(f"  {label}: {t.seconds * 1000:,.1f} ms for all checks ({failed} failed)")


if __name__ == "__main__":
    main()
