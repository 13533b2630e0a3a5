"""The owner's weekly digest on both stores: it goes out once, on the digest day of the
program's zone; it counts pairs and meetings rightly; it names drifting pairs and waiting
people; its chart travels inline; and nothing a peer wrote ever reaches it."""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.ports import Providers
from scheduler.program.load import parse_program
from scheduler.render.kits import Kits
from scheduler.runtime import Runtime
from scheduler.steps.digest import (
    DigestStats,
    Tally,
    chart_png,
    digest_stats,
    meetings_per_week,
    send_owner_digest,
)
from scheduler.store.engine import Store
from scheduler.store.models import (
    Inbound,
    Meeting,
    MeetingState,
    Outbox,
    Pair,
    PairMember,
    PairState,
    Person,
    Round,
)

PROGRAM = """\
program:
  name: Peer Circles
  owner: maya.lindqvist@example.com
  timezone: Europe/Berlin
  start: 2027-01-11
provider:
  kind: local
  mailbox: mentoring@example.com
  people: org.csv
participants:
  consent: none
followup:
  digest_day: Wed
"""
# Wednesday 10 February 2027, 08:00 in Berlin; the period is the seven days before it.
NOW = datetime(2027, 2, 10, 7, tzinfo=UTC)
SINCE = NOW - timedelta(days=7)


