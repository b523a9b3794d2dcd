"""Learned failure risk: the features of any item, and a fitted model's score.

A :class:`RiskModel` is a regularised logistic model over :func:`features`, fitted
from the verdicts in force (:mod:`triage.learn.risk_fit`), kept as plain numbers so
that scoring needs neither scikit-learn nor numpy: a dot product over the few
features an item has, tens of microseconds. :meth:`RiskModel.score` gives
``p_fail``, an upper bound that is wide where the evidence is thin (a Laplace
approximation of each weight's uncertainty; a feature the model never saw carries
the prior's), and the features that pushed the score most, in words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from triage.core.checks.result import CheckResult
from triage.core.models import Item

__all__ = [
    "DEFAULT_CONSEQUENCE",
    "FEATURES_VERSION",
    "Risk",
    "RiskModel",
    "RiskThresholds",
    "consequence",
    "describe",
    "features",
    "thresholds_for",
]

FEATURES_VERSION: Final = 2
"""Bumped whenever :func:`features` changes what it derives: a model fitted on other
features is then refitted, never applied."""

Z_UPPER: Final = 1.645
"""One-sided 95%: the upper bound is the score this many standard errors up."""

_MAX_META_KEYS: Final = 40
_ID: Final = re.compile(r"\d")
"""A text value with a digit is taken for an id or a number, not a category."""
_MAX_TEXT: Final = 40


def _log(value: float) -> float:
    return math.log1p(max(0.0, value))


def features(
    item: Item,
    signals: Mapping[str, Any],
    checks: Sequence[CheckResult] = (),
    rules: Iterable[str] = (),
) -> dict[str, float]:
    """The features of ``item``, derived generically from any item: task type, agent,
    model, novelty and history, tool names, counts and errors, lengths, the numeric,
    boolean and short-text ``meta`` fields at the top level, the checks' results and
    the ids of the ``rules`` that matched. Names read as words (``task_type=refund``,
    ``check references failed``); values are 1 for a presence, else a scaled number."""
    out: dict[str, float] = {
        f"task_type={_short(item.task_type)}": 1.0,
        f"agent={_short(item.agent)}": 1.0,
        f"model={_short(item.model)}": 1.0,
        "novelty_gap": (100.0 - float(signals.get("novelty") or 0.0)) / 100.0,
        "history": _log(float(signals.get("history") or 0)) / 5.0,
        "tool_calls": _log(len(item.tool_calls)),
        "tool_errors": _log(float(signals.get("tool_errors") or 0)),
        "transcript_turns": _log(len(item.transcript)) / 2.0,
        "output_length": _log(len(item.output)) / 8.0,
        "input_length": _log(len(item.input)) / 8.0,
    }
    if signals.get("is_novel"):
        out["is_novel"] = 1.0
    if signals.get("model_is_new"):
        out["model_is_new"] = 1.0
    if not item.output.strip():
        out["empty_output"] = 1.0
    for call in item.tool_calls[:50]:
        out[f"tool={_short(call.name)}"] = 1.0
        if call.is_error:
            out[f"tool_error={_short(call.name)}"] = 1.0
    for key, value in list(item.meta.items())[:_MAX_META_KEYS]:
        name = f"meta.{_short(str(key))}"
        if isinstance(value, bool):
            out[name] = 1.0 if value else 0.0
        elif isinstance(value, int | float) and math.isfinite(value):
            out[name] = math.copysign(_log(abs(float(value))), float(value)) / 5.0
        elif isinstance(value, str) and 0 < len(value) <= _MAX_TEXT and not _ID.search(value):
            out[f"{name}={value}"] = 1.0  # a category (channel, tier), not an id
    for check in checks:
        if check.name == "platform":
            out[f"platform={check.status}"] = 1.0
        elif check.failed:
            out[f"check {check.name} failed"] = 1.0
    for rule in rules:
        out[f"rule {rule}"] = 1.0
    return {name: value for name, value in out.items() if value != 0.0}


def _short(text: str) -> str:
    """A text value as a feature name part: one line, at most 40 characters."""
    flat = " ".join(text.split())
    return flat[:_MAX_TEXT]


def describe(feature: str, value: float) -> str:
    """A feature as a reviewer reads it: ``task type refund``, ``2 tool errors``."""
    if "=" in feature and not feature.startswith("meta."):
        kind, _, what = feature.partition("=")
        return f"{kind.replace('_', ' ')} {what}"
    if feature == "tool_errors":
        count = round(math.expm1(value))
        return f"{count} tool error{'s' if count != 1 else ''}"
    if feature == "tool_calls":
        count = round(math.expm1(value))
        return f"{count} tool call{'s' if count != 1 else ''}"
    if feature == "novelty_gap":
        return f"novelty {100 - value * 100:.0f}/100"
    if feature == "history":
        return f"{round(math.expm1(value * 5.0))} earlier items like it"
    if feature in ("output_length", "input_length"):
        chars = round(math.expm1(value * 8.0))
        return f"{feature.replace('_', ' ')} {chars:,} characters"
    if feature == "transcript_turns":
        return f"{round(math.expm1(value * 2.0))} transcript turns"
    return feature.replace("_", " ")


@dataclass(frozen=True, slots=True)
class Risk:
    """What the model says of one item."""

    p_fail: float
    """The calibrated probability that a reviewer would fail the item (0-1)."""
    upper: float
    """One-sided 95% upper bound of ``p_fail``: wide where the evidence is thin."""
    model_version: str
    contributions: tuple[tuple[str, float], ...] = ()
    """The features that moved the score most, in words, with their weight in log-odds
    (positive: towards failing), largest first."""

    def as_json(self) -> dict[str, Any]:
        return {
            "p_fail": round(self.p_fail, 4),
            "upper": round(self.upper, 4),
            "model_version": self.model_version,
            "contributions": [{"feature": f, "weight": round(w, 3)} for f, w in self.contributions],
        }


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass(frozen=True)
class RiskModel:
    """A fitted failure-risk model, as plain numbers (see the module notes)."""

    version: str
    """A hash of the training verdicts, the settings and :data:`FEATURES_VERSION`."""
    intercept: float
    weights: Mapping[str, float]
    variances: Mapping[str, float]
    """Each weight's posterior variance (diagonal Laplace approximation)."""
    intercept_variance: float
    prior_variance: float
    """The variance of a feature the model never saw (its regularisation prior)."""
    trained_on: int
    """Verdicts it was fitted on."""
    failures: int
    """Of which failed."""
    fitted_at: datetime
    calibration: tuple[float, float] = (1.0, 0.0)
    """``(a, b)``: the probability is ``sigmoid(a * z + b)`` of the raw log-odds ``z``."""
    features_version: int = FEATURES_VERSION
    metrics: Mapping[str, float] = field(default_factory=dict)
    """How it did on verdicts held out while fitting (``auc``, ``brier``, ...)."""
    upper_bins: tuple[tuple[float, float], ...] = ()
    """``(highest p_fail of the bin, upper end of its observed failure rate)``, from the
    held-out predictions in bins of equal count: how high the failure rate of items
    scored like this one may be, by the evidence. Empty: no bins (the bound then rests
    on each weight's own uncertainty alone)."""

    def score(self, feats: Mapping[str, float], *, top: int = 4) -> Risk:
        """``p_fail``, its upper bound and the largest contributions for ``feats``.

        The upper bound is the larger of two: the observed failure rate's upper end
        among held-out items scored alike (:attr:`upper_bins`), and the score moved up
        by the uncertainty of what the model barely knows: each feature it never saw
        (the prior's variance) or saw too rarely to pin down (a weight whose variance
        is still most of the prior's). Well-known features that always come together
        would, counted one by one, add up doubt that is not there, so they are left to
        the bins."""
        z = self.intercept
        variance = 0.0 if self.upper_bins else self.intercept_variance
        parts: list[tuple[str, float, float]] = []
        weights, variances, prior = self.weights, self.variances, self.prior_variance
        thin = 0.8 * prior
        for name, value in feats.items():
            weight = weights.get(name)
            if weight is None:
                variance += prior * value * value
                continue
            z += weight * value
            own = variances.get(name, prior)
            if own >= thin or not self.upper_bins:
                variance += own * value * value
            if weight:
                parts.append((name, value, weight * value))
        a, b = self.calibration
        p = _sigmoid(a * z + b)
        upper = _sigmoid(a * (z + Z_UPPER * math.sqrt(variance)) + b)
        upper = max(upper, self._binned_upper(p))
        parts.sort(key=lambda part: -abs(part[2]))
        contributions = tuple((describe(n, v), round(c * a, 3)) for n, v, c in parts[:top])
        return Risk(p, max(p, upper), self.version, contributions)

    def _binned_upper(self, p: float) -> float:
        for edge, upper in self.upper_bins:
            if p <= edge:
                return upper
        return self.upper_bins[-1][1] if self.upper_bins else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "upper_bins": [list(pair) for pair in self.upper_bins],
            "version": self.version,
            "intercept": self.intercept,
            "weights": dict(self.weights),
            "variances": dict(self.variances),
            "intercept_variance": self.intercept_variance,
            "prior_variance": self.prior_variance,
            "trained_on": self.trained_on,
            "failures": self.failures,
            "fitted_at": self.fitted_at.isoformat(),
            "calibration": list(self.calibration),
            "features_version": self.features_version,
            "metrics": dict(self.metrics),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RiskModel:
        a, b = data.get("calibration") or (1.0, 0.0)
        return cls(
            version=str(data["version"]),
            intercept=float(data["intercept"]),
            weights={str(k): float(v) for k, v in dict(data["weights"]).items()},
            variances={str(k): float(v) for k, v in dict(data["variances"]).items()},
            intercept_variance=float(data["intercept_variance"]),
            prior_variance=float(data["prior_variance"]),
            trained_on=int(data["trained_on"]),
            failures=int(data["failures"]),
            fitted_at=datetime.fromisoformat(str(data["fitted_at"])),
            calibration=(float(a), float(b)),
            features_version=int(data.get("features_version", 0)),
            metrics={str(k): float(v) for k, v in dict(data.get("metrics") or {}).items()},
            upper_bins=tuple((float(e), float(u)) for e, u in data.get("upper_bins") or ()),
        )


