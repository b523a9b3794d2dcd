"""Triage: item + rules + history → lane, with the reasons written down.

Precedence: the most severe lane among matching rules wins; an item no rule
matches goes to the rule set's ``default_lane``. A ``pass`` item may then be
picked as an audit sample (deterministically, from a hash of its identity) and
sent to ``scan`` so the escape rate of ``pass`` can be measured.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from triage.core.checks import CheckResult, CheckSettings, run_checks
from triage.core.models import Decision, Item, Lane, Novelty, Reason, ReasonKind
from triage.core.novelty import NoveltyIndex
from triage.core.risk import Risk, RiskModel, RiskThresholds, consequence, features
from triage.core.signals import RISK_SIGNALS, compute_signals
from triage.rules import Rule, RuleSet

DAY = 86400.0


def audit_fraction(source: str, item_id: str) -> float:
    """A stable number in [0, 1) for an item: the same item always gets the same one."""
    digest = hashlib.sha256(f"{source}\x00{item_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass
class ModelHistory:
    """When each agent first used each model, to tell a model switch."""

    first_by_agent: dict[str, float] = field(default_factory=dict)
    first_by_model: dict[tuple[str, str], float] = field(default_factory=dict)

    def add(self, agent: str, model: str, created: float) -> None:
        if created < self.first_by_agent.get(agent, float("inf")):
            self.first_by_agent[agent] = created
        key = (agent, model)
        if created < self.first_by_model.get(key, float("inf")):
            self.first_by_model[key] = created

    def age_days(self, agent: str, model: str, created: float) -> float | None:
        """Days since the agent first used this model (``None`` if never seen)."""
        first = self.first_by_model.get((agent, model))
        return None if first is None else max(0.0, (created - first) / DAY)

    def is_new(self, agent: str, model: str, created: float, window_days: float) -> bool:
        """The agent used another model before this one, and switched within the window."""
        first = self.first_by_model.get((agent, model))
        agent_first = self.first_by_agent.get(agent)
        if first is None or agent_first is None or first <= agent_first:
            return False
        return 0.0 <= (created - first) / DAY <= window_days


@dataclass
class History:
    """What triage knows of the past: inputs for novelty, models per agent,
    and each task type's review record."""

    novelty: NoveltyIndex
    models: ModelHistory = field(default_factory=ModelHistory)
    reviews: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    """(reviewed, failed) per task type."""
    risk: RiskModel | None = None
    """The learned failure-risk model in force (``None``: none fitted yet; the rules'
    own ordering applies)."""
    thresholds: RiskThresholds | None = None
    """The attention budget as ``p_fail`` thresholds (``None``: no budget set, or no
    model to apply it with)."""

    def add(self, item: Item) -> None:
        """Remember an item (its input and model) as part of the past."""
        created = item.created_at.timestamp()
        ref = f"{item.source}:{item.id}"
        self.novelty.add(item.agent, item.task_type, ref, created, item.input)
        self.models.add(item.agent, item.model, created)

    def add_all(self, items: Iterable[Item]) -> None:
        for item in items:
            self.add(item)

    def stats(self, task_type: str) -> dict[str, Any]:
        reviewed, failed = self.reviews.get(task_type, (0, 0))
        rate = round(failed / reviewed, 4) if reviewed else None
        return {"reviewed": reviewed, "failures": failed, "failure_rate": rate}


