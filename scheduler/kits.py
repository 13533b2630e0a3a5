"""Turns templates into the emails peers and owners receive. HR may override any template, so
rendering is sandboxed and strict: a mistake is reported with its file and line, before sending.

Each kind has three templates: <kind>.subject.txt, <kind>.txt and <kind>.html; files whose
names start with "_" are shared partials (layout, meeting list, reply commands).

Context shared by the pair kinds (launch_kit, nudge, paused, resumed, ended, confirmation, help):
    program       {name, purpose, owner (email), owner_name}
    pair          {id, reply_address}
    peers         [{name, first_name, email, title, department, timezone}], two or three
    recipient     the one person this copy is for (same shape as a peer), or None when the
                  email goes to the whole pair in one message: then templates speak to `peers`
    meetings      upcoming booked meetings: [{number, starts_local, join_url}], where
                  `starts_local` is a list of strings, one per distinct time zone of the peers
                  (see local_times) and `join_url` is a string or None
    cadence_text  "every 2 weeks for the first 6 meetings, then monthly until January 2028"
    commands      the reply words: [{word, example, description}] (from scheduler.replies)
Per kind:
    launch_kit    booked: bool (False when the dates travel as attached invitations)
    nudge         skipped_meeting (a meeting), new_slot (a meeting or None), booked: bool
    paused        by_name, until (words, or "" for "until someone resumes")
    resumed       by_name
    ended         by_name ("" when Tandem ended it), reason (Tandem's words, "" if a peer ended it)
    confirmation  by_name, done (what was done, in Tandem's words)
    help          recipient (the peer who wrote), not_understood (their first line, or "")
    no_time       meeting_number, around (the day it was due, in words), hours ("09:00-17:00,
                  Mon-Thu"), length ("30 minutes"): no time was found inside both peers' hours
    owner_digest  program, recipient (the owner), since_start {ended_pairs, meetings_held,
                  meetings_missed}, stats {active_pairs, paused_pairs, ended_pairs,
                  meetings_held, meetings_missed}, at_risk [pair names], at_risk_why {name:
                  why}, waiting [{name, reason}],
                  chart_cid
No kind ever receives the text of a peer's reply beyond help's `not_understood`, which goes
back only to its author.
"""

from __future__ import annotations

import hashlib
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from scheduler.header_text import header_text
from scheduler.replies import help_rows
from scheduler.reply_address import reply_address

KINDS = (
    "launch_kit",
    "nudge",
    "paused",
    "resumed",
    "ended",
    "confirmation",
    "help",
    "owner_digest",
    "no_time",
)
_PARTS = ("subject.txt", "txt", "html")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class KitError(Exception):
    """A template could not be rendered; the message reads "file:line: problem"."""

    def __init__(self, filename: str, line: int | None, problem: str) -> None:
        super().__init__(f"{filename}:{line or '?'}: {problem}")
        self.filename, self.line, self.problem = filename, line, problem


