"""Keeping pairs alive (issue 4), as whole scenarios on the local provider and both stores:
skipped meetings earn one nudge then the owner's attention; peers pause, resume and end by
replying; spoofed, automatic, repeated and outside replies act on nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.integration.world import World

LAUNCH = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path, store_url: str) -> World:
    # Given the demo company paired, with its first two meetings booked and invitations sent
    world = World(tmp_path / "demo", store_url)
    world.cycle(LAUNCH)
    return world


def first_pair(world: World) -> tuple[str, str, str]:
    pair = world.pairs()[0]
    a, b = world.peers(pair.id)
    return pair.id, a, b


def test_a_pair_that_declines_twice_gets_one_nudge_then_reaches_the_owner(world: World) -> None:
    pair_id, a, b = first_pair(world)
    first = world.meetings(pair_id)[0]
    world.decline(first, a)
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    assert len(world.sent("nudge", pair_id)) == 1
    rebooked = [m for m in world.meetings(pair_id) if m.number == 1 and m.attempt == 1]
    assert rebooked and rebooked[0].state == "booked", (
        "the nudge comes with a new slot already booked"
    )
    assert not world.pair(pair_id).on_owner_list

    world.decline(rebooked[0], b)
    world.cycle(datetime(2027, 1, 6, 12, tzinfo=UTC))
    assert len(world.sent("nudge", pair_id)) == 1, (
        "never a second nudge: the owner takes it from here"
    )
    assert world.pair(pair_id).on_owner_list
    assert world.pair(pair_id).skips_in_row == 2


def test_a_meeting_whose_time_passed_with_no_decline_counts_as_held(world: World) -> None:
    pair_id, _, _ = first_pair(world)
    world.cycle(datetime(2027, 1, 20, 12, tzinfo=UTC))
    states = {m.number: m.state for m in world.meetings(pair_id)}
    assert states[1] == "held"
    assert states[3] == "booked", "booking keeps two meetings ahead"
    assert world.sent("nudge") == []


def test_pause_by_email_cancels_on_both_calendars_and_resumes_by_itself(world: World) -> None:
    pair_id, a, _ = first_pair(world)
    world.reply(pair_id, a, "Let's pause for 3 weeks please, busy quarter end.")
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))

    pair = world.pair(pair_id)
    assert (pair.state, pair.paused_until) == ("paused", date(2027, 1, 26))
    zone = world.rt.zone
    inside = [
        m
        for m in world.meetings(pair_id)
        if m.starts_at and m.starts_at.astimezone(zone).date() < date(2027, 1, 26)
    ]
    assert inside and {m.state for m in inside} == {"cancelled"}
    cancels = world.sent("cancel", pair_id)
    assert len(cancels) == len(inside)
    for cancel in cancels:
        calendar = next(p for p in cancel.walk() if p.get_content_type() == "text/calendar")
        assert b"METHOD:CANCEL" in calendar.get_payload(decode=True)
    assert len(world.sent("paused", pair_id)) == 1

    world.cycle(datetime(2027, 1, 27, 12, tzinfo=UTC))
    assert world.pair(pair_id).state == "active"
    booked = [m.number for m in world.meetings(pair_id) if m.state == "booked"]
    assert booked[-2:] == [3, 4], "the next meetings are booked again, in the same rhythm"
    resumed = world.sent("resumed", pair_id)
    assert len(resumed) == 1
    body = resumed[0].get_body(("plain",))
    assert body is not None and "February" in body.get_content()


def test_an_end_by_the_other_peer_cancels_everything_thanks_both_and_tells_the_owner(
    world: World,
) -> None:
    pair_id, _, b = first_pair(world)
    world.reply(pair_id, b, "end")
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    assert world.pair(pair_id).state == "ended"
    assert {m.state for m in world.meetings(pair_id)} == {"cancelled"}
    ended = world.sent("ended", pair_id)
    assert len(ended) == 1 and len(ended[0].get_all("To") or []) == 1
    assert "Thank you" in ended[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    owner = world.sent("owner_note", pair_id)
    assert [str(m["To"]) for m in owner] == [world.rt.program.program.owner]


def test_a_spoofed_from_acts_on_nothing(world: World) -> None:
    pair_id, _, _ = first_pair(world)
    world.reply(pair_id, "mallory@evil.example", "end")
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    assert world.pair(pair_id).state == "active"
    assert world.inbound()[-1].outcome == "rejected"


def test_a_failed_dmarc_check_from_our_own_gateway_acts_on_nothing(world: World) -> None:
    pair_id, a, _ = first_pair(world)
    domain = world.rt.program.provider.mailbox.rpartition("@")[2]
    results = f"{domain}; dmarc=fail header.from={a.rpartition('@')[2]}; dkim=fail"
    world.reply(pair_id, a, "end", headers={"Authentication-Results": results})
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    assert world.pair(pair_id).state == "active"
    assert world.inbound()[-1].outcome == "rejected"


def test_an_out_of_office_reply_never_acts_and_never_gets_an_answer(world: World) -> None:
    pair_id, a, _ = first_pair(world)
    world.reply(
        pair_id,
        a,
        "I am out of the office until Monday. To end your request, call me.",
        subject="Automatic reply: your peer-mentoring pairing",
        headers={"Auto-Submitted": "auto-replied"},
    )
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    assert world.pair(pair_id).state == "active"
    assert world.sent("help") == []
    assert world.inbound()[-1].outcome == "ignored"


def test_the_same_reply_delivered_twice_acts_once(world: World) -> None:
    pair_id, a, _ = first_pair(world)
    message = world.reply(pair_id, a, "skip")
    world.deliver(message)  # the same message again, as a retrying server delivers it
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    world.cycle(datetime(2027, 1, 5, 13, tzinfo=UTC))
    assert len(world.sent("confirmation", pair_id)) == 1
    assert [m.state for m in world.meetings(pair_id)].count("cancelled") == 1


def test_a_reply_without_message_id_delivered_twice_acts_once(world: World) -> None:
    # issue 13, defect 6: the log fell back to the mailbox's own id, new for each copy
    pair_id, a, _ = first_pair(world)
    message = world.reply(pair_id, a, "skip", deliver=False)
    del message["Message-ID"]
    world.deliver(message)
    message["Received"] = "from relay2.example by mx.northwind-loom.example; Mon, 4 Jan 2027"
    world.deliver(message)  # a second copy, by another route
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    world.cycle(datetime(2027, 1, 5, 13, tzinfo=UTC))
    assert len(world.sent("confirmation", pair_id)) == 1
    assert [m.state for m in world.meetings(pair_id)].count("cancelled") == 1


def test_a_reply_in_a_forwarded_thread_from_outside_the_pair_acts_on_nothing(world: World) -> None:
    pair_id, _, _ = first_pair(world)
    kit = world.sent("launch_kit", pair_id)[0]
    world.reply(
        pair_id,
        "colleague@northwind-loom.example",
        "pause",
        to=world.rt.program.provider.mailbox,
        headers={"In-Reply-To": str(kit["Message-ID"])},
    )
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    assert world.pair(pair_id).state == "active"
    assert world.inbound()[-1].outcome == "rejected"


def test_a_reply_in_the_thread_from_a_member_acts_without_the_reply_address(world: World) -> None:
    pair_id, a, _ = first_pair(world)
    kit = world.sent("launch_kit", pair_id)[0]
    world.reply(
        pair_id,
        a,
        "pause",
        to=world.rt.program.provider.mailbox,
        headers={"In-Reply-To": str(kit["Message-ID"])},
    )
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    assert world.pair(pair_id).state == "paused"


def test_a_reply_with_no_command_gets_one_help_answer_a_day(world: World) -> None:
    pair_id, a, _ = first_pair(world)
    # two questions (a thank-you gets no answer at all since issue 9 item 7, see below)
    world.reply(pair_id, a, "How does this work?")
    world.reply(pair_id, a, "What do I do now?")
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    answers = world.sent("help", pair_id)
    assert len(answers) == 1
    assert [str(m["To"]).rpartition("<")[2].rstrip(">") for m in answers] == [a]
    assert world.pair(pair_id).state == "active"


def test_a_thank_you_gets_no_email_back_and_is_logged_as_ignored(world: World) -> None:
    pair_id, a, b = first_pair(world)
    world.reply(pair_id, a, "Thanks, looking forward to it!")
    world.reply(pair_id, b, "Danke, freue mich!")
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    assert world.sent("help") == []
    logged = world.inbound()[-2:]
    assert [(row.outcome, row.pair_id) for row in logged] == [("ignored", pair_id)] * 2
    assert all(
        row.detail.endswith("neither a question nor a command, so no answer") for row in logged
    )
    assert world.pair(pair_id).state == "active"


def test_a_pause_with_a_length_and_a_return_date_ends_on_the_return_date(world: World) -> None:
    pair_id, a, _ = first_pair(world)
    world.reply(pair_id, a, "Sorry, I need to pause for 2 weeks - back on Feb 8")
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))

    pair = world.pair(pair_id)
    assert (pair.state, pair.paused_until) == ("paused", date(2027, 2, 8))
    states = {m.number: m.state for m in world.meetings(pair_id)}
    assert states[2] == "cancelled", "meeting 2 (25 January) is after 2 weeks but before 8 Feb"
    assert "the day you are back wins over 'for 2 weeks'" in world.inbound()[-1].detail
    paused = world.sent("paused", pair_id)
    assert len(paused) == 1
    body = paused[0].get_body(("plain",))
    assert body is not None and "paused your conversations until Monday, February 8" in (
        body.get_content()
    )

    world.cycle(datetime(2027, 2, 8, 12, tzinfo=UTC))
    assert world.pair(pair_id).state == "active", "back on the day they said"


def test_parse_reply_reads_a_decline_as_run_does_and_names_its_pair(world: World) -> None:
    from scheduler.bootstrap import calendar_facts
    from scheduler.steps.inbound import explain

    pair_id, a, _ = first_pair(world)
    first = world.meetings(pair_id)[0]
    # the note of a decline says "skip": it must not act as a command, here nor in `run`
    decline = world.decline(first, a, note="Travelling - let's skip this one", deliver=False)
    shown = explain(decline, world.rt, date(2027, 1, 5), calendar_facts)
    assert (shown["command"], shown["pair"], shown["help"]) == (None, pair_id, False)
    assert shown["calendar"] == [{"uid": first.uid, "kind": "declined", "by": a}]

    world.deliver(decline)
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    assert world.meetings(pair_id)[0].state == "skipped", "the fact was taken, as shown"
    assert world.sent("confirmation", pair_id) == [] and world.sent("help") == []
    # the calendar reads it (issue 8: the calendar's own cursor); the mailbox only logs it
    assert (world.inbound()[-1].outcome, world.inbound()[-1].detail) == (
        "ignored",
        "a calendar message (text/calendar; method=REPLY), read for calendar replies only",
    )


def test_parse_reply_shows_a_members_proposed_time_and_nothing_for_an_outsider(
    world: World,
) -> None:
    from scheduler.bootstrap import calendar_facts
    from scheduler.steps.inbound import explain

    pair_id, a, _ = first_pair(world)
    asked = world.reply(pair_id, a, "How about Thursday 10:30?", deliver=False)
    shown = explain(asked, world.rt, date(2027, 1, 5), calendar_facts)
    assert (shown["command"], shown["pair"], shown["proposal"]) == (
        "reschedule",
        pair_id,
        {"day": "2027-01-07", "time": "10:30"},
    )
    outsider = world.reply(pair_id, "cy@outside.example", "Thursday 10:30", deliver=False)
    shown = explain(outsider, world.rt, date(2027, 1, 5), calendar_facts)
    assert (shown["command"], "proposal" in shown) == (None, False)
    assert str(shown["reason"]).endswith(f"not a member of pair {pair_id}, so nothing acts")


def test_no_nudge_goes_to_a_paused_pair(world: World) -> None:
    pair_id, a, b = first_pair(world)
    first = world.meetings(pair_id)[0]
    world.reply(pair_id, a, "pause")
    world.decline(first, b)
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    assert world.pair(pair_id).state == "paused"
    assert world.sent("nudge", pair_id) == []


def test_a_short_pause_cancels_only_the_meetings_inside_it(world: World) -> None:
    pair_id, a, _ = first_pair(world)
    first, second = world.meetings(pair_id)[:2]
    assert first.starts_at is not None and second.starts_at is not None
    world.reply(pair_id, a, "pause until January 20")
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    states = {m.number: m.state for m in world.meetings(pair_id)}
    assert states == {1: "cancelled", 2: "booked"}, "meeting 2 (25 January) is after the pause"
    assert len(world.sent("cancel", pair_id)) == 1


def record_move(world: World, uid: str, start: datetime) -> None:
    from datetime import timedelta

    from scheduler.store import ops as store_ops

    with world.rt.store.session() as s:
        store_ops.record_fact(
            s,
            dedup_key=f"moved:{uid}:{start}",
            meeting_uid=uid,
            kind="moved",
            by=None,
            seen_at=start,
            moved_start=start,
            moved_end=start + timedelta(minutes=30),
        )


def test_a_meeting_a_peer_moves_is_followed_not_counted_as_a_skip(world: World) -> None:
    # Calendars with an API report moves as facts (the local provider's peers cannot move).
    pair_id, _, _ = first_pair(world)
    first = world.meetings(pair_id)[0]
    record_move(world, first.uid, datetime(2027, 1, 13, 15, tzinfo=UTC))
    world.cycle(datetime(2027, 1, 12, 9, tzinfo=UTC))
    moved = world.meetings(pair_id)[0]
    assert moved.state == "moved" and moved.starts_at == datetime(2027, 1, 13, 15, tzinfo=UTC)
    world.cycle(datetime(2027, 1, 14, 9, tzinfo=UTC))
    assert world.meetings(pair_id)[0].state == "held"
    assert world.sent("nudge", pair_id) == []


def test_a_meeting_moved_far_out_of_its_window_counts_as_skipped_when_its_time_passes(
    world: World,
) -> None:
    pair_id, _, _ = first_pair(world)
    first = world.meetings(pair_id)[0]
    record_move(world, first.uid, datetime(2027, 2, 1, 15, tzinfo=UTC))
    world.cycle(datetime(2027, 2, 2, 9, tzinfo=UTC))
    assert world.meetings(pair_id)[0].state == "skipped"
    assert len(world.sent("nudge", pair_id)) == 1


def test_reschedule_moves_the_same_event_to_a_later_time_with_a_higher_sequence(
    world: World,
) -> None:
    pair_id, a, _ = first_pair(world)
    before = world.meetings(pair_id)[0]
    world.reply(pair_id, a, "Can we reschedule the next meeting?")
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    after = world.meetings(pair_id)[0]
    assert (after.uid, after.sequence, after.state) == (before.uid, 1, "booked")
    assert after.starts_at is not None and before.starts_at is not None
    assert after.starts_at > before.starts_at
    updates = [m for m in world.sent("invite", pair_id) if "conversation 1" in str(m["Subject"])]
    calendars = [
        next(p for p in m.walk() if p.get_content_type() == "text/calendar") for m in updates
    ]
    sequences = sorted(c.get_payload(decode=True).count(b"SEQUENCE:1") for c in calendars)
    assert len(updates) == 2 and sequences == [0, 1], "the original REQUEST, then one update"
    assert len(world.sent("confirmation", pair_id)) == 1


def test_no_meeting_is_booked_before_the_program_starts(world: World) -> None:
    # A peer on holiday in the first week once pulled a first meeting before the start date.
    start = world.rt.program.program.start
    for pair in world.pairs():
        for meeting in world.meetings(pair.id):
            assert meeting.starts_at is not None
            assert meeting.starts_at.astimezone(world.rt.zone).date() >= start
