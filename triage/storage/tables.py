"""Storage rows (SQLModel tables). Only :mod:`triage.storage` touches these; the
rest of triage works with the dataclasses in :mod:`triage.core.models`.

Schema changes go through Alembic migrations in ``triage/storage/migrations``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, String, Table, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from triage.storage.types import SafeText


def _ts(**kwargs: Any) -> Any:
    return Field(sa_column=Column(DateTime(timezone=True), **kwargs))


class ItemRow(SQLModel, table=True):
    """One agent output. ``lane``/``risk``/``decision_pk`` cache the latest decision
    so the queue can be paged by an index instead of a join over all decisions."""

    __tablename__ = "item"
    __table_args__ = (
        UniqueConstraint("source", "item_id", name="uq_item_source_id"),
        Index("ix_item_queue", "lane", "risk", "pk"),
        Index("ix_item_group", "agent", "task_type", "created_at"),
        Index("ix_item_created", "created_at"),
    )

    pk: int | None = Field(default=None, primary_key=True)
    source: str
    item_id: str
    created_at: datetime = _ts(nullable=False)
    agent: str
    task_type: str
    model: str
    input: str = Field(sa_column=Column(SafeText, nullable=False))
    output: str = Field(sa_column=Column(SafeText, nullable=False))
    tool_calls: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    transcript: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    content_hash: str
    revision: int = 1
    pulled_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)
    lane: str | None = None
    risk: float = 0.0
    decision_pk: int | None = None
    verdict: str | None = None
    """Outcome of the verdict in force, cached for the queue (kept in step by every
    verdict and undo, in the same transaction)."""


class ItemRevisionRow(SQLModel, table=True):
    """A superseded version of an item: pulling changed content records one."""

    __tablename__ = "item_revision"

    pk: int | None = Field(default=None, primary_key=True)
    item_pk: int = Field(foreign_key="item.pk", index=True)
    revision: int
    content_hash: str
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    replaced_at: datetime = _ts(nullable=False)


class DecisionRow(SQLModel, table=True):
    """Item → lane under one rule set version. Re-triage adds rows; none is rewritten."""

    __tablename__ = "decision"
    __table_args__ = (Index("ix_decision_item", "item_pk", "pk"),)

    pk: int | None = Field(default=None, primary_key=True)
    item_pk: int = Field(foreign_key="item.pk")
    lane: str
    rule_lane: str | None = None
    default_lane: bool = False
    reasons: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    novelty: float = 0.0
    nearest: str | None = None
    is_novel: bool = False
    audit_sample: bool = False
    risk: float = 0.0
    rules_version: str
    rules_commit: str | None = None
    decided_at: datetime = _ts(nullable=False)
    checks: list[Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    """``[{name, status, evidence}]``: every automated check's result (``NULL`` on
    decisions made before checks existed)."""
    p_fail: float | None = None
    """The learned risk model's score (``NULL`` when no model was in force)."""
    p_fail_upper: float | None = None
    risk_model: str | None = None
    """The version of the model that scored the item."""
    risk_contributions: list[Any] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    """``[[feature in words, weight], ...]``: what moved the score most."""


class RiskModelRow(SQLModel, table=True):
    """A fitted failure-risk model; the newest is in force."""

    __tablename__ = "risk_model"

    pk: int | None = Field(default=None, primary_key=True)
    version: str = Field(sa_column=Column(String, nullable=False, unique=True))
    fitted_at: datetime = _ts(nullable=False)
    trained_on: int
    failures: int
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    """:meth:`triage.core.risk.RiskModel.as_json`."""


class VerdictRow(SQLModel, table=True):
    """A reviewer's verdict, or an ``undo`` of an earlier one (``supersedes``).
    Never updated: corrections are new rows. ``key`` makes recording idempotent."""

    __tablename__ = "verdict"
    __table_args__ = (
        Index("ix_verdict_item", "item_pk", "pk"),
        Index("ix_verdict_supersedes", "supersedes"),
    )

    pk: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    item_pk: int = Field(foreign_key="item.pk")
    reviewer: str
    outcome: str
    note: str = Field(default="", sa_column=Column(SafeText, nullable=False))
    checklist: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    seconds: float = 0.0
    lane: str | None = None
    rules_version: str | None = None
    decision_pk: int | None = None
    supersedes: int | None = Field(default=None, foreign_key="verdict.pk")
    recorded_at: datetime = _ts(nullable=False)


class FailureModeRow(SQLModel, table=True):
    """An entry of the failure model."""

    __tablename__ = "failure_mode"

    id: str = Field(primary_key=True)
    task_type: str | None = None
    title: str
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    look_for: str = Field(default="", sa_column=Column(Text, nullable=False))
    status: str = "active"
    created_by: str = ""
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)


