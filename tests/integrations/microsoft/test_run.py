"""`tandem run` with `kind: microsoft`, as a process, against the Graph fake: sync, pair, book
inside each person's own working hours with a Teams link, send the launch kits, and read what
comes back; a second run at the same moment changes nothing; the fake refuses nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.contracts.harnesses.microsoft import CLIENT_ID, MAILBOX, SECRET
from tests.fakes.graph import FakeGraph

PROGRAM = """\
program:
  name: Contract Peer Mentoring
  owner: people@contract.example
  timezone: Europe/Berlin
  start: {start}
provider:
  kind: microsoft
  mailbox: {mailbox}
  microsoft:
    tenant_id: {tenant}
    client_id: {client}
    client_secret_file: ms-secret.txt
    authority: {root}
    graph_endpoint: {root}
    level_attribute: employeeType
participants:
  exclude: {{departments: [Board]}}
  consent: none
pairing:
  level_tolerance: 2
  avoid_reporting_line: direct
cadence:
  - every: 2 weeks
    times: 6
meetings:
  length: 30 minutes
  days: [Mon, Tue, Wed, Thu, Fri]
  hours: "07:00-19:00"
  book_ahead: 1
  video: teams
"""

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
PEOPLE = [  # mail, department, level, zone of the working hours, hours
    ("ana@contract.example", "Eng", "3", "W. Europe Standard Time", ("09:00", "17:00")),
    ("bo@contract.example", "Sales", "3", "Europe/Berlin", ("08:00", "12:00")),
    ("cy@contract.example", "Eng", "4", "GMT Standard Time", ("10:00", "18:00")),
    ("di@contract.example", "Ops", "4", "Romance Standard Time", ("09:00", "15:00")),
    ("ed@contract.example", "Eng", "2", "Central European Standard Time", ("11:00", "17:00")),
    ("fa@contract.example", "Ops", "2", "W. Europe Standard Time", ("09:00", "17:00")),
]


def seed(fake: FakeGraph) -> None:
    fake.add_user("boss@contract.example", department="Board", employee_type="9")
    for mail, department, level, zone, (start, end) in PEOPLE:
        fake.add_user(
            mail,
            department=department,
            employee_type=level,
            manager="boss@contract.example",
            working_hours=(WEEKDAYS, start, end, zone),
            timezone=zone,
        )
    fake.add_user("guest@partner.example", guest=True, employee_type="3")
    fake.add_user("gone@contract.example", enabled=False, employee_type="3")
    fake.add_user(None, upn="room@contract.example", employee_type="3")


def tandem(folder: Path, fake: FakeGraph, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TANDEM_DATABASE_URL": f"sqlite:///{folder / 'state.db'}",
        "TANDEM_SECRET": "test",
        "REQUESTS_CA_BUNDLE": fake.ca_bundle,
        "SSL_CERT_FILE": fake.ca_bundle,
    }
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli.main", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def write_program(folder: Path, fake: FakeGraph, start: str) -> None:
    (folder / "ms-secret.txt").write_text(SECRET + "\n", encoding="utf-8")
    (folder / "program.yaml").write_text(
        PROGRAM.format(
            start=start,
            mailbox=MAILBOX,
            tenant=fake.tenant_id,
            client=CLIENT_ID,
            root=fake.base_url,
        ),
        encoding="utf-8",
    )


def organizer_events(fake: FakeGraph) -> list[tuple[str, datetime, datetime, list[str]]]:
    with fake.state.lock:
        user = fake.state.find_user(MAILBOX)
        assert user is not None
        return [
            (e.id, e.start, e.end, [a["emailAddress"]["address"] for a in e.data["attendees"]])
            for e in fake.state.mailbox_events(user.id)
        ]


def within_hours(mail: str, start: datetime, end: datetime) -> bool:
    _, _, _, zone, (first, last) = next(p for p in PEOPLE if p[0] == mail)
    from integrations.microsoft.busy import iana_zone

    local = ZoneInfo(iana_zone(zone) or "UTC")
    a, b = start.astimezone(local), end.astimezone(local)
    return a.strftime("%H:%M") >= first and b.strftime("%H:%M") <= last and a.date() == b.date()


def test_a_program_runs_on_microsoft_365_end_to_end(tmp_path: Path, fake: FakeGraph) -> None:
    seed(fake)
    now = datetime.now(UTC).replace(microsecond=0)
    write_program(tmp_path, fake, start=now.date().isoformat())
    moment = now.isoformat()

    assert tandem(tmp_path, fake, "validate", "program.yaml").returncode == 0
    preview = tandem(tmp_path, fake, "preview", "program.yaml", "--out", "preview", "--now", moment)
    assert preview.returncode == 0, preview.stderr
    assert "3 groups (0 trios)" in preview.stdout, preview.stdout
    writes = ("events.create", "events.update", "messages.create", "messages.send", "sendMail")
    assert [fake.requests[w] for w in writes] == [0] * len(writes), "a preview writes nothing"

    first = tandem(tmp_path, fake, "run", "program.yaml", "--now", moment)
    assert first.returncode == 0, first.stderr + first.stdout
    out = first.stdout
    assert "sync: 7 people in the directory, 6 taking part" in out.splitlines(), out
    events = organizer_events(fake)
    assert len(events) == 3, out
    paired = sorted(mail for _, _, _, attendees in events for mail in attendees)
    assert paired == sorted(p[0] for p in PEOPLE)
    for _, start, end, attendees in events:
        assert len(attendees) == 2
        assert all(within_hours(mail, start, end) for mail in attendees), (start, attendees)
        assert end - start == timedelta(minutes=30)
    with fake.state.lock:
        assert all(
            e.data["onlineMeeting"]["joinUrl"].startswith("https://teams.microsoft.com/")
            for e in fake.state.events.values()
            if e.is_organizer and e.mailbox == fake.state.find_user(MAILBOX).id  # type: ignore[union-attr]
        )
    sent = fake.messages(MAILBOX, "sentitems")
    assert sent, out
    delivered = {m["toRecipients"][0]["emailAddress"]["address"] for m in sent}
    assert delivered <= {p[0] for p in PEOPLE}
    counts = dict(fake.requests)

    again = tandem(tmp_path, fake, "run", "program.yaml", "--now", moment)
    assert again.returncode == 0, again.stderr
    assert again.stdout == "nothing new\n", again.stdout
    assert len(organizer_events(fake)) == 3
    assert len(fake.messages(MAILBOX, "sentitems")) == len(sent)
    for endpoint in ("events.create", "messages.send", "messages.create"):
        assert fake.requests[endpoint] == counts.get(endpoint, 0), endpoint

    # a peer declines in Outlook: the next run reads it from the calendar and follows up
    event_id, _, _, attendees = organizer_events(fake)[0]
    fake.respond(MAILBOX, event_id, attendees[0], "declined")
    later = (now + timedelta(minutes=5)).isoformat()
    third = tandem(tmp_path, fake, "run", "program.yaml", "--now", later)
    assert third.returncode == 0, third.stderr
    assert "Skipped (declined by" in third.stdout, third.stdout
    assert len(organizer_events(fake)) == 3, "a declined meeting moves the same event"

    # a peer's reply acts; the same words from someone outside the pair do not
    kit = next(
        m
        for m in fake.messages(MAILBOX, "sentitems")
        if attendees[1] in {r["emailAddress"]["address"] for r in m["toRecipients"]}
        and m["replyTo"]
    )
    pair_address = kit["replyTo"][0]["emailAddress"]["address"]
    reply = EmailMessage()
    reply["From"] = attendees[1]
    reply["To"] = pair_address
    reply["In-Reply-To"] = kit["internetMessageId"]
    reply["Subject"] = "Re: your peer-mentoring pairing"
    reply["Message-ID"] = "<reply-1@contract.example>"
    reply.set_content("pause")
    forged = EmailMessage()
    forged["From"] = "mallory@elsewhere.example"
    forged["To"] = pair_address
    forged["Subject"] = "Re: your peer-mentoring pairing"
    forged["Message-ID"] = "<forged-1@elsewhere.example>"
    forged.set_content("end")
    fake.deliver(MAILBOX, bytes(reply))
    fake.deliver(MAILBOX, bytes(forged))
    fourth = tandem(tmp_path, fake, "run", "program.yaml", "--now", later)
    assert fourth.returncode == 0, fourth.stderr
    lines = fourth.stdout.splitlines()
    assert any(line.startswith("  Reply acted: found 'pause'") for line in lines), lines
    assert "  Reply rejected: the sender is not a member of pair" in fourth.stdout, lines
    assert fake.rejected == []


def end_state(fake: FakeGraph) -> tuple[list[tuple[datetime, list[str]]], list[tuple[str, ...]]]:
    events = sorted((start, sorted(people)) for _, start, _, people in organizer_events(fake))
    sent = sorted(
        (m["subject"], *sorted(r["emailAddress"]["address"] for r in m["toRecipients"]))
        for m in fake.messages(MAILBOX, "sentitems")
    )
    return events, sent


def test_a_throttling_storm_leaves_the_end_state_of_a_clean_run(tmp_path: Path) -> None:
    from tests.contracts.harnesses.microsoft import running_fake

    now = datetime.now(UTC).replace(microsecond=0)
    states = []
    for storm in (False, True):
        folder = tmp_path / ("storm" if storm else "clean")
        folder.mkdir()
        with running_fake(page_size=3) as fake:
            seed(fake)
            write_program(folder, fake, start=now.date().isoformat())
            if storm:
                fake.fault("*", 429, times=6, retry_after=1, in_batch=True)
                fake.fault("*", 429, times=4, retry_after=1, in_batch=False)
                fake.fault("*", 503, times=2, retry_after=1, in_batch=False)
            result = tandem(folder, fake, "run", "program.yaml", "--now", now.isoformat())
            assert result.returncode == 0, result.stderr
            if storm:
                assert fake.service.throttle.faults and all(
                    f.times == 0 for f in fake.service.throttle.faults
                ), "every fault was met"
            states.append(end_state(fake))
    assert states[0] == states[1] and states[0][0]


def test_check_reports_a_missing_permission(tmp_path: Path, fake: FakeGraph) -> None:
    fake.add_app(CLIENT_ID, secret=SECRET, permissions={"User.Read.All", "Calendars.ReadWrite",
                                                        "Mail.ReadWrite"})  # fmt: skip
    write_program(tmp_path, fake, start="2027-01-11")
    result = tandem(tmp_path, fake, "check", "program.yaml")
    assert result.returncode == 1
    assert "MISSING  Mail.Send (application): not granted" in result.stdout, result.stdout
    assert "ok       User.Read.All (application): granted and working" in result.stdout
    assert SECRET not in result.stdout + result.stderr
