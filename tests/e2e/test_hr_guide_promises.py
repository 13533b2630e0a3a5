"""Every promise of docs/hr-guide.md has a test: these are the promises about what a key of the
program file does that no other test held to, each driven through whole cycles of a program
on the local provider and both stores. Each test's name states the promise, and its docstring
quotes the guide."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from scheduler.bootstrap import build_runtime
from scheduler.store.models import Person as PersonRow
from tests.integration.world import World
from tests.scenarios.test_people_come_and_go import (
    DAY,
    START,
    active,
    email,
    explain,
    keys,
    make_world,
    people,
    person_reply,
    program,
    run_days,
    set_org,
    text_of,
)

LAUNCH = datetime(2026, 12, 1, 9, tzinfo=UTC)  # the demo program's pairs are made
AFTER_START = START + 7 * DAY  # the Monday the program starts


def and_then(*edits: Callable[[str], str]) -> Callable[[str], str]:
    """Several edits of the program file, in order."""

    def edit(text: str) -> str:
        for one in edits:
            text = one(text)
        return text

    return edit


def replace(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new)

    return edit


def first_pair(world: World) -> tuple[str, str, str]:
    pair = world.pairs()[0]
    a, b = world.peers(pair.id)
    return pair.id, a, b


# program


def test_no_pairs_are_made_and_no_meetings_booked_after_program_end(
    tmp_path: Path, store_url: str
) -> None:
    """hr-guide.md:107 (`end`): "No pairs are made and no meetings are booked after it." """
    world = make_world(tmp_path, store_url, people("a", "b"), program(end="2027-02-28"))
    run_days(world, AFTER_START, 2)  # a and b are paired
    now = run_days(world, datetime(2027, 3, 1, 13, tzinfo=UTC), 1)  # the program is over
    set_org(world, people("a", "b", "c", "d"))  # two newcomers, who could meet each other
    run_days(world, now, 9)  # past the next round
    assert active(world) == []
    assert len(world.pairs()) == 1
    end = date(2027, 2, 28)
    for pair in world.pairs():
        for meeting in world.meetings(pair.id):
            if meeting.state == "booked":
                assert meeting.starts_at is not None
                assert meeting.starts_at.astimezone(world.rt.zone).date() <= end


def test_without_end_the_program_ends_on_the_day_of_the_cadences_last_meeting_from_start(
    tmp_path: Path, store_url: str
) -> None:
    """hr-guide.md:107: "`end` | date | the day of the last meeting of the `cadence`, counted
    from `start`" (then each pair gets its closing email the day after)."""
    short = replace(
        "  - every: 2 weeks\n    times: 6\n  - every: 1 month\n    until: 12 months\n",
        "  - every: 1 week\n    times: 3\n",
    )
    world = make_world(tmp_path, store_url, people("a", "b"), and_then(program(), short))
    run_days(world, AFTER_START, 15)  # 11 to 25 January, the day of the third meeting
    assert world.sent("closing") == []
    run_days(world, datetime(2027, 1, 26, 13, tzinfo=UTC), 1)  # the day after
    assert len(world.sent("closing")) == 1
    assert world.pairs()[0].ended_why == "completed"


def test_the_last_digest_sums_up_pairs_held_share_of_due_and_pairs_still_meeting(
    tmp_path: Path, store_url: str
) -> None:
    """hr-guide.md:107: "the owner gets one last digest that sums the program up: pairs,
    conversations held, the share of due conversations that were held, and the pairs still
    meeting at the end." """
    world = make_world(tmp_path, store_url, people("a", "b", "c", "d"), program(end="2027-02-28"))
    now = run_days(world, START, 20)  # to 24 January: the first meetings are held
    pair_id, a, _ = first_pair(world)
    world.reply(pair_id, a, "end")
    run_days(world, now, 37)  # to 1 March, the day after the end
    (final,) = [m for m in world.sent("owner_digest") if "has ended" in str(m)]
    text = text_of(final)
    held = sum(1 for p in world.pairs() for m in world.meetings(p.id) if m.state == "held")
    assert "Pairs: 2" in text
    assert f"Conversations held: {held} (" in text and "% of those that were due)" in text
    assert "Pairs still meeting at the end: 1" in text


def with_owner_name(text: str) -> str:
    return text.replace(
        "  name: Northwind Peer Mentoring\n",
        "  name: Northwind Peer Mentoring\n  owner_name: Maya Lindqvist\n",
    )


