"""Many records quickly, in the demo vocabulary, for benchmarks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from random import Random
from typing import Any

from triage.demo.drafts import FailureDice, make_draft
from triage.demo.slots import Draft, Pick
from triage.demo.vocab import MODELS, WEEKDAY_MIX, model_for
from triage.errors import InvalidInput

_POOL = 2048
"""Distinct outputs generated before records start reusing them with new ids and times."""
_DEFAULT_START = datetime(2026, 11, 1, tzinfo=UTC)


def scale_records(
    n: int, *, seed: int = 1, start: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """``n`` varied native records with unique ids, one every two seconds on average.

    The first 2,048 records are freshly generated from the demo templates (with the
    demo's failure rates and both models of the agents that switch); later ones reuse
    those texts under new ids and times, with a fresh order, booking or invoice
    reference where they have one. Top-level dicts, ``meta`` and each tool call
    and transcript turn are copies; nested ``arguments``/``result`` values are shared.
    ``start`` defaults to 2026-11-01 00:00 UTC; a naive ``start`` is taken as UTC.
    """
    if n < 0:
        raise InvalidInput(f"n must not be negative, not {n}")
    rng = Random(seed)
    dice = FailureDice(rng)
    begin = start or _DEFAULT_START
    if begin.tzinfo is None:
        begin = begin.replace(tzinfo=UTC)
    clock = int(begin.timestamp())
    kinds = [(agent, task) for agent, task, _ in WEEKDAY_MIX]
    weights = [share for _, _, share in WEEKDAY_MIX]
    pool: list[tuple[str, str, str, Draft]] = []
    prefixes: dict[int, str] = {}
    rand = rng.random
    for i in range(n):
        if i < _POOL:
            entry = _fresh(rng, dice, kinds, weights, begin.date())
            pool.append(entry)
        else:
            entry = pool[int(rand() * _POOL)]
        agent, task, model, draft = entry
        clock += 1 + int(rand() * 3)
        day_no, second = divmod(clock, 86400)
        prefix = prefixes.get(day_no)
        if prefix is None:
            prefix = datetime.fromtimestamp(day_no * 86400, UTC).strftime("%Y-%m-%dT")
            prefixes[day_no] = prefix
        hour, rest = divmod(second, 3600)
        record: dict[str, Any] = {
            "id": f"sx{seed}-{i:08d}",
            "created_at": f"{prefix}{hour:02d}:{rest // 60:02d}:{rest % 60:02d}Z",
            "agent": agent,
            "task_type": task,
            "input": draft.input,
            "output": draft.output,
            "model": model,
            "meta": {**draft.meta},
        }
        if draft.tool_calls:
            record["tool_calls"] = [{**call} for call in draft.tool_calls]
        if draft.transcript:
            record["transcript"] = [{**turn} for turn in draft.transcript]
        touches = draft.meta.get("touches")
        if touches is not None:
            record["meta"]["touches"] = list(touches)
        if i >= _POOL:
            ref = draft.meta.get("order_id")
            if ref is not None:
                _renumber(record, ref, int(rand() * 1_000_000))
        yield record


def _renumber(record: dict[str, Any], ref: str, number: int) -> None:
    """Give a reused record its own order/booking/invoice reference, wherever it appears."""
    cut = ref.rfind("-") + 1
    width = len(ref) - cut
    new = f"{ref[:cut]}{number % 10**width:0{width}d}"
    record["input"] = record["input"].replace(ref, new)
    record["output"] = record["output"].replace(ref, new)
    record["meta"]["order_id"] = new
    for call in record.get("tool_calls", ()):
        args = call["arguments"]
        if ref in args.values():
            call["arguments"] = {k: new if v == ref else v for k, v in args.items()}
    for turn in record.get("transcript", ()):
        turn["content"] = turn["content"].replace(ref, new)


def _fresh(
    rng: Random, dice: FailureDice, kinds: list[tuple[str, str]], weights: list[int], first: date
) -> tuple[str, str, str, Draft]:
    agent, task = rng.choices(kinds, weights=weights)[0]
    index = int(rng.random() * 7)
    model = model_for(agent, index, 7)
    switched = model != MODELS[agent][0]
    p = Pick(rng, first + timedelta(days=index), agent)
    return agent, task, model, make_draft(p, task, dice.roll(agent, task, switched))
