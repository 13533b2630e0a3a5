"""Exactly once when runs overlap (issue 13): a round's seed as a 64-bit integer, the holder
and expiry of each outbox claim, and what became of each recipient of a mail.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    with op.batch_alter_table("round") as batch:
        batch.alter_column(
            "seed", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False
        )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("claim_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("delivered", json, nullable=True))
        batch.add_column(sa.Column("refused", json, nullable=True))
    op.execute("UPDATE outbox SET delivered = recipients WHERE state = 'sent'")
    op.execute("UPDATE outbox SET delivered = '[]' WHERE delivered IS NULL")
    op.execute("UPDATE outbox SET refused = '{}'")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("delivered", existing_type=json, nullable=False)
        batch.alter_column("refused", existing_type=json, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        for column in ("refused", "delivered", "claim_expires_at", "claimed_by"):
            batch.drop_column(column)
    with op.batch_alter_table("round") as batch:
        batch.alter_column(
            "seed", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False
        )
