"""The rule set triage applies at a given moment, and where it came from.

The service decides which rule set is in force (the configured folder when it
loads cleanly, otherwise the last good set stored in the database, otherwise the
shipped rules); everything that reads the rules in force, the learning loop
included, receives it as a :class:`RulesInForce`.
"""

from __future__ import annotations

from dataclasses import dataclass

from triage.rules.model import RuleProblem, RuleSet


@dataclass(frozen=True)
class RulesInForce:
    """The rule set triage applies, where it came from, and, when the folder was
    refused, the problems found there."""

    ruleset: RuleSet
    origin: str
    """The folder the rules were loaded from (or that the last good set came from)."""
    problems: tuple[RuleProblem, ...] = ()
    """What is wrong with the configured folder when it was refused."""

    @property
    def fallback(self) -> bool:
        """Is the last good rule set in force because the folder was refused?"""
        return bool(self.problems)