DEFAULT_CONSEQUENCE: Final[Mapping[str, float]] = {
    "customer_facing": 2.0,
    "production": 2.0,
    "amount": 0.5,
    "recipients": 0.3,
    "deep_rule": 1.5,
}
"""What is at stake, as multipliers of a base of 1 (``consequence`` in the rules'
``[settings]`` changes any of them): ``customer_facing`` when ``meta.customer_facing``
is true; ``production`` when ``meta.environment`` is production; ``amount`` and
``recipients`` per power of ten of ``meta.amount`` and ``meta.recipients``
(``1 + w × log10(1 + x)``); ``deep_rule`` when a structural rule sent the item to
deep."""


def consequence(
    meta: Mapping[str, Any], *, deep_rule: bool, weights: Mapping[str, float] = DEFAULT_CONSEQUENCE
) -> float:
    """How much is at stake in an item, by the table of :data:`DEFAULT_CONSEQUENCE`."""
    w = {**DEFAULT_CONSEQUENCE, **weights}
    stake = 1.0
    if meta.get("customer_facing") is True:
        stake *= w["customer_facing"]
    environment = meta.get("environment")
    if isinstance(environment, str) and environment.lower() in ("production", "prod"):
        stake *= w["production"]
    for key in ("amount", "recipients"):
        value = meta.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            stake *= 1.0 + w[key] * math.log10(1.0 + abs(float(value)))
    if deep_rule:
        stake *= w["deep_rule"]
    return stake


