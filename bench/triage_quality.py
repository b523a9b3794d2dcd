"""Triage quality on labelled data: learn on the first days, score the later ones.

For each dataset: the AUC of the order against the true labels and the share of the
later days' failures found in the first 20% of the queue, for

1. triage itself: the earlier days pulled into a fresh workspace with the shipped
   rules, their true outcomes recorded as verdicts, the risk model fitted (when the
   workspace can fit one and there are enough verdicts), the later days pulled, and
   the queue read in its order (lane severity, then the decision's risk);
2. a plain logistic regression (scikit-learn, a ``DictVectorizer`` of generic
   features) trained on the same earlier outcomes;
3. random order (0.5 and 20% expected).

Also: the share of the later items in each lane, and how many known failures and
items with a failed check landed in pass.

Datasets: the demo generator's week (always there) and those built into the cache by
``bench/datasets/`` (skipped with a message when absent). Run::

    python -m bench.triage_quality
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bench._common import scratch, workspace
from bench.datasets._cache import Dataset, read
from triage.core.models import Lane
from triage.learn.quality import auc, queue_key
from triage.storage.tables import decisions_t, items_t

TOP = 0.2
"""The head of the queue measured: the first 20%."""


def demo_dataset(days: int = 14, per_day: int = 50, seed: int = 7) -> Dataset:
    """The demo week with every record's true outcome (escalations left unlabelled)."""
    from triage.demo.build import build_demo, true_outcomes

    end = date(2026, 11, 20)
    demo = build_demo(seed=seed, end=end, days=days, per_day=per_day)
    truth = true_outcomes(seed=seed, end=end, days=days, per_day=per_day)
    labels = {k: v == "fail" for k, v in truth.items() if v != "escalate"}
    source = f"triage.demo.build_demo(seed={seed}, days={days}, per_day={per_day})"
    return Dataset("demo", demo.records, labels, source)


# -- the measures -----------------------------------------------------------------------


def top_share(scores: Sequence[Any], failed: Sequence[bool], fraction: float = TOP) -> float:
    """The share of failures among the first ``fraction`` of items ordered by
    ``scores`` (larger first); a tie straddling the cut counts pro rata, as a random
    order inside the tie would on average."""
    total = sum(failed)
    if not total:
        return float("nan")
    room = fraction * len(scores)
    order = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)
    found = 0.0
    start = 0
    while start < len(order) and room > 0:
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        size = end - start + 1
        hits = sum(1 for i in order[start : end + 1] if failed[i])
        take = min(size, room)
        found += hits * take / size
        room -= take
        start = end + 1
    return found / total


def _day(record: dict[str, Any]) -> str:
    return str(record["created_at"])[:10]


