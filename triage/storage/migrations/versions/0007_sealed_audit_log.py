"""seal the audit log with a key kept outside the database

Entries gain the row they record (``row_table``, ``row_pk``, ``row_hash``) and the
head gains its seal (``key_id``, ``legacy_seq``, ``sealed_at``, ``mac``). Entries
written before this revision keep their plain SHA-256 chain and stay verifiable
as such; verdict entries among them are linked to their verdict rows.

A database that already holds data is sealed here, with the audit key in force
(``TRIAGE_AUDIT_KEY``, or the user's key file, created if missing): an
``audit.seal`` entry chains onto the old head and records the content hash of every
failure mode and answer to a suggestion as they stand, and the head is sealed
after it. A database that holds nothing is sealed when it is first opened.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

GENESIS = "0" * 64

audit = sa.table(
    "audit",
    sa.column("seq", sa.Integer), sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String), sa.column("action", sa.String),
    sa.column("subject", sa.String), sa.column("payload", sa.JSON),
    sa.column("prev_hash", sa.String), sa.column("hash", sa.String),
    sa.column("row_table", sa.String), sa.column("row_pk", sa.Integer),
    sa.column("row_hash", sa.String),
)  # fmt: skip
head = sa.table(
    "audit_head",
    sa.column("id", sa.Integer), sa.column("seq", sa.Integer), sa.column("hash", sa.String),
    sa.column("key_id", sa.String), sa.column("legacy_seq", sa.Integer),
    sa.column("sealed_at", sa.DateTime(timezone=True)), sa.column("mac", sa.String),
)  # fmt: skip
modes = sa.table(
    "failure_mode",
    sa.column("id", sa.String), sa.column("task_type", sa.String),
    sa.column("title", sa.String), sa.column("description", sa.Text),
    sa.column("look_for", sa.Text), sa.column("status", sa.String),
    sa.column("created_by", sa.String), sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)  # fmt: skip
answers = sa.table(
    "suggestion_decision",
    sa.column("pk", sa.Integer), sa.column("suggestion", sa.String),
    sa.column("decision", sa.String), sa.column("reason", sa.Text),
    sa.column("actor", sa.String), sa.column("evidence", sa.JSON),
    sa.column("rules_version", sa.String), sa.column("decided_at", sa.DateTime(timezone=True)),
)  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("audit") as batch:
        batch.add_column(sa.Column("row_table", sa.String(), nullable=True))
        batch.add_column(sa.Column("row_pk", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("row_hash", sa.String(), nullable=True))
        batch.create_index("ix_audit_row", ["row_table", "row_pk"], unique=False)
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("key_id", sa.String(), nullable=True))
        batch.add_column(sa.Column("legacy_seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("mac", sa.String(), nullable=True))
    conn = op.get_bind()
    _link_verdict_entries(conn)
    if _holds_data(conn):
        _seal(conn)


def _link_verdict_entries(conn: sa.Connection) -> None:
    """Old verdict entries name their verdict only in the payload: copy it out."""
    found = conn.execute(
        sa.select(audit.c.seq, audit.c.payload).where(
            audit.c.action.in_(("verdict.record", "verdict.undo"))
        )
    ).all()
    links = [
        {"s": seq, "pk": payload["verdict"]}
        for seq, payload in found
        if isinstance(payload, dict) and isinstance(payload.get("verdict"), int)
    ]
    update = (
        sa.update(audit)
        .where(audit.c.seq == sa.bindparam("s"))
        .values(row_table="verdict", row_pk=sa.bindparam("pk"))
    )
    for start in range(0, len(links), 5000):
        conn.execute(update, links[start : start + 5000])


def _holds_data(conn: sa.Connection) -> bool:
    tables = ("audit", "verdict", "item", "failure_mode", "suggestion_decision")
    return any(
        conn.execute(sa.text(f"SELECT 1 FROM {name} LIMIT 1")).first() is not None
        for name in tables
    )


def _seal(conn: sa.Connection) -> None:
    from triage.core.jsonio import dumps_sorted, loads
    from triage.storage import audit as log
    from triage.storage import row_hashes, seal

    key = seal.load_key(create=True)
    assert key is not None
    tip = conn.execute(sa.select(head.c.seq, head.c.hash).where(head.c.id == 1)).one()
    stamp = datetime.now(UTC)
    snapshot = {
        "legacy_entries": tip.seq,
        "failure_modes": {
            row.id: row_hashes.mode_hash(row) for row in conn.execute(sa.select(modes))
        },
        "answers": {
            str(row.pk): row_hashes.answer_hash(row) for row in conn.execute(sa.select(answers))
        },
    }
    entry: dict[str, Any] = {
        "seq": tip.seq + 1,
        "at": stamp,
        "actor": "triage",
        "action": "audit.seal",
        "subject": "audit",
        "payload": loads(dumps_sorted(snapshot)),
        "row_table": None,
        "row_pk": None,
        "row_hash": None,
    }
    prev = tip.hash or GENESIS
    digest = log.entry_mac(key, prev, _Row(entry))
    conn.execute(sa.insert(audit).values(**entry, prev_hash=prev, hash=digest))
    sealed = {
        "seq": tip.seq + 1,
        "hash": digest,
        "key_id": key.fingerprint,
        "legacy_seq": tip.seq,
        "sealed_at": stamp,
    }
    mac = log.head_mac(key, _Row(sealed))
    conn.execute(sa.update(head).where(head.c.id == 1).values(**sealed, mac=mac))


class _Row:
    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def downgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        for name in ("mac", "sealed_at", "legacy_seq", "key_id"):
            batch.drop_column(name)
    with op.batch_alter_table("audit") as batch:
        batch.drop_index("ix_audit_row")
        for name in ("row_hash", "row_pk", "row_table"):
            batch.drop_column(name)
