"""The initial schema: people, rounds, pairs, meetings, the outbox and the inbound log.

Self-contained on purpose: it must keep building this schema when the models have moved on.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def utc_time() -> sa.DateTime:
    """What scheduler.store.models.UTCDateTime stores."""
    return sa.DateTime(timezone=True)


def json_value() -> sa.JSON:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def email() -> sa.String:
    return sa.String(length=320)


def upgrade() -> None:
    op.create_table(
        "person",
        sa.Column("email", email(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("department", sa.Text(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("manager_email", email(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("aliases", json_value(), nullable=False),
        sa.Column("attributes", json_value(), nullable=False),
        sa.Column("participating", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("first_seen", utc_time(), nullable=False),
        sa.Column("last_seen", utc_time(), nullable=False),
        sa.Column("removed_at", utc_time(), nullable=True),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_person")),
    )
    op.create_table(
        "round",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("opened_at", utc_time(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("pairs_made", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("waiting", json_value(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round")),
    )
    op.create_table(
        "pair",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("ended_at", utc_time(), nullable=True),
        sa.Column("ended_reason", sa.Text(), nullable=True),
        sa.Column("ended_by", email(), nullable=True),
        sa.Column("skips_in_row", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_nudge_at", utc_time(), nullable=True),
        sa.Column("on_owner_list", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("odd_minutes", json_value(), nullable=False),
        sa.Column("created_at", utc_time(), nullable=False),
        sa.CheckConstraint("state IN ('active', 'paused', 'ended')", name=op.f("ck_pair_state")),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_pair_round_id_round")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pair")),
    )
    op.create_index(op.f("ix_pair_round_id"), "pair", ["round_id"])
    op.create_index(op.f("ix_pair_state"), "pair", ["state"])
    op.create_table(
        "pair_member",
        sa.Column("pair_id", sa.String(length=32), nullable=False),
        sa.Column("email", email(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["email"], ["person.email"], name=op.f("fk_pair_member_email_person")
        ),
        sa.ForeignKeyConstraint(["pair_id"], ["pair.id"], name=op.f("fk_pair_member_pair_id_pair")),
        sa.PrimaryKeyConstraint("pair_id", "email", name=op.f("pk_pair_member")),
    )
    op.create_index(op.f("ix_pair_member_email"), "pair_member", ["email"])
    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pair_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("phase", sa.Integer(), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=False),
        sa.Column("starts_at", utc_time(), nullable=True),
        sa.Column("ends_at", utc_time(), nullable=True),
        sa.Column("uid", sa.String(length=255), nullable=False),
        sa.Column("sequence", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("booking_key", sa.String(length=128), nullable=False),
        sa.Column("event_id", sa.String(length=1024), nullable=True),
        sa.Column("join_url", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("skipped_by", email(), nullable=True),
        sa.Column("updated_at", utc_time(), nullable=False),
        sa.CheckConstraint(
            "state IN ('planned', 'booked', 'held', 'skipped', 'cancelled', 'moved', 'failed')",
            name=op.f("ck_meeting_state"),
        ),
        sa.ForeignKeyConstraint(["pair_id"], ["pair.id"], name=op.f("fk_meeting_pair_id_pair")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
        sa.UniqueConstraint("booking_key", name=op.f("uq_meeting_booking_key")),
        sa.UniqueConstraint(
            "pair_id", "number", "attempt", name=op.f("uq_meeting_pair_id_number_attempt")
        ),
        sa.UniqueConstraint("uid", name=op.f("uq_meeting_uid")),
    )
    op.create_index(op.f("ix_meeting_state_target_date"), "meeting", ["state", "target_date"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("pair_id", sa.String(length=32), nullable=True),
        sa.Column("recipients", json_value(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("not_before", utc_time(), nullable=True),
        sa.Column("claimed_at", utc_time(), nullable=True),
        sa.Column("created_at", utc_time(), nullable=False),
        sa.Column("sent_at", utc_time(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'sending', 'sent', 'failed')", name=op.f("ck_outbox_state")
        ),
        sa.ForeignKeyConstraint(["pair_id"], ["pair.id"], name=op.f("fk_outbox_pair_id_pair")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_key")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_message_id")),
    )
    op.create_index(op.f("ix_outbox_pair_id"), "outbox", ["pair_id"])
    op.create_index(op.f("ix_outbox_state_not_before"), "outbox", ["state", "not_before"])
    op.create_table(
        "inbound",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dedup_key", sa.String(length=998), nullable=False),
        sa.Column("provider_id", sa.String(length=1024), nullable=False),
        sa.Column("received_at", utc_time(), nullable=False),
        sa.Column("sender", email(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("pair_id", sa.String(length=32), nullable=True),
        sa.Column("command", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('acted', 'ignored', 'answered', 'rejected')",
            name=op.f("ck_inbound_outcome"),
        ),
        sa.ForeignKeyConstraint(["pair_id"], ["pair.id"], name=op.f("fk_inbound_pair_id_pair")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_inbound_dedup_key")),
    )
    op.create_index(op.f("ix_inbound_pair_id"), "inbound", ["pair_id"])
    op.create_table(
        "calendar_fact",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("meeting_uid", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("by", email(), nullable=True),
        sa.Column("moved_start", utc_time(), nullable=True),
        sa.Column("moved_end", utc_time(), nullable=True),
        sa.Column("dedup_key", sa.String(length=1024), nullable=False),
        sa.Column("seen_at", utc_time(), nullable=False),
        sa.Column("applied", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_fact")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_calendar_fact_dedup_key")),
    )
    op.create_index(op.f("ix_calendar_fact_applied"), "calendar_fact", ["applied"])
    op.create_index(op.f("ix_calendar_fact_meeting_uid"), "calendar_fact", ["meeting_uid"])
    op.create_table(
        "cursor",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cursor")),
    )
    op.create_table(
        "lock",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("expires_at", utc_time(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_lock")),
    )


def downgrade() -> None:
    for table in ("lock", "cursor", "calendar_fact", "inbound", "outbox", "meeting"):
        op.drop_table(table)
    for table in ("pair_member", "pair", "round", "person"):
        op.drop_table(table)