class Kits:
    """The templates of one program: the HR override folder first, then the built-ins."""

    def __init__(self, override_folder: Path | None) -> None:
        self._builtin = jinja2.PackageLoader("templates", ".")
        self._override = jinja2.FileSystemLoader(override_folder) if override_folder else None
        loaders: list[jinja2.BaseLoader] = [self._override] if self._override else []
        self._env = ImmutableSandboxedEnvironment(
            loader=jinja2.ChoiceLoader([*loaders, self._builtin]),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(("html",), default_for_string=False, default=False),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters["and_list"] = and_list

    def render(self, kind: str, context: Mapping[str, object]) -> Rendered:
        """Render the three templates of `kind`.

        Raises:
            KitError: naming the template file and line, and the undefined variable, syntax
                error or refused (unsafe) access.
            ValueError: `kind` is not one of KINDS.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown kind of email {kind!r}; expected one of {KINDS}")
        subject, text, html = (self._render_one(f"{kind}.{part}", context) for part in _PARTS)
        return Rendered(subject=_one_line(subject), text=text.strip() + "\n", html=html)

    def check_all(self) -> list[str]:
        """Every problem HR should fix before anything is sent: each kind rendered against its
        sample context and the variants that take the other branches of the built-ins, and
        override files that match no built-in template (a typo there would be ignored)."""
        problems = []
        if self._override:
            known = set(self._templates(self._builtin))
            for name in sorted(set(self._templates(self._override)) - known):
                problems.append(f"{name}: no built-in template has this name, so it is never used")
        for kind in KINDS:
            for variant in ({}, *_VARIANTS.get(kind, ())):
                try:
                    self.render(kind, {**sample_context(kind), **variant})
                except KitError as error:
                    problems.append(str(error))
        return list(dict.fromkeys(problems))

    def _render_one(self, name: str, context: Mapping[str, object]) -> str:
        try:
            return self._env.get_template(name).render(context)
        except jinja2.TemplateSyntaxError as error:
            raise KitError(error.filename or name, error.lineno, error.message or "") from error
        except jinja2.TemplateNotFound as error:
            missing = f"template {error.name!r} is in neither the override folder nor the built-ins"
            raise KitError(name, None, missing) from error
        except Exception as error:  # HR templates are user input: any failure is theirs to fix
            filename, line = _template_frame(error, default=name)
            problem = str(error) or type(error).__name__
            raise KitError(filename, line, problem) from error

    @staticmethod
    def _templates(loader: jinja2.BaseLoader) -> Iterable[str]:
        return (n for n in loader.list_templates() if n.endswith((".txt", ".html")))


def local_times(start: datetime, zones: Sequence[str]) -> list[str]:
    """`start` as each distinct zone reads it, e.g. "Tuesday 12 January, 10:00 (America/New_York)",
    for a meeting's `starts_local`."""
    times = []
    for zone in dict.fromkeys(zones):
        local = start.astimezone(ZoneInfo(zone))
        times.append(f"{local:%A} {local.day} {local:%B}, {local:%H:%M} ({zone})")
    return times


def and_list(items: Iterable[object], word: str = "and") -> str:
    """["Ana", "Jonas", "Mei"] -> "Ana, Jonas and Mei"; a template filter."""
    words = [str(item) for item in items]
    return f"{', '.join(words[:-1])} {word} {words[-1]}" if len(words) > 1 else "".join(words)


def make_message_id(key: str, domain: str) -> str:
    """A Message-ID fixed by the outbox key, so that a rebuilt message keeps its id and a send
    that may have happened can be found in the mailbox before it is retried."""
    if not domain or any(c.isspace() or c in "<>@" for c in domain):
        raise ValueError(f"{domain!r} is not a domain for a Message-ID")
    return f"<tandem.{hashlib.sha256(key.encode()).hexdigest()[:24]}@{domain.lower()}>"


def build_email(
    rendered: Rendered,
    *,
    sender_name: str,
    sender: str,
    to: Sequence[tuple[str, str]],
    reply_to: str,
    message_id: str,
    date: datetime,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    attachments: Sequence[tuple[str, str, bytes]] = (),
    inline: Sequence[tuple[str, str, bytes]] = (),
) -> EmailMessage:
    """A multipart/alternative message (mixed when there are attachments).

    `to` holds (name, address) pairs; names come from the directory and are untrusted, so
    every header goes through email.headerregistry with line breaks and controls removed.
    `attachments` are (filename, content type, bytes), e.g. ("invite.ics",
    "text/calendar; method=REQUEST", data); `inline` are (content id, content type, bytes)
    shown by the HTML part, e.g. the digest's chart.

    Raises:
        ValueError: an address is malformed or `date` is naive.
    """
    if date.tzinfo is None:
        raise ValueError("the Date of an email must be time-zone aware")
    message = EmailMessage(policy=policy.default)
    message["From"] = Address(display_name=_one_line(sender_name), addr_spec=sender)
    message["To"] = [Address(display_name=_one_line(name), addr_spec=addr) for name, addr in to]
    message["Reply-To"] = Address(addr_spec=reply_to)
    message["Subject"] = _one_line(rendered.subject)
    message["Date"] = date
    message["Message-ID"] = _one_line(message_id)
    if in_reply_to:
        message["In-Reply-To"] = _one_line(in_reply_to)
    if references:
        message["References"] = " ".join(_one_line(ref) for ref in references)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders must not answer
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    for cid, content_type, data in inline:
        html_part = message.get_body(("html",))
        assert html_part is not None  # added just above
        maintype, subtype, params = _content_type(content_type)
        html_part.add_related(data, maintype, subtype, cid=f"<{cid}>", params=params)
    for filename, content_type, data in attachments:
        maintype, subtype, params = _content_type(content_type)
        message.add_attachment(data, maintype, subtype, filename=filename, params=params)
    return message


def sample_context(kind: str) -> dict[str, object]:
    """A realistic pair (or owner) for `kind`, used by check_all and `tandem preview`."""
    zones = ("America/New_York", "Europe/Berlin")
    peers = [
        _person("Ana Ferreira", "Senior Product Designer", "Payments", zones[0]),
        _person("Jonas Weber", "Senior Data Engineer", "Logistics", zones[1]),
    ]
    starts = [datetime(2027, 1, 12, 15, tzinfo=UTC) + timedelta(weeks=2 * n) for n in range(4)]
    meetings: list[dict[str, object]] = [
        {"number": n + 1, "starts_local": local_times(start, zones), "join_url": None}
        for n, start in enumerate(starts)
    ]
    meetings[0]["join_url"] = "https://meet.example.com/pc-7k2m-9q4x"
    rebooked = {**meetings[1], "starts_local": local_times(starts[1] + timedelta(days=2), zones)}
    base: dict[str, object] = {
        "program": {
            "name": "Peer Circles",
            "purpose": "Peer Circles pairs colleagues at a similar stage from different parts "
            "of the company, so that each has someone to think out loud with: a person who knows "
            "what the work is like but has no stake in how yours turns out.",
            "owner": "people-team@example.com",
            "owner_name": "Maya Lindqvist",
        },
        "pair": {
            "id": "p7k2m9q4",
            "reply_address": reply_address("mentoring@example.com", "p7k2m9q4", b"sample"),
        },
        "peers": peers,
        "recipient": None,
        "meetings": meetings[:3],
        "cadence_text": "every 2 weeks for the first 6 meetings, then monthly until January 2028",
        "commands": help_rows(),
    }
    by_name = peers[0]["name"]
    extra: dict[str, dict[str, object]] = {
        "launch_kit": {"booked": True},
        "nudge": {
            "skipped_meeting": meetings[1],
            "new_slot": rebooked,
            "booked": True,
            "meetings": [rebooked, meetings[2]],
        },
        "paused": {"by_name": by_name, "until": "Tuesday 2 March", "meetings": []},
        "resumed": {"by_name": by_name, "meetings": meetings[2:]},
        "ended": {"by_name": by_name, "reason": "", "meetings": []},
        "confirmation": {
            "by_name": by_name,
            "meetings": meetings[2:],
            "done": "conversation 2 on Tuesday 26 January is skipped and off your "
            "calendars; the others stay as booked.",
        },
        "help": {"recipient": peers[1], "not_understood": "pasue for a month"},
        "no_time": {
            "meetings": [],
            "meeting_number": 3,
            "around": "Tuesday 9 February",
            "hours": "09:00-17:00, Mon-Thu",
            "length": "30 minutes",
        },
        "owner_digest": {
            "recipient": _person("Maya Lindqvist", "People Partner", "People", zones[1]),
            "stats": dict(zip(_STATS, (41, 3, 2, 57, 9), strict=True)),
            "since_start": {"ended_pairs": 4, "meetings_held": 312, "meetings_missed": 38},
            "at_risk": ["Ana Ferreira and Jonas Weber", "Chen Liu and Priya Nair"],
            "at_risk_why": {
                "Ana Ferreira and Jonas Weber": "2 conversations missed in a row",
                "Chen Liu and Priya Nair": "no time could be booked (no common free 30-minute "
                "slot within 7 days of 2027-02-09)",
            },
            "waiting": [{"name": "Sam Osei", "reason": "no peer at a similar level yet"}],
            "chart_cid": "chart.p7k2m9q4@example.com",
        },
    }
    if kind not in extra:
        raise ValueError(f"unknown kind of email {kind!r}; expected one of {KINDS}")
    return {**base, **extra[kind]}


_VARIANTS: dict[str, tuple[dict[str, object], ...]] = {
    "launch_kit": ({"booked": False},),
    "nudge": ({"booked": False}, {"new_slot": None}, {"new_slot": None, "meetings": []}),
    "paused": ({"by_name": "", "until": ""},),
    "resumed": ({"by_name": ""},),
    "ended": ({"by_name": "", "reason": "the planned conversations are over"},),
    "confirmation": ({"by_name": "", "meetings": []},),
    "help": ({"not_understood": ""},),
    "owner_digest": ({"at_risk": [], "at_risk_why": {}, "waiting": []},),
}
_STATS = ("active_pairs", "paused_pairs", "ended_pairs", "meetings_held", "meetings_missed")


def _person(name: str, title: str, department: str, zone: str) -> dict[str, object]:
    email = name.lower().replace(" ", ".") + "@example.com"
    keys = ("name", "first_name", "email", "title", "department", "timezone")
    return dict(zip(keys, (name, name.split()[0], email, title, department, zone), strict=True))


def _one_line(value: str) -> str:
    """`value` as one safe header line (see scheduler.header_text)."""
    return header_text(value)


def _content_type(value: str) -> tuple[str, str, dict[str, str]]:
    """("text", "calendar", {"method": "REQUEST"}) from "text/calendar; method=REQUEST"."""
    header = policy.default.header_factory("Content-Type", value)
    return header.maintype, header.subtype, dict(header.params)


def _template_frame(error: BaseException, *, default: str) -> tuple[str, int | None]:
    """The innermost template frame of `error`'s traceback; jinja2 rewrites tracebacks so that
    template frames carry the template's file name and line."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.endswith((".txt", ".html")):
            return frame.filename, frame.lineno
    return default, None
