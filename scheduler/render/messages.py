"""What each email of a pair says and to whom: template contexts and ready outbox entries.

Kept apart from the jobs so that `tandem preview` renders exactly what `tandem run` sends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from email.policy import SMTP

from scheduler.core.cadence import meeting_targets
from scheduler.core.message_ids import make_message_id
from scheduler.core.model import Person, Phase, Span, Unit
from scheduler.ports import OutgoingMail
from scheduler.program.schema import Program
from scheduler.render.kits import Kits, Rendered, build_email, starts_local
from scheduler.render.local_time import Reader, month_words, reader_locale, zone_name
from scheduler.render.mime import email_bytes
from scheduler.replies.address import person_tag, reply_address
from scheduler.replies.commands import INVITATION, help_rows


@dataclass(frozen=True)
class MeetingView:
    """A booked meeting as the emails show it; `odd_minutes` {email: minutes} outside each
    peer's hours, as `meetings.stretch` allows."""

    number: int
    start: datetime
    join_url: str | None
    odd_minutes: Mapping[str, int] = field(default_factory=dict)


def pair_context(
    program: Program,
    pair_id: str,
    peers: Sequence[Person],
    meetings: Sequence[MeetingView],
    secret: bytes,
    start: date,
) -> dict[str, object]:
    """The context every pair template gets (see scheduler/kits.py for the list)."""
    details = program.program
    readers = readers_of(peers, details.locale)
    return {
        "program": {
            "name": details.name,
            "purpose": details.purpose.strip(),
            "owner": details.owner,
            "owner_name": details.owner_name or details.name + " team",
        },
        "pair": {
            "id": pair_id,
            "reply_address": reply_address(program.provider.mailbox, pair_id, secret),
        },
        "peers": [_peer(p, details.locale) for p in peers],
        "recipient": None,
        "meetings": [
            meeting_shown(
                m.number, m.start, m.join_url, readers, outside_hours(m.odd_minutes, peers)
            )
            for m in meetings
        ],
        "cadence_text": cadence_text(program.cadence, start, details.locale),
        "rhythm_left": rhythm_left(
            program.cadence, start, max((m.number for m in meetings), default=0), details.locale
        )
        if meetings
        else "",
        "commands": help_rows(),
    }


def person_reply_address(program: Program, email: str, secret: bytes) -> str:
    """The address a person replies to about taking part (join, no thanks, leave)."""
    return reply_address(program.provider.mailbox, person_tag(email), secret)


def person_mail(
    kits: Kits,
    program: Program,
    person: Person,
    *,
    kind: str,
    key: str,
    extra: Mapping[str, object],
    secret: bytes,
    now: datetime,
) -> OutgoingMail:
    """`kind` (invitation, consent_reply) to one person about taking part, with their own
    reply address: its context is documented in scheduler/render/kits.py."""
    details = program.program
    address = person_reply_address(program, person.email, secret)
    context: dict[str, object] = {
        "program": {
            "name": details.name,
            "purpose": details.purpose.strip(),
            "owner": details.owner,
            "owner_name": details.owner_name or details.name + " team",
        },
        "recipient": _peer(person, details.locale),
        "reply_address": address,
        "cadence_text": cadence_text(program.cadence, details.start, details.locale),
        "commands": help_rows("en", INVITATION),
        "meetings": [],
        **extra,
    }
    rendered = kits.render(kind, context)
    to = [(person.display_name, person.email)]
    return compose(program, rendered, kind=kind, key=key, to=to, reply_to=address, now=now)


def readers_of(peers: Sequence[Person], program_locale: str) -> list[Reader]:
    """Who reads a pair's emails: each peer's first name, zone, and locale (their directory's
    `locale` column when Babel knows it, else the program's)."""
    return [
        Reader(first_name(p), p.timezone, reader_locale(p.attributes.get("locale"), program_locale))
        for p in peers
    ]


def meeting_shown(
    number: int,
    start: datetime,
    join_url: str | None,
    readers: Sequence[Reader],
    outside: Sequence[str] = (),
) -> dict[str, object]:
    """One entry of a template's `meetings`: {number, starts_local, join_url, outside_hours}."""
    return {
        "number": number,
        "starts_local": starts_local(start, readers),
        "join_url": join_url,
        "outside_hours": list(outside),
    }