def test_owner_name_signs_the_emails_to_peers(tmp_path: Path, store_url: str) -> None:
    """hr-guide.md:102 (`owner_name`): "the emails to peers are signed with it"."""
    world = World(tmp_path / "demo", store_url, edit_program=with_owner_name)
    world.cycle(LAUNCH)
    kit = world.sent("launch_kit")[0]
    assert "\nMaya Lindqvist\n" in text_of(kit).replace("\r\n", "\n")
    assert "Northwind Peer Mentoring team" not in text_of(kit)


def test_without_owner_name_the_emails_to_peers_are_signed_by_the_programs_team(
    tmp_path: Path, store_url: str
) -> None:
    """hr-guide.md:102: "Left out, ... the emails to peers are signed "*name* team" (for
    example "Peer Mentoring 2027 team")"."""
    world = World(tmp_path / "demo", store_url)
    world.cycle(LAUNCH)
    kit = world.sent("launch_kit")[0]
    assert "\nNorthwind Peer Mentoring team\n" in text_of(kit).replace("\r\n", "\n")


# participants


def test_someone_no_longer_selected_by_participants_leaves_their_pair_kindly(
    tmp_path: Path, store_url: str
) -> None:
    """hr-guide.md:294: "Someone who leaves (... or no longer selected by `participants` ...)
    leaves their pair: their future meetings are cancelled and their partner gets a short,
    kind note ("... is no longer taking part")"."""
    world = make_world(tmp_path, store_url, people("a", "b", "c", "d"), program(odd="wait"))
    now = run_days(world, AFTER_START, 2)
    leaver, partner = active(world)[0]
    pair_id = next(p.id for p in world.pairs() if leaver in world.peers(p.id))
    file = world.folder / "program.yaml"
    text = file.read_text(encoding="utf-8")
    file.write_text(
        text.replace("participants:\n", f"participants:\n  exclude: {{emails: [{leaver}]}}\n"),
        encoding="utf-8",
    )
    world.rt = build_runtime(file, world.env)
    run_days(world, now, 1)
    assert world.pair(pair_id).state == "ended"
    assert all(m.state != "booked" for m in world.meetings(pair_id))
    (note,) = world.sent("ended", pair_id)
    assert [x.addr_spec for x in note["To"].addresses] == [partner]
    assert "no longer taking part" in text_of(note)


def test_someone_new_under_opt_out_is_invited_at_once_and_paired_when_the_notice_ends(
    tmp_path: Path, store_url: str
) -> None:
    """hr-guide.md:252 (`consent: opt_out`): "each selected person gets a short invitation,
    `notice` before the program starts (or at once when they come later), ...; they are paired
    from the day the notice ends unless they reply "no thanks"" (`notice` default 5 days)."""
    world = make_world(
        tmp_path, store_url, people("a", "b", "c"), program(consent="opt_out", odd="wait")
    )
    now = run_days(world, START + 2 * DAY, 8)  # invited 5 days before the start, then paired
    (first,) = active(world)
    set_org(world, people("a", "b", "c", "d"))
    now = run_days(world, now, 1)
    assert len(keys("invitation", world)) == 4  # d's invitation, at once
    (invitation,) = [m for m in world.sent("invitation") if email("d") in str(m["To"])]
    assert 'reply "no thanks"' in text_of(invitation)
    now = run_days(world, now, 3)
    assert active(world) == [first], "paired before the notice ended"
    run_days(world, now, 3)
    (waiter,) = {email("a"), email("b"), email("c")} - set(first)
    assert sorted(active(world)) == sorted([first, sorted([waiter, email("d")])])


# followup


def test_a_pair_that_meets_again_comes_off_the_owners_list(demo_world: World) -> None:
    """hr-guide.md:368: "a second skip in a row puts the pair on the owner's list in the weekly
    digest ... A pair that meets again comes off the list." """
    world = demo_world
    pair_id, a, b = first_pair(world)
    world.decline(world.meetings(pair_id)[0], a)
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    rebooked = next(m for m in world.meetings(pair_id) if m.number == 1 and m.attempt == 1)
    world.decline(rebooked, b)
    world.cycle(datetime(2027, 1, 6, 12, tzinfo=UTC))
    assert world.pair(pair_id).on_owner_list
    world.cycle(datetime(2027, 2, 1, 12, tzinfo=UTC))  # meeting 2 (25 January) was held
    assert [m.state for m in world.meetings(pair_id) if m.number == 2] == ["held"]
    assert not world.pair(pair_id).on_owner_list


