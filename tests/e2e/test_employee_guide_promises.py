"""Every promise of docs/employee-guide.md has a test: these are the promises no other test
held to, each driven through whole cycles of a program on the local provider and both stores.
Each test's name states the promise, and its docstring quotes the guide."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from scheduler.render.local_time import meeting_time
from scheduler.store.models import Outbox
from scheduler.store.models import Person as PersonRow
from tests.integration.world import World
from tests.scenarios.test_people_come_and_go import (
    DAY,
    START,
    active,
    email,
    make_world,
    people,
    person_reply,
    program,
    run_days,
    text_of,
)

LAUNCH = datetime(2026, 12, 1, 9, tzinfo=UTC)  # the demo program's pairs are made
AFTER_START = START + 7 * DAY  # the Monday the program starts


@pytest.fixture
def demo(tmp_path: Path, store_url: str) -> World:
    """The demo company paired, its first two meetings booked and invitations sent."""
    world = World(tmp_path / "demo", store_url)
    world.cycle(LAUNCH)
    return world


def first_pair(world: World) -> tuple[str, str, str]:
    pair = world.pairs()[0]
    a, b = world.peers(pair.id)
    return pair.id, a, b


def mail_to(world: World, address: str, *, since: datetime | None = None) -> list[str]:
    """The kinds of the emails queued for `address` (from `since` on), in order."""
    with world.rt.store.session() as s:
        query = select(Outbox).order_by(Outbox.id)
        if since is not None:
            query = query.where(Outbox.created_at >= since)
        return [row.kind for row in s.scalars(query) if address in row.recipients]


def words_listed(message: EmailMessage) -> bool:
    """Whether an email lists the reply words (pause, resume, skip, end, help...)."""
    text = text_of(message)
    return all(word in text for word in ("pause", "skip", "help"))


# Before you are paired: the invitation


def test_help_to_the_invitation_gets_the_list_of_words(tmp_path: Path, store_url: str) -> None:
    """employee-guide.md:18: "`help` | the list of words" (a reply to the invitation)."""
    world = make_world(tmp_path, store_url, people("a", "b", "c"), program(consent="opt_out"))
    now = run_days(world, START + 2 * DAY, 1)  # the invitations go out
    person_reply(world, "a", "help")
    run_days(world, now, 1)
    (answer,) = world.sent("consent_reply")
    text = text_of(answer)
    assert "join" in text and "no thanks" in text and "leave the program" in text
    with world.rt.store.session() as s:
        assert s.get_one(PersonRow, email("a")).consent == "invited"  # nothing changed


def test_help_to_the_invitation_is_not_answered_as_a_reply_not_understood(
    tmp_path: Path, store_url: str
) -> None:
    """employee-guide.md:18: "`help` | the list of words": help is one of the words, so its
    answer must not say it was not understood."""
    world = make_world(tmp_path, store_url, people("a", "b", "c"), program(consent="opt_out"))
    now = run_days(world, START + 2 * DAY, 1)
    person_reply(world, "a", "help")
    run_days(world, now, 1)
    (answer,) = world.sent("consent_reply")
    assert "not one of the words" not in text_of(answer)


def test_no_thanks_with_a_reason_after_it_keeps_a_person_out(
    tmp_path: Path, store_url: str
) -> None:
    """employee-guide.md:16: "`no thanks` | you are not paired, and nobody needs a reason; if
    you give one, put it after the words ("No thanks, too busy")"."""
    world = make_world(
        tmp_path, store_url, people("a", "b", "c", "d", "e"), program(consent="opt_out")
    )
    now = run_days(world, START + 2 * DAY, 1)
    person_reply(world, "c", "No thanks, I am on leave from March")
    run_days(world, now, 10)  # past the start: the others are paired
    assert email("c") not in {e for p in active(world) for e in p}
    (answer,) = world.sent("consent_reply")
    assert "will not be paired" in text_of(answer)


def test_join_to_the_invitation_gets_a_short_answer(tmp_path: Path, store_url: str) -> None:
    """employee-guide.md:21: "You get a short answer to each of these replies" (here "join",
    where the program asks people to join)."""
    world = make_world(tmp_path, store_url, people("a", "b", "c"), program(consent="opt_in"))
    now = run_days(world, START + 2 * DAY, 1)
    person_reply(world, "a", "join")
    run_days(world, now, 1)
    (answer,) = world.sent("consent_reply")
    assert [a.addr_spec for a in answer["To"].addresses] == [email("a")]
    assert "Thank you for joining" in text_of(answer)


