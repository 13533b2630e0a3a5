"""Turns templates into the emails peers and owners receive. HR may override any template, so
rendering is sandboxed and strict: a mistake is reported with its file and line, before sending.

Each kind has three templates: <kind>.subject.txt, <kind>.txt and <kind>.html; files whose
names start with "_" are shared partials (layout, meeting list, reply commands).

The templates' words are English; dates and times are written by scheduler.render.local_time in each
reader's zone and locale, and no email ever shows an IANA zone key such as America/New_York.
A meeting time is written once per reader (their zone and their own locale); a date inside a
sentence (a pause's end, the cadence's last month) in the program's locale, since one sentence
goes to the whole pair.

Context shared by the pair kinds (launch_kit, nudge, paused, resumed, ended, confirmation, help):
    program       {name, purpose, owner (email), owner_name (program.owner_name, else
                  "<program name> team")}
    pair          {id, reply_address}
    peers         [{name, first_name, email, title, department, timezone}], two or three;
                  `timezone` is the zone's name in the program's locale, "Eastern Time
                  (New York)"
    recipient     the one person this copy is for (same shape as a peer), or None when the
                  email goes to the whole pair in one message: then templates speak to `peers`
    meetings      upcoming booked meetings: [{number, starts_local, join_url}]; `starts_local`
                  is a list of lines (see starts_local): one line when every peer reads the
                  time alike, else one per distinct zone and locale, led by whose it is:
                  ["Ana: Tuesday, January 12 at 10:00 AM Eastern Time (New York)",
                   "Jonas: Dienstag, 12. Januar um 16:00 Mitteleuropäische Zeit (Berlin)"];
                  `join_url` is a string or None
    cadence_text  the whole rhythm: "every 2 weeks for the first 6 meetings, then monthly
                  until January 2028"
    rhythm_left   the rhythm after the meetings listed, counted from the meetings still to
                  come: "4 more times every 2 weeks, then monthly until January 2028", or ""
                  when the listed meetings are the last
    commands      the reply words: [{word, example, description}] (from scheduler.replies.read)
Per kind:
    launch_kit    booked: bool (False when the dates travel as attached invitations)
    nudge         skipped_meeting (a meeting), new_slot (a meeting or None), booked: bool
    paused        by_name, until (a date in words, or "" for "until someone resumes"),
                  cancelled (the meetings the pause took off the calendars, same shape as
                  `meetings`); `meetings` holds those still booked after the pause
    resumed       by_name
    ended         by_name ("" when Tandem ended it), reason (Tandem's words, "" if a peer ended it)
    confirmation  by_name, done (what was done, in Tandem's words), about (the meeting as it
                  was booked before a skip or a move, same shape as a meeting, or None)
    help          recipient (the peer who wrote), not_understood (their first line, or "")
    no_time       meeting_number, around (the day it was due, in words), hours ("09:00-17:00,
                  Mon-Thu"), length ("30 minutes"): no time was found inside both peers' hours
    owner_digest  program, recipient (the owner: name and first_name "" when unknown, then
                  the greeting is neutral), since_start {ended_pairs, meetings_held,
                  meetings_missed}, stats {active_pairs, paused_pairs, ended_pairs,
                  meetings_held, meetings_missed}, at_risk [pair names], at_risk_why {name:
                  why}, waiting [{name, reason}],
                  chart_cid
    closing       held (how many of the pair's conversations were held); the program has
                  ended and nothing more is booked
Context of the kinds that go to one person about taking part (invitation, consent_reply):
    program, recipient (the person, same shape as a peer), reply_address (their own),
    cadence_text, commands (the words of the invitation email: join, leave, no thanks, help)
    invitation    consent ("opt_out" or "opt_in"), pairs_on (the first day they may be
                  paired, in words)
    consent_reply outcome ("joined", "declined", "left", "help", "unclear"), not_understood (their
                  first line when unclear, else "")
No kind ever receives the text of a peer's reply beyond help's `not_understood`, which goes
back only to its author.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from scheduler.core.header_text import header_text
from scheduler.render.local_time import Reader, times_for

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
    "closing",
    "invitation",
    "consent_reply",
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
            # compiled templates kept in a folder only this user can write (jinja2 checks), and
            # keyed by the template's source, so an edited template is compiled again
            bytecode_cache=jinja2.FileSystemBytecodeCache(),
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
        from scheduler.render.samples import VARIANTS

        for kind in KINDS:
            for variant in ({}, *VARIANTS.get(kind, ())):
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


def starts_local(start: datetime, readers: Sequence[Reader]) -> list[str]:
    """A meeting's `starts_local` lines: one per distinct zone and locale of the readers, led
    by their first names when the readers do not all read it alike."""
    lines = times_for(start, readers)
    if len(lines) == 1:
        return [lines[0][1]]
    return [f"{and_list(names)}: {when}" for names, when in lines]


def and_list(items: Iterable[object], word: str = "and") -> str:
    """["Ana", "Jonas", "Mei"] -> "Ana, Jonas and Mei"; a template filter."""
    words = [str(item) for item in items]
    return f"{', '.join(words[:-1])} {word} {words[-1]}" if len(words) > 1 else "".join(words)


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
    """A realistic pair (or owner) for `kind`, used by check_all and the tests."""
    from scheduler.render.samples import sample_context as sample

    return sample(kind)


def _one_line(value: str) -> str:
    """`value` as one safe header line (see scheduler.core.header_text)."""
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
