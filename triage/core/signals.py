"""The names a rule condition can test, and how an item's values for them are computed.

``SIGNALS`` is the vocabulary: the rule compiler rejects any other name, and
``rules/README.md`` documents the same list. ``compute_signals`` builds the
mapping a compiled condition is evaluated against.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from triage.core.checks import CheckResult
from triage.core.models import Item, Novelty

SIGNALS: dict[str, str] = {
    "id": "the item's id (text)",
    "source": "where the item was pulled from (text)",
    "agent": "the agent that produced the output (text)",
    "task_type": "the kind of work, e.g. refund, support_reply (text)",
    "model": "model id/version that produced the output (text)",
    "input": "the request the agent acted on (text)",
    "output": "what the agent produced or sent (text)",
    "day": "the day the output was created, UTC, as YYYY-MM-DD (text)",
    "hour": "hour of creation, UTC, 0-23 (number)",
    "weekday": "day of the week of creation: mon, tue, ... sun (text)",
    "input_length": "characters in the input (number)",
    "output_length": "characters in the output (number)",
    "tool_calls": "how many tools the agent called (number)",
    "tool_names": 'names of the tools called (list of text; test with `"refund" in tool_names`)',
    "tool_errors": "how many tool calls returned an error (number)",
    "transcript_turns": "messages in the transcript (number)",
    "novelty": "similarity 0-100 of the input to the nearest past input of the same "
    "agent and task type; low means novel (number)",
    "is_novel": "novelty is below the rule set's novelty_threshold (true/false)",
    "history": "how many earlier items of the same agent and task type exist (number)",
    "model_is_new": "the agent switched to this model within new_model_days (true/false)",
    "model_age_days": "days since this agent first used this model (number)",
    "meta": "the item's free-form metadata: meta.amount, meta.customer_facing, ... "
    "(missing keys are null)",
    "stats": "this task type's review history: stats.reviewed, stats.failures, "
    "stats.failure_rate (null before any review)",
    "check": 'each automated check\'s result: check.references, check.amounts, ... is "passed" '
    'or "failed" (check.platform also "errored", "truncated" or "unknown")',
    "failed_checks": "names of the automated checks the item failed (list of text; test with "
    '`"amounts" in failed_checks` or `failed_checks != []`)',
    "p_fail": "the learned probability 0-1 that a reviewer would fail the item "
    "(null before a risk model is fitted)",
    "p_fail_upper": "the upper end (95%) of p_fail: high where the evidence is thin "
    "(null before a risk model is fitted)",
}

RISK_SIGNALS = frozenset({"p_fail", "p_fail_upper"})
"""The signals the learned risk model gives: a rule testing them is decided after the
model has scored the item, and is not among the model's own features."""

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

EMPTY_STATS: Mapping[str, Any] = {"reviewed": 0, "failures": 0, "failure_rate": None}


def compute_signals(
    item: Item,
    *,
    novelty: Novelty,
    model_is_new: bool = False,
    model_age_days: float | None = None,
    history: int = 0,
    stats: Mapping[str, Any] | None = None,
    checks: Sequence[CheckResult] = (),
    p_fail: float | None = None,
    p_fail_upper: float | None = None,
) -> dict[str, Any]:
    """Every value in :data:`SIGNALS` for ``item``; ``checks`` are its automated checks'
    results (see :func:`triage.core.checks.run_checks`)."""
    created = item.created_at
    return {
        "id": item.id,
        "source": item.source,
        "agent": item.agent,
        "task_type": item.task_type,
        "model": item.model,
        "input": item.input,
        "output": item.output,
        "day": created.date().isoformat(),
        "hour": created.hour,
        "weekday": _WEEKDAYS[created.weekday()],
        "input_length": len(item.input),
        "output_length": len(item.output),
        "tool_calls": len(item.tool_calls),
        "tool_names": [call.name for call in item.tool_calls],
        "tool_errors": sum(1 for call in item.tool_calls if call.is_error),
        "transcript_turns": len(item.transcript),
        "novelty": novelty.score,
        "is_novel": novelty.is_novel,
        "history": history,
        "model_is_new": model_is_new,
        "model_age_days": model_age_days,
        "meta": item.meta,
        "stats": stats if stats is not None else EMPTY_STATS,
        "check": {result.name: result.status for result in checks},
        "failed_checks": [result.name for result in checks if result.failed],
        "p_fail": p_fail,
        "p_fail_upper": p_fail_upper,
    }
