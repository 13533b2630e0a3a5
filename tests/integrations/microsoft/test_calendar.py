"""Meetings through Graph: idempotent by transactionId, $batch with throttled items retried
alone, one failure kept to its booking, moves and cancels by event id, and the calendar's
delta with its expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from integrations.microsoft.calendar import GraphCalendar, transaction_id
from integrations.microsoft.graph import Graph
from scheduler.ports import Attendee, Booking, Cancellation, CursorExpired, FactKind
from tests.contracts.harnesses.microsoft import graph_for, running_fake
from tests.fakes.graph import FakeGraph
from tests.integrations.microsoft.conftest import MAILBOX

START = datetime(2027, 3, 2, 15, tzinfo=UTC)
PEOPLE = ("ana@contract.example", "bo@contract.example")


def booking(number: int = 1, *, video: str = "teams", **changes: object) -> Booking:
    values: dict[str, object] = {
        "key": f"p{number}-1-0",
        "uid": f"p{number}-1@contract.example",
        "sequence": 0,
        "summary": f"Pair {number}",
        "description": "Conversation 1.",
        "start": START + timedelta(hours=number),
        "end": START + timedelta(hours=number, minutes=30),
        "timezone": "Europe/Berlin",
        "organizer": Attendee(MAILBOX, "Contract"),
        "attendees": tuple(Attendee(p, p.split("@")[0].title()) for p in PEOPLE),
        "video": video,
    }
    values.update(changes)
    return Booking(**values)  # type: ignore[arg-type]


def organizer_events(fake: FakeGraph) -> list[dict[str, object]]:
    return fake.events(MAILBOX)


@pytest.fixture
def calendar(fake: FakeGraph, graph: Graph) -> GraphCalendar:
    for person in PEOPLE:
        fake.add_user(person)
    return GraphCalendar(graph, MAILBOX)


def test_booking_twice_or_after_a_lost_answer_makes_one_event(
    fake: FakeGraph, calendar: GraphCalendar
) -> None:
    (first,) = calendar.book([booking()])
    (again,) = calendar.book([booking()])
    assert first.event_id == again.event_id and first.error is None
    assert first.join_url and first.join_url.startswith("https://teams.microsoft.com/")
    events = organizer_events(fake)
    assert len(events) == 1
    assert events[0]["transactionId"] == transaction_id(MAILBOX, "p1-1-0")
    assert [a["emailAddress"]["address"] for a in events[0]["attendees"]] == list(PEOPLE)
    assert len([n for n in fake.notifications if n.kind == "request"]) == 2, "invited once"


def test_a_transaction_id_used_by_another_body_finds_that_event() -> None:
    with running_fake(duplicate_transaction="error") as fake:
        for person in PEOPLE:
            fake.add_user(person)
        calendar = GraphCalendar(graph_for(fake, sleep=lambda s: None), MAILBOX)
        (first,) = calendar.book([booking()])
        (again,) = calendar.book([booking(description="Conversation 1, written again.")])
        assert again.error is None and again.event_id == first.event_id
        assert len(organizer_events(fake)) == 1
        assert organizer_events(fake)[0]["body"]["content"] == "Conversation 1, written again."
        refused = [reason for _, reason in fake.rejected]
        assert all(r.startswith("ErrorDuplicateTransactionId") for r in refused), refused
        fake.rejected.clear()  # the duplicate create is refused by design; nothing else


def test_a_throttling_storm_in_batch_ends_as_a_clean_run(
    fake: FakeGraph, calendar: GraphCalendar
) -> None:
    fake.fault("events.create", 429, times=6, retry_after=1, in_batch=True)
    fake.fault("events.create", 503, times=2, in_batch=False)
    results = calendar.book([booking(n) for n in range(1, 10)])
    assert [r.error for r in results] == [None] * 9
    events = organizer_events(fake)
    assert len(events) == 9 and len({e["transactionId"] for e in events}) == 9
    assert fake.requests["batch"] == 1


def test_one_refused_booking_fails_alone(fake: FakeGraph, calendar: GraphCalendar) -> None:
    fake.fault("events.create", 400, times=1, in_batch=True, code="ErrorPropertyValidationFailure",
               message="At least one property failed validation.")  # fmt: skip
    bad, good = calendar.book([booking(1), booking(2)])
    assert (
        bad.error is not None
        and bad.error.permanent
        and "ErrorPropertyValidation" in str(bad.error)
    )
    assert good.error is None and len(organizer_events(fake)) == 1


def test_moves_patch_the_same_event_and_cancels_are_harmless_twice(
    fake: FakeGraph, calendar: GraphCalendar
) -> None:
    (made,) = calendar.book([booking(video="none")])
    later = START + timedelta(days=1)
    moved = booking(sequence=1, start=later, end=later + timedelta(minutes=30),
                    event_id=made.event_id, attendees=(Attendee(PEOPLE[0], "Ana"),))  # fmt: skip
    (again,) = calendar.book([moved])
    assert again.event_id == made.event_id
    (event,) = organizer_events(fake)
    assert [a["emailAddress"]["address"] for a in event["attendees"]] == [PEOPLE[0]]
    assert [n.recipient for n in fake.notifications if n.kind == "cancel"] == [PEOPLE[1]]
    gone = Cancellation(moved, "ended")
    assert [c.error for c in calendar.cancel([gone]) + calendar.cancel([gone])] == [None, None]
    assert organizer_events(fake) == []


def test_changes_report_declines_once_and_survive_an_expired_link(
    fake: FakeGraph, calendar: GraphCalendar
) -> None:
    (made,) = calendar.book([booking()])
    first = calendar.changes(None)
    cursor = first.cursor
    while True:
        batch = calendar.changes(cursor)
        cursor = batch.cursor
        if not batch.more:
            break
    fake.respond(MAILBOX, made.event_id, PEOPLE[1], "declined")
    batch = calendar.changes(cursor)
    declines = [f for f in batch.facts if f.kind is FactKind.DECLINED]
    assert [(f.by, f.event_id) for f in declines] == [(PEOPLE[1], made.event_id)]
    fake.expire_delta()
    with pytest.raises(CursorExpired):
        calendar.changes(batch.cursor)
    full = calendar.changes(None)
    again = [f for f in full.facts if f.kind is FactKind.DECLINED]
    assert [f.key for f in again] == [declines[0].key], "the same key: applied once"
    calendar.cancel([Cancellation(booking(event_id=made.event_id), "ended")])
    after = calendar.changes(full.cursor)
    assert [f.kind for f in after.facts] == [FactKind.CANCELLED]


def test_errors_name_the_endpoint_and_code_but_no_address(fake: FakeGraph, graph: Graph) -> None:
    calendar = GraphCalendar(graph, "nobody@contract.example")
    (failed,) = calendar.book([booking()])
    assert failed.error is not None and failed.error.permanent
    text = str(failed.error)
    assert "ErrorInvalidUser" in text and "/users/{id}/calendar/events" in text
    assert "@" not in text.replace("<address>", "")
