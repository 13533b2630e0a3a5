"""Meetings on Google Calendar: one event per booking key whatever the retries, moves and
cancels on the same event, Google's own invitations, and changes read through sync tokens."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from integrations.google.auth import GoogleAccess
from integrations.google.busy import GoogleBusy
from integrations.google.calendar import GoogleCalendar, event_id_for
from scheduler.ports import (
    Attendee,
    Booking,
    Cancellation,
    ChangeBatch,
    CursorExpired,
    FactKind,
    MeetingFact,
)
from tests.fakes.google import GoogleFake
from tests.integrations.google.conftest import MAILBOX

ANA, BO = "ana@example.com", "bo@example.com"
START = datetime(2030, 1, 8, 15, tzinfo=UTC)


@pytest.fixture
def calendar(fake: GoogleFake, access: GoogleAccess) -> GoogleCalendar:
    fake.add_user(ANA, name="Ana Lima")
    fake.add_user(BO, name="Bo Chen")
    return GoogleCalendar(access, MAILBOX, GoogleBusy(access, MAILBOX))


def booking(key: str = "pair1-1-0", *, sequence: int = 0, start: datetime = START,
            event_id: str | None = None, video: str = "none") -> Booking:  # fmt: skip
    return Booking(
        key=key,
        uid=f"{key}@tandem.example",
        sequence=sequence,
        summary="Mentoring: Ana & Bo (conversation 1)",
        description="Conversation 1.",
        start=start,
        end=start + timedelta(minutes=30),
        timezone="Europe/Berlin",
        organizer=Attendee(MAILBOX, "Peer Mentoring"),
        attendees=(Attendee(ANA, "Ana Lima"), Attendee(BO, "Bo Chen")),
        video=video,
        event_id=event_id,
    )


def read_all(calendar: GoogleCalendar, cursor: str | None) -> tuple[list[MeetingFact], str | None]:
    facts: list[MeetingFact] = []
    while True:
        batch: ChangeBatch = calendar.changes(cursor)
        facts += batch.facts
        cursor = batch.cursor
        if not batch.more:
            return facts, cursor


def test_event_ids_are_base32hex_and_fixed_by_the_key() -> None:
    first = event_id_for("pair1-1-0")
    assert first == event_id_for("pair1-1-0") != event_id_for("pair1-1-1")
    assert set(first) <= set("0123456789abcdefghijklmnopqrstuv") and 5 <= len(first) <= 1024
    assert event_id_for("pair1-1-0", 1) != first


def test_a_booking_is_one_event_on_the_mailbox_with_both_peers_invited(
    fake: GoogleFake, calendar: GoogleCalendar
) -> None:
    (made,) = calendar.book([booking(video="meet")])
    assert made.error is None and made.event_id == event_id_for("pair1-1-0")
    assert made.join_url and made.join_url.startswith("https://meet.google.com/")
    event = fake.event(MAILBOX, made.event_id)
    assert [a["email"] for a in event["attendees"]] == [ANA, BO]
    assert {(n.recipient, n.kind) for n in fake.notifications} == {
        (ANA, "invitation"),
        (BO, "invitation"),
    }, "sendUpdates=all: Google invites both peers"


def test_a_retry_gets_409_and_no_second_event(fake: GoogleFake, calendar: GoogleCalendar) -> None:
    (first,) = calendar.book([booking()])
    (again,) = GoogleCalendar(calendar.access, MAILBOX, calendar.times).book([booking()])
    assert again.error is None and again.event_id == first.event_id
    assert fake.requests["calendar.events.insert"] == 2
    assert fake.requests["calendar.events.get"] == 1, "the 409 is looked at, once"
    assert fake.requests["calendar.events.patch"] == 0, "the event already shows the booking"
    assert len(fake.state.calendars[MAILBOX].entries) == 1


def test_a_deleted_events_id_is_not_reused(fake: GoogleFake, calendar: GoogleCalendar) -> None:
    (first,) = calendar.book([booking()])
    calendar.cancel([Cancellation(booking(event_id=first.event_id), "ended")])
    (again,) = calendar.book([booking()])
    assert again.error is None and again.event_id == event_id_for("pair1-1-0", 1)
    assert fake.event(MAILBOX, again.event_id)["status"] == "confirmed"


def test_a_move_patches_the_same_event_and_google_sends_the_update(
    fake: GoogleFake, calendar: GoogleCalendar
) -> None:
    (made,) = calendar.book([booking()])
    later = START + timedelta(days=1)
    (moved,) = calendar.book([booking(sequence=1, start=later, event_id=made.event_id)])
    assert moved.event_id == made.event_id
    event = fake.event(MAILBOX, made.event_id)
    assert datetime.fromisoformat(event["start"]["dateTime"]) == later
    assert fake.requests["calendar.events.patch"] == 1
    assert (ANA, "update") in {(n.recipient, n.kind) for n in fake.notifications}


def test_a_trio_that_becomes_a_pair_drops_the_third_with_a_cancellation(
    fake: GoogleFake, calendar: GoogleCalendar
) -> None:
    fake.add_user("cy@example.com")
    trio = replace(booking(), attendees=(*booking().attendees, Attendee("cy@example.com", "Cy")))
    (made,) = calendar.book([trio])
    calendar.book([booking(sequence=1, event_id=made.event_id)])
    assert [a["email"] for a in fake.event(MAILBOX, made.event_id)["attendees"]] == [ANA, BO]
    assert ("cy@example.com", "cancellation") in {(n.recipient, n.kind) for n in fake.notifications}


def test_cancelling_deletes_with_updates_and_twice_is_harmless(
    fake: GoogleFake, calendar: GoogleCalendar
) -> None:
    (made,) = calendar.book([booking()])
    gone = Cancellation(booking(event_id=made.event_id), "ended")
    assert [c.error for c in calendar.cancel([gone]) + calendar.cancel([gone])] == [None, None]
    assert fake.event(MAILBOX, made.event_id)["status"] == "cancelled"
    assert (BO, "cancellation") in {(n.recipient, n.kind) for n in fake.notifications}


def test_inserts_go_in_batches_and_a_rate_limited_part_is_retried_alone(
    fake: GoogleFake, calendar: GoogleCalendar
) -> None:
    bookings = [booking(f"pair{n}-1-0", start=START + timedelta(hours=n)) for n in range(60)]
    fake.fault("calendar.events.insert", "403-userRateLimitExceeded", times=3, in_batch=True)
    results = calendar.book(bookings)
    assert all(r.error is None for r in results)
    assert len({r.event_id for r in results}) == 60
    assert fake.requests["calendar.events.insert"] == 63
    assert fake.requests["batch"] == 3  # 50 and 10, then the 3 refused parts on their own


def test_declines_moves_and_cancellations_come_from_the_sync_once(
    fake: GoogleFake, calendar: GoogleCalendar
) -> None:
    made = calendar.book(
        [booking("pair1-1-0"), booking("pair2-1-0", start=START + timedelta(hours=2))]
    )
    first, second = made[0].event_id, made[1].event_id
    facts, cursor = read_all(calendar, None)
    assert [f.kind for f in facts] == []
    fake.respond(MAILBOX, first, BO, "declined")
    later = START + timedelta(days=2)
    fake.move_event(MAILBOX, second, later, later + timedelta(minutes=30))
    facts, cursor = read_all(calendar, cursor)
    assert {(f.kind, f.by, f.event_id, f.uid) for f in facts} == {
        (FactKind.DECLINED, BO, first, "pair1-1-0@tandem.example"),
        (FactKind.MOVED, None, second, "pair2-1-0@tandem.example"),
    }
    moved = next(f for f in facts if f.kind is FactKind.MOVED)
    assert moved.moved_to is not None and moved.moved_to.start == later
    fake.cancel_event(MAILBOX, first)
    facts, _ = read_all(calendar, cursor)
    assert [(f.kind, f.event_id) for f in facts] == [(FactKind.CANCELLED, first)]


def test_an_expired_sync_token_is_cursor_expired_and_the_full_read_keeps_the_keys(
    fake: GoogleFake, calendar: GoogleCalendar
) -> None:
    (made,) = calendar.book([booking()])
    _, cursor = read_all(calendar, None)
    fake.respond(MAILBOX, made.event_id, ANA, "declined")
    seen, cursor = read_all(calendar, cursor)
    fake.expire_sync_tokens()
    with pytest.raises(CursorExpired):
        calendar.changes(cursor)
    again, _ = read_all(calendar, None)
    assert [f.key for f in again if f.kind is FactKind.DECLINED] == [
        f.key for f in seen if f.kind is FactKind.DECLINED
    ], "the same fact, the same key: the core records it once"


def test_other_events_on_the_mailbox_are_not_tandems(
    fake: GoogleFake, calendar: GoogleCalendar
) -> None:
    fake.add_event(MAILBOX, START, START + timedelta(hours=1), attendees=[ANA])
    facts, _ = read_all(calendar, None)
    assert facts == []


def test_organizer_peer_books_on_the_first_peers_calendar(
    fake: GoogleFake, access: GoogleAccess
) -> None:
    fake.add_user(ANA)
    fake.add_user(BO)
    calendar = GoogleCalendar(access, MAILBOX, GoogleBusy(access, MAILBOX), organizer_peer=True)
    (made,) = calendar.book([booking()])
    event = fake.event(ANA, made.event_id)
    assert event["organizer"]["email"] == ANA
    assert {a["email"] for a in event["attendees"]} == {ANA, BO, MAILBOX}
    fake.respond(ANA, made.event_id, BO, "declined")
    facts, _ = read_all(calendar, None)
    assert [(f.kind, f.by) for f in facts] == [(FactKind.DECLINED, BO)], (
        "seen on the mailbox's copy"
    )


def test_a_cancel_without_the_event_id_finds_the_keys_live_event(
    fake: GoogleFake, calendar: GoogleCalendar
) -> None:
    (first,) = calendar.book([booking()])
    calendar.cancel([Cancellation(booking(event_id=first.event_id), "ended")])
    (again,) = calendar.book([booking()])
    (done,) = calendar.cancel([Cancellation(booking(), "ended")])  # the id was never stored
    assert done.error is None
    assert fake.event(MAILBOX, again.event_id)["status"] == "cancelled"
