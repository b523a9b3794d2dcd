"""What the readers share in turning a platform's own verdict into ``platform_outcome``.

Every reader stores :func:`~triage.core.checks.platform.platform_outcome` under
``meta["platform_outcome"]`` (:data:`~triage.core.checks.platform.OUTCOME_KEY`). The
pieces more than one platform needs live here: which finish reasons mean the model hit
its length limit, and joining the reasons of several failed parts into one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from triage.core.checks.platform import OUTCOME_KEY, PlatformStatus, platform_outcome

__all__ = [
    "OUTCOME_KEY",
    "PlatformStatus",
    "joined",
    "outcome",
    "stopped_at_length",
    "text",
    "truncated_by",
]

LENGTH_REASONS: Final = frozenset({"length", "max_tokens", "max_output_tokens", "model_length"})
"""Finish (stop) reasons meaning the model stopped at its token limit: OpenAI's and the
OpenTelemetry GenAI ``length``, Anthropic's ``max_tokens``, Gemini's ``MAX_TOKENS``
(compared without case), the Responses API's ``max_output_tokens``, vLLM's
``model_length``."""


def stopped_at_length(reason: object) -> bool:
    """Whether one finish reason says the output was cut at the length limit."""
    return isinstance(reason, str) and reason.strip().lower() in LENGTH_REASONS


def truncated_by(reasons: object) -> str | None:
    """The first finish reason in ``reasons`` (one reason or a list of them) that says
    the output was cut at the length limit; ``None`` when none does."""
    found = reasons if isinstance(reasons, list | tuple) else [reasons]
    return next(
        (reason for reason in found if isinstance(reason, str) and stopped_at_length(reason)), None
    )


def text(value: object) -> str | None:
    """``value`` when it is non-blank text; an error object's ``message`` (or its
    ``type``) when it is an object; else ``None``."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, dict):
        for key in ("message", "error", "type"):
            found = value.get(key)
            if isinstance(found, str) and found.strip():
                return found
    return None


def joined(reasons: Iterable[object], sep: str = "; ") -> str | None:
    """The distinct non-blank texts among ``reasons``, in order, joined by ``sep``."""
    seen: list[str] = []
    for reason in reasons:
        said = text(reason)
        if said is not None and said.strip() not in seen:
            seen.append(said.strip())
    return sep.join(seen) or None


def outcome(status: PlatformStatus, reason: object = None) -> dict[str, str]:
    """The ``platform_outcome`` value: :func:`platform_outcome` with the reason read by
    :func:`text` (so an error object gives its message)."""
    return platform_outcome(status, text(reason))
