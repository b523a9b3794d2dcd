"""One output of a given task type, with or without a seeded failure."""

from __future__ import annotations

from collections.abc import Callable
from random import Random

from triage.demo.failure_modes import (
    AFTER_SWITCH_EXTRA,
    BASE_FAIL_RATE,
    MODE_WEIGHTS,
    SWITCHED_SUPPORT_WEIGHTS,
)
from triage.demo.slots import Draft, Pick
from triage.demo.texts_billing import make_invoice_adjustment
from triage.demo.texts_code import make_code_change
from triage.demo.texts_concierge import make_booking_change, make_cancel_reservation
from triage.demo.texts_mailer import make_outbound_email
from triage.demo.texts_refund import make_refund
from triage.demo.texts_summary import make_internal_summary
from triage.demo.texts_support import make_support_reply

TOOL_ERROR = "tool-error-ignored"

MAKERS: dict[str, Callable[[Pick, str | None], Draft]] = {
    "support_reply": make_support_reply,
    "refund": make_refund,
    "outbound_email": make_outbound_email,
    "invoice_adjustment": make_invoice_adjustment,
    "booking_change": make_booking_change,
    "cancel_reservation": make_cancel_reservation,
    "code_change": make_code_change,
    "internal_summary": make_internal_summary,
}

_ERRORS = (
    "504 Gateway Timeout",
    "ConnectionResetError: connection reset by peer",
    "ServiceUnavailable: upstream returned 503",
    "TimeoutError: no response after 30 s",
    "RateLimited: 429 Too Many Requests",
)


class FailureDice:
    """Decides which outputs carry a seeded failure.

    Each (agent, task type) stream accumulates its failure rate per output and fails
    one whenever the total passes 1 (from a random start), so a stream of ``n``
    outputs has ``rate * n`` failures give or take one: the shares the demo promises
    hold for every seed, not just on average.
    """

    def __init__(self, rng: Random) -> None:
        self._rng = rng
        self._totals: dict[tuple[str, str], float] = {}

    def roll(self, agent: str, task_type: str, switched: bool) -> str | None:
        """The failure mode to seed into the next output of ``agent``, or ``None``."""
        rate = BASE_FAIL_RATE[task_type] + (AFTER_SWITCH_EXTRA.get(agent, 0.0) if switched else 0.0)
        key = (agent, task_type)
        total = self._totals.get(key)
        if total is None:
            total = self._rng.random()
        total += rate
        failed = total >= 1.0
        self._totals[key] = total - 1.0 if failed else total
        return choose_mode(self._rng, task_type, switched) if failed else None


def choose_mode(rng: Random, task_type: str, switched: bool) -> str:
    """Which failure mode a failing output of ``task_type`` shows."""
    weights = MODE_WEIGHTS[task_type]
    if switched and task_type == "support_reply":
        weights = SWITCHED_SUPPORT_WEIGHTS
    names = [name for name, _ in weights]
    return rng.choices(names, weights=[w for _, w in weights])[0]


def make_draft(p: Pick, task_type: str, fail: str | None) -> Draft:
    """An output of ``task_type``; ``fail`` is honoured when the task type can show it."""
    draft = MAKERS[task_type](p, fail)
    if not draft.tool_calls:
        return draft
    if fail == TOOL_ERROR:
        ignore_tool_error(p, draft)
    elif p.chance(0.04):
        # A failed call the agent retried properly: a tool error that is not a failure.
        first = draft.tool_calls[0]
        draft.tool_calls.insert(0, {**first, "result": p.one(_ERRORS), "is_error": True})
    return draft


def ignore_tool_error(p: Pick, draft: Draft) -> Draft:
    """``draft`` with the tool call its output relies on failed, the output unchanged."""
    call = draft.tool_calls[draft.relies_on]
    error = p.one(_ERRORS)
    call["result"], call["is_error"] = error, True
    draft.fail = TOOL_ERROR
    draft.note = f"{call['name']} failed ({error}); the output says it worked."
    return draft
