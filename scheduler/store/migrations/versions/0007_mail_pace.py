"""Workers at scale (issue 13): the sends of the last minute, reserved by whichever process
sends them, so that several workers together keep the mailbox's per-minute limit.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_pace",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_pace")),
    )
    op.create_index(op.f("ix_mail_pace_reserved_at"), "mail_pace", ["reserved_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_mail_pace_reserved_at"), table_name="mail_pace")
    op.drop_table("mail_pace")
