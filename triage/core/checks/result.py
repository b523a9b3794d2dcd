"""What one automated check found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["FAILED", "FAILING", "PASSED", "CheckResult"]

PASSED: Final = "passed"
FAILED: Final = "failed"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's result on one item."""

    name: str
    """The check's name, as rules test it: ``check.references``."""
    status: str
    """``passed`` or ``failed``; the ``platform`` check also says ``errored``,
    ``truncated`` or ``unknown`` (see :class:`~triage.core.checks.platform.PlatformStatus`)."""
    evidence: str = ""
    """What it found, in words a reviewer can verify ("the output says LL-44153; the
    request and the refund call say LL-44135"); empty when the check passed."""

    @property
    def failed(self) -> bool:
        """Whether the item failed the check (``errored`` and ``truncated`` fail too)."""
        return self.status in FAILING

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "status": self.status,
            "failed": self.failed,
            "evidence": self.evidence,
        }


FAILING: Final = frozenset({FAILED, "errored", "truncated"})
"""The statuses that fail a check: ``failed``, and the platform's ``errored`` and
``truncated`` (:class:`~triage.core.checks.platform.PlatformStatus`)."""
