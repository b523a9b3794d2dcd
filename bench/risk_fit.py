"""Fitting the failure-risk model on 10,000 and 100,000 verdicts, and scoring an item.

A workspace on SQLite gets N generated items (a task type, a tool error and a noise
field or two; a reviewer fails escalations and items whose lookup errored far more
often), each stored with a decision as the triager makes one (its checks run, the
novelty left at a middling score: the fit reads it, never searches for it), and a
verdict on every item (``Reviews.record_many``). Then ``fit`` is timed, end to end:
reading the verdicts, items and decisions, rebuilding the features, the
cross-validated choice of C, calibration and the final fit. Also measured: the
held-out AUC and log-loss of the logistic model against gradient-boosted trees
(``HistGradientBoostingClassifier``) on the same folds, and the µs to score one
item with the fitted model.
"""

from __future__ import annotations

import math
import random
import sys
import time
from datetime import UTC, datetime, timedelta

from _common import Timer, scratch, workspace

from triage.core.checks import CheckSettings, run_checks
from triage.core.models import Decision, Item, Lane, Novelty, Outcome, ToolCall
from triage.learn.risk_fit import PastFeatures, fit, training_set
from triage.storage.reviews import NewVerdict

SIZES = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
TASKS = ("support_reply", "order_status", "escalation", "summary")
START = datetime(2026, 9, 1, tzinfo=UTC)


def generate(n: int, seed: int = 1) -> tuple[list[Item], list[bool]]:
    rng = random.Random(seed)
    items, failed = [], []
    for k in range(n):
        task = TASKS[k % len(TASKS)]
        errored = rng.random() < 0.2
        high = rng.random() < 0.5
        items.append(
            Item(
                id=f"b-{k:06d}",
                source="bench",
                created_at=START + timedelta(seconds=40 * k),
                agent=rng.choice(("helpdesk", "mailer")),
                task_type=task,
                input=f"Customer {rng.randint(1, 10**6)} writes about order {k}",
                output="We looked into it and " + "replied. " * rng.randint(1, 6),
                model=rng.choice(("m-1", "m-2")),
                tool_calls=(
                    ToolCall("lookup", {"order": k}, "x", errored),
                    ToolCall("reply", {"text": "ok"}, "sent"),
                ),
                meta={"priority": "high" if high else "low", "amount": rng.randint(0, 900)},
            )
        )
        z = -2.4 + 2.6 * (task == "escalation") + 2.2 * errored + 0.6 * high
        failed.append(rng.random() < 1.0 / (1.0 + math.exp(-z)))
    return items, failed


def build(ws: object, n: int) -> None:
    from triage.service.workspace import Workspace

    assert isinstance(ws, Workspace)
    items, failed = generate(n)
    settings = CheckSettings()
    version = ws.rules().ruleset.version
    for start in range(0, n, 5000):
        chunk = items[start : start + 5000]
        written = ws.store.write_items(chunk).changed
        decisions = [
            (
                pk,
                Decision(
                    Lane.SCAN,
                    (),
                    Novelty(55.0, None, False),
                    False,
                    version,
                    checks=run_checks(item, settings),
                ),
            )
            for pk, item in written
        ]
        ws.store.record_decisions(decisions)
        index = {item.id: k for k, item in enumerate(chunk, start)}
        ws.reviews.record_many(
            [
                NewVerdict(
                    pk,
                    "bench",
                    Outcome.FAIL if failed[index[item.id]] else Outcome.OK,
                    key=f"b-{item.id}",
                )
                for pk, item in written
            ]
        )


def compare(ws: object, ruleset: object) -> None:
    """Held-out AUC and log-loss of the logistic model and of boosted trees."""
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss, roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    data = training_set(ws, ruleset)  # type: ignore[arg-type]
    x = DictVectorizer(sparse=True).fit_transform(data.rows).tocsr()
    y = np.asarray(data.failed)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    for name, model, matrix in (
        ("logistic C=1", LogisticRegression(C=1.0, max_iter=2000), x),
        ("boosted trees", HistGradientBoostingClassifier(random_state=0), x.toarray()),
    ):
        began = time.perf_counter()
        p = cross_val_predict(model, matrix, y, cv=folds, method="predict_proba")[:, 1]
        took = time.perf_counter() - began
        print(
            f"  {name:14} held-out AUC {roc_auc_score(y, p):.3f}  log-loss "
            f"{log_loss(y, p):.3f}  (5-fold, {took:.1f} s)"
        )


def main() -> None:
    for n in SIZES:
        with scratch() as folder:
            ws = workspace(folder)
            with Timer() as made:
                build(ws, n)
            ruleset = ws.rules().ruleset
            with Timer() as fitted:
                model = fit(ws, ruleset)
            assert model is not None
            print(
                f"{n:,} verdicts ({model.failures:,} failures; built in {made.seconds:.1f} s): "
                f"fit {fitted.seconds:.1f} s, held-out AUC {model.metrics['auc']:.3f}, "
                f"Brier {model.metrics['brier']:.3f}, C {model.metrics['C']:g}, "
                f"{len(model.weights)} features"
            )
            if n <= 20_000:
                compare(ws, ruleset)
            pks = [pk for batch in ws.store.iter_items() for pk, _ in batch][:5000]
            items = ws.store.items_by_pk(pks)
            decisions = ws.store.current_decisions(pks)
            past = PastFeatures(ruleset, ws.store.item_groups())
            feats = [past.of(items[pk], decisions[pk]) for pk in pks]
            began = time.perf_counter()
            for f in feats:
                model.score(f)
            per = (time.perf_counter() - began) / len(feats) * 1e6
            print(f"  scoring: {per:.1f} µs per item ({len(feats[0])} features each)")
            ws.close()


if __name__ == "__main__":
    main()
