"""The Calendar contract: what the core relies on from every calendar, tested on each
provider of tests/contracts/conftest.py (issue 8, item 8)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from scheduler.ports import Attendee, Booking, Calendar, Cancellation, FactKind, MeetingFact
from tests.contracts.harnesses.base import Harness

ANA, BO = "ana@contract.example", "bo@contract.example"
START = datetime(2027, 3, 2, 15, tzinfo=UTC)


def booking(key: str = "p1-1-0", *, sequence: int = 0, start: datetime = START,
            event_id: str | None = None) -> Booking:  # fmt: skip
    return Booking(
        key=key,
        uid=f"{key}@contract.example",
        sequence=sequence,
        summary="Contract: Ana & Bo (conversation 1)",
        description="Conversation 1.",
        start=start,
        end=start + timedelta(minutes=30),
        timezone="Europe/Berlin",
        organizer=Attendee("mentoring@contract.example", "Contract"),
        attendees=(Attendee(ANA, "Ana"), Attendee(BO, "Bo")),
        pair_id="p1",
        event_id=event_id,
        stamp=datetime(2027, 2, 1, 9, tzinfo=UTC),
    )


def all_facts(calendar: Calendar, cursor: str | None) -> tuple[list[MeetingFact], str | None]:
    facts: list[MeetingFact] = []
    while True:
        batch = calendar.changes(cursor)
        facts += batch.facts
        cursor = batch.cursor
        if not batch.more:
            return facts, cursor


def test_booking_a_key_twice_gives_one_event(provider: Harness) -> None:
    with provider.calendar() as harness:
        first = harness.calendar.book([booking()])
        again = harness.calendar.book([booking()])
        assert first[0].error is None and again[0].error is None
        assert first[0].event_id == again[0].event_id
        assert list(harness.events_on(ANA)) == [booking().uid]
        assert list(harness.events_on(BO)) == [booking().uid]


def test_a_higher_sequence_moves_the_same_event(provider: Harness) -> None:
    with provider.calendar() as harness:
        (made,) = harness.calendar.book([booking()])
        later = START + timedelta(days=1)
        moved = booking(sequence=1, start=later, event_id=made.event_id)
        (again,) = harness.calendar.book([moved])
        assert again.event_id == made.event_id
        assert harness.events_on(ANA) == {moved.uid: (later, later + timedelta(minutes=30))}


def test_an_attendee_removed_from_an_event_loses_it_and_the_others_keep_it(
    provider: Harness,
) -> None:
    """A third who leaves a trio: the next version of each event names the two who stay, and
    takes the event off the calendar of the one who left (issue 10, item 2)."""
    mei = "mei@contract.example"
    with provider.calendar() as harness:
        three = replace(booking(), attendees=(*booking().attendees, Attendee(mei, "Mei")))
        (made,) = harness.calendar.book([three])
        assert list(harness.events_on(mei)) == [three.uid]
        two = replace(booking(sequence=1, event_id=made.event_id), removed=(Attendee(mei, "Mei"),))
        (again,) = harness.calendar.book([two])
        assert again.error is None and again.event_id == made.event_id
        assert harness.events_on(mei) == {}
        assert list(harness.events_on(ANA)) == [three.uid]
        assert list(harness.events_on(BO)) == [three.uid]


def test_cancelling_twice_is_harmless_and_takes_the_event_off(provider: Harness) -> None:
    with provider.calendar() as harness:
        (made,) = harness.calendar.book([booking()])
        gone = booking(sequence=1, event_id=made.event_id)
        first = harness.calendar.cancel([Cancellation(gone, "ended")])
        again = harness.calendar.cancel([Cancellation(gone, "ended")])
        assert [c.error for c in first + again] == [None, None]
        assert harness.events_on(ANA) == {} and harness.events_on(BO) == {}


def test_a_decline_appears_exactly_once_from_the_changes(provider: Harness) -> None:
    with provider.calendar() as harness:
        calendar = harness.calendar
        (made,) = calendar.book([booking()])
        _, cursor = all_facts(calendar, None)
        harness.decline(booking(), made.event_id, ANA)
        facts, cursor = all_facts(calendar, cursor)
        declines = [f for f in facts if f.kind is FactKind.DECLINED]
        assert [(f.by, f.uid or f.event_id) for f in declines] in (
            [(ANA, booking().uid)],
            [(ANA, made.event_id)],
        )
        later, _ = all_facts(calendar, cursor)
        assert not [f for f in later if f.kind is FactKind.DECLINED], "reported once"


def test_an_expired_cursor_is_said_so_and_a_full_read_loses_no_fact(provider: Harness) -> None:
    with provider.calendar() as harness:
        calendar = harness.calendar
        (made,) = calendar.book([booking()])
        _, cursor = all_facts(calendar, None)
        harness.decline(booking(), made.event_id, ANA)
        if not harness.can_expire:  # the cursor stays good: read from it, the fact is there
            facts, _ = all_facts(calendar, cursor)
        else:
            harness.expire()
            try:
                calendar.changes(cursor)
            except Exception as error:
                from scheduler.ports import CursorExpired

                assert isinstance(error, CursorExpired), repr(error)
            else:
                raise AssertionError("an expired cursor must raise CursorExpired")
            facts, _ = all_facts(calendar, None)
        keys = [f.key for f in facts if f.kind is FactKind.DECLINED]
        assert len(keys) == 1 and keys[0], "the decline, once, with a key stable across reads"


def test_a_failed_booking_comes_back_alone_and_the_rest_are_booked(provider: Harness) -> None:
    with provider.calendar() as harness:
        good, bad = booking("p1-1-0"), booking("p2-1-0", start=START + timedelta(hours=2))
        if harness.can_fail:
            harness.fail(bad)
        results = harness.calendar.book([good, bad])
        assert [r.key for r in results] == [good.key, bad.key], "one result per booking, in order"
        assert results[0].error is None
        if harness.can_fail:
            assert results[1].error is not None and results[1].error.permanent
            assert list(harness.events_on(ANA)) == [good.uid]
        else:
            assert results[1].error is None
            assert sorted(harness.events_on(ANA)) == sorted([good.uid, bad.uid])


def test_busy_times_are_given_for_everyone_asked(provider: Harness) -> None:
    with provider.calendar() as harness:
        window = START - timedelta(days=1), START + timedelta(days=1)
        from scheduler.core.model import Interval

        found = harness.calendar.busy([ANA, "nobody@contract.example"], Interval(*window))
        assert set(found) == {ANA, "nobody@contract.example"}
        assert found["nobody@contract.example"] == []
