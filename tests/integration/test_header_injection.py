"""Names from the directory never become headers of their own, whatever their encoding
(issue 13, defect 4): "=?utf-8?q?Admin=0D=0ABcc:_x@evil.example?=" used to give a real Bcc."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from scheduler.core.header_text import header_text
from scheduler.store.models import Outbox
from tests.integration.world import World

LAUNCH = datetime(2026, 12, 1, 9, tzinfo=UTC)
Q_WORD = "=?utf-8?q?Admin=0D=0ABcc:_x@evil.example?="
B_WORD = "=?utf-8?b?" + base64.b64encode(b"Eve\r\nCc: y@evil.example").decode() + "?="
NESTED = "=?utf-8?q?=3D=3Futf-8=3Fq=3FMallory=3D0D=3D0AX-Injected:_1=3F=3D?="
HOSTILE = {
    "chen.liu@northwind-loom.example": Q_WORD,
    "sam.osei@northwind-loom.example": B_WORD,
    "amara.okafor@northwind-loom.example": NESTED,
    "lucas.martin@northwind-loom.example": "Lucas\u2028Bcc: z@evil.example",
}


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        (Q_WORD, "Admin Bcc: x@evil.example"),
        (B_WORD, "Eve Cc: y@evil.example"),
        (NESTED, "Mallory X-Injected: 1"),
        ("=?utf-8?q?Ana_Lima?=", "Ana Lima"),
        ("=?bogus-charset?q?Ana?=", "= ?bogus-charset?q?Ana?="),
        ("Jo\r\nBcc: a@b", "Jo Bcc: a@b"),
        ("Zoë\u2029Ray", "Zoë Ray"),
    ],
)
def test_header_text_decodes_then_cleans(name: str, shown: str) -> None:
    assert header_text(name) == shown


def test_no_email_of_a_whole_program_carries_an_injected_header(
    tmp_path: Path, store_url: str
) -> None:
    # Given a directory whose names carry encoded line breaks
    folder = tmp_path / "demo"
    world = World(folder, store_url, edit_people=_hostile)
    # When the program runs, peers reply for help and end a pair, and the owner hears of it
    world.cycle(LAUNCH)
    pair = next(p for p in world.pairs() if set(world.peers(p.id)) & set(HOSTILE))
    member = next(e for e in world.peers(pair.id) if e in HOSTILE)
    world.reply(pair.id, member, "?")
    world.reply(pair.id, member, "end")
    world.cycle(datetime(2026, 12, 2, 9, tzinfo=UTC))
    # Then every header of every email is one line, and none was added
    with world.rt.store.session() as s:
        raws = [(row.kind, row.raw) for row in s.scalars(select(Outbox))]
    kinds = {kind for kind, _ in raws}
    assert {"launch_kit", "invite", "help", "ended", "owner_note", "cancel"} <= kinds
    for kind, raw in raws:
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        names = {name.lower() for name in message}
        assert not names & {"bcc", "cc", "x-injected"}, (kind, names)
        for header, value in message.items():
            assert "\n" not in str(value) and "\r" not in str(value), (kind, header)
        addresses = {a.addr_spec for a in message["To"].addresses}
        assert all(a.endswith("@northwind-loom.example") for a in addresses), (kind, addresses)
        assert b"\nBcc:" not in raw and b"\nCc:" not in raw and b"\nX-Injected" not in raw


def _hostile(text: str) -> str:
    lines = text.splitlines()
    for index, line in enumerate(lines):
        email, _name, rest = line.split(",", 2)
        if email in HOSTILE:
            lines[index] = f'{email},"{HOSTILE[email]}",{rest}'
    return "\n".join(lines) + "\n"
