"""Automated checks: deterministic tests run on every item as it is triaged.

Each check has a name rules test (``check.references == "failed"``), yields a
:class:`CheckResult` with its evidence, never raises on odd input and bounds its work
(a 10 MB output costs no more than its first :attr:`CheckSettings.max_chars`).
``pass`` means a relaxing rule matched, no stricter one did, and every check passed.

:data:`CHECKS` is the vocabulary (``rules/README.md`` documents the same list);
:func:`run_checks` runs them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from triage.core.checks.amounts import check_amounts
from triage.core.checks.claims import check_claimed_success
from triage.core.checks.links import check_links
from triage.core.checks.personal_data import check_personal_data
from triage.core.checks.placeholders import check_placeholders
from triage.core.checks.platform import (
    OUTCOME_KEY,
    PlatformStatus,
    check_platform,
    platform_outcome,
)
from triage.core.checks.references import check_references
from triage.core.checks.result import FAILED, PASSED, CheckResult
from triage.core.checks.text import ItemText
from triage.core.models import Item

__all__ = [
    "CHECKS",
    "DEFAULT_SETTINGS",
    "FAILED",
    "OUTCOME_KEY",
    "PASSED",
    "CheckResult",
    "CheckSettings",
    "PlatformStatus",
    "platform_outcome",
    "run_checks",
]

CHECKS: Final[dict[str, str]] = {
    "platform": "the platform's own outcome: passed, failed, errored, truncated or unknown",
    "claimed_success": "the output says an action was done while the tool call that does it "
    "failed or never happened",
    "references": "order, booking, invoice, ticket or account references in the output (or the "
    "agent's own call arguments) that appear in neither the request nor the tool results",
    "amounts": "money amounts in the output that differ from, and do not add up to, the tool "
    "calls', the request's and meta.amount",
    "personal_data": "card numbers, IBANs, e-mail addresses or phone numbers in customer-facing "
    "output that are not the customer's own",
    "links": "links to domains in neither the input, the tool results nor the allowed domains",
    "placeholders": "unfilled template placeholders and debris ({{name}}, [CUSTOMER NAME], TODO)",
}
"""Every check's name and what it catches when it fails."""


@dataclass(frozen=True, slots=True)
class CheckSettings:
    """What the checks need from the rule set's ``[settings]``."""

    link_domains: frozenset[str] = frozenset()
    """Domains (and their subdomains) links may always point to (``link_domains``)."""
    max_chars: int = 200_000
    """Characters of each text looked at: the work per item is bounded by this."""


DEFAULT_SETTINGS: Final = CheckSettings()


def run_checks(item: Item, settings: CheckSettings = DEFAULT_SETTINGS) -> tuple[CheckResult, ...]:
    """Every check's result on ``item``, in :data:`CHECKS` order.

    The checks share one set of bounded views of the item (:class:`ItemText`), each
    built on first use, so what one check flattens the next reuses.
    """
    text = ItemText(item, settings.max_chars)
    return (
        check_platform(text.meta),
        check_claimed_success(text),
        check_references(text),
        check_amounts(text),
        check_personal_data(text, settings.link_domains),
        check_links(text, settings.link_domains),
        check_placeholders(text),
    )