def outside_hours(odd_minutes: Mapping[str, int], peers: Sequence[Person]) -> list[str]:
    """["Dev: 45 minutes"] for a meeting outside someone's hours (issue 9, item 2)."""
    return [
        f"{first_name(p)}: {odd_minutes[p.email]} minutes"
        for p in peers
        if odd_minutes.get(p.email)
    ]


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
) -> OutgoingMail:
    """Render `kind` and wrap it as one email to every peer of the pair."""
    rendered = kits.render(kind, context)
    to = [(p.display_name, p.email) for p in peers]
    return compose(program, rendered, kind=kind, key=key, to=to, reply_to=reply_to, now=now)


def compose(
    program: Program,
    rendered: Rendered,
    *,
    kind: str,
    key: str,
    to: Sequence[tuple[str, str]],
    reply_to: str,
    now: datetime,
    inline: Sequence[tuple[str, str, bytes]] = (),
) -> OutgoingMail:
    """The one way an email of the program is built: from the program mailbox, with a
    Message-ID fixed by `key` so that the outbox sends it once and can look it up."""
    mailbox = program.provider.mailbox
    message_id = make_message_id(key, mailbox.rpartition("@")[2])
    if inline:
        message = build_email(
            rendered,
            sender_name=program.program.name,
            sender=mailbox,
            to=to,
            reply_to=reply_to,
            message_id=message_id,
            date=now,
            inline=inline,
        )
        raw = message.as_bytes(policy=SMTP)
    else:  # the same bytes, written straight (scheduler.render.mime)
        raw = email_bytes(
            sender_name=program.program.name,
            sender=mailbox,
            to=to,
            reply_to=reply_to,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            message_id=message_id,
            date=now,
        )
    recipients = tuple(address for _, address in to)
    return OutgoingMail(key, message_id, raw, recipients, kind=kind, subject=rendered.subject)


def cadence_text(phases: Sequence[Phase], start: date, locale: str = "en-US") -> str:
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
            parts.append(f"{every} until {month_words(last, locale)}")
    return ", then ".join(parts)


def rhythm_left(phases: Sequence[Phase], start: date, after: int, locale: str = "en-US") -> str:
    """The rhythm of the meetings after meeting `after`, as the pair will live it: "4 more
    times every 2 weeks, then monthly until January 2028"; "" when none are left. Counted
    from cadence.meeting_targets, so a pause that took dates away is already accounted for:
    the meetings it cancelled are not "left"."""
    left = [t for t in meeting_targets(start, phases) if t.number > after]
    parts = []
    for index, phase in enumerate(phases):
        mine = [t for t in left if t.phase == index]
        if not mine:
            continue
        if phase.times is None:
            parts.append(f"{_every(phase)} until {month_words(mine[-1].target, locale)}")
        elif len(mine) == 1:
            parts.append(f"once more, {_later(phase.every)}")
        else:
            parts.append(f"{len(mine)} more times {_every(phase)}")
    return ", then ".join(parts)


def _later(span: Span) -> str:
    if span.count == 1:
        return f"a {span.unit.value.rstrip('s')} later"
    return f"{span} later"


def _every(phase: Phase) -> str:
    span = phase.every
    if span.count == 1:
        return {Unit.MONTHS: "monthly", Unit.WEEKS: "weekly", Unit.DAYS: "daily"}.get(
            span.unit, f"every {span}"
        )
    return f"every {span}"


def _peer(person: Person, locale: str) -> dict[str, str]:
    """A peer as the templates see them; the zone by its name in the program's locale, since
    the introductions are one text for the whole pair."""
    return {
        "name": person.display_name,
        "first_name": first_name(person),
        "email": person.email,
        "title": person.title,
        "department": person.department,
        "timezone": zone_name(person.timezone, locale),
    }


def first_name(person: Person) -> str:
    name = person.display_name
    return name.split()[0] if person.name else name
