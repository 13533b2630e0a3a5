"""A whole program on the local provider, driven cycle by cycle for scenario tests: the demo
company, a Maildir inbox to deliver replies into, and the outbox to read what was sent."""

from __future__ import annotations

import mailbox
import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from icalendar import Calendar, Event, vCalAddress
from sqlalchemy import select

from scheduler.bootstrap import build_runtime
from scheduler.replies.address import reply_address
from scheduler.runtime import Report, Runtime
from scheduler.steps.cycle import run_cycle
from scheduler.steps.queries import pair_peers
from scheduler.store.models import Inbound, Meeting, Outbox, Pair
from scheduler.store.models import Person as PersonRow

ROOT = Path(__file__).resolve().parents[2]


class World:
    def __init__(
        self,
        folder: Path,
        database_url: str,
        *,
        edit_people: Callable[[str], str] | None = None,
        edit_program: Callable[[str], str] | None = None,
    ) -> None:
        shutil.copytree(
            ROOT / "examples", folder, ignore=shutil.ignore_patterns("outbox", "inbox", "*.db")
        )
        if edit_people is not None:
            people = folder / "org.csv"
            people.write_text(edit_people(people.read_text(encoding="utf-8")), encoding="utf-8")
        if edit_program is not None:
            file = folder / "program.yaml"
            file.write_text(edit_program(file.read_text(encoding="utf-8")), encoding="utf-8")
        self.folder = folder
        env = {"TANDEM_DATABASE_URL": database_url, "TANDEM_SECRET": "scenario-secret"}
        self.env = env
        self.rt: Runtime = build_runtime(folder / "program.yaml", env)
        self.inbox = mailbox.Maildir(folder / "inbox", create=True)
        self.delivered = 0

    def cycle(self, now: datetime) -> dict[str, Report]:
        return {r.step: r for r in run_cycle(self.rt, now)}

    # what the program holds
    def pairs(self) -> list[Pair]:
        with self.rt.store.session() as s:
            rows = s.scalars(select(Pair).order_by(Pair.id)).all()
            s.expunge_all()
            return list(rows)

    def pair(self, pair_id: str) -> Pair:
        return next(p for p in self.pairs() if p.id == pair_id)

    def person_name(self, email: str) -> str:
        with self.rt.store.session() as s:
            return s.get_one(PersonRow, email).name

    def peers(self, pair_id: str) -> list[str]:
        with self.rt.store.session() as s:
            return [p.email for p in pair_peers(s, pair_id)]

    def meetings(self, pair_id: str) -> list[Meeting]:
        with self.rt.store.session() as s:
            rows = s.scalars(
                select(Meeting)
                .where(Meeting.pair_id == pair_id)
                .order_by(Meeting.number, Meeting.attempt)
            ).all()
            s.expunge_all()
            return list(rows)

    def sent(self, kind: str | None = None, pair_id: str | None = None) -> list[EmailMessage]:
        with self.rt.store.session() as s:
            query = select(Outbox).where(Outbox.state == "sent").order_by(Outbox.id)
            if kind:
                query = query.where(Outbox.kind == kind)
            if pair_id:
                query = query.where(Outbox.pair_id == pair_id)
            raws = [row.raw for row in s.scalars(query)]
        return [message_from_bytes(raw, policy=policy.default) for raw in raws]  # type: ignore[misc]

    def inbound(self) -> list[Inbound]:
        with self.rt.store.session() as s:
            rows = s.scalars(select(Inbound).order_by(Inbound.id)).all()
            s.expunge_all()
            return list(rows)

    def status(self) -> str:
        """What `tandem status` prints for this program."""
        from click.testing import CliRunner

        from scheduler.cli.main import cli

        result = CliRunner().invoke(
            cli, ["status", str(self.folder / "program.yaml")], env=self.env
        )
        assert result.exit_code == 0, result.output
        return result.output

    def busy_all_day(self, email: str, first: date, last: date) -> None:
        """`email`'s calendar busy around the clock from `first` to `last` (an all-day event)."""
        calendar = Calendar()
        calendar.add("prodid", "-//Scenario//EN")
        calendar.add("version", "2.0")
        event = Event()
        event.add("uid", f"away-{email}")
        event.add("dtstamp", datetime(2026, 1, 1, tzinfo=UTC))
        event.add("dtstart", first)
        event.add("dtend", last)
        event.add("summary", "Away")
        calendar.add_component(event)
        (self.folder / "calendars" / f"{email}.ics").write_bytes(calendar.to_ical())

    # mail that reaches the program mailbox
    def deliver(self, message: EmailMessage) -> None:
        self.inbox.add(message.as_bytes())

    def reply(
        self,
        pair_id: str,
        sender: str,
        text: str,
        *,
        subject: str = "Re: your peer-mentoring pairing",
        to: str | None = None,
        headers: dict[str, str] | None = None,
        deliver: bool = True,
    ) -> EmailMessage:
        """A plain reply from `sender`, top-posted above a quote of the launch kit; delivered
        to the program mailbox unless `deliver` is False."""
        self.delivered += 1
        message = EmailMessage()
        message["From"] = sender
        message["To"] = to or reply_address(
            self.rt.program.provider.mailbox, pair_id, self.rt.secret
        )
        message["Subject"] = subject
        message["Message-ID"] = f"<reply-{self.delivered}-{pair_id}@mail.example>"
        for name, value in (headers or {}).items():
            message[name] = value
        quote = "> Reply to this email and start the first line with one of these words:\n"
        quote += "> pause\n> end\n"
        message.set_content(
            f"{text}\n\nOn Mon, 11 Jan 2027, Northwind Peer Mentoring wrote:\n{quote}"
        )
        if deliver:
            self.deliver(message)
        return message

    def decline(
        self, meeting: Meeting, sender: str, *, note: str = "Declined", deliver: bool = True
    ) -> EmailMessage:
        """An iMIP REPLY declining a meeting, as a calendar client sends it, with `note` as
        its text; delivered to the program mailbox unless `deliver` is False."""
        self.delivered += 1
        reply = Calendar()
        reply.add("prodid", "-//Scenario//EN")
        reply.add("version", "2.0")
        reply.add("method", "REPLY")
        event = Event()
        event.add("uid", meeting.uid)
        event.add("sequence", meeting.sequence)
        event.add("dtstamp", meeting.updated_at)
        assert meeting.starts_at is not None
        event.add("dtstart", meeting.starts_at)
        attendee = vCalAddress(f"mailto:{sender}")
        attendee.params["PARTSTAT"] = "DECLINED"
        event.add("attendee", attendee)
        event.add("organizer", vCalAddress(f"mailto:{self.rt.program.provider.mailbox}"))
        reply.add_component(event)
        message = EmailMessage()
        message["From"] = sender
        message["To"] = self.rt.program.provider.mailbox
        message["Subject"] = "Declined: conversation"
        message["Message-ID"] = f"<decline-{self.delivered}@mail.example>"
        message.set_content(note)
        message.add_attachment(
            reply.to_ical(), maintype="text", subtype="calendar", params={"method": "REPLY"}
        )
        if deliver:
            self.deliver(message)
        return message
