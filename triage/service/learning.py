"""The learning loop as the command line and the reviewer app reach it.

:class:`Learning` is reached as ``Workspace.learning``: statistics, each rule's
record, the suggestions with their evidence and backtests, accepting and dismissing
them, backtesting a draft, and a lead's direct rule changes. The work is done in
:mod:`triage.learn`; this is the one door to it, so the faces never assemble the
loop's inputs themselves. The learning modules are imported when first used.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from triage.learn.accept import ApplyResult
    from triage.learn.backtest import BacktestResult
    from triage.learn.rule_changes import RuleChange
    from triage.learn.rule_stats import RuleRecord
    from triage.learn.stats import Statistics
    from triage.learn.suggest import Suggestion
    from triage.rules import RuleSet
    from triage.service.workspace import Workspace
    from triage.storage.suggestions import SuggestionAnswer


class Learning:
    """What the verdicts of one workspace teach, and the lead's answers to it."""

    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace

    def statistics(self, *, since: datetime | None = None) -> Statistics:
        """Items created since ``since`` (all, by default) and their verdicts in force,
        ready to be summed per group or period."""
        from triage.learn.stats import Statistics

        store = self._ws.store
        return Statistics(store.item_facts(since=since), store.review_facts(since=since))

    def rule_records(self, *, days: int = 7) -> dict[str, RuleRecord]:
        """Per rule id: hits, lanes set, failures caught and escapes over ``days`` days."""
        from triage.learn.rule_stats import rule_records

        return rule_records(self._ws, days=days)

    def suggestions(self) -> list[Suggestion]:
        """The rule changes the verdicts argue for now, with evidence and backtests
        (dismissed ones left out until their evidence changes)."""
        from triage.learn.suggest import suggest

        return list(suggest(self._ws))

    def apply_suggestion(
        self, suggestion_id: str, *, actor: str, reason: str = "", now: datetime | None = None
    ) -> ApplyResult:
        """Accept a suggestion: the rule files are changed, audited, and every item is
        re-triaged (leads only)."""
        from triage.learn.accept import apply_suggestion

        return apply_suggestion(self._ws, suggestion_id, actor=actor, reason=reason, now=now)

    def dismiss_suggestion(
        self, suggestion_id: str, *, actor: str, reason: str, now: datetime | None = None
    ) -> SuggestionAnswer:
        """Dismiss a suggestion with the reason, audited (leads only)."""
        from triage.learn.accept import dismiss_suggestion

        return dismiss_suggestion(self._ws, suggestion_id, actor=actor, reason=reason, now=now)

    def backtest(self, draft: RuleSet, *, days: int | None = None) -> BacktestResult:
        """What ``draft`` would have done to the reviewed items (of the last ``days``
        days of data, when given)."""
        from triage.learn.backtest import backtest

        return backtest(self._ws, draft, days=days)

    def edit_rule(self, rule_id: str, changes: Mapping[str, Any], *, actor: str) -> RuleChange:
        """Set fields of a rule in its file (``None`` removes one), audited, then
        re-triage (leads only)."""
        from triage.learn.rule_changes import edit_rule

        return edit_rule(self._ws, rule_id, changes, actor=actor)

    def add_shadow_rule(self, rule: Mapping[str, Any], *, actor: str) -> RuleChange:
        """Add a draft as a shadow rule (it routes nothing until activated)."""
        from triage.learn.rule_changes import add_shadow_rule

        return add_shadow_rule(self._ws, rule, actor=actor)

    def activate_rule(self, rule_id: str, *, actor: str) -> RuleChange:
        """Turn a shadow rule into one that routes items."""
        from triage.learn.rule_changes import activate_rule

        return activate_rule(self._ws, rule_id, actor=actor)
