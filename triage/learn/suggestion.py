"""What a suggestion is: the rule of thumb it comes from, the evidence behind it, the
change it proposes and, once backtested, its effect on the reviewed items.

The thresholds that decide when the record is strong enough are in :class:`Thresholds`;
how suggestions are found is :mod:`triage.learn.proposals`, and how they are backtested
and offered is :mod:`triage.learn.suggest`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from triage.core.models import Lane
from triage.errors import Refused
from triage.learn.backtest import BacktestResult, Transition
from triage.learn.stats_math import wilson_interval
from triage.rules.edit import Edit


class SuggestionKind(enum.StrEnum):
    """Which rule of thumb a suggestion comes from; the first part of its id. Listed
    riskiest first, the order suggestions are offered in."""

    TIGHTEN = "tighten"
    """A task type fails too often in its lane: send it one lane up."""
    MODE = "mode"
    """One failure mode keeps recurring outside deep: send its task type to deep."""
    INDUCE = "induce"
    """A simple condition (a tool error, a failed check, an agent, a band of a meta
    field, ...) fails too often below a lane: a rule sending it one lane up."""
    MODEL = "model"
    """An agent switched model recently: keep it at least in scan."""
    RELAX = "relax"
    """A task type hardly ever fails in its lane: let it go one lane down."""

    def __str__(self) -> str:
        return self.value

    @property
    def rank(self) -> int:
        """Position in the order suggestions are offered in (riskiest first)."""
        return list(SuggestionKind).index(self)


class SuggestionError(Refused):
    """A suggestion cannot be accepted or dismissed as asked (no rules folder to write,
    one with problems, no reason given for a dismissal); the message says why."""


@dataclass(frozen=True)
class Thresholds:
    """When the review record is strong enough to suggest a change.

    These are constants rather than rule settings: they steer what triage
    *proposes*, never how an item is routed. Pass your own to :func:`suggest`.
    """

    tolerance_pass: float = 0.02
    """Highest failure rate acceptable among items the rules pass (2%)."""
    tolerance_scan: float = 0.10
    """Highest failure rate acceptable for a quick look (10%)."""
    tolerance_deep: float = 1.0
    """Deep is the top lane: any failure rate is acceptable there (nothing above it)."""
    min_induced: int = 15
    """Reviews a condition needs below a lane before a rule is induced from it."""
    min_reviews: int = 60
    """Verdicts a task type needs in a lane before it may be relaxed out of it."""
    mode_repeats: int = 3
    """How often one failure mode must be found ..."""
    mode_days: float = 7.0
    """... within this many days (outside deep) to send its task type to deep."""
    min_model_reviews: int = 20
    """Verdicts an agent's new model needs before it is trusted like the old one."""
    model_days: float = 14.0
    """How recent a model switch must be to be watched. Longer than the rule setting
    ``new_model_days`` on purpose: the ``new-model`` rule covers the first days, and
    this catches a switch whose window ran out before reviewers built a record."""
    learned_file: str = "learned.toml"
    """Where new deep and scan rules are written."""
    relax_file: str = "relax.toml"
    """Where new pass rules are written (the file that holds the pass rules)."""

    def tolerance(self, lane: Lane) -> float:
        return {
            Lane.PASS: self.tolerance_pass,
            Lane.SCAN: self.tolerance_scan,
            Lane.DEEP: self.tolerance_deep,
        }[lane]


@dataclass(frozen=True)
class Evidence:
    """The numbers behind a suggestion, and the sentence that sums them up."""

    reviewed: int
    failures: int
    tolerance: float | None
    """The failure rate the suggestion compared against (none for mode and model)."""
    sentence: str

    @property
    def rate(self) -> float:
        return self.failures / self.reviewed if self.reviewed else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        """95% Wilson interval of the failure rate."""
        return wilson_interval(self.failures, self.reviewed)

    def as_json(self) -> dict[str, Any]:
        low, high = self.interval
        return {
            "reviewed": self.reviewed,
            "failures": self.failures,
            "rate": round(self.rate, 4),
            "ci_low": round(low, 4),
            "ci_high": round(high, 4),
            "tolerance": self.tolerance,
            "sentence": self.sentence,
        }

    def same_counts(self, stored: Mapping[str, Any]) -> bool:
        """Whether stored evidence had the same numbers reviewed and failed."""
        return stored.get("reviewed") == self.reviewed and stored.get("failures") == self.failures


Change = Edit
"""A proposed change: a rule to add or a field to set."""


@dataclass(frozen=True)
class Suggestion:
    """A proposed rule change with its evidence and, once backtested, its effect."""

    id: str
    """Stable across runs: ``tighten:refund:scan``, ``relax:handoff:scan``,
    ``mode:refund-over-policy:refund``, ``model:support-bot:claude-sonnet-4-6``."""
    kind: SuggestionKind
    title: str
    evidence: Evidence
    changes: tuple[Change, ...]
    backtest: BacktestResult | None = None
    """The draft (current rules plus this change) against the lanes items were reviewed in."""
    moved: int = 0
    """Reviewed items the change puts in another lane than the current rules do."""
    moves: tuple[Transition, ...] = ()
    """Those moves by lane: current rules' lane → the draft's (changed cells only)."""
    new_escapes: tuple[str, ...] = ()
    """Known failures the draft passes that the current rules do not."""
    minutes_now: float = 0.0
    """Reviewer minutes per day for the backtest sample under the current rules."""

    @property
    def sentence(self) -> str:
        """The evidence in one sentence."""
        return self.evidence.sentence

    @property
    def backtest_summary(self) -> str:
        """The backtest in one line: moves, escapes, reviewer minutes per day."""
        result = self.backtest
        if result is None:
            return "not backtested"
        moves = ", ".join(f"{t.old.value}→{t.new.value} {t.count}" for t in self.moves)
        return (
            f"{self.moved} of {result.items} reviewed items change lane"
            f"{f' ({moves})' if moves else ''}; escapes {len(result.escapes)} "
            f"({len(self.new_escapes)} new); "
            f"minutes/day {self.minutes_now:g} → {result.minutes_after:g}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "evidence": self.evidence.as_json(),
            "changes": [c.as_json() for c in self.changes],
            "moved": self.moved,
            "moves": [t.as_json() for t in self.moves],
            "new_escapes": list(self.new_escapes),
            "minutes_now": self.minutes_now,
            "backtest": self.backtest.as_json() if self.backtest else None,
        }
