"""Honest working hours (issue 9): the minutes of each meeting outside each peer's hours, so
that preview, status and the kit can show a stretched meeting.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    with op.batch_alter_table("meeting") as batch:
        batch.add_column(sa.Column("odd_minutes", json, nullable=True))
    op.execute("UPDATE meeting SET odd_minutes = '{}'")
    with op.batch_alter_table("meeting") as batch:
        batch.alter_column("odd_minutes", existing_type=json, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("meeting") as batch:
        batch.drop_column("odd_minutes")
