"""`tandem parse-reply` as an admin runs it on a saved email: dates are read from the day the
email was written (its Date header), and a calendar reply is recognised as `tandem run` does."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from tests.e2e.test_cli import ROOT, tandem

GOOGLE_DECLINE = ROOT / "tests" / "fixtures" / "replies" / "google_calendar_declined.eml"


def saved(folder: Path, body: str, date: str | None) -> Path:
    message = EmailMessage()
    message["From"] = "Ana Lima <ana.lima@northwind.example>"
    message["To"] = "mentoring+p7k2m9q4.k3j9x0a1b2c3@northwind.example"
    message["Subject"] = "Re: Northwind Peer Mentoring: your next conversation"
    if date is not None:
        message["Date"] = date
    message.set_content(body)
    path = folder / "reply.eml"
    path.write_bytes(bytes(message))
    return path


def parse(path: Path, *args: str) -> dict[str, object]:
    result = tandem("parse-reply", str(path), *args, cwd=path.parent)
    assert result.returncode == 0, result.stderr
    parsed: dict[str, object] = json.loads(result.stdout)
    return parsed


def test_dates_are_read_from_the_day_the_email_was_written(tmp_path: Path) -> None:
    # Thursday 4 February just after midnight in Berlin, still Wednesday in UTC: "until
    # Thursday" is the Thursday after the day the writer lived, a week later.
    eml = saved(tmp_path, "pause until Thursday", "Thu, 04 Feb 2027 00:30:00 +0100")
    assert parse(eml) == {
        "command": "pause",
        "until": "2027-02-11",
        "pair": None,
        "reason": "found 'pause until thursday' on the first line",
        "help": False,
        "today": "2027-02-04",
        "today_from": "the Date header",
    }


def test_a_proposed_day_and_time_is_shown_read_from_the_date_header(tmp_path: Path) -> None:
    # Written on Tuesday 2 March in Berlin (still Monday 1 March in UTC): "Tuesday" is the
    # Tuesday after the day the writer lived, a week later.
    eml = saved(tmp_path, "How about Tuesday 16:00?", "Tue, 02 Mar 2027 00:30:00 +0100")
    assert parse(eml) == {
        "command": "reschedule",
        "until": None,
        "proposal": {"day": "2027-03-09", "time": "16:00"},
        "pair": None,
        "reason": "proposed 'tuesday 16:00' (Tuesday 9 March 2027, 16:00), read as reschedule",
        "help": False,
        "today": "2027-03-02",
        "today_from": "the Date header",
    }


def test_a_time_that_cannot_be_booked_shows_no_proposal(tmp_path: Path) -> None:
    found = parse(saved(tmp_path, "16:00 works", "Mon, 1 Mar 2027 09:00 +0000"))
    assert (found["command"], found["help"], "proposal" in found) == (None, True, False)
    assert found["reason"] == (
        "no command found in the first lines; '16:00' has no day: which day? Write one, such "
        "as Tuesday 16:00; a day and time Tandem cannot book, answered with the list of words"
    )


def test_today_overrides_the_date_header(tmp_path: Path) -> None:
    eml = saved(tmp_path, "pause until Thursday", "Thu, 04 Feb 2027 00:30:00 +0100")
    found = parse(eml, "--today", "2027-03-01")
    assert (found["until"], found["today"], found["today_from"]) == (
        "2027-03-04",
        "2027-03-01",
        "--today",
    )


def test_without_a_date_header_dates_are_read_from_today(tmp_path: Path) -> None:
    before = datetime.now(UTC).date()
    found = parse(saved(tmp_path, "pause until Thursday", None))
    after = datetime.now(UTC).date()
    assert found["today_from"] == "today (no Date header)"
    assert found["today"] in (before.isoformat(), after.isoformat())
    until = datetime.fromisoformat(str(found["until"])).date()
    assert until.weekday() == 3 and timedelta(days=1) <= until - before <= timedelta(days=8)


def test_a_thank_you_is_shown_as_getting_no_answer(tmp_path: Path) -> None:
    found = parse(saved(tmp_path, "Thanks, looking forward to it!", "Mon, 4 Jan 2027 09:00 +0000"))
    assert (found["command"], found["help"]) == (None, False)
    assert found["reason"] == (
        "no command found in the first lines; neither a question nor a command, so no answer"
    )


def test_a_google_calendar_decline_is_a_calendar_reply_not_a_command() -> None:
    # multipart/alternative (text/plain, text/html, text/calendar; method=REPLY) and an
    # invite.ics attachment, From the attendee, as Google Calendar sends it; its note says
    # "let's skip this one", which must not act as a command.
    assert parse(GOOGLE_DECLINE) == {
        "command": None,
        "until": None,
        "pair": None,
        "reason": "a calendar reply: bo.svensson@partner.example declined "
        "tandem-p7k2m9q4-2-0@northwind.example; it is read for the calendar only, never as a "
        "command, and gets no answer",
        "help": False,
        "calendar": [
            {
                "uid": "tandem-p7k2m9q4-2-0@northwind.example",
                "kind": "declined",
                "by": "bo.svensson@partner.example",
            }
        ],
        "today": "2027-03-01",
        "today_from": "the Date header",
    }


def test_calendar_mail_from_someone_else_than_the_attendee_neither_acts_nor_is_answered(
    tmp_path: Path,
) -> None:
    # The calendar speaks only for its sender (integrations.local.invitations): forwarded by a
    # colleague it gives no fact, and as calendar mail it is not read for commands either.
    raw = GOOGLE_DECLINE.read_bytes().replace(
        b"From: Bo Svensson <bo.svensson@partner.example>",
        b"From: Cy Colleague <cy@partner.example>",
    )
    eml = tmp_path / "forwarded-decline.eml"
    eml.write_bytes(raw)
    found = parse(eml)
    assert (found["command"], found["help"], "calendar" in found) == (None, False, False)
    assert found["reason"] == (
        "a calendar message (text/calendar; method=REPLY), read for calendar replies only"
    )
