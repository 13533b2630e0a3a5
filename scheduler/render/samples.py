"""A realistic pair and owner for every kind of email, so that `tandem validate` can render each
template (and the branches it may take) before anything is sent, and tests can read the result.

The sample pair reads times two ways on purpose: Ana in New York with the program's en-US,
Jonas in Berlin with de-DE from his directory row, as a mixed pair's emails show them.
"""

from __future__ import annotations

import copy
import functools
from datetime import UTC, date, datetime, timedelta

from scheduler.render.kits import KINDS, starts_local
from scheduler.render.local_time import Reader, day_words, zone_name
from scheduler.replies.address import person_tag, reply_address
from scheduler.replies.commands import INVITATION, help_rows

PROGRAM_LOCALE = "en-US"
ZONES = ("America/New_York", "Europe/Berlin")
READERS = (Reader("Ana", ZONES[0], "en-US"), Reader("Jonas", ZONES[1], "de-DE"))


def sample_context(kind: str) -> dict[str, object]:
    """The context of `kind` for the sample pair (see scheduler/kits.py for its shape): a
    fresh copy each time, so a caller may change it."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of email {kind!r}; expected one of {KINDS}")
    return copy.deepcopy(_samples()[kind])


@functools.cache
def _samples() -> dict[str, dict[str, object]]:
    peers = [
        _person("Ana Ferreira", "Senior Product Designer", "Payments", ZONES[0]),
        _person("Jonas Weber", "Senior Data Engineer", "Logistics", ZONES[1]),
    ]
    starts = [datetime(2027, 1, 12, 15, tzinfo=UTC) + timedelta(weeks=2 * n) for n in range(4)]
    meetings = [_meeting(n + 1, start) for n, start in enumerate(starts)]
    meetings[0]["join_url"] = "https://meet.example.com/pc-7k2m-9q4x"
    rebooked_outside = ["Jonas: 30 minutes"]  # as meetings.stretch allows
    rebooked = _meeting(2, starts[1] + timedelta(days=2))
    rebooked["outside_hours"] = rebooked_outside
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
        "rhythm_left": "3 more times every 2 weeks, then monthly until January 2028",
        "commands": help_rows(),
    }
    by_name = str(peers[0]["name"])
    tag = person_tag(str(peers[0]["email"]))
    asking: dict[str, object] = {
        "recipient": peers[0],
        "reply_address": reply_address("mentoring@example.com", tag, b"sample"),
        "commands": help_rows("en", INVITATION),
        "meetings": [],
    }
    extra: dict[str, dict[str, object]] = {
        "launch_kit": {"booked": True, "meetings": meetings[:2]},  # book_ahead is 2 by default
        "nudge": {
            "skipped_meeting": meetings[1],
            "new_slot": rebooked,
            "booked": True,
            "meetings": [rebooked, meetings[2]],
        },
        "paused": {
            "by_name": by_name,
            "until": day_words(date(2027, 3, 2), PROGRAM_LOCALE),
            "cancelled": [meetings[1], meetings[2]],
            "meetings": [],
        },
        "resumed": {
            "by_name": by_name,
            "meetings": meetings[2:],
            "rhythm_left": "2 more times every 2 weeks, then monthly until January 2028",
        },
        "ended": {"by_name": by_name, "reason": "", "meetings": []},
        "confirmation": {
            "by_name": by_name,
            "meetings": meetings[2:],
            "done": "conversation 2 is skipped and off your calendars; the others stay as booked.",
            "about": meetings[1],
        },
        "help": {"recipient": peers[1], "not_understood": "pasue for a month"},
        "no_time": {
            "meetings": [],
            "meeting_number": 3,
            "around": day_words(date(2027, 2, 9), PROGRAM_LOCALE),
            "hours": "09:00-17:00, Mon-Thu",
            "length": "30 minutes",
        },
        "owner_digest": {
            "recipient": _person("Maya Lindqvist", "People Partner", "People", ZONES[1]),
            "stats": dict(zip(_STATS, (41, 3, 2, 57, 9), strict=True)),
            "since_start": {"ended_pairs": 4, "meetings_held": 312, "meetings_missed": 38},
            "at_risk": ["Ana Ferreira and Jonas Weber", "Chen Liu and Priya Nair"],
            "at_risk_why": {
                "Ana Ferreira and Jonas Weber": "2 conversations missed in a row",
                "Chen Liu and Priya Nair": "no time could be booked (no common free 30-minute "
                "slot within 7 days of 2027-02-09)",
            },
            "waiting": [{"name": "Sam Osei", "reason": "no peer at a similar level yet"}],
            "consent": {"invited": 4, "joined": 52, "declined": 3, "left": 1},
            "final": None,
            "chart_cid": "chart.p7k2m9q4@example.com",
        },
        "closing": {"meetings": [], "held": 11},
        "invitation": {
            **asking,
            "consent": "opt_out",
            "pairs_on": day_words(date(2027, 1, 11), PROGRAM_LOCALE),
        },
        "consent_reply": {**asking, "outcome": "joined", "not_understood": ""},
    }
    return {kind: {**base, **extra[kind]} for kind in KINDS}


_NOBODY = {"name": "", "first_name": "", "email": "people-team@example.com", "title": ""}
VARIANTS: dict[str, tuple[dict[str, object], ...]] = {
    "launch_kit": ({"booked": False},),
    "nudge": ({"booked": False}, {"new_slot": None}, {"new_slot": None, "meetings": []}),
    "paused": ({"by_name": "", "until": "", "cancelled": []},),
    "resumed": ({"by_name": "", "rhythm_left": ""},),
    "ended": ({"by_name": "", "reason": "the planned conversations are over"},),
    "confirmation": ({"by_name": "", "meetings": [], "about": None},),
    "help": ({"not_understood": ""},),
    "closing": ({"held": 1}, {"held": 0}),
    "invitation": ({"consent": "opt_in"},),
    "consent_reply": (
        {"outcome": "declined"},
        {"outcome": "left"},
        {"outcome": "help"},
        {"outcome": "unclear", "not_understood": "maybe later"},
        {"outcome": "unclear"},
    ),
    "owner_digest": (
        {"at_risk": [], "at_risk_why": {}, "waiting": []},
        {"recipient": {**_NOBODY, "department": "", "timezone": "Central European Time"}},
        {
            "consent": {"invited": 0, "joined": 0, "declined": 0, "left": 0},
            "final": {"pairs": 48, "meetings_held": 512, "held_rate": 81, "kept_to_end": 39},
        },
    ),
}
"""The contexts that take the other branches of the built-in templates."""

_STATS = ("active_pairs", "paused_pairs", "ended_pairs", "meetings_held", "meetings_missed")


def _meeting(number: int, start: datetime) -> dict[str, object]:
    return {
        "number": number,
        "starts_local": starts_local(start, READERS),
        "join_url": None,
        "outside_hours": [],
    }


def _person(name: str, title: str, department: str, zone: str) -> dict[str, object]:
    email = name.lower().replace(" ", ".") + "@example.com"
    keys = ("name", "first_name", "email", "title", "department", "timezone")
    shown = zone_name(zone, PROGRAM_LOCALE)
    return dict(zip(keys, (name, name.split()[0], email, title, department, shown), strict=True))
