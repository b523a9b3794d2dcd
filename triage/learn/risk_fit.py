"""Fitting the failure-risk model from the verdicts in force.

Every ok/fail verdict in force is one training row: the item's features
(:func:`triage.core.risk.features`, the same function the triager scores with) and
whether it failed. The features of a past item are rebuilt from the item and its
stored decision (:class:`PastFeatures`), never by searching the past again: the
decision keeps the novelty score, whether the item was novel, the checks' results
and the rules that matched, so 100,000 verdicts cost seconds, not the hours a
novelty search per item would.

The model is an L2-regularised logistic regression (scikit-learn's
``LogisticRegression``, lbfgs) over a ``DictVectorizer`` sparse matrix. ``C`` is
chosen from :data:`GRID` by stratified cross-validated log-loss; Platt scaling
``(a, b)`` is fitted on the chosen ``C``'s cross-validated log-odds and kept only
when it lowers a cross-validated log-loss of its own. Each weight's posterior
variance is the diagonal Laplace approximation ``1 / (Σ p(1-p) x² + 1/C)``, the
prior's variance is ``C``. The held-out metrics kept on the model are those of the
cross-validated (calibrated) predictions.

Why logistic regression and not boosted trees, measured by ``bench/risk_fit.py``
(2 cores; generated verdicts where a task type, a tool error and a meta field
predict failure; the same 5 folds; held-out AUC / log-loss):

==========  ======================  ==========================
verdicts    logistic regression     HistGradientBoosting
==========  ======================  ==========================
2,000       0.814 / 0.462           0.788 / 0.536
10,000      0.820 / 0.454           0.812 / 0.470
==========  ======================  ==========================

The trees win nothing on these signals (which add up in log-odds), fit several
times slower, and a tree ensemble can neither be scored without its library nor
give a per-weight uncertainty for the upper bound or contributions in words; the
linear model does all three with plain numbers. A whole fit (reading, features,
the grid of C, calibration) took 1.3 s on 10,000 verdicts and 11.4 s on 100,000;
scoring is about 7 µs an item.

scikit-learn is imported only inside :func:`fit`: nothing on the app's start-up
path loads it.
"""

from __future__ import annotations

import bisect
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from triage.core.checks import CheckSettings, run_checks
from triage.core.models import Decision, Item, Outcome, ReasonKind
from triage.core.risk import FEATURES_VERSION, RiskModel, features
from triage.core.signals import RISK_SIGNALS, compute_signals
from triage.errors import Refused
from triage.rules.triager import ModelHistory

if TYPE_CHECKING:
    from triage.learn.context import LoopContext
    from triage.rules import RuleSet

MIN_VERDICTS: Final = 20
"""Fewer ok/fail verdicts in force than this and no model is fitted."""
MIN_EACH: Final = 3
"""At least this many failures and this many oks are needed too."""
GRID: Final = (0.1, 0.3, 1.0, 3.0)
"""The inverse regularisation strengths ``C`` tried."""
MAX_FOLDS: Final = 5


class TooFewVerdicts(Refused):
    """Not enough ok and fail verdicts to fit a risk model on."""


def too_few_message(verdicts: int, failures: int) -> str:
    """Why no model was fitted on ``verdicts`` (of which ``failures`` failed)."""
    return (
        f"too few verdicts to fit a risk model: {verdicts} ok/fail verdicts in force, "
        f"{failures} of them failures (needed: at least {MIN_VERDICTS}, with at least "
        f"{MIN_EACH} failures and {MIN_EACH} ok); until then triage orders each lane "
        "by the rules"
    )


