"""Assemble a week of the demo shop's outputs, and the reviews of all but the last day."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from random import Random
from typing import Any

from triage.demo.drafts import FailureDice, make_draft
from triage.demo.failure_modes import FAILURE_MODES, DemoFailureMode
from triage.demo.seeded import seeded_for
from triage.demo.slots import Draft, Pick
from triage.demo.specials import SPECIALS, Special
from triage.demo.vocab import MODELS, REVIEWERS, WEEKDAY_MIX, WEEKEND_MIX, model_for
from triage.errors import InvalidInput


@dataclass(frozen=True)
class DemoVerdict:
    """A reviewer's judgement of one demo item."""

    item_id: str
    outcome: str
    """``ok``, ``fail`` or ``escalate``."""
    modes: tuple[str, ...]
    note: str
    reviewer: str
    seconds: int
    """Time the reviewer spent on the item."""


@dataclass(frozen=True)
class DemoWorkspace:
    """Everything ``triage demo`` loads: items, the failure model, past verdicts."""

    records: list[dict[str, Any]]
    """Native item records, JSON-ready, in time order."""
    failure_modes: list[DemoFailureMode]
    verdicts: list[DemoVerdict]
    """Reviews of items from the earlier days; the last day is the unreviewed queue."""


_SECONDS: dict[str, tuple[int, int]] = {
    "support_reply": (20, 90),
    "refund": (40, 180),
    "outbound_email": (30, 200),
    "invoice_adjustment": (60, 240),
    "booking_change": (30, 150),
    "cancel_reservation": (40, 180),
    "code_change": (120, 480),
    "internal_summary": (45, 200),
}
_OK_NOTES: dict[str, tuple[str, ...]] = {
    "support_reply": ("Good tone.", "Checked the order in the admin: right.", "Fine."),
    "refund": ("Amount matches the order.", "Under the limit, card matches.", "Fine."),
    "outbound_email": ("Segment and count look right.", "Fine."),
    "invoice_adjustment": ("Recomputed: correct.", "Matches the invoice."),
    "booking_change": ("Slot matches the request.", "Fine."),
    "cancel_reservation": ("Fee applied correctly.", "Outside 48 h, full refund right."),
    "code_change": ("Diff is small and tested.", "LGTM.", "Ran it locally."),
    "internal_summary": ("Numbers match the source.", "Fine."),
}


def build_demo(
    *, seed: int = 7, end: date = date(2026, 11, 20), days: int = 7, per_day: int = 50
) -> DemoWorkspace:
    """A deterministic week of outputs ending on ``end``, ``per_day`` items per day.

    The same arguments always give the same workspace. Items of every day but the last
    are partly reviewed (risky ones more often); the last day is today's open queue.
    """
    records: list[dict[str, Any]] = []
    verdicts: list[DemoVerdict] = []
    for record, _, verdict in _generate(seed=seed, end=end, days=days, per_day=per_day):
        records.append(record)
        if verdict is not None:
            verdicts.append(verdict)
    return DemoWorkspace(records, list(FAILURE_MODES), verdicts)


def _generate(
    *, seed: int, end: date, days: int, per_day: int
) -> Iterator[tuple[dict[str, Any], Draft, DemoVerdict | None]]:
    """Every record in time order, with the draft it was made from and its verdict
    (``None``: not reviewed, as on the last day). One sequence of dice draws makes them
    all, so whoever reads the records sees the same week."""
    if days < 1:
        raise InvalidInput(f"days must be at least 1, not {days}")
    if per_day < 1:
        raise InvalidInput(f"per_day must be at least 1, not {per_day}")
    rng = Random(seed)
    dice = FailureDice(rng)
    first = end - timedelta(days=days - 1)
    seeded = seeded_for(days, per_day)
    for index in range(days):
        day = first + timedelta(days=index)
        entries: list[tuple[datetime, str, str, Draft]] = []
        for agent, task, special in _plan(rng, day, per_day, index, days, seeded):
            p = Pick(rng, day, agent)
            if special is not None:
                draft = special.make(p)
            else:
                switched = model_for(agent, index, days) != MODELS[agent][0]
                draft = make_draft(p, task, dice.roll(agent, task, switched))
            entries.append((_time(rng, day, task), agent, task, draft))
        entries.sort(key=lambda e: e[0])
        for n, (at, agent, task, draft) in enumerate(entries, start=1):
            record = _record(f"sb-{day:%Y%m%d}-{n:04d}", at, agent, task, index, days, draft)
            reviewed = _review(rng, record, draft, index, days) if index < days - 1 else None
            yield record, draft, reviewed


