"""A pair's pending notice: an email owed to the pair once its next meetings are booked
(the "resumed" note lists the new dates, so it waits for the booking).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    with op.batch_alter_table("pair") as batch:
        batch.add_column(sa.Column("pending_notice", json, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pair") as batch:
        batch.drop_column("pending_notice")