class PastFeatures:
    """The risk features of stored items as the triager derives them at triage time
    (``Triager._features``), rebuilt from each item's stored decision.

    What the triager computes from the past comes from cheap reads instead: the
    novelty score and whether the item was novel from the decision; how many earlier
    items its agent and task type have, and whether its model was a recent switch,
    from every stored item's (agent, task type, model, time); the checks' results
    from the decision (run again when the decision predates checks); the rules that
    matched from the decision's reasons of kind rule, kept only when the rule set
    in force still has the rule and its condition does not test ``p_fail`` or
    ``p_fail_upper`` (those rules are decided after the model, as at triage time)."""

    def __init__(self, ruleset: RuleSet, groups: Sequence[tuple[str, str, str, datetime]]) -> None:
        self.ruleset = ruleset
        self.check_settings = CheckSettings(link_domains=frozenset(ruleset.settings.link_domains))
        self.rule_ids = frozenset(
            rule.id
            for rule in ruleset.enabled
            if not rule.shadow and not rule.condition.signals_used & RISK_SIGNALS
        )
        self.models = ModelHistory()
        times: dict[tuple[str, str], list[float]] = {}
        for agent, task_type, model, created in groups:
            stamp = created.timestamp()
            times.setdefault((agent, task_type), []).append(stamp)
            self.models.add(agent, model, stamp)
        for values in times.values():
            values.sort()
        self.times = times

    def of(self, item: Item, decision: Decision) -> dict[str, float]:
        """The features of ``item`` given its stored ``decision``."""
        created = item.created_at.timestamp()
        group = self.times.get((item.agent, item.task_type), [])
        checks = decision.checks or run_checks(item, self.check_settings)
        settings = self.ruleset.settings
        signals = compute_signals(
            item,
            novelty=decision.novelty,
            model_is_new=self.models.is_new(
                item.agent, item.model, created, settings.new_model_days
            ),
            model_age_days=self.models.age_days(item.agent, item.model, created),
            history=bisect.bisect_left(group, created),
            checks=checks,
        )
        rules = (
            reason.rule
            for reason in decision.reasons
            if reason.kind is ReasonKind.RULE and reason.rule in self.rule_ids
        )
        return features(item, signals, checks, (r for r in rules if r is not None))


@dataclass(frozen=True)
class TrainingSet:
    """The rows a model is fitted on."""

    rows: list[dict[str, float]]
    failed: list[int]
    """1 where the verdict was ``fail``."""
    keys: list[tuple[int, str]]
    """(verdict pk, outcome) of each verdict: what the version hashes."""


def training_set(workspace: LoopContext, ruleset: RuleSet) -> TrainingSet:
    """Every ok/fail verdict in force with its item's features (items never triaged
    have no stored decision to rebuild them from and are left out)."""
    store = workspace.store
    verdicts = sorted(store.verdict_outcomes(), key=lambda v: v[1])
    pks = [item_pk for _, item_pk, _, _ in verdicts]
    items = store.items_by_pk(pks)
    decisions = store.current_decisions(pks)
    past = PastFeatures(ruleset, store.item_groups())
    rows: list[dict[str, float]] = []
    failed: list[int] = []
    keys: list[tuple[int, str]] = []
    for verdict_pk, item_pk, outcome, _ in verdicts:
        item, decision = items.get(item_pk), decisions.get(item_pk)
        if item is None or decision is None:
            continue
        rows.append(past.of(item, decision))
        failed.append(1 if outcome is Outcome.FAIL else 0)
        keys.append((verdict_pk, outcome.value))
    return TrainingSet(rows, failed, keys)


def fit(workspace: LoopContext, ruleset: RuleSet, *, seed: int = 0) -> RiskModel | None:
    """A model fitted on the verdicts in force of ``workspace`` with the features
    ``ruleset`` gives; ``None`` when there are too few (see :data:`MIN_VERDICTS`)."""
    data = training_set(workspace, ruleset)
    failures = sum(data.failed)
    if len(data.failed) < MIN_VERDICTS or min(failures, len(data.failed) - failures) < MIN_EACH:
        return None
    return fit_rows(data, seed=seed)


def fit_rows(data: TrainingSet, *, seed: int = 0) -> RiskModel:
    """The model of :func:`fit` for a training set with enough of each outcome."""
    import numpy as np
    from sklearn.feature_extraction import DictVectorizer  # type: ignore[import-untyped]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
    from sklearn.metrics import (  # type: ignore[import-untyped]
        brier_score_loss,
        log_loss,
        roc_auc_score,
    )
    from sklearn.model_selection import (  # type: ignore[import-untyped]
        StratifiedKFold,
        cross_val_predict,
    )

    vectorizer = DictVectorizer(sparse=True)
    x = vectorizer.fit_transform(data.rows).tocsr()
    y = np.asarray(data.failed)
    failures = int(y.sum())
    folds = StratifiedKFold(
        n_splits=min(MAX_FOLDS, failures, len(y) - failures), shuffle=True, random_state=seed
    )

    def model(c: float) -> Any:
        return LogisticRegression(C=c, solver="lbfgs", max_iter=2000)

    best: tuple[float, float, Any] | None = None
    for c in GRID:
        z = cross_val_predict(model(c), x, y, cv=folds, method="decision_function")
        loss = log_loss(y, _sigmoid(z), labels=[0, 1])
        if best is None or loss < best[0] - 1e-9:
            best = (loss, c, z)
    assert best is not None
    raw_loss, c, z_cv = best
    calibration, p_cv = (1.0, 0.0), _sigmoid(z_cv)
    platt = LogisticRegression(C=1e6, solver="lbfgs")
    z_col = z_cv.reshape(-1, 1)
    p_platt = cross_val_predict(platt, z_col, y, cv=folds, method="predict_proba")[:, 1]
    if log_loss(y, p_platt, labels=[0, 1]) < raw_loss:
        platt.fit(z_col, y)
        calibration = (float(platt.coef_[0][0]), float(platt.intercept_[0]))
        p_cv = p_platt

    final = model(c).fit(x, y)
    p = final.predict_proba(x)[:, 1]
    weight = p * (1.0 - p)
    curvature = np.asarray(x.multiply(x).T @ weight).ravel()
    variances = 1.0 / (curvature + 1.0 / c)
    names = vectorizer.get_feature_names_out()
    coefs = final.coef_[0]
    keys = sorted(data.keys)
    return RiskModel(
        version=_version(keys, c, calibration),
        intercept=float(final.intercept_[0]),
        weights={str(n): float(w) for n, w in zip(names, coefs, strict=True)},
        variances={str(n): float(v) for n, v in zip(names, variances, strict=True)},
        intercept_variance=float(1.0 / (weight.sum() + 1.0 / c)),
        prior_variance=c,
        trained_on=len(y),
        failures=failures,
        fitted_at=datetime.now(UTC),
        calibration=calibration,
        upper_bins=upper_bins(p_cv, y),
        metrics={
            "auc": float(roc_auc_score(y, p_cv)),
            "brier": float(brier_score_loss(y, p_cv)),
            "log_loss": float(log_loss(y, p_cv, labels=[0, 1])),
            "base_rate": failures / len(y),
            "C": c,
            "folds": float(folds.get_n_splits()),
        },
    )


