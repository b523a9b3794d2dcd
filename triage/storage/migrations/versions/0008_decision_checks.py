"""keep each decision's automated check results

A decision made from now on records every check's result on the item (name, status,
evidence) in ``decision.checks``; decisions made before checks existed keep ``NULL``
there, read as "no checks were run".

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column: a plain ALTER TABLE on both engines, no table copy.
    op.add_column("decision", sa.Column("checks", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decision") as batch:
        batch.drop_column("checks")
