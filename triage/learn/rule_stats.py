"""How each rule has been doing: hits, failures it caught, failures it let through.

Counted over the current decisions of items created in the last N days (relative
to the newest item, so a quiet week does not empty the numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

from triage.core.models import Lane
from triage.learn.context import LoopContext


@dataclass(frozen=True)
class RuleRecord:
    """One rule's recent record."""

    hits: int = 0
    """Items it matched (shadow rules included: what they would have routed)."""
    decided: int = 0
    """Items whose lane it set (it was among the most severe matches)."""
    caught: int = 0
    """Matched items that reviewers failed: failures it put in front of someone."""
    escapes: int = 0
    """For rules that grant ``pass``: matched items later failed as audit samples."""


def rule_records(workspace: LoopContext, *, days: int = 7) -> dict[str, RuleRecord]:
    """Per rule id, its record over the last ``days`` days of items."""
    reviews = workspace.store.review_facts()
    failed = {fact.item_pk for fact in reviews if fact.failed}
    escaped = {fact.item_pk for fact in reviews if fact.failed and fact.audit_sample}
    counts: dict[str, list[int]] = {}
    for item_pk, matches in workspace.store.decision_matches(days=days):
        top = max((m.lane.severity for m in matches if not m.shadow), default=None)
        for match in matches:
            entry = counts.setdefault(match.rule, [0, 0, 0, 0])
            entry[0] += 1
            if match.lane.severity == top and not match.shadow:
                entry[1] += 1
            if item_pk in failed and match.lane is not Lane.PASS:
                entry[2] += 1
            if item_pk in escaped and match.lane is Lane.PASS and not match.shadow:
                entry[3] += 1
    return {rule: RuleRecord(*values) for rule, values in counts.items()}