def test_new_slot_propose_proposes_a_time_to_the_pair_instead_of_booking_one(
    tmp_path: Path, store_url: str
) -> None:
    """hr-guide.md:361 (`followup.new_slot`): "After a skipped meeting: `book` books a new time,
    `propose` proposes one to the pair." """
    propose = replace(
        "  tell_owner_after_skips: 2", "  tell_owner_after_skips: 2\n  new_slot: propose"
    )
    world = World(tmp_path / "demo", store_url, edit_program=propose)
    world.cycle(LAUNCH)
    pair_id, a, _ = first_pair(world)
    world.decline(world.meetings(pair_id)[0], a)
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    assert [m.attempt for m in world.meetings(pair_id) if m.number == 1] == [0]
    (nudge,) = world.sent("nudge", pair_id)
    text = text_of(nudge)
    assert "Here is another time that looks free for each of you" in text
    first_invites = [
        m for m in world.sent("invite", pair_id) if "conversation 1" in str(m["Subject"])
    ]
    assert len(first_invites) == 1, "no invitation for a proposed time"


# tandem explain


def test_explain_shows_the_answer_to_the_invitation_and_the_pauses_never_the_words(
    tmp_path: Path, store_url: str
) -> None:
    """hr-guide.md:305: "`tandem explain` ... tells you ... their answer to the invitation, ...
    skips, pauses, and the emails sent to them. It shows the command read in each of their
    replies, never the words." """
    world = make_world(
        tmp_path, store_url, people("a", "b", "c", "d", "e"), program(consent="opt_out")
    )
    now = run_days(world, START + 2 * DAY, 1)
    person_reply(world, "e", "No thanks.")
    now = run_days(world, now, 8)
    declined = explain(world, email("e"), now)
    assert "Consent: participants.consent is opt_out; invited on" in declined
    assert ", declined;" in declined
    pair_id = next(p.id for p in world.pairs() if email("a") in world.peers(p.id))
    world.reply(pair_id, email("a"), "pause for 2 weeks, my knee surgery")
    now = run_days(world, now, 1)
    paused = explain(world, email("a"), now)
    assert f"Pair {pair_id} (paused" in paused
    assert "Pauses asked for: 1." in paused and "read as pause, acted" in paused
    assert "knee" not in paused
    assert "Emails to them:" in paused and "paused (sent)" in paused


@pytest.fixture
def demo_world(tmp_path: Path, store_url: str) -> World:
    world = World(tmp_path / "demo", store_url)
    world.cycle(LAUNCH)
    return world


def test_new_slot_propose_proposes_a_time_that_a_reply_with_it_books(
    tmp_path: Path, store_url: str
) -> None:
    """hr-guide.md:361 (`followup.new_slot`): "`propose` proposes one to the pair": a proposal,
    so the nudge announces no invitation; it says how to take the time, and a reply with the
    day and time as the nudge shows it books the conversation there for both."""
    propose = replace(
        "  tell_owner_after_skips: 2", "  tell_owner_after_skips: 2\n  new_slot: propose"
    )
    world = World(tmp_path / "demo", store_url, edit_program=propose)
    world.cycle(LAUNCH)
    pair_id, a, _ = first_pair(world)
    world.decline(world.meetings(pair_id)[0], a)
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    world.cycle(datetime(2027, 1, 5, 13, tzinfo=UTC))
    (nudge,) = world.sent("nudge", pair_id)
    invites = [m for m in world.sent("invite", pair_id) if "conversation 1" in str(m["Subject"])]
    assert len(invites) == 1  # the first one only: nothing for the proposed time
    text = text_of(nudge)
    assert "separate email" not in text and "Nothing is booked yet" in text
    # When a peer replies with the proposed time as the nudge shows it
    proposed = text.split("Nothing is booked yet", 1)[1]
    with world.rt.store.session() as s:
        first_name = s.get_one(PersonRow, a).name.split()[0]
    line = next(row for row in proposed.splitlines() if f"{first_name}: " in row)
    day_and_time = re.match(r".*? [AP]M", line.split(f"{first_name}: ", 1)[1])
    assert day_and_time is not None, line
    world.reply(pair_id, a, day_and_time[0])
    world.cycle(datetime(2027, 1, 5, 14, tzinfo=UTC))
    world.cycle(datetime(2027, 1, 5, 15, tzinfo=UTC))
    # Then that time is booked for both
    (confirmation,) = world.sent("confirmation", pair_id)
    assert "at the time you proposed" in text_of(confirmation)