def split(dataset: Dataset) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """The records of the first half of the days, the rest, and the number of days
    learned on."""
    days = sorted({_day(r) for r in dataset.records})
    learn = max(1, len(days) // 2)
    cut = set(days[:learn])
    early = [r for r in dataset.records if _day(r) in cut]
    late = [r for r in dataset.records if _day(r) not in cut]
    return early, late, learn


# -- triage itself ---------------------------------------------------------------------------


def _jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def run_tool(
    dataset: Dataset, early: list[dict[str, Any]], late: list[dict[str, Any]]
) -> dict[str, Any]:
    """Pull, record, fit, pull, read the queue: the order and lanes of ``late``."""
    from sqlalchemy import select

    with scratch() as folder:
        ws = workspace(folder)
        try:
            ws.pull([str(_jsonl(folder / "early.jsonl", early))])
            verdicts = [
                {
                    "id": r["id"],
                    "outcome": "fail" if dataset.labels[r["id"]] else "ok",
                    "reviewer": "bench",
                    "at": r["created_at"],
                }
                for r in early
                if r["id"] in dataset.labels
            ]
            ws.import_verdicts(_jsonl(folder / "verdicts.jsonl", verdicts))
            fitted = "no fit_risk"
            if hasattr(ws, "fit_risk"):
                from triage.errors import TriageError

                try:
                    ws.fit_risk("bench")
                    fitted = "fitted"
                except TriageError as exc:
                    fitted = f"not fitted ({exc})"
            ws.pull([str(_jsonl(folder / "late.jsonl", late))])
            wanted = {r["id"] for r in late}
            stmt = select(
                items_t.c.item_id, decisions_t.c.lane, decisions_t.c.risk, decisions_t.c.checks
            ).join(decisions_t, decisions_t.c.pk == items_t.c.decision_pk)
            with ws.store.engine.connect() as conn:
                rows = [row for row in conn.execute(stmt) if row.item_id in wanted]
        finally:
            ws.close()
    lanes = {row.item_id: Lane(row.lane) for row in rows}
    keys = {row.item_id: queue_key(Lane(row.lane), float(row.risk or 0.0)) for row in rows}
    checked = {
        row.item_id
        for row in rows
        if any(
            c.get("status") == "failed" and c.get("name") != "platform" for c in row.checks or ()
        )
    }
    return {"lanes": lanes, "keys": keys, "failed_checks": checked, "fitted": fitted}


# -- the logistic baseline -------------------------------------------------------------------


def generic_features(record: dict[str, Any]) -> dict[str, Any]:
    """What any record has: task type, agent, model, tool names, tool errors, lengths,
    numeric and boolean meta fields."""
    calls = record.get("tool_calls") or ()
    out: dict[str, Any] = {
        "task_type": str(record.get("task_type", "")),
        "agent": str(record.get("agent", "")),
        "model": str(record.get("model", "")),
        "tool_calls": len(calls),
        "tool_errors": sum(1 for c in calls if c.get("is_error")),
        "input_chars": len(record.get("input", "")) / 1000,
        "output_chars": len(record.get("output", "")) / 1000,
        "turns": len(record.get("transcript") or ()),
    }
    for call in calls:
        out[f"tool={call.get('name', '?')}"] = 1.0
    for key, value in (record.get("meta") or {}).items():
        if isinstance(value, bool):
            out[f"meta.{key}"] = float(value)
        elif isinstance(value, int | float):
            out[f"meta.{key}"] = float(value)
    return out


def run_baseline(
    dataset: Dataset, early: list[dict[str, Any]], late: list[dict[str, Any]]
) -> dict[str, float] | None:
    """Each later record's p(fail) from a logistic regression on the earlier ones."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MaxAbsScaler

    train = [r for r in early if r["id"] in dataset.labels]
    y = [dataset.labels[r["id"]] for r in train]
    if len(set(y)) < 2:
        return None
    model = make_pipeline(DictVectorizer(), MaxAbsScaler(), LogisticRegression(max_iter=2000))
    model.fit([generic_features(r) for r in train], y)
    p = model.predict_proba([generic_features(r) for r in late])[:, 1]
    return {r["id"]: float(v) for r, v in zip(late, p, strict=True)}


# -- the table ----------------------------------------------------------------------------------


def measure(dataset: Dataset) -> dict[str, Any]:
    """Every figure of one dataset."""
    early, late, learned = split(dataset)
    tool = run_tool(dataset, early, late)
    baseline = run_baseline(dataset, early, late)
    scored = [r["id"] for r in late if r["id"] in dataset.labels and r["id"] in tool["keys"]]
    failed = [dataset.labels[i] for i in scored]
    out: dict[str, Any] = {
        "name": dataset.name,
        "source": dataset.source,
        "days_learned": learned,
        "items": len(dataset.records),
        "failures": sum(dataset.labels.values()),
        "scored": len(scored),
        "scored_failures": sum(failed),
        "fit": tool["fitted"],
    }
    tool_keys = [tool["keys"][i] for i in scored]
    out["tool"] = (auc(tool_keys, failed).value, top_share(tool_keys, failed))
    if baseline is not None:
        base = [baseline[i] for i in scored]
        out["logistic"] = (auc(base, failed).value, top_share(base, failed))
    else:
        out["logistic"] = (None, None)
    out["random"] = (0.5, TOP)
    lanes = [tool["lanes"][r["id"]] for r in late if r["id"] in tool["lanes"]]
    out["lanes"] = {lane.value: lanes.count(lane) / len(lanes) for lane in Lane}
    in_pass = {i for i, lane in tool["lanes"].items() if lane is Lane.PASS}
    out["failures_in_pass"] = sum(1 for i in in_pass if dataset.labels.get(i))
    out["failed_checks_in_pass"] = len(in_pass & tool["failed_checks"])
    return out


def _fmt(value: float | None) -> str:
    return "–" if value is None or value != value else f"{value:.3f}"


def report(figures: dict[str, Any]) -> str:
    """One dataset's figures as a plain-text table."""
    lines = [
        f"== {figures['name']}: {figures['source']}",
        f"items {figures['items']}, failures {figures['failures']}; learned on the first "
        f"{figures['days_learned']} days, scored {figures['scored']} later items "
        f"({figures['scored_failures']} failures); risk model: {figures['fit']}",
        f"{'order':<22}{'AUC':>8}{'first 20%':>12}",
    ]
    for label, key in (
        ("triage (lane, risk)", "tool"),
        ("logistic baseline", "logistic"),
        ("random (expected)", "random"),
    ):
        value, share = figures[key]
        lines.append(f"{label:<22}{_fmt(value):>8}{_fmt(share):>12}")
    lanes = ", ".join(f"{k} {v:.0%}" for k, v in figures["lanes"].items())
    lines.append(f"lanes of the later items: {lanes}")
    lines.append(
        f"in pass: {figures['failures_in_pass']} known failures, "
        f"{figures['failed_checks_in_pass']} items with a failed check"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] = ()) -> int:
    datasets: list[Dataset] = [demo_dataset()]
    for name, how in (("tau_bench", "python -m bench.datasets.tau_bench PATH"),):
        built = read(name)
        if built is None:
            print(f"-- {name}: not in the cache, skipped (build it with: {how})")
        else:
            datasets.append(built)
    started = datetime.now()
    for dataset in datasets:
        print(report(measure(dataset)), flush=True)
        print()
    print(f"({(datetime.now() - started).total_seconds():.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
