"""`tandem run` and `tandem check` with `kind: google`, as processes, against the fake: the
whole cycle through the program file's keys alone (issue 11's contract)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from integrations.google.auth import ALL_SCOPES, GMAIL_READ
from scheduler.replies.address import reply_address
from tests.fakes.google import GoogleFake
from tests.integrations.google.conftest import ADMIN, MAILBOX

PROGRAM = """\
program:
  name: Peer Mentoring
  owner: people-team@example.com
  timezone: Europe/Berlin
  start: 2030-01-07
provider:
  kind: google
  mailbox: {mailbox}
  google:
    credentials_file: service-account.json
    admin_email: {admin}
    customer: my_customer
    level_field: Employment.level
    api_endpoint: {root}
    daily_send_limit: 2000
participants:
  include: {{org_units: [/Staff]}}
  consent: none
pairing:
  level_tolerance: 1
  odd_one_out: trio
cadence:
  - every: 2 weeks
    times: 6
meetings:
  length: 30 minutes
  days: [Mon, Tue, Wed, Thu]
  hours: "09:00-17:00"
  book_ahead: 1
  video: auto
"""
PEOPLE = ["ana", "bo", "cy", "dee", "eli", "fay"]


@pytest.fixture
def folder(fake: GoogleFake, tmp_path: Path) -> Iterator[Path]:
    for number, name in enumerate(PEOPLE):
        fake.add_user(
            f"{name}@example.com",
            name=f"{name.title()} Person",
            title="Engineer",
            department=["Eng", "Sales"][number % 2],
            org_unit="/Staff",
            timezone="Europe/Berlin",
            working_hours=("08:00", "18:00"),
            custom={"Employment": {"level": "3"}},
        )
    fake.create_service_account(tmp_path / "service-account.json", ALL_SCOPES)
    (tmp_path / "program.yaml").write_text(
        PROGRAM.format(mailbox=MAILBOX, admin=ADMIN, root=fake.root), encoding="utf-8"
    )
    yield tmp_path


def tandem(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "TANDEM_DATABASE_URL": f"sqlite:///{folder / 'tandem.db'}",
        "TANDEM_SECRET": "google-run-secret",
        "HOME": str(folder),
    }
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli.main", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def rows(folder: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(folder / "tandem.db") as connection:
        return connection.execute(query).fetchall()


def tandem_events(fake: GoogleFake) -> dict[str, dict[str, object]]:
    found = {}
    for event_id in fake.state.calendars[MAILBOX].entries:
        event = fake.event(MAILBOX, event_id)
        if (event.get("extendedProperties") or {}).get("shared", {}).get("tandemKey"):
            found[event_id] = event
    return found


def test_a_cycle_books_and_sends_and_a_second_run_changes_nothing(
    fake: GoogleFake, folder: Path
) -> None:
    first = tandem(folder, "run", "program.yaml", "--now", "2030-01-07T08:00")
    assert first.returncode == 0, first.stderr + first.stdout
    events = tandem_events(fake)
    assert len(events) == 3, "three pairs, one meeting each"
    for event in events.values():
        assert event["hangoutLink"], "video: auto is a Meet on Google"
        assert len(event["attendees"]) == 2  # type: ignore[arg-type]
    kits = [m for m in fake.sent if m.sender == MAILBOX]
    assert {r for m in kits for r in m.recipients} >= {f"{n}@example.com" for n in PEOPLE}
    booked = rows(folder, "select state, event_id from meeting")
    assert {state for state, _ in booked} == {"booked"}
    assert {event_id for _, event_id in booked} == set(events)

    before = dict(fake.requests)
    again = tandem(folder, "run", "program.yaml", "--now", "2030-01-07T08:00")
    assert again.returncode == 0, again.stderr
    changed = {k: v - before.get(k, 0) for k, v in fake.requests.items() if v != before.get(k, 0)}
    for method in ("calendar.events.insert", "calendar.events.patch", "gmail.users.messages.send"):
        assert method not in changed, f"a second run at the same moment called {method}"
    assert len(tandem_events(fake)) == 3


def test_a_decline_in_a_calendar_moves_the_same_event(fake: GoogleFake, folder: Path) -> None:
    assert tandem(folder, "run", "program.yaml", "--now", "2030-01-07T08:00").returncode == 0
    event_id, event = next(iter(sorted(tandem_events(fake).items())))
    guest = event["attendees"][0]["email"]  # type: ignore[index]
    fake.respond(MAILBOX, event_id, guest, "declined")
    later = tandem(folder, "run", "program.yaml", "--now", "2030-01-07T10:00")
    assert later.returncode == 0, later.stderr
    assert "declined" in later.stdout
    moved = fake.event(MAILBOX, event_id)
    assert moved["start"] != event["start"], "booked again at another time"
    assert len(tandem_events(fake)) == 3, "the same event, moved: no second one"
    assert fake.requests["calendar.events.patch"] == 1


def test_check_reports_each_scope_and_what_is_missing(fake: GoogleFake, folder: Path) -> None:
    passed = tandem(folder, "check", "program.yaml")
    assert passed.returncode == 0, passed.stderr + passed.stdout
    assert "all 8 check(s) passed" in passed.stdout
    key = json.loads((folder / "service-account.json").read_text(encoding="utf-8"))
    fake.revoke(key["client_id"], [GMAIL_READ])
    failed = tandem(folder, "check", "program.yaml")
    assert failed.returncode != 0
    missing = [line for line in failed.stdout.splitlines() if line.startswith("MISSING")]
    assert len(missing) == 1 and "gmail.readonly" in missing[0], failed.stdout


def reply(pair_id: str, sender: str, text: str, number: int) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = reply_address(MAILBOX, pair_id, b"google-run-secret")
    message["Subject"] = "Re: your peer-mentoring pairing"
    message["Message-ID"] = f"<reply-{number}@mail.example>"
    message.set_content(f"{text}\n\nOn Mon, Peer Mentoring wrote:\n> pause\n> end\n")
    return message.as_bytes()


def test_a_reply_from_a_peer_acts_and_a_forged_one_does_not(fake: GoogleFake, folder: Path) -> None:
    assert tandem(folder, "run", "program.yaml", "--now", "2030-01-07T08:00").returncode == 0
    (paused, peer), (other, _) = rows(
        folder, "select pair_id, email from pair_member order by pair_id, email"
    )[0:4:3]
    fake.deliver(MAILBOX, reply(paused, peer, "pause", 1))
    fake.deliver(MAILBOX, reply(other, "mallory@elsewhere.example", "end", 2))
    result = tandem(folder, "run", "program.yaml", "--now", "2030-01-07T09:00")
    assert result.returncode == 0, result.stderr
    states = dict(rows(folder, "select id, state from pair"))  # type: ignore[arg-type]
    assert states[paused] == "paused"
    assert states[other] == "active", "a reply from a stranger changes nothing"
    handled = rows(folder, "select count(*) from inbound")
    again = tandem(folder, "run", "program.yaml", "--now", "2030-01-07T09:30")
    assert again.returncode == 0
    assert rows(folder, "select count(*) from inbound") == handled, "each reply read once"


def test_a_storm_of_429s_ends_as_a_clean_run_does(fake: GoogleFake, folder: Path) -> None:
    fake.fault("calendar.freebusy.query", 429, times=2, retry_after=0)
    fake.fault("calendar.events.insert", 429, times=3, retry_after=0)
    fake.fault("gmail.users.messages.send", "403-userRateLimitExceeded", times=3)
    fake.fault("gmail.users.messages.send", 503, times=2)
    first = tandem(folder, "run", "program.yaml", "--now", "2030-01-07T08:00")
    assert first.returncode == 0, first.stderr + first.stdout
    assert fake.state.faults == [], "every fault was met, and retried"
    assert len(tandem_events(fake)) == 3
    assert {state for (state,) in rows(folder, "select state from meeting")} == {"booked"}
    sent = [m.message_id for m in fake.sent]
    assert len(sent) == len(set(sent)), "no mail twice"
    assert rows(folder, "select count(*) from outbox where state != 'sent'") == [(0,)]


def declined_notice(event_id: str, peer: str) -> bytes:
    """Google's own "Declined: ..." mail to the organizer, with its iCalendar REPLY."""
    message = EmailMessage()
    message["From"] = f"{peer.split('@')[0].title()} (Google Calendar) <{peer}>"
    message["To"] = MAILBOX
    message["Subject"] = "Declined: Peer Mentoring @ Mon 7 Jan 2030 10am - 10:30am (CET)"
    message["Message-ID"] = f"<declined-{event_id}@google.com>"
    message.set_content(f"{peer} has declined this invitation.")
    ics = (
        "BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"
        "VERSION:2.0\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n"
        f"UID:{event_id}@google.com\r\nDTSTAMP:20300107T090000Z\r\n"
        f"ATTENDEE;PARTSTAT=DECLINED:mailto:{peer}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    message.add_attachment(
        ics.encode(), maintype="text", subtype="calendar", params={"method": "REPLY"}
    )
    return message.as_bytes()


def test_googles_declined_notices_never_act_and_get_no_answer(
    fake: GoogleFake, folder: Path
) -> None:
    assert tandem(folder, "run", "program.yaml", "--now", "2030-01-07T08:00").returncode == 0
    event_id, event = next(iter(sorted(tandem_events(fake).items())))
    peer = event["attendees"][0]["email"]  # type: ignore[index]
    fake.deliver(MAILBOX, declined_notice(event_id, peer))
    sent_before = len(fake.sent)
    result = tandem(folder, "run", "program.yaml", "--now", "2030-01-07T09:00")
    assert result.returncode == 0, result.stderr
    assert [m for m in fake.sent[sent_before:] if peer in m.recipients] == [], "no answer"
    assert {state for (state,) in rows(folder, "select state from meeting")} == {"booked"}
    assert {state for (state,) in rows(folder, "select state from pair")} == {"active"}
