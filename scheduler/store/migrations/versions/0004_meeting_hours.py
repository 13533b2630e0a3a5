"""Months of a real program (issue 9): the minutes of each meeting outside each peer's hours
(shown by preview, status and the kit); attempts of one meeting that share its event (a
decline moves the meeting: same UID, a higher SEQUENCE); the SEQUENCE a calendar fact speaks
of; why a pair's meeting could not be booked.

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
        batch.drop_constraint("uq_meeting_uid", type_="unique")
        batch.create_index("ix_meeting_uid", ["uid"])
    with op.batch_alter_table("calendar_fact") as batch:
        batch.add_column(sa.Column("sequence", sa.Integer(), nullable=True))
    with op.batch_alter_table("pair") as batch:
        batch.add_column(sa.Column("booking_problem", sa.Text(), nullable=True))
        batch.add_column(sa.Column("booking_problem_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pair") as batch:
        batch.drop_column("booking_problem_at")
        batch.drop_column("booking_problem")
    with op.batch_alter_table("calendar_fact") as batch:
        batch.drop_column("sequence")
    with op.batch_alter_table("meeting") as batch:
        batch.drop_index("ix_meeting_uid")
        batch.create_unique_constraint("uq_meeting_uid", ["uid"])
        batch.drop_column("odd_minutes")
