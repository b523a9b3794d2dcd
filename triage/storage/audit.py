"""The append-only audit log: each entry carries the hash of the one before it.

Writers first bump the single ``audit_head`` row, which takes the write lock on
SQLite and a row lock on PostgreSQL, so two processes can never both append
after the same entry. The entry is written in the caller's transaction: the
audited change and its audit record commit together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from triage.storage.convert import utc
from triage.storage.tables import AuditHeadRow, AuditRow

GENESIS = "0" * 64

audit_table = AuditRow.__table__  # type: ignore[attr-defined]
head_table = AuditHeadRow.__table__  # type: ignore[attr-defined]


def entry_hash(
    prev: str, seq: int, at: datetime, actor: str, action: str, subject: str, payload: Any
) -> str:
    """The hash an entry must carry, given the previous entry's hash."""
    body = json.dumps(
        {
            "seq": seq,
            "at": utc(at).isoformat(),
            "actor": actor,
            "action": action,
            "subject": subject,
            "payload": payload,
        },
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256((prev + body).encode("utf-8", "surrogatepass")).hexdigest()


def append(
    conn: Connection,
    *,
    actor: str,
    action: str,
    subject: str,
    payload: dict[str, Any],
    at: datetime,
) -> int:
    """Append one entry inside the caller's transaction; returns its sequence number."""
    conn.execute(update(head_table).where(head_table.c.id == 1).values(seq=head_table.c.seq + 1))
    seq, prev = conn.execute(select(head_table.c.seq, head_table.c.hash)).one()
    payload = json.loads(json.dumps(payload, default=str))
    digest = entry_hash(prev or GENESIS, seq, at, actor, action, subject, payload)
    conn.execute(
        insert(audit_table).values(
            seq=seq,
            at=utc(at),
            actor=actor,
            action=action,
            subject=subject,
            payload=payload,
            prev_hash=prev or GENESIS,
            hash=digest,
        )
    )
    conn.execute(update(head_table).where(head_table.c.id == 1).values(hash=digest))
    return int(seq)


@dataclass(frozen=True)
class AuditCheck:
    """Result of walking the chain."""

    entries: int
    ok: bool
    broken_at: int | None = None
    problem: str = ""


def verify(conn: Connection) -> AuditCheck:
    """Walk the chain from the first entry; report the first broken link."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    rows = conn.execute(select(audit_table).order_by(audit_table.c.seq)).yield_per(1000)
    for row in rows:
        count += 1
        if row.seq != expected_seq:
            return AuditCheck(count, False, expected_seq, f"entry {expected_seq} is missing")
        if row.prev_hash != prev:
            return AuditCheck(
                count, False, row.seq, f"entry {row.seq} does not follow entry {row.seq - 1}"
            )
        digest = entry_hash(prev, row.seq, row.at, row.actor, row.action, row.subject, row.payload)
        if digest != row.hash:
            return AuditCheck(count, False, row.seq, f"entry {row.seq} was altered")
        prev = row.hash
        expected_seq += 1
    head = conn.execute(select(head_table.c.seq, head_table.c.hash)).first()
    if head is not None and (head.seq != expected_seq - 1 or (count and head.hash != prev)):
        return AuditCheck(
            count,
            False,
            expected_seq,
            f"the log ends at entry {expected_seq - 1} "
            f"but {head.seq} were written: later entries were removed",
        )
    return AuditCheck(count, True)
