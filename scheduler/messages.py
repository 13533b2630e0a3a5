"""What each email of a pair says and to whom: template contexts and ready outbox entries.

Kept apart from the jobs so that `tandem preview` renders exactly what `tandem run` sends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.policy import SMTP

from scheduler.cadence import meeting_targets
from scheduler.config_schema import Program
from scheduler.kits import Kits, build_email, local_times, make_message_id
from scheduler.model import Person, Phase, Unit
from scheduler.replies import help_rows
from scheduler.reply_address import reply_address


@dataclass(frozen=True)
class MeetingView:
    """A booked meeting as the emails show it."""

    number: int
    start: datetime
    join_url: str | None


@dataclass(frozen=True)
class Mail:
    """An email ready for the outbox."""

    key: str
    kind: str
    message_id: str
    subject: str
    recipients: tuple[str, ...]
    raw: bytes


def pair_context(
    program: Program,
    pair_id: str,
    peers: Sequence[Person],
    meetings: Sequence[MeetingView],
    secret: bytes,
    start: date,
) -> dict[str, object]:
    """The context every pair template gets (see scheduler/kits.py for the list)."""
    zones = [p.timezone for p in peers]
    return {
        "program": {
            "name": program.program.name,
            "purpose": program.program.purpose.strip(),
            "owner": program.program.owner,
            "owner_name": program.program.name + " team",
        },
        "pair": {
            "id": pair_id,
            "reply_address": reply_address(program.provider.mailbox, pair_id, secret),
        },
        "peers": [_peer(p) for p in peers],
        "recipient": None,
        "meetings": [
            {
                "number": m.number,
                "starts_local": local_times(m.start, zones),
                "join_url": m.join_url,
            }
            for m in meetings
        ],
        "cadence_text": cadence_text(program.cadence, start),
        "commands": help_rows(),
    }


def pair_mail(
    kits: Kits,
    program: Program,
    *,
    kind: str,
    key: str,
    context: Mapping[str, object],
    peers: Sequence[Person],
    now: datetime,
    reply_to: str,
) -> Mail:
    """Render `kind` and wrap it as one email to every peer of the pair."""
    rendered = kits.render(kind, context)
    mailbox = program.provider.mailbox
    message_id = make_message_id(key, mailbox.rpartition("@")[2])
    message = build_email(
        rendered,
        sender_name=program.program.name,
        sender=mailbox,
        to=[(p.display_name, p.email) for p in peers],
        reply_to=reply_to,
        message_id=message_id,
        date=now,
    )
    recipients = tuple(p.email for p in peers)
    return Mail(key, kind, message_id, rendered.subject, recipients, message.as_bytes(policy=SMTP))


def cadence_text(phases: Sequence[Phase], start: date) -> str:
    """The rhythm in words, such as
    "every 2 weeks for the first 6 meetings, then monthly until January 2028"."""
    parts = []
    for index, phase in enumerate(phases):
        every = _every(phase)
        if phase.times is not None:
            first = "the first " if index == 0 else "the next "
            parts.append(f"{every} for {first}{phase.times} meetings")
        else:
            last = meeting_targets(start, phases[: index + 1])[-1].target
            parts.append(f"{every} until {last:%B %Y}")
    return ", then ".join(parts)


def _every(phase: Phase) -> str:
    span = phase.every
    if span.count == 1:
        return {Unit.MONTHS: "monthly", Unit.WEEKS: "weekly", Unit.DAYS: "daily"}.get(
            span.unit, f"every {span}"
        )
    return f"every {span}"


def _peer(person: Person) -> dict[str, str]:
    name = person.display_name
    return {
        "name": name,
        "first_name": name.split()[0] if person.name else name,
        "email": person.email,
        "title": person.title,
        "department": person.department,
        "timezone": person.timezone,
    }
