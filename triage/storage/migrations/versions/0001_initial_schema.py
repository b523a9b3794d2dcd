"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21 07:24:22.340350
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "failure_mode",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("task_type", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("look_for", sa.Text(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "item",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("item_id", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agent", sa.String(), nullable=False),
        sa.Column("task_type", sa.String(), nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("input", sa.Text(), nullable=False),
        sa.Column("output", sa.Text(), nullable=False),
        sa.Column("tool_calls", sa.JSON(), nullable=False),
        sa.Column("transcript", sa.JSON(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("pulled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lane", sa.String(), nullable=True),
        sa.Column("risk", sa.Float(), nullable=False),
        sa.Column("decision_pk", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("source", "item_id", name="uq_item_source_id"),
    )
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index("ix_item_created", ["created_at"], unique=False)
        batch_op.create_index("ix_item_group", ["agent", "task_type", "created_at"], unique=False)
        batch_op.create_index("ix_item_queue", ["lane", "risk", "pk"], unique=False)

    op.create_table(
        "ruleset",
        sa.Column("version", sa.String(), nullable=False),
        sa.Column("commit", sa.String(), nullable=True),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("first_loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    with op.batch_alter_table("ruleset", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ruleset_last_loaded_at"), ["last_loaded_at"], unique=False
        )

    op.create_table(
        "decision",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("item_pk", sa.Integer(), nullable=False),
        sa.Column("lane", sa.String(), nullable=False),
        sa.Column("rule_lane", sa.String(), nullable=True),
        sa.Column("default_lane", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("novelty", sa.Float(), nullable=False),
        sa.Column("nearest", sa.String(), nullable=True),
        sa.Column("is_novel", sa.Boolean(), nullable=False),
        sa.Column("audit_sample", sa.Boolean(), nullable=False),
        sa.Column("risk", sa.Float(), nullable=False),
        sa.Column("rules_version", sa.String(), nullable=False),
        sa.Column("rules_commit", sa.String(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_pk"],
            ["item.pk"],
        ),
        sa.PrimaryKeyConstraint("pk"),
    )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.create_index("ix_decision_item", ["item_pk", "pk"], unique=False)

    op.create_table(
        "item_revision",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("item_pk", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_pk"],
            ["item.pk"],
        ),
        sa.PrimaryKeyConstraint("pk"),
    )
    with op.batch_alter_table("item_revision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_revision_item_pk"), ["item_pk"], unique=False)

    op.create_table(
        "verdict",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("item_pk", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("lane", sa.String(), nullable=True),
        sa.Column("rules_version", sa.String(), nullable=True),
        sa.Column("decision_pk", sa.Integer(), nullable=True),
        sa.Column("supersedes", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_pk"],
            ["item.pk"],
        ),
        sa.ForeignKeyConstraint(
            ["supersedes"],
            ["verdict.pk"],
        ),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("verdict", schema=None) as batch_op:
        batch_op.create_index("ix_verdict_item", ["item_pk", "pk"], unique=False)

    op.create_table(
        "verdict_mode",
        sa.Column("verdict_pk", sa.Integer(), nullable=False),
        sa.Column("mode_id", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mode_id"],
            ["failure_mode.id"],
        ),
        sa.ForeignKeyConstraint(
            ["verdict_pk"],
            ["verdict.pk"],
        ),
        sa.PrimaryKeyConstraint("verdict_pk", "mode_id"),
    )
    with op.batch_alter_table("verdict_mode", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_verdict_mode_mode_id"), ["mode_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("verdict_mode", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verdict_mode_mode_id"))

    op.drop_table("verdict_mode")
    with op.batch_alter_table("verdict", schema=None) as batch_op:
        batch_op.drop_index("ix_verdict_item")

    op.drop_table("verdict")
    with op.batch_alter_table("item_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_revision_item_pk"))

    op.drop_table("item_revision")
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_index("ix_decision_item")

    op.drop_table("decision")
    with op.batch_alter_table("ruleset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ruleset_last_loaded_at"))

    op.drop_table("ruleset")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index("ix_item_queue")
        batch_op.drop_index("ix_item_group")
        batch_op.drop_index("ix_item_created")

    op.drop_table("item")
    op.drop_table("failure_mode")
    op.drop_table("audit_head")
    op.drop_table("audit")
