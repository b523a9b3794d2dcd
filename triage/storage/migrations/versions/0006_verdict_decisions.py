"""link every verdict to the decision it was given under

Verdicts recorded before verdicts kept their decision get the item's newest
decision made at or before the verdict, so statistics can tell audit samples
(and the lane reviewed in) from the verdict alone.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE verdict SET decision_pk = ("
        " SELECT max(d.pk) FROM decision d"
        " WHERE d.item_pk = verdict.item_pk AND d.decided_at <= verdict.recorded_at)"
        " WHERE decision_pk IS NULL"
    )
    op.execute(
        "UPDATE verdict SET decision_pk = ("
        " SELECT min(d.pk) FROM decision d WHERE d.item_pk = verdict.item_pk)"
        " WHERE decision_pk IS NULL"
    )


def downgrade() -> None:
    pass  # the links are true either way; nothing to undo
