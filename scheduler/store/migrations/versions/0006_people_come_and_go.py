"""People come and go (issue 10): consent per person (asked when, answered what), a short tag
that names a person in a reply address, members who left a pair (and joined it later), the
attendees a meeting still has to take off its event, and why a pair ended.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("tag", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("consent", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_person_tag", ["tag"], unique=True)
    with op.batch_alter_table("pair_member") as batch:
        batch.add_column(sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("left_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("pair") as batch:
        batch.add_column(sa.Column("ended_why", sa.String(length=16), nullable=True))
    with op.batch_alter_table("meeting") as batch:
        json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
        batch.add_column(sa.Column("removed_attendees", json, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meeting") as batch:
        batch.drop_column("removed_attendees")
    with op.batch_alter_table("pair") as batch:
        batch.drop_column("ended_why")
    with op.batch_alter_table("pair_member") as batch:
        batch.drop_column("left_at")
        batch.drop_column("joined_at")
    with op.batch_alter_table("person") as batch:
        batch.drop_index("ix_person_tag")
        for column in ("invited_at", "consent_at", "consent", "tag"):
            batch.drop_column(column)
