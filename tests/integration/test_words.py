"""Words people read (issue 9, item 8), as whole scenarios on the demo company and both stores:
every email writes each peer's times in their own zone and locale and never an IANA key; the
pause note lists the dates it took off, the resume note the rhythm that is left; `run`'s report
names pairs and local times; the outbox's .eml copies are named by kind and pair."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from scheduler.ports import OutgoingMail
from scheduler.render.kits import KINDS
from scheduler.render.local_time import meeting_time
from scheduler.store.models import Outbox, Person
from tests.integration.world import World

LAUNCH = datetime(2026, 12, 1, 9, tzinfo=UTC)
IANA = re.compile(r"\b(?:America|Europe|Asia|Africa|Australia|Pacific|Atlantic|Indian|Etc)/\w+")


def expected_locale(person: Person) -> str:
    """What with_locales gave each person, as they should read it."""
    if person.email.startswith("mei.lin@"):
        return "en-US"  # "xx-XX" is no locale: the program's
    return {"Europe/Berlin": "de-DE", "Europe/London": "en-GB"}.get(person.timezone, "en-US")


def with_locales(text: str) -> str:
    """The demo's people file with a `locale` column: Berlin reads German, London British
    English, the Americas leave it empty (the program's en-US); Mei Lin's says "xx-XX"."""
    lines = text.splitlines()
    out = [lines[0] + ",locale"]
    for line in lines[1:]:
        zone = line.rsplit(",", 1)[1]
        locale = {"Europe/Berlin": "de-DE", "Europe/London": "en-GB"}.get(zone, "")
        if line.startswith("mei.lin@"):
            locale = "xx-XX"
        out.append(f"{line},{locale}")
    return "\n".join(out) + "\n"


@pytest.fixture
def world(tmp_path: Path, store_url: str) -> World:
    world = World(tmp_path / "demo", store_url, edit_people=with_locales)
    world.cycle(LAUNCH)
    return world


def text_of(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def html_of(mail: EmailMessage) -> str:
    body = mail.get_body(("html",))
    assert body is not None
    return str(body.get_content())


def people(world: World) -> dict[str, Person]:
    with world.rt.store.session() as s:
        rows = {p.email: p for p in s.query(Person).all()}
        s.expunge_all()
        return rows


def pair_with(world: World, zone: str) -> str:
    everyone = people(world)
    return next(
        p.id for p in world.pairs() if any(everyone[e].timezone == zone for e in world.peers(p.id))
    )


def test_the_launch_kit_writes_each_peers_times_in_their_own_zone_and_locale(
    world: World,
) -> None:
    everyone = people(world)
    for pair in world.pairs():
        (kit,) = world.sent("launch_kit", pair.id)
        text = text_of(kit)
        first = next(m for m in world.meetings(pair.id) if m.number == 1)
        assert first.starts_at is not None
        for email in world.peers(pair.id):
            person = everyone[email]
            when = meeting_time(first.starts_at, person.timezone, expected_locale(person))
            assert when in text, (person.name, when)
        assert not IANA.search(text) and not IANA.search(html_of(kit))


def test_a_person_whose_locale_is_unknown_is_still_paired_and_reads_the_programs(
    world: World,
) -> None:
    mei = "mei.lin@northwind-loom.example"
    pair_id = next(p.id for p in world.pairs() if mei in world.peers(p.id))
    text = text_of(world.sent("launch_kit", pair_id)[0])
    assert "PM British Time (London)" in text or "AM British Time (London)" in text, (
        "Mei, in London with locale xx-XX, reads the program's en-US (12-hour clock)"
    )


def test_the_pause_note_lists_the_dates_it_took_off_in_each_readers_time(world: World) -> None:
    pair_id = pair_with(world, "Europe/Berlin")
    a = world.peers(pair_id)[0]
    world.reply(pair_id, a, "pause for 3 weeks")
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))

    cancelled = [m for m in world.meetings(pair_id) if m.state == "cancelled"]
    assert cancelled
    (note,) = world.sent("paused", pair_id)
    text = text_of(note)
    assert "until Tuesday, January 26" in text
    taken_off = text.partition("cancelled and off your calendars:")[2]
    everyone = people(world)
    for meeting in cancelled:
        assert meeting.starts_at is not None
        for email in world.peers(pair_id):
            person = everyone[email]
            when = meeting_time(meeting.starts_at, person.timezone, expected_locale(person))
            assert when in taken_off
    assert "Mitteleuropäische Zeit (Berlin)" in taken_off
    assert not IANA.search(text)


def test_the_resume_note_tells_the_rhythm_that_is_left_not_the_whole_cadence(
    world: World,
) -> None:
    pair_id = pair_with(world, "America/New_York")
    world.reply(pair_id, world.peers(pair_id)[0], "pause for 3 weeks")
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))
    world.cycle(datetime(2027, 1, 27, 12, tzinfo=UTC))

    booked = sorted(m.number for m in world.meetings(pair_id) if m.state == "booked")
    assert booked == [3, 4]
    (note,) = world.sent("resumed", pair_id)
    text = text_of(note)
    # meetings 1 and 2 were taken off by the pause, 3 and 4 are listed: 5 and 6 are left
    # every 2 weeks, then the monthly phase until the pair's 12 months are up
    assert "After these, you will meet 2 more times every 2 weeks, then monthly until " in text
    assert "December 2027." in text
    assert "for the first 6 meetings" not in text


def test_the_skip_confirmation_shows_the_time_it_had_in_local_times(world: World) -> None:
    pair_id = pair_with(world, "Europe/Berlin")
    first = world.meetings(pair_id)[0]
    world.reply(pair_id, world.peers(pair_id)[0], "skip")
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))

    (note,) = world.sent("confirmation", pair_id)
    text = text_of(note)
    assert "Done: conversation 1 is skipped and off your calendars" in text
    shown = text.partition("Conversation 1 was booked for:")[2].partition("Your next")[0]
    assert first.starts_at is not None
    assert meeting_time(first.starts_at, "Europe/Berlin", "de-DE") in shown
    assert "UTC" not in text and not IANA.search(text)


def test_a_reschedule_confirmation_shows_the_old_time_and_lists_the_new_one(world: World) -> None:
    pair_id = pair_with(world, "America/New_York")
    before = world.meetings(pair_id)[0]
    world.reply(pair_id, world.peers(pair_id)[0], "reschedule")
    world.cycle(datetime(2027, 1, 5, 12, tzinfo=UTC))

    after = world.meetings(pair_id)[0]
    (note,) = world.sent("confirmation", pair_id)
    text = text_of(note)
    assert before.starts_at is not None and after.starts_at is not None
    was = text.partition("Conversation 1 was booked for:")[2].partition("Your next")[0]
    assert meeting_time(before.starts_at, "America/New_York", "en-US") in was
    upcoming = text.partition("Your next conversations:")[2]
    assert meeting_time(after.starts_at, "America/New_York", "en-US") in upcoming


COME_AND_GO = ("invitation", "consent_reply", "closing")


def test_no_email_of_a_busy_month_shows_an_iana_zone_key(world: World) -> None:
    pairs = [p.id for p in world.pairs()]
    world.reply(pairs[0], world.peers(pairs[0])[0], "pause for 3 weeks")
    world.reply(pairs[1], world.peers(pairs[1])[1], "skip")
    world.reply(pairs[2], world.peers(pairs[2])[0], "end")
    world.reply(pairs[3], world.peers(pairs[3])[0], "what is this?")
    world.reply(pairs[4], world.peers(pairs[4])[0], "reschedule")
    world.decline(world.meetings(pairs[5])[0], world.peers(pairs[5])[0])
    away = world.peers(pairs[6])[0]  # no time can be found for this pair: no_time
    world.busy_all_day(away, date(2027, 1, 1), date(2027, 3, 1))
    world.decline(world.meetings(pairs[6])[0], away)
    for moment in (
        datetime(2027, 1, 5, 12, tzinfo=UTC),
        datetime(2027, 1, 18, 12, tzinfo=UTC),  # a Monday: the owner's digest
        datetime(2027, 1, 27, 12, tzinfo=UTC),
    ):
        world.cycle(moment)
    for kind in KINDS:
        if kind in COME_AND_GO:
            continue  # tests/scenarios/test_people_come_and_go.py reads these the same way
        assert world.sent(kind), f"the scenario sent no {kind}"
    for mail in world.sent():
        for part in mail.walk():
            if part.get_content_type() in ("text/plain", "text/html"):  # not the .ics data
                content = str(part.get_content())
                assert not IANA.search(content), (mail["Subject"], IANA.search(content))
        assert not IANA.search(str(mail["Subject"]))


def test_the_runs_report_names_pairs_and_local_times_never_internal_keys(
    tmp_path: Path, store_url: str
) -> None:
    world = World(tmp_path / "demo", store_url)
    reports = world.cycle(LAUNCH)
    lines = [line for report in reports.values() for line in report.done + report.notes]
    assert reports["book"].done[0].startswith("Booked: ")
    assert re.fullmatch(
        r"Booked: .+ & .+, conversation 1, \w{3}, \w{3} \d+, \d+:\d\d [AP]M \(Eastern Time\)",
        reports["book"].done[0],
    )
    assert reports["kits"].done[0].startswith("Launch kit: ")
    assert reports["send"].done[0].startswith("Sent: ")
    for pair in world.pairs():
        assert not any(pair.id in line for line in lines), pair.id
    assert not any("UTC" in line for line in lines)
    assert reports["sync"].notes == ["59 people in the directory, 58 taking part"]

    quiet = world.cycle(LAUNCH)
    assert not any(report.done for report in quiet.values())
    assert quiet["round"].notes == ["next round on Tuesday, December 8"]


def test_the_eml_copies_are_named_by_day_kind_and_pair_and_a_resend_writes_none(
    world: World,
) -> None:
    eml = world.folder / "outbox" / "eml"
    names = sorted(p.name for p in eml.iterdir())
    assert len(names) == len(world.sent())
    kits = [n for n in names if n.startswith("2026-12-01 launch kit - ")]
    assert len(kits) == len(world.pairs())
    assert all(re.fullmatch(r"2026-12-01 launch kit - .+ & .+ - [0-9a-f]{6}\.eml", n) for n in kits)
    assert any(n.startswith("2026-12-01 invitation 1 - ") for n in names)

    with world.rt.store.session() as s:
        row = s.scalars(select(Outbox).where(Outbox.key.startswith("kit:")).limit(1)).one()
        again = OutgoingMail(row.key, row.message_id, row.raw, tuple(row.recipients))
    world.rt.providers.mailer.send([again])  # sent again, as after a crash
    assert sorted(p.name for p in eml.iterdir()) == names


def test_dates_in_a_program_with_another_locale_follow_it(tmp_path: Path, store_url: str) -> None:
    def german_program(text: str) -> str:
        return text.replace(
            "  timezone: America/New_York\n", "  timezone: America/New_York\n  locale: de-DE\n"
        )

    world = World(tmp_path / "demo", store_url, edit_program=german_program)
    reports = world.cycle(LAUNCH)
    assert "(Nordamerikanische Ostküstenzeit)" in reports["book"].done[0]
    pair_id = pair_with(world, "America/New_York")
    text = text_of(world.sent("launch_kit", pair_id)[0])
    assert "Nordamerikanische Ostküstenzeit (New York)" in text
    assert "then monthly until Dezember 2027" in text, "the templates' own words stay English"


def test_a_confirmation_owed_from_before_this_version_is_still_sent(world: World) -> None:
    # pending notes written before `about` existed have no "was": the note goes out without it
    from scheduler.steps.notices import send_pending_notices
    from scheduler.store.models import Pair

    pair_id = world.pairs()[0].id
    with world.rt.store.session() as s:
        s.get_one(Pair, pair_id).pending_notice = {
            "kind": "confirmation",
            "key": f"reschedule:{pair_id}:old",
            "by_name": "",
            "done": "conversation 1 has moved to a new time that suits you both.",
        }
    report = send_pending_notices(world.rt, datetime(2026, 12, 2, 9, tzinfo=UTC))
    assert len(report.done) == 1 and report.done[0].startswith("Confirmation: ")
    world.cycle(datetime(2026, 12, 2, 9, tzinfo=UTC))
    (note,) = world.sent("confirmation", pair_id)
    assert "Done: conversation 1 has moved" in text_of(note)
    assert "was booked for" not in text_of(note)
