"""Domain objects: what the rest of triage (CLI, UI, rules, stats) works with.

These are plain dataclasses, deliberately separate from the storage rows in
:mod:`triage.storage.tables`: a screen or a rule never sees a SQLModel row.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from triage.core.checks.result import CheckResult
    from triage.core.risk import Risk

from triage.errors import InvalidInput


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
        """The lane named ``value`` (case-insensitive); :class:`~triage.errors.InvalidInput`
        names the valid ones."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise InvalidInput(
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


class ReasonKind(enum.StrEnum):
    """What a reason in a triage decision stands for."""

    RULE = "rule"
    """A rule matched; the most severe lane among these sets the item's lane."""
    SHADOW = "shadow"
    """A shadow rule matched: recorded as "would have routed", without effect on the lane."""
    ESCALATION = "escalation"
    """A reviewer escalated the item, lifting it to ``deep``."""
    AUDIT_SAMPLE = "audit_sample"
    """The item was picked as an audit sample of ``pass`` and sent to ``scan``."""
    DEFAULT_LANE = "default_lane"
    """No rule matched: the rule set's default lane applied."""
    BUDGET = "budget"
    """The learned risk put the item above the threshold that keeps a lane near its
    share of the daily attention budget."""
    CHECK = "check"
    """The rules chose ``pass`` but an automated check failed: ``pass`` needs every
    check to pass, so the item went to ``scan``."""

    def __str__(self) -> str:
        return self.value


_LABEL = {
    ReasonKind.ESCALATION: "escalated",
    ReasonKind.AUDIT_SAMPLE: "audit sample",
    ReasonKind.DEFAULT_LANE: "default lane",
    ReasonKind.CHECK: "failed checks",
    ReasonKind.BUDGET: "risk budget",
}
AUDIT_SAMPLE_WHY = "audit sample: a share of pass items is checked to measure escapes"


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason in a triage decision: a matching rule (with the values that made it
    match), a matching shadow rule, or an escalation; see :class:`ReasonKind`."""

    rule: str | None
    """The matching rule's id; ``None`` for a reason no rule gave (an escalation)."""
    lane: Lane
    why: str
    """The sentence a reviewer sees."""
    matched: dict[str, Any] = field(default_factory=dict)
    failure_modes: tuple[str, ...] = ()
    kind: ReasonKind = ReasonKind.RULE
    reviewer: str | None = None
    """Who escalated (escalations only)."""
    note: str = ""
    """The note given with the escalation (escalations only)."""

    @classmethod
    def escalation(cls, *, reviewer: str, note: str = "") -> Reason:
        """The reason of an item ``reviewer`` escalated to ``deep``, with their note."""
        why = f"escalated by {reviewer}" + (f": {note}" if note else "")
        return cls(None, Lane.DEEP, why, kind=ReasonKind.ESCALATION, reviewer=reviewer, note=note)

    @property
    def shadow(self) -> bool:
        """From a shadow rule: without effect on the lane."""
        return self.kind is ReasonKind.SHADOW

    @property
    def label(self) -> str:
        """The name shown for the reason: the rule's id, else its kind in words
        (``escalated`` for an escalation)."""
        return self.rule if self.rule is not None else _LABEL.get(self.kind, self.kind.value)


def lead_reason(lane: Lane, reasons: Iterable[Reason], audit_sample: bool) -> Reason:
    """The reason a reviewer sees first for an item in ``lane``: the audit sample when
    it is one, else the most severe reason with effect (the first of equals: an
    escalation comes first), else the default lane."""
    if audit_sample:
        return Reason(None, lane, AUDIT_SAMPLE_WHY, kind=ReasonKind.AUDIT_SAMPLE)
    effective = (r for r in reasons if not r.shadow)
    top = max(effective, key=lambda r: r.lane.severity, default=None)
    if top is not None:
        return top
    why = f"no rule matched; default lane is {lane.value}"
    return Reason(None, lane, why, kind=ReasonKind.DEFAULT_LANE)


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
    checks: tuple[CheckResult, ...] = ()
    """Every automated check's result on the item when it was triaged (none for
    decisions stored before checks existed)."""
    failure_risk: Risk | None = None
    """What the learned risk model said of the item (``None`` before one was fitted)."""

    @property
    def failed_checks(self) -> tuple[CheckResult, ...]:
        """The checks the item failed."""
        return tuple(result for result in self.checks if result.failed)

    @property
    def lead(self) -> Reason:
        """The reason a reviewer sees first (see :func:`lead_reason`)."""
        return lead_reason(self.lane, self.reasons, self.audit_sample)

    @property
    def first_reason(self) -> str:
        """The sentence a reviewer sees first for this decision."""
        return self.lead.why

    @property
    def lane_before_sample(self) -> Lane:
        """The lane the rules chose: ``pass`` for an audit sample, else :attr:`lane`."""
        return self.rule_lane or self.lane

    @property
    def escalated(self) -> bool:
        """Whether this decision is an escalation (its newest reason is one): undoing
        the escalation restores the decision before it."""
        return bool(self.reasons) and self.reasons[0].kind is ReasonKind.ESCALATION

    def escalate(self, *, reviewer: str, note: str = "") -> Decision:
        """This decision lifted to ``deep`` by ``reviewer``: the escalation reason
        first, no longer an audit sample, reviewed before the rest of deep."""
        return replace(
            self,
            lane=Lane.DEEP,
            reasons=(Reason.escalation(reviewer=reviewer, note=note), *self.reasons),
            audit_sample=False,
            risk=self.risk + 100.0,
        )


def lane_before_sample(lane: Lane, audit_sample: bool) -> Lane:
    """The lane the rules had chosen for an item in ``lane``: an audit sample is a
    ``pass`` item lifted to ``scan``, so it counts under ``pass``."""
    return Lane.PASS if audit_sample else lane


class ModeStatus(enum.StrEnum):
    """Whether a failure mode is on the reviewers' checklist (stored as its value)."""

    ACTIVE = "active"
    RETIRED = "retired"
    """Off the checklist; its verdicts and evidence stay, and the export lists it."""

    def __str__(self) -> str:
        return self.value


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
    status: ModeStatus = ModeStatus.ACTIVE


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
    lane: Lane | None
    """The item's lane when the verdict was given."""
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

    @property
    def lane_before_sample(self) -> Lane:
        """The lane the rules chose (see :func:`lane_before_sample`)."""
        return lane_before_sample(self.lane, self.audit_sample)


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

    @property
    def lane_before_sample(self) -> Lane:
        """The lane the rules had chosen when the item was reviewed (an audit sample:
        ``pass``; see :func:`lane_before_sample`)."""
        return lane_before_sample(self.lane, self.audit_sample)
