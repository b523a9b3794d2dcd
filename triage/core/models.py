"""Domain objects: what the rest of triage (CLI, UI, rules, stats) works with.

These are plain dataclasses, deliberately separate from the storage rows in
:mod:`triage.storage.tables`: a screen or a rule never sees a SQLModel row.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


class Lane(enum.StrEnum):
    """How closely a human reads an item. Severity order: deep > scan > pass."""

    DEEP = "deep"
    SCAN = "scan"
    PASS = "pass"

    @property
    def severity(self) -> int:
        """2 for deep, 1 for scan, 0 for pass: the most severe matching lane wins."""
        return _SEVERITY[self]

    @classmethod
    def parse(cls, value: str) -> Lane:
        """The lane named ``value`` (case-insensitive); ``ValueError`` names the valid ones."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise ValueError(
                f"unknown lane {value!r} (expected one of: deep, scan, pass)"
            ) from None

    def __str__(self) -> str:
        return self.value


_SEVERITY = {Lane.DEEP: 2, Lane.SCAN: 1, Lane.PASS: 0}


class Outcome(enum.StrEnum):
    """A reviewer's verdict on an item, as stored and as shown (``str(o)`` and JSON
    give the value: ``"ok"``)."""

    OK = "ok"
    FAIL = "fail"
    ESCALATE = "escalate"
    """Lift the item to ``deep`` for someone else to read."""
    UNDO = "undo"
    """Cancel the verdict named by ``supersedes`` (a record, not a verdict one gives)."""

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool the agent called while producing its output."""

    name: str
    arguments: Any = None
    result: Any = None
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class Turn:
    """One message of the conversation that led to the output."""

    role: str
    content: str


@dataclass(frozen=True, slots=True)
class Item:
    """One agent output to be judged, in triage's native shape (DESIGN §2).

    ``id`` is unique within ``source``; ``(source, id)`` is the item's identity.
    Unknown top-level keys of the input record end up in ``meta``.
    """

    id: str
    created_at: datetime
    agent: str
    task_type: str
    input: str
    output: str
    model: str
    source: str = "files"
    tool_calls: tuple[ToolCall, ...] = ()
    transcript: tuple[Turn, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        """The item's identity: ``(source, id)``."""
        return (self.source, self.id)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record that could not be read, with where it was and why."""

    source: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Reason:
    """One matching rule in a triage decision, with the values that made it match."""

    rule: str
    lane: Lane
    why: str
    matched: dict[str, Any] = field(default_factory=dict)
    failure_modes: tuple[str, ...] = ()
    shadow: bool = False
    """From a shadow rule: recorded as "would have routed", without effect on the lane."""


@dataclass(frozen=True, slots=True)
class Novelty:
    """How familiar an item's input is: similarity 0-100 to the nearest past input
    of the same agent and task type (low = novel), and which item that was."""

    score: float
    nearest: str | None = None
    """``source:id`` of the nearest past item, if there was one."""
    is_novel: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    """Item → lane, with everything needed to explain it later."""

    lane: Lane
    reasons: tuple[Reason, ...]
    novelty: Novelty
    audit_sample: bool
    rules_version: str
    rules_commit: str | None = None
    default_lane: bool = False
    """True when no rule matched and the rule set's default lane applied."""
    rule_lane: Lane | None = None
    """The lane the rules chose before an audit sample lifted ``pass`` to ``scan``."""
    risk: float = 0.0
    """Ordering key within a lane: higher is reviewed first."""

    @property
    def first_reason(self) -> str:
        """The sentence a reviewer sees first for this decision."""
        effective = [(r.lane, r.why) for r in self.reasons if not r.shadow]
        return first_reason(self.lane, effective, self.audit_sample)


def first_reason(lane: Lane, reasons: Iterable[tuple[Lane, str]], audit_sample: bool) -> str:
    """The one-line reason for a lane: the audit-sample note, else the ``why`` of the
    most severe matching rule, else the default-lane note."""
    if audit_sample:
        return "audit sample: a share of pass items is checked to measure escapes"
    top = max(reasons, key=lambda r: r[0].severity, default=None)
    if top is not None:
        return top[1]
    return f"no rule matched; default lane is {lane.value}"


@dataclass(frozen=True, slots=True)
class FailureMode:
    """An entry of the failure model: one way an agent gets a task type wrong."""

    id: str
    title: str
    task_type: str | None = None
    """``None``: applies to every task type."""
    description: str = ""
    look_for: str = ""
    """What a reviewer checks; becomes a checklist item."""
    status: str = "active"


@dataclass(frozen=True, slots=True)
class VerdictRecord:
    """A stored verdict (or an ``undo`` of one)."""

    pk: int
    key: str
    item_pk: int
    reviewer: str
    outcome: Outcome
    """``ok``, ``fail``, ``escalate``, or ``undo`` (which cancels ``supersedes``)."""
    modes: tuple[str, ...]
    note: str
    seconds: float
    lane: str | None
    rules_version: str | None
    recorded_at: datetime
    supersedes: int | None = None


DONE = (Outcome.OK, Outcome.FAIL)
"""Outcomes that take an item off the queue (``escalate`` leaves it open, in deep)."""


@dataclass(frozen=True)
class QueueFilter:
    """Which items a queue shows."""

    lane: Lane | None = None
    day: date | None = None
    agent: str | None = None
    task_type: str | None = None
    open_only: bool = False
    """Only items without an ok/fail verdict in force."""


@dataclass(frozen=True)
class QueueEntry:
    """One row of the queue."""

    pk: int
    source: str
    id: str
    created_at: datetime
    agent: str
    task_type: str
    lane: Lane
    risk: float
    reason: str
    audit_sample: bool
    verdict: Outcome | None = None
    """The verdict in force (``ok``, ``fail``, ``escalate``), if the item has one."""


@dataclass(frozen=True)
class QueueKey:
    """Just enough of a queued item to order and plan it."""

    pk: int
    lane: Lane
    risk: float


@dataclass(frozen=True, slots=True)
class ItemFact:
    """What statistics need of every triaged item."""

    pk: int
    agent: str
    task_type: str
    model: str
    created_at: datetime
    lane: Lane
    audit_sample: bool


@dataclass(frozen=True, slots=True)
class ReviewFact:
    """One ok/fail verdict in force, with what was known when it was given."""

    item_pk: int
    ref: str
    agent: str
    task_type: str
    model: str
    created_at: datetime
    lane: Lane
    """The lane the item was in when it was reviewed."""
    audit_sample: bool
    """Reviewed as an audit sample of ``pass``: its outcome measures escapes."""
    outcome: Outcome
    """``ok`` or ``fail``."""
    modes: tuple[str, ...]
    seconds: float
    reviewer: str
    reviewed_at: datetime

    @property
    def failed(self) -> bool:
        """True when the verdict is ``fail``."""
        return self.outcome == Outcome.FAIL
