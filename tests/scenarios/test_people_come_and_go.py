"""People come and go over the months of a program (issue 10): joiners are paired at the next
cycle or join a pair as its third, leavers' partners are paired again, a new manager ends a
pair kindly, people are asked first (opt-out and opt-in, by reply in any of the languages),
may leave and come back, and the program closes with thanks and a last digest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from scheduler.render.messages import person_reply_address
from scheduler.store.models import Outbox
from scheduler.store.models import Person as PersonRow
from tests.integration.test_words import IANA
from tests.integration.world import World

DOMAIN = "co.example"
START = datetime(2027, 1, 4, 13, tzinfo=UTC)  # Monday, a week before the program starts
DAY = timedelta(days=1)


def email(key: str) -> str:
    return f"{key}@{DOMAIN}"


def people(*keys: str, managers: dict[str, str] | None = None) -> str:
    """An org.csv of people at one level in one zone, none managing another unless told."""
    lines = ["email,name,title,department,level,manager_email,timezone"]
    for key in keys:
        boss = email(managers[key]) if managers and key in managers else ""
        name = f"{key.capitalize()} Person"
        lines.append(f"{email(key)},{name},Engineer,Eng,3,{boss},America/New_York")
    return "\n".join(lines) + "\n"


def program(
    *, consent: str = "none", odd: str = "wait", end: str = "", joiners: str = "now"
) -> Callable[[str], str]:
    def edit(text: str) -> str:
        text = text.replace("mentoring@northwind-loom.example", f"mentoring@{DOMAIN}")
        text = text.replace("people-team@northwind-loom.example", f"people@{DOMAIN}")
        text = text.replace("  exclude: {emails: [ana.ferreira@northwind-loom.example]}\n", "")
        text = text.replace("  consent: none\n", f"  consent: {consent}\n")
        text = text.replace("odd_one_out: trio", f"odd_one_out: {odd}\n  joiners: {joiners}")
        if end:
            text = text.replace("  start: 2027-01-11\n", f"  start: 2027-01-11\n  end: {end}\n")
        return text

    return edit


def make_world(
    tmp_path: Path, store_url: str, org: str, edit: Callable[[str], str] | None = None
) -> World:
    return World(
        tmp_path / "co", store_url, edit_people=lambda _: org, edit_program=edit or program()
    )


def run_days(world: World, first: datetime, days: int) -> datetime:
    now = first
    for _ in range(days):
        world.cycle(now)
        now += DAY
    return now


def active(world: World) -> list[list[str]]:
    return sorted(
        sorted(world.peers(p.id)) for p in world.pairs() if p.state in ("active", "paused")
    )


def set_org(world: World, org: str) -> None:
    (world.folder / "org.csv").write_text(org, encoding="utf-8")


def keys(outbox_kind: str, world: World) -> list[str]:
    with world.rt.store.session() as s:
        return list(s.scalars(select(Outbox.key).where(Outbox.kind == outbox_kind)))


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    text = str(body.get_content())
    html = message.get_body(("html",))
    shown = text + (str(html.get_content()) if html is not None else "")
    assert not IANA.search(shown), IANA.search(shown)  # zones by their names, never keys
    return text


def person_reply(world: World, who: str, text: str) -> None:
    """`who` answers their invitation (to their own reply address)."""
    address = person_reply_address(world.rt.program, email(who), world.rt.secret)
    world.reply("", email(who), text, to=address, subject="Re: you are invited")


@pytest.fixture
def five(tmp_path: Path, store_url: str) -> World:
    return make_world(tmp_path, store_url, people("a", "b", "c", "d", "e"))


def test_a_joiner_is_paired_at_the_next_cycle_with_the_person_who_waits(five: World) -> None:
    now = run_days(five, START, 2)
    assert len(active(five)) == 2
    (waiter,) = [e for e in map(email, "abcde") if not any(e in p for p in active(five))]
    digest_waiting = five.status()
    assert "1 waiting" in digest_waiting or "waiting" in digest_waiting

    set_org(five, people("a", "b", "c", "d", "e", "f"))
    now = run_days(five, now, 1)
    pairs = active(five)
    assert len(pairs) == 3 and sorted([waiter, email("f")]) in pairs
    run_days(five, now, 3)
    joined = next(p for p in five.pairs() if email("f") in five.peers(p.id))
    meetings = five.meetings(joined.id)
    assert meetings and meetings[0].starts_at is not None
    assert meetings[0].starts_at >= now - DAY  # their cadence starts from their own start
    assert len(five.sent("launch_kit", joined.id)) == 1


def test_with_joiners_next_round_a_joiner_waits_for_the_next_round(
    tmp_path: Path, store_url: str
) -> None:
    # Given five people paired at the first round (one waits) and `joiners: next_round`
    world = make_world(
        tmp_path, store_url, people("a", "b", "c", "d", "e"), program(joiners="next_round")
    )
    now = run_days(world, START, 2)
    first_round = world.pairs()[0].created_at
    assert len(active(world)) == 2
    (waiter,) = [e for e in map(email, "abcde") if not any(e in p for p in active(world))]
    # When a newcomer appears, they are not paired at the next cycles of that week
    set_org(world, people("a", "b", "c", "d", "e", "f"))
    while now < first_round + timedelta(days=7) - DAY:
        now = run_days(world, now, 1)
        assert len(active(world)) == 2, f"paired before the next round, on {now:%Y-%m-%d}"
    said = world.status()  # they are listed as waiting meanwhile, with when
    assert "F Person" in said and "paired at the next round" in said
    # but at the next round (rounds.every: 1 week) with the person who waited
    run_days(world, now, 2)
    assert sorted([waiter, email("f")]) in active(world)
    assert len(active(world)) == 3


def test_a_lone_joiner_joins_a_pair_as_its_third_and_gets_a_kit_of_their_own(
    tmp_path: Path, store_url: str
) -> None:
    world = make_world(tmp_path, store_url, people("a", "b", "c", "d"), program(odd="trio"))
    now = run_days(world, START + 7 * DAY, 3)  # the program has started: dates are booked
    assert len(active(world)) == 2
    booked_before = {
        p.id: [m.sequence for m in world.meetings(p.id) if m.state == "booked"]
        for p in world.pairs()
    }
    set_org(world, people("a", "b", "c", "d", "e"))
    now = run_days(world, now, 2)
    (trio,) = [p for p in active(world) if len(p) == 3]
    assert email("e") in trio
    pair_id = next(p.id for p in world.pairs() if email("e") in world.peers(p.id))
    booked = [m for m in world.meetings(pair_id) if m.state == "booked"]
    assert booked and all(m.sequence == booked_before[pair_id][0] + 1 for m in booked[:1])
    kits = world.sent("launch_kit", pair_id)
    assert len(kits) == 2  # the pair's first kit, then one to the joiner only
    assert kits[1]["To"].addresses[0].addr_spec == email("e") and len(kits[1]["To"].addresses) == 1
    note = [m for m in world.sent("confirmation", pair_id) if "joins your conversations" in str(m)]
    assert len(note) == 1
    # invitations to the calendar carry three attendees now
    invites = [m for m in world.sent("invite", pair_id) if email("e") in str(m["To"])]
    assert invites


def test_the_partner_of_a_leaver_is_told_kindly_and_paired_again(five: World) -> None:
    now = run_days(five, START + 7 * DAY, 3)
    pairs = active(five)
    (waiter,) = [e for e in map(email, "abcde") if not any(e in p for p in pairs)]
    leaver, partner = pairs[0]
    left_pair = next(p.id for p in five.pairs() if leaver in five.peers(p.id))
    org = people(*[k for k in "abcde" if email(k) != leaver])
    set_org(five, org)
    now = run_days(five, now, 1)
    assert five.pair(left_pair).state == "ended"
    assert all(m.state != "booked" for m in five.meetings(left_pair))
    (note,) = five.sent("ended", left_pair)
    assert "no longer taking part" in text_of(note)
    assert [partner] == [a.addr_spec for a in note["To"].addresses]
    assert sorted([partner, waiter]) in active(five)
    # nothing of the ended pair counts as held later
    run_days(five, now, 30)
    assert all(m.state in ("cancelled", "held", "skipped") for m in five.meetings(left_pair))
    assert not [
        m
        for m in five.meetings(left_pair)
        if m.state == "held" and m.starts_at is not None and m.starts_at > now
    ]


def test_a_new_manager_in_the_pair_ends_it_without_blame_and_both_are_paired_again(
    tmp_path: Path, store_url: str
) -> None:
    org = people("a", "b", "c", "d", "e", "f")
    world = make_world(tmp_path, store_url, org, program(odd="trio"))
    now = run_days(world, START + 7 * DAY, 2)
    first, second = active(world)[0]
    ended = next(p.id for p in world.pairs() if first in world.peers(p.id))
    k1, k2 = first.split("@")[0], second.split("@")[0]
    set_org(world, people("a", "b", "c", "d", "e", "f", managers={k1: k2}))
    run_days(world, now, 2)
    assert world.pair(ended).state == "ended"
    (note,) = world.sent("ended", ended)
    body = text_of(note)
    assert "reporting line" in body and "blame" not in body
    pairs = active(world)
    assert sorted([first, second]) not in pairs
    # nobody else waits: each joins one of the other pairs as its third
    assert sorted(len(p) for p in pairs) == [3, 3]
    assert any(first in p for p in pairs) and any(second in p for p in pairs)


@pytest.mark.parametrize("no", ["no thanks", "Nein danke!"])
def test_opt_out_invites_first_and_no_thanks_keeps_a_person_out(
    tmp_path: Path, store_url: str, no: str
) -> None:
    world = make_world(
        tmp_path, store_url, people("a", "b", "c", "d", "e"), program(consent="opt_out")
    )
    now = run_days(world, START, 1)  # a week before the start: the notice has not begun
    assert keys("invitation", world) == []
    now = run_days(world, now, 2)  # 5 days before: everyone is invited, once
    assert len(keys("invitation", world)) == 5
    (invitation,) = [m for m in world.sent("invitation") if email("c") in str(m["To"])]
    assert "Northwind is growing fast" in text_of(invitation)  # the purpose
    person_reply(world, "c", no)
    now = run_days(world, now, 3)
    assert active(world) == []  # not before the start
    now = run_days(world, now, 3)
    paired = {e for p in active(world) for e in p}
    assert paired == {email(k) for k in "abde"}
    assert len(keys("invitation", world)) == 5
    (answer,) = world.sent("consent_reply")
    assert "will not be paired" in text_of(answer)
    status = world.status()
    assert "invited" in status and "declined 1" in status
    run_days(world, now, 20)
    assert email("c") not in {e for p in active(world) for e in p}


def test_opt_in_pairs_only_those_who_join_and_one_join_pairs_once(
    tmp_path: Path, store_url: str
) -> None:
    world = make_world(
        tmp_path, store_url, people("a", "b", "c", "d", "e"), program(consent="opt_in")
    )
    now = run_days(world, START + 2 * DAY, 1)
    assert len(keys("invitation", world)) == 5
    person_reply(world, "a", "join")
    person_reply(world, "b", "Je participe avec plaisir")
    person_reply(world, "b", "count me in")  # twice: still one person, paired once
    now = run_days(world, now, 6)
    assert active(world) == [[email("a"), email("b")]]
    person_reply(world, "d", "me apunto")
    person_reply(world, "e", "ich bin dabei")
    run_days(world, now, 2)
    assert sorted(active(world)) == [[email("a"), email("b")], [email("d"), email("e")]]
    assert email("c") not in str(active(world))


def test_leave_by_reply_then_join_again(five: World) -> None:
    now = run_days(five, START + 7 * DAY, 3)
    pairs = active(five)
    leaver = pairs[0][0]
    pair_id = next(p.id for p in five.pairs() if leaver in five.peers(p.id))
    five.reply(pair_id, leaver, "Leave the program, please. Thanks for everything!")
    now = run_days(five, now, 1)
    assert five.pair(pair_id).state == "ended"
    (answer,) = five.sent("consent_reply")
    assert "You have left" in text_of(answer)
    with five.rt.store.session() as s:
        assert s.get_one(PersonRow, leaver).consent == "left"
    now = run_days(five, now, 10)
    assert leaver not in {e for p in active(five) for e in p}
    # they reply "join" to the confirmation: paired again at the next cycle
    thread = answer["Message-ID"]
    message = five.reply("", leaver, "join", to=str(answer["Reply-To"]), deliver=False)
    message["In-Reply-To"] = thread
    five.deliver(message)
    now = run_days(five, now, 2)
    with five.rt.store.session() as s:
        assert s.get_one(PersonRow, leaver).consent == "joined"
    assert "waiting for a peer: 1" in five.status()  # everyone else is in a pair
    set_org(five, people("a", "b", "c", "d", "e", "f"))  # someone new: the two meet
    run_days(five, now, 1)
    assert sorted([leaver, email("f")]) in active(five)


def test_the_program_closes_with_thanks_and_one_last_digest(tmp_path: Path, store_url: str) -> None:
    world = make_world(tmp_path, store_url, people("a", "b", "c", "d"), program(end="2027-02-28"))
    now = run_days(world, START, 70)
    assert active(world) == []
    closing = world.sent("closing")
    assert len(closing) == 2
    assert "welcome to keep meeting on your own" in text_of(closing[0])
    assert keys("owner_digest", world).count("digest:final") == 1
    (final,) = [m for m in world.sent("owner_digest") if "has ended" in str(m)]
    assert "Pairs: 2" in text_of(final)
    end = datetime(2027, 3, 1, tzinfo=UTC)
    for pair in world.pairs():
        assert pair.ended_why == "completed"
        for meeting in world.meetings(pair.id):
            if meeting.starts_at is not None and meeting.starts_at > end:
                assert meeting.state == "cancelled"
    before = len(keys("owner_digest", world))
    run_days(world, now, 14)
    assert len(keys("owner_digest", world)) == before  # no weekly digests after the end


def explain(world: World, who: str, now: datetime) -> str:
    """What `tandem explain` prints of `who` at `now`."""
    from click.testing import CliRunner

    from scheduler.cli.main import cli

    args = ["explain", str(world.folder / "program.yaml"), who, "--now", now.isoformat()]
    result = CliRunner().invoke(cli, args, env=world.env)
    assert result.exit_code == 0, result.output
    return result.output


def test_explain_says_why_a_person_is_paired_waits_or_is_left_out(
    tmp_path: Path, store_url: str
) -> None:
    org = people("a", "b", "c", managers={"c": "a"})
    org += "x@co.example,Xavi Person,Engineer,Eng,9,,America/New_York\n"
    world = make_world(tmp_path, store_url, org, program(odd="wait"))
    now = run_days(world, START + 7 * DAY, 3)
    pair_id = next(p.id for p in world.pairs() if email("b") in world.peers(p.id))
    paired = explain(world, email("b"), now)
    assert "Selected: yes, everyone in the directory takes part" in paired
    assert f"Pair {pair_id} (active" in paired and "Meetings:" in paired
    assert "launch_kit (sent)" in paired
    waits = explain(world, "x@co.example", now)
    assert "Waiting for a peer:" in waits
    assert "3 kept apart by: levels 9 and 3 differ by more than 1" in waits
    world.reply(pair_id, email("b"), "skip\n\nMy cat Mittens is ill, sorry.")
    now = run_days(world, now, 1)
    after = explain(world, email("b"), now)
    assert "read as skip, acted" in after
    assert "Mittens" not in after  # what they wrote is theirs


def test_when_one_of_a_trio_leaves_the_two_carry_on_with_the_same_dates(
    tmp_path: Path, store_url: str
) -> None:
    world = make_world(tmp_path, store_url, people("a", "b", "c"), program(odd="trio"))
    now = run_days(world, START + 7 * DAY, 3)
    (pair,) = world.pairs()
    assert len(world.peers(pair.id)) == 3
    dates = [m.starts_at for m in world.meetings(pair.id) if m.state == "booked"]
    set_org(world, people("a", "b"))
    now = run_days(world, now, 1)
    assert world.pair(pair.id).state == "active" and world.peers(pair.id) == [
        email("a"),
        email("b"),
    ]
    booked = [m for m in world.meetings(pair.id) if m.state == "booked"]
    assert [m.starts_at for m in booked] == dates and all(m.sequence == 1 for m in booked)
    assert all(not m.removed_attendees for m in booked)
    removals = [k for k in keys("cancel", world) if k.endswith(":removed")]
    assert len(removals) == len(booked)  # each event taken off the leaver's calendar
    cancels = [m for m in world.sent("cancel") if "c@co.example" in str(m["To"])]
    assert len(cancels) == len(booked) and all(email("a") not in str(m["To"]) for m in cancels)
    (note,) = [m for m in world.sent("confirmation", pair.id) if "carry on" in text_of(m)]
    assert email("c") not in str(note["To"])