def test_an_answer_to_an_invitation_from_another_address_does_not_count(
    tmp_path: Path, store_url: str
) -> None:
    """employee-guide.md:22: "Only replies from your own address count." """
    world = make_world(tmp_path, store_url, people("a", "b", "c", "d"), program(consent="opt_out"))
    now = run_days(world, START + 2 * DAY, 1)
    address = world.sent("invitation")[0]["Reply-To"]
    invited = str(world.sent("invitation")[0]["To"].addresses[0].addr_spec)
    world.reply("", "mallory@elsewhere.example", "no thanks", to=str(address))
    run_days(world, now, 10)  # past the start: everyone is paired
    assert invited in {e for p in active(world) for e in p}
    assert world.sent("consent_reply") == []
    assert world.inbound()[-1].outcome == "rejected"


def test_leave_the_program_to_the_invitation_means_no_pair_and_no_more_emails(
    tmp_path: Path, store_url: str
) -> None:
    """employee-guide.md:17: "`leave the program` | you are taken out of the program: no pair,
    no more emails"."""
    world = make_world(
        tmp_path, store_url, people("a", "b", "c", "d", "e"), program(consent="opt_out")
    )
    now = run_days(world, START + 2 * DAY, 1)
    person_reply(world, "c", "leave the program")
    now = run_days(world, now, 1)
    assert mail_to(world, email("c")) == ["invitation", "consent_reply"]
    answered = now
    run_days(world, now, 40)  # weeks of pairs, meetings and notes for everyone else
    assert email("c") not in {e for p in active(world) for e in p}
    assert len(active(world)) == 2
    assert mail_to(world, email("c"), since=answered) == []


# The emails you will receive


def test_the_gentle_note_shows_the_time_it_was_booked_for_and_the_new_time(demo: World) -> None:
    """employee-guide.md:32: "A gentle note if a meeting did not go ahead, with the time it was
    booked for and a new time already found." """
    pair_id, a, _ = first_pair(demo)
    first = demo.meetings(pair_id)[0]
    demo.decline(first, a)
    demo.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    (nudge,) = demo.sent("nudge", pair_id)
    rebooked = next(m for m in demo.meetings(pair_id) if m.number == 1 and m.attempt == 1)
    assert rebooked.state == "booked" and rebooked.starts_at is not None
    assert first.starts_at is not None and rebooked.starts_at != first.starts_at
    text = text_of(nudge)
    with demo.rt.store.session() as s:
        zone = s.get_one(PersonRow, a).timezone
    was, _, found = text.partition("It was booked for:")[2].partition("another time")
    assert meeting_time(first.starts_at, zone, "en-US") in was
    assert meeting_time(rebooked.starts_at, zone, "en-US") in found


def test_never_more_than_one_gentle_note_a_week(tmp_path: Path, store_url: str) -> None:
    """employee-guide.md:33: "Never more than one a week" (of the gentle notes)."""

    def patient_owner(text: str) -> str:  # the owner hears late: every skip could be nudged
        return text.replace("tell_owner_after_skips: 2", "tell_owner_after_skips: 9")

    world = World(tmp_path / "demo", store_url, edit_program=patient_owner)
    world.cycle(LAUNCH)
    pair_id, a, b = first_pair(world)
    world.decline(world.meetings(pair_id)[0], a)
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    assert len(world.sent("nudge", pair_id)) == 1
    rebooked = next(m for m in world.meetings(pair_id) if m.number == 1 and m.attempt == 1)
    world.decline(rebooked, b)  # a second skip two days later
    world.cycle(datetime(2027, 1, 7, 12, tzinfo=UTC))
    assert world.pair(pair_id).skips_in_row == 2
    assert len(world.sent("nudge", pair_id)) == 1, "a second note within the week"


def test_the_closing_email_says_how_many_conversations_were_held(
    tmp_path: Path, store_url: str
) -> None:
    """employee-guide.md:34: "A closing email when the program ends: thanks, how many
    conversations you held, and that you are welcome to keep meeting on your own." """
    world = make_world(tmp_path, store_url, people("a", "b"), program(end="2027-02-28"))
    run_days(world, AFTER_START, 50)  # to 1 March, the day after the end
    (pair,) = world.pairs()
    held = [m for m in world.meetings(pair.id) if m.state == "held"]
    assert len(held) >= 2
    (closing,) = world.sent("closing")
    text = text_of(closing)
    assert f"Thank you for the time you gave each other: {len(held)} conversations." in text
    assert "welcome to keep meeting on your own" in text


# Steering your pair by replying


def test_help_to_a_pair_email_gets_the_list_of_words_and_changes_nothing(demo: World) -> None:
    """employee-guide.md:88: "`help` | you get the list of words"."""
    pair_id, a, _ = first_pair(demo)
    before = [(m.number, m.state, m.starts_at) for m in demo.meetings(pair_id)]
    demo.reply(pair_id, a, "help")
    demo.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    (answer,) = demo.sent("help", pair_id)
    assert [x.addr_spec for x in answer["To"].addresses] == [a]
    assert words_listed(answer)
    assert "not one of the words" not in text_of(answer)
    assert demo.pair(pair_id).state == "active"
    assert [(m.number, m.state, m.starts_at) for m in demo.meetings(pair_id)] == before


