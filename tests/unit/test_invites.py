"""Invitations must read the same in two independent parsers (icalendar and vobject, whose time
zones come from the VTIMEZONE through dateutil), and replies from real clients must give facts."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
import vobject
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event

from integrations.local.invitations import (
    PRODID,
    cancel_ics,
    facts_from_ics,
    facts_from_mail,
    invitation_mail,
    request_ics,
)
from scheduler.ports import Attendee, Booking, FactKind, MeetingFact

FIXTURES = Path(__file__).parents[1] / "fixtures" / "ics"
STAMP = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
JOIN = "https://meet.example.com/pc-7k2m-9q4x"
UID = "tandem-7k2m9q4x-m1@tandem.example.com"
HOSTILE = 'Bob "the, boss"; ROLE=CHAIR\r\nATTENDEE:mailto:evil@x'


def a_booking(**changes: Any) -> Booking:
    booking = Booking(
        key="p1:m1:a0",
        uid=UID,
        sequence=0,
        summary="Tandem: Anna & Bob",
        description="Your first Tandem meeting.\nSay hello, share what you hope to learn.",
        start=datetime(2025, 6, 12, 8, tzinfo=UTC),
        end=datetime(2025, 6, 12, 8, 30, tzinfo=UTC),
        timezone="Europe/Berlin",
        organizer=Attendee("tandem@example.com", "Tandem"),
        attendees=(
            Attendee("anna.mueller@example.com", "Anna Müller"),
            Attendee("bob.liu@example.com", "Bob Liu"),
        ),
    )
    return dataclasses.replace(booking, **changes)


def the_event(ics: bytes) -> tuple[Calendar, Event]:
    calendar = Calendar.from_ical(ics)
    assert isinstance(calendar, Calendar)
    [event] = calendar.events
    return calendar, event


def attendees_by_icalendar(ics: bytes) -> dict[str, dict[str, str]]:
    _, event = the_event(ics)
    return {str(each).removeprefix("mailto:"): dict(each.params) for each in event.attendees}


def attendees_by_vobject(ics: bytes) -> dict[str, dict[str, list[str]]]:
    event = vobject.readOne(ics.decode()).vevent
    return {each.value.removeprefix("mailto:"): each.params for each in event.attendee_list}


def the_fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def a_reply_mail(ics: bytes, *, sender: str, charset: str = "utf-8") -> EmailMessage:
    """A reply as a calendar app sends it, after a trip through bytes like a real inbox."""
    mail = EmailMessage(policy=policy.default)
    mail["From"] = sender
    mail["To"] = "Tandem <tandem@example.com>"
    mail["Subject"] = "Declined: Tandem: Anna & Bob"
    mail.set_content("Sorry, I can't make it.")
    params = {"method": "REPLY", "charset": charset}
    mail.add_alternative(ics, maintype="text", subtype="calendar", params=params)
    parsed = BytesParser(policy=policy.default).parsebytes(mail.as_bytes())
    assert isinstance(parsed, EmailMessage)
    return parsed


def parts_of(mail: Message) -> list[Message]:
    payload = mail.get_payload()
    assert isinstance(payload, list)
    return [part for part in payload if isinstance(part, Message)]


def read_back(mail: EmailMessage) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(mail.as_bytes())
    assert isinstance(parsed, EmailMessage)
    return parsed


# --- what Tandem sends ------------------------------------------------------------------------


def test_a_request_reads_the_same_in_icalendar_and_vobject() -> None:
    ics = request_ics(a_booking(sequence=2), stamp=STAMP)

    calendar, event = the_event(ics)
    assert (calendar["PRODID"], calendar["VERSION"], calendar["CALSCALE"]) == (
        PRODID,
        "2.0",
        "GREGORIAN",
    )
    assert calendar["METHOD"] == "REQUEST"
    assert (event["UID"], event["SEQUENCE"], event["STATUS"]) == (UID, 2, "CONFIRMED")
    assert event["TRANSP"] == "OPAQUE"
    assert event.stamp == STAMP
    assert event["ORGANIZER"] == "mailto:tandem@example.com"
    assert event["ORGANIZER"].params["CN"] == "Tandem"

    parsed = vobject.readOne(ics.decode())
    assert parsed.method.value == "REQUEST"
    assert parsed.vevent.uid.value == UID
    assert parsed.vevent.sequence.value == "2"
    assert parsed.vevent.organizer.value == "mailto:tandem@example.com"


def test_every_peer_is_a_required_attendee_asked_to_answer_in_both_parsers() -> None:
    ics = request_ics(a_booking(), stamp=STAMP)
    expected = {"anna.mueller@example.com": "Anna Müller", "bob.liu@example.com": "Bob Liu"}

    by_icalendar = attendees_by_icalendar(ics)
    by_vobject = attendees_by_vobject(ics)

    assert set(by_icalendar) == set(by_vobject) == set(expected)
    for email, name in expected.items():
        assert by_icalendar[email] == {
            "CN": name,
            "CUTYPE": "INDIVIDUAL",
            "ROLE": "REQ-PARTICIPANT",
            "PARTSTAT": "NEEDS-ACTION",
            "RSVP": "TRUE",
        }
        assert by_vobject[email]["RSVP"] == ["TRUE"]
        assert by_vobject[email]["PARTSTAT"] == ["NEEDS-ACTION"]


@pytest.mark.parametrize(
    ("zone", "start", "wall_clock"),
    [
        ("America/New_York", datetime(2025, 3, 7, 15, tzinfo=UTC), "20250307T100000"),
        ("America/New_York", datetime(2025, 3, 10, 14, tzinfo=UTC), "20250310T100000"),
        ("America/New_York", datetime(2025, 10, 31, 14, tzinfo=UTC), "20251031T100000"),
        ("America/New_York", datetime(2025, 11, 3, 15, tzinfo=UTC), "20251103T100000"),
        ("Europe/Berlin", datetime(2025, 3, 28, 9, tzinfo=UTC), "20250328T100000"),
        ("Europe/Berlin", datetime(2025, 3, 31, 8, tzinfo=UTC), "20250331T100000"),
        ("Europe/Berlin", datetime(2025, 10, 24, 8, tzinfo=UTC), "20251024T100000"),
        ("Europe/Berlin", datetime(2025, 10, 27, 9, tzinfo=UTC), "20251027T100000"),
    ],
    ids=[
        "new-york-before-spring-forward",
        "new-york-after-spring-forward",
        "new-york-before-fall-back",
        "new-york-after-fall-back",
        "berlin-before-spring-forward",
        "berlin-after-spring-forward",
        "berlin-before-fall-back",
        "berlin-after-fall-back",
    ],
)
def test_the_start_is_local_time_that_both_parsers_put_on_the_same_instant(
    zone: str, start: datetime, wall_clock: str
) -> None:
    booking = a_booking(timezone=zone, start=start, end=start.replace(minute=30))
    ics = request_ics(booking, stamp=STAMP)

    assert f"DTSTART;TZID={zone}:{wall_clock}".encode() in ics
    _, event = the_event(ics)
    assert event["DTSTART"].params["TZID"] == zone
    assert (event.start, event.end) == (booking.start, booking.end)

    parsed = vobject.readOne(ics.decode())
    assert parsed.vtimezone.tzid.value == zone
    rules = parsed.vtimezone.gettzinfo()  # dateutil's reading of the VTIMEZONE alone
    for moment, expected in (
        (parsed.vevent.dtstart.value, start),
        (parsed.vevent.dtend.value, booking.end),
    ):
        local = moment.replace(tzinfo=None).replace(tzinfo=rules)
        assert local.astimezone(UTC) == expected


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Berlin"])
def test_the_vtimezone_carries_both_summer_and_winter_rules(zone: str) -> None:
    ics = request_ics(a_booking(timezone=zone), stamp=STAMP)

    calendar, _ = the_event(ics)
    [timezone] = calendar.timezones
    assert timezone["TZID"] == zone
    kinds = {component.name for component in timezone.subcomponents}
    assert kinds == {"STANDARD", "DAYLIGHT"}
    assert ics.index(b"BEGIN:VTIMEZONE") < ics.index(b"BEGIN:VEVENT")


def test_a_meeting_in_utc_needs_no_vtimezone() -> None:
    booking = a_booking(timezone="UTC")
    ics = request_ics(booking, stamp=STAMP)

    assert b"BEGIN:VTIMEZONE" not in ics
    assert b"DTSTART:20250612T080000Z" in ics
    assert vobject.readOne(ics.decode()).vevent.dtstart.value == booking.start


def test_a_cancel_keeps_the_uid_raises_the_sequence_and_frees_the_time() -> None:
    booking = a_booking()
    request = request_ics(booking, stamp=STAMP)
    cancel = cancel_ics(dataclasses.replace(booking, sequence=booking.sequence + 1), stamp=STAMP)

    calendar, event = the_event(cancel)
    _, requested = the_event(request)
    assert calendar["METHOD"] == "CANCEL"
    assert event["UID"] == requested["UID"]
    assert event.sequence > requested.sequence
    assert event["STATUS"] == "CANCELLED"
    assert event["X-MICROSOFT-CDO-BUSYSTATUS"] == "FREE"
    assert set(attendees_by_icalendar(cancel)) == set(attendees_by_icalendar(request))

    parsed = vobject.readOne(cancel.decode())
    assert (parsed.method.value, parsed.vevent.status.value) == ("CANCEL", "CANCELLED")
    assert (parsed.vevent.uid.value, parsed.vevent.sequence.value) == (UID, "1")


def test_a_join_link_is_the_location_and_closes_the_description() -> None:
    _, event = the_event(request_ics(a_booking(), stamp=STAMP, join_url=JOIN))

    assert event.location == JOIN
    assert str(event.description).endswith(f"\n\n{JOIN}")
    assert str(event.description).startswith("Your first Tandem meeting.\nSay hello, share")


def test_without_a_join_link_there_is_no_location() -> None:
    _, event = the_event(request_ics(a_booking(), stamp=STAMP))

    assert "LOCATION" not in event


def test_a_hostile_name_cannot_add_an_attendee_or_change_a_role() -> None:
    attendees = (Attendee("bob.liu@example.com", HOSTILE), Attendee("anna@example.com", "Anna"))
    ics = request_ics(a_booking(attendees=attendees), stamp=STAMP)

    by_icalendar = attendees_by_icalendar(ics)
    by_vobject = attendees_by_vobject(ics)
    assert set(by_icalendar) == set(by_vobject) == {"bob.liu@example.com", "anna@example.com"}
    assert by_icalendar["bob.liu@example.com"]["ROLE"] == "REQ-PARTICIPANT"
    assert (
        by_icalendar["bob.liu@example.com"]["CN"]
        == 'Bob "the, boss"; ROLE=CHAIR ATTENDEE:mailto:evil@x'
    )
    assert by_vobject["bob.liu@example.com"]["ROLE"] == ["REQ-PARTICIPANT"]
    unfolded = ics.replace(b"\r\n ", b"").split(b"\r\n")
    assert [line for line in unfolded if line.startswith(b"ATTENDEE")] == [
        line for line in unfolded if line.startswith(b"ATTENDEE;CN=")
    ]
    assert len([line for line in unfolded if line.startswith(b"ATTENDEE")]) == 2


def test_a_hostile_summary_stays_one_property() -> None:
    summary = "Tandem\r\nATTENDEE:mailto:evil@x\rORGANIZER:mailto:evil@x\x00"
    ics = request_ics(a_booking(summary=summary), stamp=STAMP)

    _, event = the_event(ics)
    assert event["SUMMARY"] == "Tandem ATTENDEE:mailto:evil@x ORGANIZER:mailto:evil@x"
    assert event["ORGANIZER"] == "mailto:tandem@example.com"
    assert len(attendees_by_vobject(ics)) == 2


@settings(max_examples=60, deadline=None)
@given(name=st.text(max_size=120))
def test_any_directory_name_yields_exactly_the_intended_attendees(name: str) -> None:
    attendees = (Attendee("bob.liu@example.com", name), Attendee("anna@example.com", "Anna"))
    ics = request_ics(a_booking(attendees=attendees), stamp=STAMP)

    by_icalendar = attendees_by_icalendar(ics)
    expected = {"bob.liu@example.com", "anna@example.com"}
    assert set(by_icalendar) == set(attendees_by_vobject(ics)) == expected
    assert by_icalendar["bob.liu@example.com"]["ROLE"] == "REQ-PARTICIPANT"
    assert "\n" not in by_icalendar["bob.liu@example.com"]["CN"]


def test_an_address_that_could_break_a_line_is_refused() -> None:
    attendees = (Attendee("bob@example.com\r\nATTENDEE:mailto:evil@x", "Bob"),)

    with pytest.raises(ValueError, match="plain email address"):
        request_ics(a_booking(attendees=attendees), stamp=STAMP)


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time-zone aware"):
        request_ics(a_booking(), stamp=datetime(2025, 3, 1, 9))
    with pytest.raises(ValueError, match="time-zone aware"):
        request_ics(a_booking(start=datetime(2025, 6, 12, 10)), stamp=STAMP)


def test_lines_end_in_crlf_and_fold_at_75_octets() -> None:
    long_name = "Ünïcødé " * 20
    booking = a_booking(summary=long_name, description=long_name * 3)
    ics = request_ics(booking, stamp=STAMP, join_url=JOIN)

    assert ics.endswith(b"\r\n")
    lines = ics.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)
    assert b"\n" not in b"".join(lines)
    _, event = the_event(ics)
    assert event["SUMMARY"] == long_name.strip()


# --- the invitation email ---------------------------------------------------------------------


def an_invitation(**changes: Any) -> EmailMessage:
    arguments: dict[str, Any] = {
        "method": "REQUEST",
        "message_id": "<kit-p1-m1@tandem.example.com>",
        "subject": "Tandem: meet Bob",
        "text": "Hello Anna and Bob,\nhere is your first meeting.",
        "html": "<p>Hello Anna and Bob,</p>",
        "sender_name": "Tandem (Mentoring)",
        "date": STAMP,
        "join_url": JOIN,
    }
    arguments.update(changes)
    booking = arguments.pop("booking", a_booking())
    return invitation_mail(booking, **arguments)


def test_an_invitation_nests_the_calendar_where_gmail_and_outlook_look() -> None:
    mail = read_back(an_invitation())

    assert mail.get_content_type() == "multipart/mixed"
    alternative, attachment = parts_of(mail)
    assert alternative.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in parts_of(alternative)]
    assert kinds == ["text/plain", "text/html", "text/calendar"]
    inline = parts_of(alternative)[2]
    assert inline.get_param("method") == "REQUEST"
    assert inline.get_content_charset() == "utf-8"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_disposition() == "attachment"
    expected = request_ics(a_booking(), stamp=STAMP, join_url=JOIN)
    assert inline.get_payload(decode=True) == attachment.get_payload(decode=True) == expected


def test_an_invitation_without_html_has_text_and_calendar_only() -> None:
    mail = read_back(an_invitation(html=None))

    alternative, _ = parts_of(mail)
    kinds = [part.get_content_type() for part in parts_of(alternative)]
    assert kinds == ["text/plain", "text/calendar"]


def test_a_cancellation_mail_says_cancel_in_the_content_type_and_the_calendar() -> None:
    booking = a_booking(sequence=1)
    mail = read_back(an_invitation(method="CANCEL", booking=booking))

    alternative, attachment = parts_of(mail)
    inline = parts_of(alternative)[-1]
    assert inline.get_param("method") == "CANCEL"
    assert attachment.get_payload(decode=True) == cancel_ics(booking, stamp=STAMP, join_url=JOIN)


def test_an_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="REQUEST, CANCEL"):
        an_invitation(method="PUBLISH")


def test_an_invitation_is_addressed_from_the_organizer_to_every_peer() -> None:
    mail = read_back(an_invitation())

    assert mail["From"].addresses[0].addr_spec == "tandem@example.com"
    assert mail["From"].addresses[0].display_name == "Tandem (Mentoring)"
    recipients = [each.addr_spec for each in mail["To"].addresses]
    assert recipients == ["anna.mueller@example.com", "bob.liu@example.com"]
    assert mail["Subject"] == "Tandem: meet Bob"
    assert mail["Message-ID"] == "<kit-p1-m1@tandem.example.com>"
    assert mail["Date"].datetime == STAMP
    assert mail["Auto-Submitted"] == "auto-generated"


def test_odd_names_and_subjects_cannot_inject_headers() -> None:
    attendees = (Attendee("bob.liu@example.com", HOSTILE), Attendee("anna@example.com", "Anna"))
    mail = an_invitation(
        booking=a_booking(attendees=attendees),
        sender_name='Tandem "Team", HR\r\nBcc: evil@x',
        subject="Hello\r\nBcc: evil@x",
    )
    raw = mail.as_bytes()
    parsed = read_back(mail)

    assert b"\nBcc:" not in raw
    assert parsed["Bcc"] is None
    assert [each.addr_spec for each in parsed["From"].addresses] == ["tandem@example.com"]
    assert parsed["From"].addresses[0].display_name == 'Tandem "Team", HR Bcc: evil@x'
    recipients = [each.addr_spec for each in parsed["To"].addresses]
    assert recipients == ["bob.liu@example.com", "anna@example.com"]
    assert parsed["Subject"] == "Hello Bcc: evil@x"


# --- what peers' calendars answer -------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "sender", "expected"),
    [
        (
            "reply_declined_outlook.ics",
            "anna.mueller@example.com",
            MeetingFact(
                UID,
                FactKind.DECLINED,
                by="anna.mueller@example.com",
                seen_at=datetime(2025, 6, 3, 8, 15, 2, tzinfo=UTC),
            ),
        ),
        (
            "reply_accepted_google.ics",
            "bob.liu@example.com",
            MeetingFact(
                UID,
                FactKind.ACCEPTED,
                by="bob.liu@example.com",
                seen_at=datetime(2025, 6, 3, 9, 12, 33, tzinfo=UTC),
            ),
        ),
        (
            "reply_declined_apple.ics",
            "Carla.Diaz@Example.COM",
            MeetingFact(
                "tandem-3h8r2w6z-m2@tandem.example.com",
                FactKind.DECLINED,
                by="carla.diaz@example.com",
                seen_at=datetime(2025, 6, 3, 10, 15, 2, tzinfo=UTC),
            ),
        ),
        (
            "reply_declined_occurrence_google.ics",
            "bob.liu@example.com",
            MeetingFact(
                "tandem-series-5v1n@tandem.example.com",
                FactKind.DECLINED,
                by="bob.liu@example.com",
                seen_at=datetime(2025, 6, 4, 14, tzinfo=UTC),
            ),
        ),
        (
            "reply_accepted_series_google.ics",
            "bob.liu@example.com",
            MeetingFact(
                "tandem-series-5v1n@tandem.example.com",
                FactKind.ACCEPTED,
                by="bob.liu@example.com",
                seen_at=datetime(2025, 6, 4, 14, tzinfo=UTC),
            ),
        ),
        (
            "cancel_from_peer_organizer.ics",
            "anna.mueller@example.com",
            MeetingFact(
                UID,
                FactKind.CANCELLED,
                by="anna.mueller@example.com",
                seen_at=datetime(2025, 6, 5, 7, tzinfo=UTC),
            ),
        ),
    ],
    ids=[
        "outlook-decline-with-comment",
        "google-accept",
        "apple-decline-with-mixed-case-address",
        "google-decline-of-one-occurrence",
        "google-accept-of-a-series",
        "peer-organizer-cancels",
    ],
)
def test_a_reply_from_each_calendar_app_gives_one_fact(
    fixture: str, sender: str, expected: MeetingFact
) -> None:
    assert facts_from_ics(the_fixture(fixture), sender=sender) == [expected]
    assert facts_from_ics(the_fixture(fixture), sender=None) == [expected]


def test_a_counter_proposal_is_not_applied() -> None:
    assert facts_from_ics(the_fixture("counter_proposal.ics"), sender=None) == []


def test_a_tentative_answer_gives_nothing() -> None:
    tentative = the_fixture("reply_accepted_google.ics").replace(b"ACCEPTED", b"TENTATIVE")

    assert facts_from_ics(tentative, sender="bob.liu@example.com") == []


def test_a_reply_speaks_only_for_its_sender() -> None:
    ics = the_fixture("reply_accepted_google.ics")

    assert facts_from_ics(ics, sender="anna.mueller@example.com") == []


def test_a_reply_naming_two_attendees_counts_only_the_sender() -> None:
    spoofed = b"ATTENDEE;PARTSTAT=DECLINED:mailto:anna.mueller@example.com\r\nSEQUENCE:0\r\n"
    ics = the_fixture("reply_accepted_google.ics").replace(b"SEQUENCE:0\r\n", spoofed)

    facts = facts_from_ics(ics, sender="bob.liu@example.com")

    assert [(fact.kind, fact.by) for fact in facts] == [(FactKind.ACCEPTED, "bob.liu@example.com")]


def test_only_the_organizer_can_cancel() -> None:
    ics = the_fixture("cancel_from_peer_organizer.ics")

    assert facts_from_ics(ics, sender="bob.liu@example.com") == []


def test_a_request_from_anyone_gives_nothing() -> None:
    ics = request_ics(a_booking(), stamp=STAMP)

    assert facts_from_ics(ics, sender="tandem@example.com") == []


BROKEN_RULE = b"""BEGIN:VCALENDAR\r
METHOD:REPLY\r
BEGIN:VTIMEZONE\r
TZID:Broken\r
BEGIN:STANDARD\r
DTSTART:16010101T030000\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
RRULE:INTERVAL=1\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
UID:u\r
DTSTART;TZID=Broken:20250101T100000\r
ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@example.com\r
END:VEVENT\r
END:VCALENDAR\r
"""


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage",
        b"\xff\xfe\x00",
        b"BEGIN:VCALENDAR\r\n",
        b"BEGIN:VCALNDAR\r\nMETHOD:REPLY\r\nEND:VCALNDAR\r\n",
        BROKEN_RULE,
    ],
    ids=["empty", "words", "binary", "truncated", "misspelled", "broken-time-zone-rule"],
)
def test_garbage_gives_no_facts(data: bytes) -> None:
    assert facts_from_ics(data, sender=None) == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fixture=st.sampled_from(sorted(path.name for path in FIXTURES.glob("*.ics"))),
    cuts=st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 40), st.binary(max_size=12))),
)
def test_a_mangled_reply_never_raises(fixture: str, cuts: list[tuple[int, int, bytes]]) -> None:
    data = bytearray(the_fixture(fixture))
    for at, length, insert in cuts:
        data[at : at + length] = insert

    facts = facts_from_ics(bytes(data), sender="bob.liu@example.com")

    assert all(fact.by == "bob.liu@example.com" for fact in facts)


def test_a_reply_mail_gives_the_facts_of_its_calendar() -> None:
    mail = a_reply_mail(
        the_fixture("reply_declined_outlook.ics"), sender="Anna <Anna.Mueller@example.com>"
    )

    [fact] = facts_from_mail(mail)

    assert (fact.uid, fact.kind, fact.by) == (UID, FactKind.DECLINED, "anna.mueller@example.com")


def test_a_calendar_attached_deep_inside_a_forwarded_message_is_found_once() -> None:
    ics = the_fixture("reply_accepted_google.ics")
    inner = a_reply_mail(ics, sender="bob.liu@example.com")
    inner.add_attachment(ics, maintype="application", subtype="ics", filename="invite.ics")
    outer = EmailMessage(policy=policy.default)
    outer["From"] = "Bob Liu <bob.liu@example.com>"
    outer.set_content("See below.")
    outer.add_attachment(inner)

    facts = facts_from_mail(read_back(outer))

    assert [(fact.kind, fact.by) for fact in facts] == [(FactKind.ACCEPTED, "bob.liu@example.com")]


def test_a_calendar_in_a_legacy_charset_is_read() -> None:
    ics = the_fixture("reply_declined_outlook.ics").decode().encode("cp1252")
    mail = a_reply_mail(ics, sender="anna.mueller@example.com", charset="windows-1252")

    assert [fact.kind for fact in facts_from_mail(mail)] == [FactKind.DECLINED]


def test_a_reply_mail_from_someone_else_gives_nothing() -> None:
    mail = a_reply_mail(the_fixture("reply_declined_outlook.ics"), sender="mallory@example.com")

    assert facts_from_mail(mail) == []


def test_a_mail_without_a_sender_gives_nothing() -> None:
    mail = a_reply_mail(
        the_fixture("reply_declined_outlook.ics"), sender="anna.mueller@example.com"
    )
    del mail["From"]

    assert facts_from_mail(mail) == []


def test_a_mail_with_a_broken_calendar_gives_nothing() -> None:
    mail = a_reply_mail(b"BEGIN:VCALENDAR\r\nnot a calendar", sender="anna.mueller@example.com")

    assert facts_from_mail(mail) == []


def test_tandems_own_invitation_read_back_gives_nothing() -> None:
    assert facts_from_mail(read_back(an_invitation())) == []
