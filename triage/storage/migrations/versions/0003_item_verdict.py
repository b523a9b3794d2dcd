"""cache the verdict in force on items

The queue filters open items on every page; keeping the outcome of the verdict in
force on the item row (updated with each verdict and undo) saves a correlated
subquery over all verdicts per row.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verdict", sa.String(), nullable=True))
    op.execute(
        "UPDATE item SET verdict = ("
        " SELECT v.outcome FROM verdict v"
        " WHERE v.item_pk = item.pk AND v.outcome <> 'undo'"
        " AND NOT EXISTS (SELECT 1 FROM verdict u WHERE u.supersedes = v.pk AND u.outcome = 'undo')"
        " ORDER BY v.pk DESC LIMIT 1)"
    )


def downgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_column("verdict")
