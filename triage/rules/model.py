"""Rules, rule sets and their settings, as the rest of triage sees them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from triage.core.models import Lane
from triage.errors import TriageError
from triage.rules.expr import Condition, Evaluator, compile_condition

_TASK = "task_type"


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """The ``[settings]`` table of a rule folder (at most one file has it)."""

    default_lane: Lane = Lane.SCAN
    """Lane for items no rule matches. ``scan`` keeps ``pass`` something only a rule grants."""
    audit_rate: float = 0.05
    """Share (0..1) of ``pass`` items sent to ``scan`` as audit samples."""
    novelty_threshold: float = 60.0
    """Novelty (0-100 similarity to the nearest past input) below this is novel."""
    new_model_days: float = 3.0
    """For how many days after an agent switches model its outputs count as from a new model."""
    budget_deep: float | None = None
    """The share of a day's items planned for ``deep`` (the attention budget); with a
    risk model fitted, items above the ``p_fail`` threshold that keeps ``deep`` near
    this share go there. ``None``: no budget."""
    budget_scan: float | None = None
    """The share planned for ``scan``: items the rules would pass, above the threshold
    that keeps ``deep`` and ``scan`` together near their shares, get a look."""
    consequence: tuple[tuple[str, float], ...] = ()
    """Changes to the table of what is at stake
    (:data:`triage.core.risk.DEFAULT_CONSEQUENCE`), which orders a lane with the risk."""
    link_domains: tuple[str, ...] = ()
    """Domains (and their subdomains) the ``links`` check accepts in any output, besides
    those in the item's own input and tool results."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One ``[[rule]]`` entry: where it sends an item, why, and when.

    The condition is compiled from ``when`` on construction, so building a
    ``Rule`` with a bad condition raises :class:`~triage.rules.ConditionError`.
    """

    id: str
    lane: Lane
    why: str
    """The sentence a reviewer sees for an item this rule matched."""
    owner: str
    when: str
    """The condition's source text."""
    failure_modes: tuple[str, ...] = ()
    enabled: bool = True
    shadow: bool = False
    """A draft being tried out: evaluated and recorded as "would have routed", but it
    never changes an item's lane."""
    notes: str = ""
    file: str = ""
    """The file the rule is in, relative to the rule folder."""
    line: int = 0
    """The line of the rule's ``[[rule]]`` header."""
    condition: Condition = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "condition", compile_condition(self.when))

    def matches(self, signals: Mapping[str, Any]) -> bool:
        """Whether the rule's condition holds for ``signals`` (``enabled`` is not consulted)."""
        return bool(self.condition.evaluate(signals))

    def explain(self, signals: Mapping[str, Any]) -> dict[str, Any]:
        """The values the condition looked at, for showing why the rule matched."""
        return self.condition.explain(signals)


@dataclass(frozen=True)
class RuleSet:
    """Every rule of a folder, its settings, and the version that identifies it."""

    rules: tuple[Rule, ...]
    """All rules in file order (files sorted by name), disabled ones included."""
    settings: RuleSettings
    version: str
    """``r-`` and 12 hex digits of a hash over the files' names and bytes."""
    commit: str | None
    """Short commit of the folder's git HEAD, when the folder is in a git work tree."""
    files: dict[str, str]
    """Relative path → text of every rule file: enough to rebuild this exact set."""
    origin: str = ""
    """Where the files came from (a folder path), for messages."""
    _active: tuple[tuple[Evaluator, Rule], ...] = field(
        init=False, repr=False, compare=False, default=()
    )
    _by_task: dict[str, tuple[tuple[Evaluator, Rule], ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _any_task: tuple[tuple[Evaluator, Rule], ...] = field(
        init=False, repr=False, compare=False, default=()
    )

    def __post_init__(self) -> None:
        active = tuple((rule.condition.evaluate, rule) for rule in self.rules if rule.enabled)
        object.__setattr__(self, "_active", active)
        # Most rules start with task_type == "...": for each task type, keep only
        # the rules that can match it, in file order.
        pinned = [rule.condition.requires.get(_TASK) for _, rule in active]
        tasks: set[str] = set().union(*(values for values in pinned if values is not None))
        by_task = {
            task: tuple(
                pair
                for pair, values in zip(active, pinned, strict=True)
                if values is None or task in values
            )
            for task in tasks
        }
        any_task = tuple(
            pair for pair, values in zip(active, pinned, strict=True) if values is None
        )
        object.__setattr__(self, "_by_task", by_task)
        object.__setattr__(self, "_any_task", any_task)

    @property
    def enabled(self) -> tuple[Rule, ...]:
        """The rules that are evaluated."""
        return tuple(rule for _, rule in self._active)

    def matching(self, signals: Mapping[str, Any]) -> list[Rule]:
        """The enabled rules whose condition holds for ``signals``, in file order."""
        task = signals.get(_TASK)
        if isinstance(task, str):
            candidates = self._by_task.get(task, self._any_task)
        else:  # not text: no task_type == "..." test can hold
            candidates = self._any_task
        return [rule for test, rule in candidates if test(signals)]

    def lane_for(self, signals: Mapping[str, Any]) -> Lane:
        """The most severe lane among matching rules, or the default lane when none match
        (before any audit sampling)."""
        lanes = [rule.lane for rule in self.matching(signals)]
        if not lanes:
            return self.settings.default_lane
        return max(lanes, key=lambda lane: lane.severity)

    def get(self, rule_id: str) -> Rule | None:
        """The rule with this id, enabled or not."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        return None


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """Something wrong in a rule folder.

    ``file`` is relative to the folder, like :attr:`Rule.file`; a problem with the
    folder as a whole (missing, no rule files) has ``file`` ``""`` and ``line`` 0.
    """

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class RulesError(TriageError):
    """A rule folder was refused; ``problems`` lists everything found wrong with it."""

    def __init__(self, problems: list[RuleProblem], *, origin: str = "") -> None:
        self.problems = problems
        self.origin = origin
        """The folder the files came from, when known."""
        count = len(problems)
        head = "1 problem" if count == 1 else f"{count} problems"
        where = f" in {origin}" if origin else ""
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{head} in the rule files{where}:\n{lines}")
