"""One seam for every provider (issue 8): the calendar writes a meeting still owes (a
cancellation), their last error and tries, and a move asked for but not yet made, so that no
calendar call runs inside a database transaction.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meeting") as batch:
        batch.add_column(sa.Column("calendar_pending", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("calendar_error", sa.Text(), nullable=True))
        attempts = sa.Column("calendar_attempts", sa.Integer(), server_default=sa.text("0"))
        attempts.nullable = False
        batch.add_column(attempts)
        batch.add_column(sa.Column("move", sa.String(length=16), nullable=True))
    with op.batch_alter_table("calendar_fact") as batch:
        batch.add_column(sa.Column("event_id", sa.String(length=1024), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calendar_fact") as batch:
        batch.drop_column("event_id")
    with op.batch_alter_table("meeting") as batch:
        for column in ("move", "calendar_attempts", "calendar_error", "calendar_pending"):
            batch.drop_column(column)