@dataclass(frozen=True, slots=True)
class RiskThresholds:
    """The daily attention budget turned into ``p_fail`` thresholds on recent days."""

    deep: float | None
    """Items at or above this ``p_fail`` go to ``deep`` (``None``: no budget for deep, or
    structural rules already fill it)."""
    scan: float | None
    """Items the rules would pass at or above this ``p_fail`` get a look in ``scan``."""
    deep_share: float
    """The share of a day the lead planned for ``deep``."""
    scan_share: float
    structural_deep: float = 0.0
    """The share of recent items rules alone sent to ``deep``: above ``deep_share``, the
    budget is exceeded whatever the model says."""
    days: int = 0
    """Recent days the thresholds were calibrated on."""

    @property
    def over_budget(self) -> bool:
        """Structural rules alone send more than the planned share to deep."""
        return self.structural_deep > self.deep_share


def thresholds_for(
    recent: Sequence[tuple[float, bool]],
    *,
    deep_share: float,
    scan_share: float,
    days: int = 0,
) -> RiskThresholds:
    """Thresholds that keep, on the ``recent`` items (their ``p_fail`` and whether rules
    alone sent them to deep), ``deep`` near ``deep_share`` of a day and ``deep`` and
    ``scan`` together near ``deep_share + scan_share``: the ``p_fail`` of the item at
    that rank among those the rules did not already send to deep."""
    total = len(recent)
    structural = sum(1 for _, deep in recent if deep)
    structural_share = structural / total if total else 0.0
    rest = sorted((p for p, deep in recent if not deep), reverse=True)

    def at_share(share: float) -> float | None:
        take = round(share * total) - structural
        if take <= 0 or not rest:
            return None
        return rest[min(take, len(rest)) - 1]

    deep = at_share(deep_share)
    scan = at_share(deep_share + scan_share)
    return RiskThresholds(deep, scan, deep_share, scan_share, structural_share, days)
