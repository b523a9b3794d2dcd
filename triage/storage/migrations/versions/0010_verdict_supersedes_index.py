"""index the verdicts an undo withdraws

Which verdicts are in force is asked for each verdict ("has an undo withdrawn it?"):
without an index on ``supersedes`` each question read the whole table, so the answer
for every item grew with the square of the verdicts.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_verdict_supersedes", "verdict", ["supersedes"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_verdict_supersedes", table_name="verdict")