class VerdictModeRow(SQLModel, table=True):
    """Failure-mode tags on a verdict."""

    __tablename__ = "verdict_mode"

    verdict_pk: int = Field(foreign_key="verdict.pk", primary_key=True)
    mode_id: str = Field(foreign_key="failure_mode.id", primary_key=True, index=True)


class RulesetRow(SQLModel, table=True):
    """A rule set that loaded cleanly, kept whole so it can stay in force when the
    folder is later broken, and so every decision's version can be looked up."""

    __tablename__ = "ruleset"

    version: str = Field(primary_key=True)
    commit: str | None = None
    origin: str = ""
    files: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    first_loaded_at: datetime = _ts(nullable=False)
    last_loaded_at: datetime = _ts(nullable=False, index=True)


class AuditRow(SQLModel, table=True):
    """Append-only, chained record of verdicts, rule changes and model edits (see
    :mod:`triage.storage.audit`)."""

    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_row", "row_table", "row_pk"),)

    seq: int = Field(primary_key=True)
    at: datetime = _ts(nullable=False)
    actor: str
    action: str
    subject: str
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    prev_hash: str
    hash: str
    """The entry's seal: HMAC-SHA256 under the audit key (a plain SHA-256 for the
    unkeyed entries written before the log was sealed)."""
    row_table: str | None = None
    """The table of the row this entry records (``verdict``, ``failure_mode``,
    ``suggestion_decision``), if any."""
    row_pk: int | None = None
    """That row's integer key (failure modes are named by ``subject``)."""
    row_hash: str | None = None
    """SHA-256 of the row's content as this entry wrote it."""


class AuditHeadRow(SQLModel, table=True):
    """One row: the chain's tip. Updating it first serialises writers on every
    backend; its ``mac`` seals the tip, so the log cannot be cut short or reset."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = ""
    key_id: str | None = None
    """Fingerprint of the key the log is sealed with (``None``: not sealed yet)."""
    legacy_seq: int | None = None
    """Entries up to this one predate sealing and carry plain hashes."""
    sealed_at: datetime | None = _ts(nullable=True)
    mac: str | None = None
    """HMAC over the head's other fields under the audit key."""


class SuggestionDecisionRow(SQLModel, table=True):
    """A lead's answer to a suggested rule change: accepted or dismissed, with why.
    A dismissed suggestion is not offered again while its evidence is unchanged."""

    __tablename__ = "suggestion_decision"

    pk: int | None = Field(default=None, primary_key=True)
    suggestion: str = Field(index=True)
    """The suggestion's stable id, e.g. ``tighten:refund:scan``."""
    decision: str
    """``accepted`` or ``dismissed``."""
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    actor: str
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    rules_version: str | None = None
    decided_at: datetime = _ts(nullable=False)


class SourceStateRow(SQLModel, table=True):
    """How far a named source has been pulled: the next pull resumes here."""

    __tablename__ = "source_state"

    name: str = Field(primary_key=True)
    position: str | None = None
    """The source's own resume point: a cursor, a page URL, or an ISO time."""
    since: datetime | None = _ts(nullable=True)
    """The newest item time stored from this source."""
    updated_at: datetime = _ts(nullable=False)


class OutboxRow(SQLModel, table=True):
    """A verdict waiting to be sent back to the platform its item came from. Kept
    until sent: a platform being down never loses a verdict."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("verdict_pk", "target", name="uq_outbox_verdict_target"),)

    pk: int | None = Field(default=None, primary_key=True)
    verdict_pk: int = Field(foreign_key="verdict.pk")
    target: str
    """The configured source name the verdict goes back to."""
    kind: str
    """``langfuse`` or ``langsmith``."""
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    next_attempt_at: datetime = _ts(nullable=False)
    sent_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts(nullable=False)


def _table(row: type[SQLModel]) -> Table:
    return row.__table__  # type: ignore[attr-defined,no-any-return]


# The Core tables behind the rows, for the statements written with SQLAlchemy Core.
items_t: Table = _table(ItemRow)
revisions_t: Table = _table(ItemRevisionRow)
decisions_t: Table = _table(DecisionRow)
verdicts_t: Table = _table(VerdictRow)
modes_t: Table = _table(FailureModeRow)
verdict_modes_t: Table = _table(VerdictModeRow)
rulesets_t: Table = _table(RulesetRow)
audit_t: Table = _table(AuditRow)
audit_head_t: Table = _table(AuditHeadRow)
suggestion_decisions_t: Table = _table(SuggestionDecisionRow)
source_state_t: Table = _table(SourceStateRow)
outbox_t: Table = _table(OutboxRow)
risk_models_t: Table = _table(RiskModelRow)