def test_an_open_pause_never_ends_by_itself_and_resume_books_the_next_meetings_from_now(
    demo: World,
) -> None:
    """employee-guide.md:103: "`pause` (or "for now", "for a while") | never by itself: reply
    `resume` when you are ready"; and :82: "`resume` | the next meetings are booked from
    now"."""
    pair_id, a, b = first_pair(demo)
    demo.reply(pair_id, a, "pause for now")
    demo.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    assert demo.pair(pair_id).paused_until is None
    for day in range(0, 90, 10):
        demo.cycle(datetime(2027, 1, 6, 12, tzinfo=UTC) + timedelta(days=day))
        assert demo.pair(pair_id).state == "paused"
    assert not [m for m in demo.meetings(pair_id) if m.state == "booked"]
    resumed_on = datetime(2027, 4, 6, 12, tzinfo=UTC)
    demo.reply(pair_id, b, "resume")
    demo.cycle(resumed_on)
    assert demo.pair(pair_id).state == "active"
    booked = [m for m in demo.meetings(pair_id) if m.state == "booked"]
    assert len(booked) == 2  # book_ahead
    assert all(m.starts_at is not None and m.starts_at > resumed_on for m in booked)
    assert booked[0].starts_at is not None
    assert booked[0].starts_at < resumed_on + timedelta(days=21)
    assert len(demo.sent("resumed", pair_id)) == 1


def test_end_pairs_each_peer_with_someone_new_at_the_next_pairing(
    tmp_path: Path, store_url: str
) -> None:
    """employee-guide.md:86: "`end` | all future meetings are cancelled, you both get a short
    closing note, and the owner is told; you are each paired with someone new at the next
    pairing"."""
    world = make_world(tmp_path, store_url, people("a", "b", "c", "d"), program(odd="wait"))
    now = run_days(world, AFTER_START, 2)
    first, second = active(world)
    for pair in (first, second):
        pair_id = next(p.id for p in world.pairs() if pair[0] in world.peers(p.id))
        world.reply(pair_id, pair[0], "end")
    now = run_days(world, now, 1)
    (ended,) = {len(world.sent("ended", p.id)) for p in world.pairs() if p.state == "ended"}
    assert ended == 1 and len(world.sent("owner_note")) == 2
    run_days(world, now, 8)  # the next round
    again = active(world)
    assert len(again) == 2
    assert first not in again and second not in again


def test_leave_the_program_tells_the_peer_kindly_without_the_reason_and_sends_the_leaver_no_more(
    tmp_path: Path, store_url: str
) -> None:
    """employee-guide.md:87: "`leave the program` | you leave the program altogether: your
    future meetings are cancelled, your peer gets a kind note without a reason, and you get no
    more emails"."""
    world = make_world(tmp_path, store_url, people("a", "b", "c", "d"), program(odd="wait"))
    now = run_days(world, AFTER_START, 2)
    leaver, peer = active(world)[0]
    pair_id = next(p.id for p in world.pairs() if leaver in world.peers(p.id))
    world.reply(pair_id, leaver, "Leave the program - my secret new job starts soon")
    now = run_days(world, now, 1)
    assert all(m.state != "booked" for m in world.meetings(pair_id))
    (note,) = world.sent("ended", pair_id)
    assert [x.addr_spec for x in note["To"].addresses] == [peer]
    text = text_of(note)
    assert "no longer taking part" in text and "secret" not in text.lower()
    left_on = now
    run_days(world, now, 30)
    assert mail_to(world, leaver, since=left_on) == []
    assert "secret" not in str(world.sent("owner_digest")).lower()


def test_a_time_refused_beside_reschedule_gets_the_words_back_quoting_the_line_and_moves_nothing(
    demo: World,
) -> None:
    """employee-guide.md:158: "These are refused, and you get the list of words back with your
    line quoted; nothing changes (beside `reschedule`, as in "reschedule to 16:00", the
    reschedule does not happen either)"."""
    pair_id, a, _ = first_pair(demo)
    before = [(m.number, m.sequence, m.starts_at) for m in demo.meetings(pair_id)]
    demo.reply(pair_id, a, "reschedule to 16:00")
    demo.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    (answer,) = demo.sent("help", pair_id)
    assert "reschedule to 16:00" in text_of(answer)
    assert words_listed(answer)
    assert [(m.number, m.sequence, m.starts_at) for m in demo.meetings(pair_id)] == before
    assert demo.sent("confirmation", pair_id) == []
