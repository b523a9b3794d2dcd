"""What the learning loop needs from whoever runs it.

The learning loop (statistics, suggestions, backtests, rule changes, the failure
model) sits below the service: it never imports it. The service's
:class:`~triage.service.workspace.Workspace` satisfies :class:`LoopContext` and
hands itself in; tests may hand in anything else that does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from triage.config import Config
    from triage.core.models import Lane
    from triage.rules import RuleSet
    from triage.rules.in_force import RulesInForce
    from triage.rules.triager import History
    from triage.storage.reviews import Reviews
    from triage.storage.store import Store


class LoopContext(Protocol):
    """A database, its configuration and the rules in force, with the few steps of
    the loop the learning side triggers (re-reading the rules, re-triaging)."""

    @property
    def store(self) -> Store:
        """The items, decisions and aggregates."""
        ...

    @property
    def reviews(self) -> Reviews:
        """Verdicts and failure modes."""
        ...

    @property
    def config(self) -> Config:
        """Where the rules folder is, who the leads are, minutes per lane."""
        ...

    def rules(self, *, reload: bool = False) -> RulesInForce:
        """The rules in force (``reload``: read the folder again first)."""
        ...

    def history(self, ruleset: RuleSet) -> History:
        """The past that ``ruleset`` decides items against (novelty, models, records)."""
        ...

    def retriage(self) -> dict[Lane, int]:
        """A new decision for every stored item under the rules in force; lane totals."""
        ...

    def require_lead(self, person: str, doing: str) -> None:
        """Refuse ``doing`` (a :class:`~triage.errors.Refused`) unless ``person`` leads."""
        ...