class NoProviders:
    """Stands in for the providers: the digest only writes to the outbox, so any use fails."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the digest touched providers.{name}")


@pytest.fixture
def rt(store: Store, tmp_path: Path) -> Runtime:
    program = parse_program(PROGRAM, "program.yaml", tmp_path)
    return Runtime(program, store, cast(Providers, NoProviders()), Kits(None), b"digest-secret")


@pytest.fixture
def running(rt: Runtime) -> Runtime:
    """A program four weeks in: pairs in every state, meetings held and skipped, people waiting."""
    with rt.store.session() as s:
        for name in NAMES:
            s.add(person(name))
        s.add(person("Otto Kranz", removed=True))
        s.add_all(
            [
                Round(id=1, opened_at=at(2027, 1, 11), seed=1, waiting=[waiting("Eva Roth")]),
                Round(
                    id=2,
                    opened_at=at(2027, 1, 18),
                    seed=2,
                    waiting=[
                        waiting("Sam Osei", "no peer at a similar level yet"),
                        waiting("Lea Brandt"),  # paired by hand since
                        waiting("Otto Kranz"),  # left the company since
                    ],
                ),
            ]
        )
        s.flush()
        pair(s, "p1", "Ana Ferreira", "Jonas Weber", on_owner_list=True)
        pair(s, "p2", "Chen Liu", "Priya Nair", state="paused", on_owner_list=True)
        pair(s, "p3", "Mia Holm", "Noah Sand", ended=at(2027, 2, 5), on_owner_list=True)
        pair(s, "p4", "Lea Brandt", "Tom Berg")
        pair(s, "p5", "Eva Roth", "Finn Lund", ended=at(2027, 1, 20))
        for pair_id, when, state in MEETINGS:
            meeting(s, pair_id, when, state)
        s.add(
            Inbound(
                dedup_key="<reply-1@example.com>",
                provider_id="1",
                received_at=at(2027, 2, 8),
                sender="ana.ferreira@example.com",
                subject="SECRET WORDS",
                pair_id="p1",
                command="skip",
                outcome="acted",
                detail="SECRET WORDS",
            )
        )
    return rt


NAMES = (
    "Maya Lindqvist",
    "Ana Ferreira",
    "Jonas Weber",
    "Chen Liu",
    "Priya Nair",
    "Mia Holm",
    "Noah Sand",
    "Lea Brandt",
    "Tom Berg",
    "Eva Roth",
    "Finn Lund",
    "Sam Osei",
)
MEETINGS: tuple[tuple[str, datetime, MeetingState], ...] = (
    ("p1", datetime(2027, 1, 20, 14, tzinfo=UTC), "held"),
    ("p2", datetime(2027, 1, 27, 14, tzinfo=UTC), "skipped"),
    ("p4", datetime(2027, 1, 27, 15, tzinfo=UTC), "held"),
    ("p4", datetime(2027, 2, 3, 6, tzinfo=UTC), "held"),  # an hour before the period
    ("p1", datetime(2027, 2, 4, 14, tzinfo=UTC), "held"),
    ("p2", datetime(2027, 2, 5, 14, tzinfo=UTC), "cancelled"),
    ("p1", datetime(2027, 2, 7, 23, 30, tzinfo=UTC), "held"),  # Monday 8 February in Berlin
    ("p4", datetime(2027, 2, 8, 14, tzinfo=UTC), "held"),
    ("p1", datetime(2027, 2, 9, 14, tzinfo=UTC), "skipped"),
    ("p4", datetime(2027, 2, 11, 14, tzinfo=UTC), "booked"),
    ("p4", datetime(2027, 2, 12, 14, tzinfo=UTC), "skipped"),  # skipped ahead of time
)


def test_the_digest_goes_out_on_the_digest_day_in_the_programs_zone(running: Runtime) -> None:
    for day in (8, 9, 11, 14):
        assert send_owner_digest(running, datetime(2027, 2, day, 9, tzinfo=UTC)).done == []
    assert outbox(running) == []

    # Tuesday 22:30 in UTC is already Wednesday in Berlin
    report = send_owner_digest(running, datetime(2027, 2, 9, 23, 30, tzinfo=UTC))
    assert report.done == ["owner's digest for 2027-W06"]
    (row,) = outbox(running)
    assert (row.key, row.kind, row.pair_id) == ("digest:2027-W06", "owner_digest", None)
    assert row.recipients == ["maya.lindqvist@example.com"]
    mail = parsed(row)
    assert str(mail["To"]) == "Maya Lindqvist <maya.lindqvist@example.com>"
    assert str(mail["From"]) == "Peer Circles <mentoring@example.com>"
    assert str(mail["Reply-To"]) == "mentoring@example.com"
    assert b"\r\n" in row.raw and b"\n" not in row.raw.replace(b"\r\n", b"")
    assert text_of(mail).startswith("Hi Maya,")


def test_twice_in_one_week_gives_one_digest_and_the_next_week_another(running: Runtime) -> None:
    send_owner_digest(running, NOW)
    assert send_owner_digest(running, NOW + timedelta(hours=9)).done == []
    assert [row.key for row in outbox(running)] == ["digest:2027-W06"]

    send_owner_digest(running, NOW + timedelta(weeks=1))
    assert [row.key for row in outbox(running)] == ["digest:2027-W06", "digest:2027-W07"]


def test_there_is_no_digest_before_the_first_pairs(rt: Runtime) -> None:
    with rt.store.session() as s:
        s.add_all([person("Sam Osei"), person("Maya Lindqvist")])
        s.add(Round(opened_at=at(2027, 2, 1), seed=1, waiting=[waiting("Sam Osei")]))
    assert send_owner_digest(rt, NOW).done == []
    assert outbox(rt) == []


def test_pairs_and_meetings_are_counted_for_the_period_and_since_the_start(
    running: Runtime,
) -> None:
    with running.store.session() as s:
        stats = digest_stats(s, now=NOW, since=SINCE)
    assert stats == DigestStats(
        active_pairs=2,
        paused_pairs=1,
        period=Tally(ended_pairs=1, meetings_held=3, meetings_missed=1),
        since_start=Tally(ended_pairs=2, meetings_held=6, meetings_missed=2),
    )

    send_owner_digest(running, NOW)
    text = text_of(parsed(outbox(running)[0]))
    for line in ("Meeting: 2", "Paused: 1", "Ended since the last digest: 1"):
        assert line in text
    assert "Held: 3" in text and "Missed: 1" in text


def test_meetings_are_counted_by_the_week_they_fell_in_in_the_programs_zone(
    running: Runtime,
) -> None:
    with running.store.session() as s:
        weeks = meetings_per_week(s, now=NOW.astimezone(running.zone), weeks=4)
    assert weeks == [
        (date(2027, 1, 18), 1, 0),
        (date(2027, 1, 25), 1, 1),
        (date(2027, 2, 1), 2, 0),
        (date(2027, 2, 8), 2, 1),
    ]


def test_drifting_pairs_are_named_and_ended_ones_left_out(running: Runtime) -> None:
    send_owner_digest(running, NOW)
    text = text_of(parsed(outbox(running)[0]))
    assert "  - Ana Ferreira and Jonas Weber\n" in text
    assert "  - Chen Liu and Priya Nair\n" in text
    drifting = text.partition("could not be booked")[2].partition("People waiting")[0]
    assert "Mia Holm" not in drifting


def test_people_still_waiting_for_a_peer_are_listed_with_the_reason(running: Runtime) -> None:
    send_owner_digest(running, NOW)
    mail = parsed(outbox(running)[0])
    text, html = text_of(mail), html_of(mail)
    assert "  - Sam Osei: no peer at a similar level yet\n" in text
    assert "<li>Sam Osei: no peer at a similar level yet</li>" in html
    waiting_part = text.partition("People waiting for a peer")[2]
    for gone in ("Lea Brandt", "Otto Kranz"):  # paired since; left the company
        assert gone not in waiting_part
    # her pair ended after the last round: she waits too, and is not forgotten (issue 10)
    assert "  - Eva Roth: free since the last round: paired at the next cycle\n" in waiting_part


def test_the_chart_is_an_inline_png_that_the_html_shows(running: Runtime) -> None:
    send_owner_digest(running, NOW)
    mail = parsed(outbox(running)[0])
    related = next(p for p in mail.walk() if p.get_content_type() == "multipart/related")
    image = next(p for p in related.iter_parts() if p.get_content_type() == "image/png")
    png = image.get_content()
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG\r\n\x1a\n")
    cid = str(image["Content-ID"]).strip("<>")
    assert f'<img src="cid:{cid}"' in html_of(mail)


def test_the_chart_is_small_and_the_same_weeks_give_the_same_bytes() -> None:
    weeks = [(date(2027, 1, 4) + timedelta(weeks=n), n % 4, n % 3) for n in range(12)]
    png = chart_png(weeks)
    assert struct.unpack(">II", png[16:24]) == (600, 250)
    assert chart_png(weeks) == png
    assert chart_png([(date(2027, 1, 4), 0, 0)]).startswith(b"\x89PNG")


def test_nothing_a_peer_wrote_reaches_the_digest(running: Runtime) -> None:
    send_owner_digest(running, NOW)
    row = outbox(running)[0]
    mail = parsed(row)
    assert "SECRET WORDS" not in text_of(mail) + html_of(mail) + str(mail["Subject"])
    assert b"SECRET WORDS" not in row.raw


def test_an_owner_outside_the_directory_and_without_owner_name_is_greeted_neutrally(
    running: Runtime,
) -> None:
    # an address is no name: "Hi maya.lindqvist," (or "Hi people-team,") read badly
    with running.store.session() as s:
        s.delete(s.get_one(Person, "maya.lindqvist@example.com"))
    send_owner_digest(running, NOW)
    mail = parsed(outbox(running)[0])
    assert str(mail["To"]) == "maya.lindqvist@example.com"
    assert text_of(mail).startswith("Hello,\n")
    assert "<p>Hello,</p>" in html_of(mail)


def test_program_owner_name_names_the_owner_whatever_the_directory_says(
    store: Store, tmp_path: Path
) -> None:
    text = PROGRAM.replace(
        "  owner: maya.lindqvist@example.com\n",
        ("  owner: people-team@example.com\n  owner_name: Maya Lindqvist\n"),
    )
    program = parse_program(text, "program.yaml", tmp_path)
    rt = Runtime(program, store, cast(Providers, NoProviders()), Kits(None), b"digest-secret")
    with rt.store.session() as s:
        s.add_all([person("Ana Ferreira"), person("Jonas Weber")])
        s.add(Round(id=2, opened_at=at(2027, 1, 18), seed=2, waiting=[]))
        s.flush()
        pair(s, "p1", "Ana Ferreira", "Jonas Weber")
    send_owner_digest(rt, NOW)
    mail = parsed(outbox(rt)[0])
    assert str(mail["To"]) == "Maya Lindqvist <people-team@example.com>"
    assert text_of(mail).startswith("Hi Maya,\n")
    assert "Hi people" not in text_of(mail)


# building the program's rows
def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 9, tzinfo=UTC)


def email_of(name: str) -> str:
    return name.lower().replace(" ", ".") + "@example.com"


def person(name: str, *, removed: bool = False) -> Person:
    first = at(2027, 1, 4)
    return Person(
        email=email_of(name),
        name=name,
        level=3,
        first_seen=first,
        last_seen=first,
        removed_at=at(2027, 2, 1) if removed else None,
    )


def waiting(name: str, reason: str = "an odd number of people") -> dict[str, str]:
    return {"email": email_of(name), "reason": reason}


def pair(
    s: Session,
    pair_id: str,
    *names: str,
    state: PairState = "active",
    ended: datetime | None = None,
    on_owner_list: bool = False,
) -> None:
    s.add(
        Pair(
            id=pair_id,
            round_id=2,
            start_date=date(2027, 1, 18),
            state="ended" if ended else state,
            ended_at=ended,
            on_owner_list=on_owner_list,
            created_at=at(2027, 1, 18),
        )
    )
    s.flush()
    s.add_all(
        PairMember(pair_id=pair_id, email=email_of(n), position=i) for i, n in enumerate(names)
    )


def meeting(s: Session, pair_id: str, starts_at: datetime, state: MeetingState) -> None:
    key = f"{pair_id}-{starts_at:%m%d%H%M}-0"
    s.add(
        Meeting(
            pair_id=pair_id,
            number=int(f"{starts_at:%m%d%H%M}"),
            phase=0,
            target_date=starts_at.date(),
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=30),
            uid=f"{key}@example.com",
            booking_key=key,
            state=state,
            updated_at=starts_at,
        )
    )


# reading what was written
def outbox(rt: Runtime) -> list[Outbox]:
    with rt.store.session() as s:
        rows = list(s.scalars(select(Outbox).order_by(Outbox.id)))
        s.expunge_all()
    return rows


def parsed(row: Outbox) -> EmailMessage:
    return message_from_bytes(row.raw, policy=policy.default)


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def html_of(mail: EmailMessage) -> str:
    part = mail.get_body(("html",))
    assert part is not None
    return str(part.get_content())