def _plan(
    rng: Random, day: date, per_day: int, index: int, days: int, seeded: tuple[Special, ...]
) -> list[tuple[str, str, Special | None]]:
    """The day's (agent, task type, special) slots in random order, shares as in the mix;
    specials and ``seeded`` failures take the slots of outputs of their kind."""
    mix = WEEKEND_MIX if day.weekday() >= 5 else WEEKDAY_MIX
    exact = [per_day * share / 100 for _, _, share in mix]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(mix)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: per_day - sum(counts)]:
        counts[i] += 1
    plan: list[tuple[str, str, Special | None]] = [
        (agent, task, None)
        for (agent, task, _), n in zip(mix, counts, strict=True)
        for _ in range(n)
    ]
    rng.shuffle(plan)
    placed = [s for s in SPECIALS if max(0, days - 1 - s.days_before_end) == index]
    placed += [s for s in seeded if days - 1 - s.days_before_end == index]
    for special in placed:
        free = [
            i
            for i, (a, t, s) in enumerate(plan)
            if s is None and (a, t) == (special.agent, special.task_type)
        ]
        if not free:
            free = [i for i, (_, _, s) in enumerate(plan) if s is None]
        if free:
            plan[rng.choice(free)] = (special.agent, special.task_type, special)
    return plan


def _time(rng: Random, day: date, task: str) -> datetime:
    """When an output of ``task`` was created: office hours, some evenings."""
    weekend = day.weekday() >= 5
    r = rng.random()
    if task == "internal_summary":
        lo, hi = (7.0, 9.5) if r < 0.75 else (16.5, 18.0)
    elif task == "code_change":
        lo, hi = (10.0, 16.0) if weekend else (8.5, 19.0)
    elif r < 0.78:
        lo, hi = (9.0, 17.0) if weekend else (8.0, 18.0)
    elif r < 0.95:
        lo, hi = 18.0, 22.5
    else:
        lo, hi = 6.5, 8.0
    seconds = int(rng.uniform(lo, hi) * 3600)
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=seconds)


def _record(
    item_id: str, at: datetime, agent: str, task: str, index: int, days: int, draft: Draft
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": item_id,
        "created_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "agent": agent,
        "task_type": task,
        "input": draft.input,
        "output": draft.output,
        "model": model_for(agent, index, days),
    }
    if draft.tool_calls:
        record["tool_calls"] = draft.tool_calls
    if draft.transcript:
        record["transcript"] = draft.transcript
    record["meta"] = draft.meta
    return record


def _risky(record: dict[str, Any], index: int, days: int) -> bool:
    """What makes a reviewer read an item rather than sample it."""
    meta = record["meta"]
    agent = record["agent"]
    return (
        record["task_type"] in ("refund", "cancel_reservation")
        or meta.get("amount", 0) > 100
        or meta.get("customer_tier") == "vip"
        or meta.get("recipients", 0) > 50
        or bool({"payments", "migrations", "auth"} & set(meta.get("touches", ())))
        or meta.get("tests_passed") is False
        or any(call["is_error"] for call in record.get("tool_calls", ()))
        or model_for(agent, index, days) != MODELS[agent][0]
    )


def _review(
    rng: Random, record: dict[str, Any], draft: Draft, index: int, days: int
) -> DemoVerdict | None:
    task = record["task_type"]
    chance = 0.8 if _risky(record, index, days) else 0.35
    if not (draft.novel or draft.escalate or draft.seeded) and rng.random() >= chance:
        return None
    if task == "code_change":
        reviewer = "tomas" if rng.random() < 0.75 else rng.choice(REVIEWERS)
    else:
        reviewer = rng.choices(REVIEWERS, weights=(45, 20, 35))[0]
    lo, hi = _SECONDS[task]
    seconds = rng.randint(lo, hi)
    modes: tuple[str, ...] = ()
    if draft.escalate:
        outcome, note = "escalate", draft.note
        seconds = int(seconds * 1.3)
    elif draft.fail is not None:
        outcome, modes, note = "fail", (draft.fail,), draft.note
        seconds = int(seconds * 1.6)
    else:
        outcome = "ok"
        note = draft.note or (rng.choice(_OK_NOTES[task]) if rng.random() < 0.25 else "")
    return DemoVerdict(record["id"], outcome, modes, note, reviewer, max(20, min(600, seconds)))


def true_outcomes(
    *, seed: int = 7, end: date = date(2026, 11, 20), days: int = 7, per_day: int = 50
) -> dict[str, str]:
    """Each record's true outcome in :func:`build_demo` with the same arguments, by item
    id: ``fail`` where a failure was seeded, ``escalate`` where the item calls for a
    lead, else ``ok`` — for every day, the unreviewed last one included."""
    truth: dict[str, str] = {}
    for record, draft, _ in _generate(seed=seed, end=end, days=days, per_day=per_day):
        if draft.escalate:
            truth[record["id"]] = "escalate"
        else:
            truth[record["id"]] = "fail" if draft.fail is not None else "ok"
    return truth
