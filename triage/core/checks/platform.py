"""The platform's own outcome, as one signal: what promptfoo, an OpenTelemetry span,
an OpenClaw turn, a LangSmith run or a Langfuse observation said of the item itself.

Each reader maps its platform's verdict into ``meta["platform_outcome"]`` with
:func:`platform_outcome`: a :class:`PlatformStatus` and the platform's own reason text.
A native JSON Lines record may carry the same object in its ``meta``. The ``platform``
check (:func:`check_platform`) reads it back; any other value there reads as
``unknown``, never as an error.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Final

from triage.core.checks.result import FAILING, CheckResult

__all__ = ["OUTCOME_KEY", "PlatformStatus", "check_platform", "platform_outcome"]

OUTCOME_KEY: Final = "platform_outcome"
"""The ``meta`` key a reader stores the platform's outcome under."""

_REASON_LIMIT: Final = 2000
"""Characters of the platform's reason kept (an error with a stack trace is long)."""


class PlatformStatus(enum.StrEnum):
    """What the platform said of the item."""

    PASSED = "passed"
    """It judged the output good (an eval's assertions passed) or finished normally."""
    FAILED = "failed"
    """It judged the output wrong: an assertion or a scorer failed."""
    ERRORED = "errored"
    """The run itself broke: an error status, an exception, an aborted turn."""
    TRUNCATED = "truncated"
    """The model stopped at its length limit: the output may be cut short."""
    UNKNOWN = "unknown"
    """The platform said nothing either way (or the source has no outcome)."""

    def __str__(self) -> str:
        return self.value

    @property
    def failing(self) -> bool:
        """Whether this outcome fails the ``platform`` check."""
        return self.value in FAILING


def platform_outcome(status: PlatformStatus, reason: object = None) -> dict[str, str]:
    """The value a reader stores under ``meta["platform_outcome"]``: the status, and the
    platform's reason text when it gave one (cut to 2,000 characters)."""
    out = {"status": status.value}
    text = reason if isinstance(reason, str) else None
    if text is not None and text.strip():
        out["reason"] = text.strip()[:_REASON_LIMIT]
    return out


def read_outcome(meta: Mapping[str, Any]) -> tuple[PlatformStatus, str]:
    """The status and reason stored in ``meta``; ``unknown`` for anything else."""
    stored = meta.get(OUTCOME_KEY)
    if not isinstance(stored, Mapping):
        return PlatformStatus.UNKNOWN, ""
    value = stored.get("status")
    try:
        status = PlatformStatus(value) if isinstance(value, str) else PlatformStatus.UNKNOWN
    except ValueError:
        return PlatformStatus.UNKNOWN, ""
    reason = stored.get("reason")
    return status, reason if isinstance(reason, str) else ""


def check_platform(meta: Mapping[str, Any]) -> CheckResult:
    """The ``platform`` check: failed when the platform reported a failure, an error or
    a cut-off output, with its reason as the evidence."""
    status, reason = read_outcome(meta)
    if not status.failing:
        return CheckResult("platform", status.value)
    said = {
        PlatformStatus.FAILED: "the platform failed it",
        PlatformStatus.ERRORED: "the run ended in an error",
        PlatformStatus.TRUNCATED: "the output was cut off at the length limit",
    }[status]
    return CheckResult("platform", status.value, f"{said}: {reason}" if reason else said)
