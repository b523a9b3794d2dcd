"""Content hashes of the rows the audit log records.

An audit entry about a verdict (with its failure-mode tags), a failure mode or an
answer to a suggestion carries the SHA-256 of that row's every column as the entry
wrote it; ``triage audit verify`` recomputes it from the row as it stands now. The
hashes are over canonical JSON (keys sorted, times as UTC ISO 8601), so the same
row gives the same hash on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Connection, select

from triage.core.jsonio import dumps_sorted
from triage.storage.convert import utc
from triage.storage.tables import (
    modes_t,
    suggestion_decisions_t,
    verdict_modes_t,
    verdicts_t,
)

COVERED = ("verdict", "failure_mode", "suggestion_decision")
"""The tables whose rows audit entries record by content hash."""


def _digest(kind: str, fields: list[Any]) -> str:
    return hashlib.sha256(dumps_sorted([kind, *fields])).hexdigest()


def verdict_hash(row: Any, modes: list[str]) -> str:
    """Content hash of a verdict row and its failure-mode tags (every column)."""
    return _digest(
        "verdict",
        [
            row.pk,
            row.key,
            row.item_pk,
            row.reviewer,
            row.outcome,
            row.note,
            row.checklist,
            row.seconds,
            row.lane,
            row.rules_version,
            row.decision_pk,
            row.supersedes,
            utc(row.recorded_at).isoformat(),
            sorted(modes),
        ],
    )


def mode_hash(row: Any) -> str:
    """Content hash of a failure-mode row (every column)."""
    return _digest(
        "failure_mode",
        [
            row.id,
            row.task_type,
            row.title,
            row.description,
            row.look_for,
            row.status,
            row.created_by,
            utc(row.created_at).isoformat(),
            utc(row.updated_at).isoformat(),
        ],
    )


def answer_hash(row: Any) -> str:
    """Content hash of an answer to a suggestion (every column)."""
    return _digest(
        "suggestion_decision",
        [
            row.pk,
            row.suggestion,
            row.decision,
            row.reason,
            row.actor,
            row.evidence,
            row.rules_version,
            utc(row.decided_at).isoformat(),
        ],
    )


def row_hash(conn: Connection, table: str, key: int | str) -> str:
    """The content hash of one covered row as it stands in this transaction."""
    if table == "verdict":
        row = conn.execute(select(verdicts_t).where(verdicts_t.c.pk == key)).one()
        modes = conn.execute(
            select(verdict_modes_t.c.mode_id).where(verdict_modes_t.c.verdict_pk == key)
        ).scalars()
        return verdict_hash(row, list(modes))
    if table == "failure_mode":
        return mode_hash(conn.execute(select(modes_t).where(modes_t.c.id == key)).one())
    if table == "suggestion_decision":
        return answer_hash(
            conn.execute(
                select(suggestion_decisions_t).where(suggestion_decisions_t.c.pk == key)
            ).one()
        )
    raise ValueError(f"audit entries do not record rows of {table!r}")