class Triager:
    """Applies one rule set, against one history, to items."""

    def __init__(self, rules: RuleSet, history: History) -> None:
        self.rules = rules
        self.history = history
        history.novelty.threshold = rules.settings.novelty_threshold
        self.check_settings = CheckSettings(link_domains=frozenset(rules.settings.link_domains))
        self.consequence = dict(rules.settings.consequence)
        self._risk_rules = any(rule.condition.signals_used & RISK_SIGNALS for rule in rules.enabled)
        """Whether any rule tests the risk: only then are the rules matched again once
        the model has scored an item."""

    def signals(self, item: Item) -> dict[str, Any]:
        """The values every rule condition is evaluated against, for ``item``."""
        checks = run_checks(item, self.check_settings)
        signals = self._signals(item, checks)[1]
        self._assess(item, signals, checks)
        return signals

    def features(self, item: Item) -> dict[str, float]:
        """The risk model's features of ``item`` (see :func:`triage.core.risk.features`):
        what a model is fitted on and scores."""
        checks = run_checks(item, self.check_settings)
        return self._features(item, self._signals(item, checks)[1], checks)

    def _features(
        self,
        item: Item,
        signals: Mapping[str, Any],
        checks: tuple[CheckResult, ...],
        matched: Iterable[Rule] | None = None,
    ) -> dict[str, float]:
        """The features of ``item``; ``matched``: the rules matching ``signals``, when
        the caller has them already."""
        # Rules that test the risk are decided after it, so they are not its features.
        ids = (
            rule.id
            for rule in (self.rules.matching(signals) if matched is None else matched)
            if not rule.shadow and not rule.condition.signals_used & RISK_SIGNALS
        )
        return features(item, signals, checks, ids)

    def _assess(
        self,
        item: Item,
        signals: dict[str, Any],
        checks: tuple[CheckResult, ...],
        matched: Iterable[Rule] | None = None,
    ) -> Risk | None:
        """Score ``item`` with the risk model in force and put ``p_fail`` and
        ``p_fail_upper`` into ``signals``; ``None`` without a model."""
        model = self.history.risk
        if model is None:
            return None
        risk = model.score(self._features(item, signals, checks, matched))
        signals["p_fail"], signals["p_fail_upper"] = risk.p_fail, risk.upper
        return risk

    def _signals(
        self, item: Item, checks: tuple[CheckResult, ...]
    ) -> tuple[Novelty, dict[str, Any]]:
        created = item.created_at.timestamp()
        ref = f"{item.source}:{item.id}"
        history = self.history
        novelty = history.novelty.query(item.agent, item.task_type, item.input, created, ref)
        return novelty, compute_signals(
            item,
            novelty=novelty,
            model_is_new=history.models.is_new(
                item.agent, item.model, created, self.rules.settings.new_model_days
            ),
            model_age_days=history.models.age_days(item.agent, item.model, created),
            history=history.novelty.history(item.agent, item.task_type, created),
            stats=history.stats(item.task_type),
            checks=checks,
        )

    def decide(self, item: Item) -> Decision:
        """The lane for ``item`` and why. ``pass`` also needs every automated check to
        pass: when the rules chose it and a check failed, the item goes to ``scan``
        with a reason naming the checks (whatever the rules say)."""
        checks = run_checks(item, self.check_settings)
        novelty, signals = self._signals(item, checks)
        matched = self.rules.matching(signals)
        risk = self._assess(item, signals, checks, matched)
        if risk is not None and self._risk_rules:  # decided now that the risk is known
            matched = self.rules.matching(signals)
        settings = self.rules.settings
        reasons = tuple(
            Reason(
                rule=rule.id,
                lane=rule.lane,
                why=rule.why,
                matched=rule.explain(signals),
                failure_modes=tuple(rule.failure_modes),
                kind=ReasonKind.SHADOW if rule.shadow else ReasonKind.RULE,
            )
            for rule in matched
        )
        effective = [r for r in reasons if not r.shadow]
        if effective:
            rule_lane = max((r.lane for r in effective), key=lambda lane: lane.severity)
        else:
            rule_lane = settings.default_lane
        budget = self._budget(risk, rule_lane)
        if budget is not None:
            reasons, rule_lane = (*reasons, budget), budget.lane
        failed = [result.name for result in checks if result.failed]
        if rule_lane is Lane.PASS and failed:
            floor = Reason(None, Lane.SCAN, _floor_why(failed), kind=ReasonKind.CHECK)
            reasons, rule_lane = (*reasons, floor), Lane.SCAN
        lane = rule_lane
        sample = False
        if lane is Lane.PASS and audit_fraction(item.source, item.id) < settings.audit_rate:
            lane, sample = Lane.SCAN, True
        if risk is not None:  # expected value: how likely it fails × what is at stake
            deep_rule = any(r.lane is Lane.DEEP for r in effective)
            stake = consequence(item.meta, deep_rule=deep_rule, weights=self.consequence)
            order = 100.0 * risk.p_fail * stake
        else:
            order = (
                sum(10.0 for r in effective if r.lane is Lane.DEEP)
                + sum(3.0 for r in effective if r.lane is Lane.SCAN)
                + (100.0 - novelty.score) / 20.0
            )
        return Decision(
            lane=lane,
            reasons=reasons,
            novelty=novelty,
            audit_sample=sample,
            rules_version=self.rules.version,
            rules_commit=self.rules.commit,
            default_lane=not effective,
            rule_lane=rule_lane if sample else None,
            risk=round(order, 3),
            checks=checks,
            failure_risk=risk,
        )

    def _budget(self, risk: Risk | None, rule_lane: Lane) -> Reason | None:
        """The reason the attention budget lifts an item above ``rule_lane``, if it does:
        ``p_fail`` at or above the deep threshold sends it to deep; one the rules would
        pass, at or above the scan threshold, gets a look."""
        limits = self.history.thresholds
        if risk is None or limits is None:
            return None
        p = risk.p_fail
        if limits.deep is not None and p >= limits.deep and rule_lane is not Lane.DEEP:
            why = (
                f"p_fail {p:.2f} ≥ {limits.deep:.2f}, the threshold that keeps deep near "
                f"{limits.deep_share:.0%} of a day"
            )
            return Reason(None, Lane.DEEP, why, kind=ReasonKind.BUDGET)
        if limits.scan is not None and p >= limits.scan and rule_lane is Lane.PASS:
            why = (
                f"p_fail {p:.2f} ≥ {limits.scan:.2f}, the threshold that keeps deep and scan "
                f"near {limits.deep_share + limits.scan_share:.0%} of a day"
            )
            return Reason(None, Lane.SCAN, why, kind=ReasonKind.BUDGET)
        return None


def _floor_why(failed: list[str]) -> str:
    names = ", ".join(failed)
    return f"failed automated checks ({names}): pass needs every check to pass"