BIN_SIZE = 50
"""Held-out predictions per bin of :func:`upper_bins` (at most ten bins)."""


def upper_bins(p_cv: Any, y: Any) -> tuple[tuple[float, float], ...]:
    """Bins of equal count of the held-out predictions, each with its highest ``p_fail``
    and the upper end of its 95% Wilson interval of observed failures, made
    non-decreasing (a higher score never has a lower bound)."""
    from triage.learn.stats_math import wilson_interval

    order = sorted(zip((float(p) for p in p_cv), (bool(f) for f in y), strict=True))
    count = max(1, min(10, len(order) // BIN_SIZE))
    size = len(order) / count
    out: list[tuple[float, float]] = []
    highest = 0.0
    for i in range(count):
        chunk = order[round(i * size) : round((i + 1) * size)]
        failed = sum(1 for _, f in chunk if f)
        highest = max(highest, wilson_interval(failed, len(chunk))[1])
        out.append((chunk[-1][0], highest))
    return tuple(out)


def _sigmoid(z: Any) -> Any:
    import numpy as np

    return 1.0 / (1.0 + np.exp(-np.clip(z, -35.0, 35.0)))


def _version(keys: Sequence[tuple[int, str]], c: float, calibration: tuple[float, float]) -> str:
    digest = hashlib.sha256()
    for key in keys:
        digest.update(repr(key).encode())
    a, b = calibration
    digest.update(f"|C={c!r}|a={a:.6f}|b={b:.6f}|features={FEATURES_VERSION}".encode())
    return "m-" + digest.hexdigest()[:12]


def top_weights(model: RiskModel, count: int = 10) -> list[tuple[str, float]]:
    """The ``count`` largest weights by size (in log-odds, after calibration)."""
    a = model.calibration[0]
    ranked = sorted(model.weights.items(), key=lambda kv: -abs(kv[1]))
    return [(name, weight * a) for name, weight in ranked[:count] if math.isfinite(weight)]


AUTO_MIN_VERDICTS: Final = 100
"""A pull fits the first model on its own only from this many verdicts: fewer make a
model whose every bound is wide, which would hold everything out of pass (``triage
learn`` fits from :data:`MIN_VERDICTS` when asked)."""


def needs_refit(model: RiskModel | None, verdicts: int) -> bool:
    """A pull refits when enough verdicts arrived since the last fit: none fitted yet
    and at least :data:`AUTO_MIN_VERDICTS`, or at least 25% more than the model was
    trained on and at least :data:`MIN_VERDICTS` more."""
    if model is None or model.features_version != FEATURES_VERSION:
        return verdicts >= AUTO_MIN_VERDICTS
    grown = verdicts - model.trained_on
    return grown >= MIN_VERDICTS and verdicts >= 1.25 * model.trained_on


def as_mapping(model: RiskModel) -> Mapping[str, Any]:
    """The ``triage learn --json`` object of ``model``."""
    return {
        "version": model.version,
        "trained_on": model.trained_on,
        "failures": model.failures,
        "metrics": dict(model.metrics),
        "weights": [{"feature": f, "weight": round(w, 4)} for f, w in top_weights(model)],
    }
