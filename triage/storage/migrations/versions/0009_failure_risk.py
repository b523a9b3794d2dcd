"""the learned failure risk: fitted models, and each decision's score

``risk_model`` keeps every fitted model (its version, when it was fitted, on how many
verdicts, and its numbers as JSON); the newest is in force. A decision made with a
model records ``p_fail``, its upper bound, the model's version and the contributions
shown to the reviewer; decisions made before keep ``NULL`` there.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_model",
        sa.Column("pk", sa.Integer(), primary_key=True),
        sa.Column("version", sa.String(), nullable=False, unique=True),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trained_on", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    # Nullable columns: a plain ALTER TABLE on both engines, no table copy.
    op.add_column("decision", sa.Column("p_fail", sa.Float(), nullable=True))
    op.add_column("decision", sa.Column("p_fail_upper", sa.Float(), nullable=True))
    op.add_column("decision", sa.Column("risk_model", sa.String(), nullable=True))
    op.add_column("decision", sa.Column("risk_contributions", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decision") as batch:
        for column in ("risk_contributions", "risk_model", "p_fail_upper", "p_fail"):
            batch.drop_column(column)
    op.drop_table("risk_model")
