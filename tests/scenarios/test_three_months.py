"""Three months of a 20-person company in three time zones (issue 9): every booked meeting is
inside both peers' hours, each calendar holds one event per meeting, book_ahead is never
exceeded, two declines in a row move the meeting and then reach the owner, a pause by reply
takes its dates off and comes back by itself."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from scheduler.store.models import Meeting
from tests.integration.world import World
from tests.scenarios.calendars import replay

ZONES = {"ny": "America/New_York", "ldn": "Europe/London", "del": "Asia/Kolkata"}
PEOPLE = [
    # email name, title, department, level, manager, zone
    ("ceo", "Ada Brook", "Chief Executive", "Exec", 9, "", "ny"),
    ("vp1", "Ben Cole", "VP Engineering", "Eng", 7, "ceo", "ldn"),
    ("vp2", "Cara Dunn", "VP Sales", "Sales", 7, "ceo", "ny"),
    ("m1", "Dev Rao", "Manager", "Eng", 5, "vp1", "del"),
    ("m2", "Eli Ford", "Manager", "Eng", 5, "vp1", "ldn"),
    ("m3", "Fay Gill", "Manager", "Sales", 5, "vp2", "ny"),
    ("m4", "Gus Hale", "Manager", "Sales", 5, "vp2", "ldn"),
    ("e1", "Hari Iyer", "Engineer", "Eng", 3, "m1", "del"),
    ("e2", "Isha Jain", "Engineer", "Eng", 3, "m1", "del"),
    ("e3", "Jon Kerr", "Engineer", "Eng", 3, "m2", "ldn"),
    ("e4", "Kim Lowe", "Engineer", "Eng", 3, "m2", "ldn"),
    ("e5", "Lia Moss", "Engineer", "Eng", 4, "m1", "del"),
    ("e6", "Max Nash", "Engineer", "Eng", 4, "m2", "ldn"),
    ("s1", "Nia Ortiz", "Account Exec", "Sales", 3, "m3", "ny"),
    ("s2", "Oli Park", "Account Exec", "Sales", 3, "m3", "ny"),
    ("s3", "Pia Quinn", "Account Exec", "Sales", 3, "m4", "ldn"),
    ("s4", "Raj Sethi", "Account Exec", "Sales", 4, "m4", "ldn"),
    ("s5", "Sue Tran", "Account Exec", "Sales", 4, "m3", "ny"),
    ("s6", "Tom Udall", "Account Exec", "Sales", 4, "m4", "ny"),
    ("s7", "Uma Vance", "Account Exec", "Sales", 3, "m1", "del"),
]
DOMAIN = "triad.example"
START = datetime(2027, 1, 4, 8, tzinfo=UTC)  # a Monday, a week before the program starts
HOURS = (time(9), time(17))
DAYS = range(4)  # Mon-Thu


def people_csv(_: str) -> str:
    lines = ["email,name,title,department,level,manager_email,timezone"]
    for key, name, title, dept, level, boss, zone in PEOPLE:
        manager = f"{boss}@{DOMAIN}" if boss else ""
        lines.append(f"{key}@{DOMAIN},{name},{title},{dept},{level},{manager},{ZONES[zone]}")
    return "\n".join(lines) + "\n"


def program(text: str) -> str:
    text = text.replace("mentoring@northwind-loom.example", f"mentoring@{DOMAIN}")
    text = text.replace("people-team@northwind-loom.example", f"people@{DOMAIN}")
    return text.replace("  exclude: {emails: [ana.ferreira@northwind-loom.example]}\n", "")


@pytest.fixture
def world(tmp_path: Path, store_url: str) -> World:
    return World(tmp_path / "triad", store_url, edit_people=people_csv, edit_program=program)


def inside_hours(start: datetime, end: datetime, zone: str) -> bool:
    local_start, local_end = start.astimezone(ZoneInfo(zone)), end.astimezone(ZoneInfo(zone))
    return (
        local_start.date() == local_end.date()
        and local_start.weekday() in DAYS
        and HOURS[0] <= local_start.time()
        and local_end.time() <= HOURS[1]
    )


def check_invariants(world: World, now: datetime) -> None:
    zones = {f"{p[0]}@{DOMAIN}": ZONES[p[6]] for p in PEOPLE}
    book_ahead = world.rt.program.meetings.book_ahead
    for pair in world.pairs():
        peers = world.peers(pair.id)
        live = [
            m for m in world.meetings(pair.id)
            if m.state in ("planned", "booked", "moved") and m.starts_at and m.starts_at > now
        ]  # fmt: skip
        assert len(live) <= book_ahead, f"{pair.id}: {len(live)} booked ahead at {now}"
        for meeting in world.meetings(pair.id):
            if meeting.state in ("booked", "held") and meeting.starts_at and meeting.ends_at:
                for email in peers:
                    assert inside_hours(meeting.starts_at, meeting.ends_at, zones[email]), (
                        f"{pair.id} meeting {meeting.number} outside {email}'s hours"
                    )
    calendars = replay(world.sent("invite") + world.sent("cancel"))
    numbers = _numbers_by_uid(world)
    for email, events in calendars.items():
        per_meeting = Counter(numbers[uid] for uid in events)
        assert all(n == 1 for n in per_meeting.values()), f"{email}: {per_meeting}"


def _numbers_by_uid(world: World) -> dict[str, tuple[str, int]]:
    found = {}
    for pair in world.pairs():
        for meeting in world.meetings(pair.id):
            found[meeting.uid] = (pair.id, meeting.number)
    return found


def next_booked(world: World, pair_id: str, now: datetime) -> Meeting:
    return next(
        m for m in world.meetings(pair_id)
        if m.state == "booked" and m.starts_at is not None and m.starts_at > now
    )  # fmt: skip


def test_three_months_of_a_three_zone_company(world: World) -> None:
    now = START
    world.cycle(now)
    pairs = world.pairs()
    assert len(pairs) >= 7
    zones = {f"{p[0]}@{DOMAIN}": ZONES[p[6]] for p in PEOPLE}
    for pair in pairs:
        assert {zones[e] for e in world.peers(pair.id)} != {ZONES["ny"], ZONES["del"]}
    declining, pausing = pairs[0].id, pairs[1].id
    a, b = world.peers(declining)[:2]
    first_declined_at: datetime | None = None
    for day in range(0, 91, 1):
        now = START + timedelta(days=day)
        if day == 10:
            # two declines in a row: the first moves the meeting as the same event
            meeting = next_booked(world, declining, now)
            world.decline(meeting, a)
            world.cycle(now)
            moved = next_booked(world, declining, now)
            assert (moved.number, moved.uid) == (meeting.number, meeting.uid)
            assert moved.sequence == meeting.sequence + 1 and moved.starts_at != meeting.starts_at
            assert len(world.sent("nudge", declining)) == 1
            first_declined_at = now
        elif day == 12:
            meeting = next_booked(world, declining, now)
            world.decline(meeting, b)
            world.cycle(now)
            assert world.pair(declining).on_owner_list
            assert len(world.sent("nudge", declining)) == 1, "the owner takes it from here"
        elif day == 20:
            world.reply(pausing, world.peers(pausing)[0], "Let's pause for 3 weeks please")
            world.cycle(now)
            assert world.pair(pausing).state == "paused"
        else:
            world.cycle(now)
        check_invariants(world, now)
    assert first_declined_at is not None
    assert world.pair(pausing).state == "active", "the pause ended by itself"
    assert world.sent("resumed", pausing)
    held = [m for p in world.pairs() for m in world.meetings(p.id) if m.state == "held"]
    assert len(held) >= 30


def test_a_late_answer_to_a_moved_meeting_changes_nothing(world: World) -> None:
    world.cycle(START)
    pair = world.pairs()[0]
    a, b = world.peers(pair.id)[:2]
    meeting = next_booked(world, pair.id, START)
    world.decline(meeting, a)
    world.cycle(START + timedelta(hours=1))
    moved = next_booked(world, pair.id, START)
    world.decline(meeting, b)  # b answers the old time, after the move
    world.cycle(START + timedelta(hours=2))
    assert next_booked(world, pair.id, START).id == moved.id
    assert world.pair(pair.id).skips_in_row == 1


def test_a_pair_whose_calendars_never_meet_is_at_risk_and_told_once(world: World) -> None:
    world.cycle(START)
    pair = world.pairs()[0]
    a = world.peers(pair.id)[0]
    world.busy_all_day(a, date(2027, 1, 1), date(2027, 6, 1))
    # Given a pair whose next meetings find no time
    for meeting in world.meetings(pair.id):
        world.decline(meeting, a)
    for day in range(1, 20):
        world.cycle(START + timedelta(days=day))
    # Then it is at risk with the reason, and got one note, not one per day or per meeting
    assert world.pair(pair.id).booking_problem is not None
    notes = world.sent("no_time", pair.id)
    assert len(notes) == 1
    assert "reschedule" in notes[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    status = world.status()
    names = " and ".join(world.person_name(e) for e in world.peers(pair.id))
    assert f"  {names}: " in status and "no time could be booked (no common free" in status
    digest = world.sent("owner_digest")[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    digest = digest.replace("\r\n", "\n")
    assert f"  - {names}\n    " in digest
    assert "no time could be booked (no common free" in digest


def test_a_pair_that_cannot_be_booked_books_the_time_it_proposes(world: World) -> None:
    # Given a pair for whom no time can be found, told so once
    world.cycle(START)
    pair = world.pairs()[0]
    a = world.peers(pair.id)[0]
    world.busy_all_day(a, date(2027, 1, 1), date(2027, 6, 1))
    for meeting in world.meetings(pair.id):
        world.decline(meeting, a)
    world.cycle(START + timedelta(days=1))
    assert world.pair(pair.id).booking_problem is not None
    # When a peer replies with a day and time of their own
    world.reply(pair.id, a, "How about Thursday 10:30?")
    now = START + timedelta(days=2)  # Wednesday 6 January 2027
    world.cycle(now)
    # Then it is booked at that time in their zone, the pair is no longer at risk, and told
    zone = ZoneInfo(ZONES[next(p[6] for p in PEOPLE if f"{p[0]}@{DOMAIN}" == a)])
    booked = next_booked(world, pair.id, now)
    assert booked.starts_at is not None
    local = booked.starts_at.astimezone(zone)
    assert (local.date(), local.time()) == (date(2027, 1, 7), time(10, 30))
    assert world.pair(pair.id).booking_problem is None
    (note,) = world.sent("confirmation", pair.id)
    assert "booked at the time you proposed" in note.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_a_booked_meeting_moves_to_the_time_a_peer_proposes_as_the_same_event(
    world: World,
) -> None:
    world.cycle(START)
    pair = world.pairs()[1]
    a = world.peers(pair.id)[0]
    before = next_booked(world, pair.id, START)
    world.reply(pair.id, a, "Could we do Tuesday 15:00 instead?")
    world.cycle(START + timedelta(hours=2))
    after = next_booked(world, pair.id, START)
    assert (after.id, after.uid, after.sequence) == (before.id, before.uid, before.sequence + 1)
    assert after.starts_at != before.starts_at
    check_invariants_calendar_only(world)


def check_invariants_calendar_only(world: World) -> None:
    calendars = replay(world.sent("invite") + world.sent("cancel"))
    numbers = _numbers_by_uid(world)
    for email, events in calendars.items():
        per_meeting = Counter(numbers[uid] for uid in events)
        assert all(n == 1 for n in per_meeting.values()), f"{email}: {per_meeting}"
