"""Emails written straight to bytes (scheduler.render.mime) are the bytes the email package
writes for the same message: the kits of `compose` and the local calendar's invitations, for
names in any alphabet, hostile names, long lines and every body encoding. Only the random
multipart boundaries differ, and they are compared by position."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.policy import SMTP

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.local.invitation_bytes import invitation_bytes
from integrations.local.invitations import event_calendar, invitation_mail, with_timezones
from scheduler.ports import Attendee, Booking
from scheduler.render.kits import Rendered, build_email
from scheduler.render.mime import _is_a_line, email_bytes, header

NAMES = [
    "Ana Lima",
    "Person 97",
    "Zoë Ångström",
    "O'Brien, Pat",
    "J. Smith",
    'Ana "Quote" Lima',
    "山田 太郎",
    "=?utf-8?q?Admin=0D=0ABcc:_x@evil.example?=",
    "Name\r\nBcc: evil@example.com",
    "Lucas\u2028Bcc: z@evil.example",
    "x; y <z>",
    "a  b",
    "A" * 90,
    "",
]
BODIES = [
    "",
    "Hello Ana,\n\nSee you soon.\n",
    "Zoë\n" * 3,
    "é" * 200,
    "a" * 100 + "\n" + "b\n" * 20,
    "\n".join(f"line {n} of a long letter that goes past the seventy-eight" for n in range(30)),
    "x\r\ny\rz\n",
    "trailing space \nnext",
]
SUBJECTS = ["Meet your peer", "Zoë and Ana, meet", "a" * 80, "=?utf-8?q?x?=", "x (y) [z]"]
WHEN = [
    datetime(2026, 12, 1, 9, tzinfo=UTC),
    datetime(2026, 12, 1, 9, tzinfo=timezone(timedelta(hours=5, minutes=30))),
]
names = st.one_of(st.sampled_from(NAMES), st.text(max_size=40))
bodies = st.one_of(st.sampled_from(BODIES), st.text(max_size=300))


def same_boundaries(raw: bytes) -> bytes:
    seen: dict[bytes, bytes] = {}
    return re.sub(
        rb"={15}\d+==(?:\.\d+)?",
        lambda m: seen.setdefault(m.group(0), b"BOUNDARY%d" % len(seen)),
        raw,
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    to=st.lists(names, min_size=1, max_size=3),
    sender_name=names,
    subject=st.one_of(st.sampled_from(SUBJECTS), st.text(max_size=100)),
    text=bodies,
    html=bodies,
    date=st.sampled_from(WHEN),
    replying=st.booleans(),
)
def test_an_email_is_the_email_packages_bytes(
    to: list[str],
    sender_name: str,
    subject: str,
    text: str,
    html: str,
    date: datetime,
    replying: bool,
) -> None:
    arguments = {
        "sender_name": sender_name,
        "sender": "mentoring@example.com",
        "to": [(name, f"peer{n}@example.com") for n, name in enumerate(to)],
        "reply_to": "mentoring+p7k2m9q4.abcdef@example.com",
        "message_id": "<tandem.8ca200941b473400e5ee1308@example.com>",
        "date": date,
        "in_reply_to": "<original@example.org>" if replying else None,
        "references": ["<a@example.org>", "<original@example.org>"] if replying else [],
    }
    built = build_email(Rendered(subject, text, html), **arguments)  # type: ignore[arg-type]
    written = email_bytes(subject=subject, text=text, html=html, **arguments)  # type: ignore[arg-type]
    assert same_boundaries(written) == same_boundaries(built.as_bytes(policy=SMTP))


@pytest.mark.parametrize("address", ["not an address", "a@b@c", "<a@b>"])
def test_a_malformed_address_is_refused_as_the_email_package_refuses_it(address: str) -> None:
    arguments = {
        "sender_name": "Bench",
        "sender": "mentoring@example.com",
        "to": [("Ana", address)],
        "reply_to": "mentoring@example.com",
        "message_id": "<a@b>",
        "date": WHEN[0],
    }
    with pytest.raises(Exception) as before:
        build_email(Rendered("s", "t", "h"), **arguments)  # type: ignore[arg-type]
    with pytest.raises(Exception) as now:
        email_bytes(subject="s", text="t", html="h", **arguments)  # type: ignore[arg-type]
    assert (type(now.value), str(now.value)) == (type(before.value), str(before.value))


def test_a_naive_date_is_refused() -> None:
    with pytest.raises(ValueError, match="time-zone aware"):
        email_bytes(
            sender_name="Bench",
            sender="mentoring@example.com",
            to=[("Ana", "ana@example.com")],
            reply_to="mentoring@example.com",
            subject="s",
            text="t",
            html="h",
            message_id="<a@b>",
            date=datetime(2026, 12, 1, 9),
        )


BOOKING = Booking(
    key="p7k2m9q4-1-0",
    uid="p7k2m9q4-1-0@example.com",
    sequence=0,
    summary="Bench: Ana & Bo (conversation 1)",
    description="Conversation 1 of your pairing in Bench.\nTo pause, reply with one word.",
    start=datetime(2027, 1, 12, 15, tzinfo=UTC),
    end=datetime(2027, 1, 12, 15, 30, tzinfo=UTC),
    timezone="America/New_York",
    organizer=Attendee("mentoring@example.com", "Bench"),
    attendees=(Attendee("ana@example.com", "Ana"), Attendee("bo@example.com", "Bo")),
    stamp=datetime(2026, 12, 1, 9, tzinfo=UTC),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    attendees=st.lists(names, min_size=1, max_size=3),
    method=st.sampled_from(["REQUEST", "CANCEL"]),
    text=bodies,
    html=st.one_of(st.none(), bodies),
    sender_name=names,
    join_url=st.sampled_from([None, "https://meet.example.com/pc-7k2m"]),
    zone=st.sampled_from(["America/New_York", "Europe/Berlin", "Asia/Singapore", "UTC"]),
)
def test_an_invitation_is_the_email_packages_bytes(
    attendees: list[str],
    method: str,
    text: str,
    html: str | None,
    sender_name: str,
    join_url: str | None,
    zone: str,
) -> None:
    people = tuple(Attendee(f"peer{n}@example.com", name) for n, name in enumerate(attendees))
    booking = dataclasses.replace(BOOKING, attendees=people, timezone=zone)
    arguments = {
        "method": method,
        "message_id": "<tandem.63101c0dfa48e6905ae70859@example.com>",
        "subject": f"Cancelled: {booking.summary}" if method == "CANCEL" else booking.summary,
        "text": text,
        "html": html,
        "sender_name": sender_name,
        "date": booking.stamp,
        "join_url": join_url,
    }
    built = invitation_mail(booking, **arguments)  # type: ignore[arg-type]
    written = invitation_bytes(booking, **arguments)  # type: ignore[arg-type]
    assert same_boundaries(written) == same_boundaries(built.as_bytes(policy=SMTP))


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(
        [
            "America/New_York",
            "Europe/Berlin",
            "Asia/Singapore",
            "Asia/Kolkata",
            "Australia/Lord_Howe",
            "America/Sao_Paulo",
            "Etc/GMT+5",
            "UTC",
        ]
    ),
    days=st.integers(min_value=-4000, max_value=4000),
    minutes=st.integers(min_value=0, max_value=24 * 60),
    method=st.sampled_from(["REQUEST", "CANCEL"]),
)
def test_the_time_zone_of_an_invitation_is_the_one_icalendar_adds(
    zone: str, days: int, minutes: int, method: str
) -> None:
    start = BOOKING.start + timedelta(days=days, minutes=minutes)
    booking = dataclasses.replace(
        BOOKING, timezone=zone, start=start, end=start + timedelta(hours=1)
    )
    first, last = start.date() - timedelta(days=366), start.date() + timedelta(days=366)
    expected = event_calendar(booking, method, BOOKING.stamp or start, None)
    expected.add_missing_timezones(first_date=first, last_date=last)
    made = with_timezones(
        event_calendar(booking, method, BOOKING.stamp or start, None), first, last
    )
    assert made == expected.to_ical()


@pytest.mark.parametrize(
    "text",
    ["--B\n", "--B\r\n", "x\n--B--\ny", "--B", "a--B\n", "\n--B--", "--Bx\n", "--B--\r\n", ""],
)
def test_a_boundary_is_changed_when_the_generator_would_change_it(text: str) -> None:
    generator_would = re.search("^--" + re.escape("B") + "(--)?$", text, re.MULTILINE)
    assert _is_a_line(text, "B") == bool(generator_would)


@pytest.mark.parametrize("value", ["<a@b>\nBcc: x@evil.example", "<a@b>\r\nX: 1", "a\u2028b"])
def test_a_header_with_a_line_break_is_refused_as_the_email_package_refuses_it(
    value: str,
) -> None:
    message = EmailMessage(policy=policy.default)
    with pytest.raises(ValueError) as before:
        message["Message-ID"] = value
    with pytest.raises(ValueError) as now:
        header("Message-ID", value)
    assert str(now.value) == str(before.value)
