"""The local calendar's invitations written straight to bytes (scheduler.render.mime): what
`invitation_mail(...).as_bytes(policy=SMTP)` gives, at a fraction of the cost; a launch sends
one per meeting. tests/unit/test_mime.py holds the two ways side by side."""

from __future__ import annotations

from datetime import datetime

from integrations.local.invitations import METHODS, cancel_ics, request_ics
from scheduler.core.header_text import header_text
from scheduler.ports import Booking
from scheduler.render import mime


def invitation_bytes(
    booking: Booking,
    *,
    method: str,
    message_id: str,
    subject: str,
    text: str,
    html: str | None,
    sender_name: str,
    date: datetime,
    join_url: str | None = None,
) -> bytes:
    """`invitation_mail(...).as_bytes(policy=SMTP)`, written straight (scheduler.render.mime):
    the same headers, parts and encodings, at a fraction of the cost."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    make = request_ics if method == "REQUEST" else cancel_ics
    ics = make(booking, stamp=date, join_url=join_url)
    message = mime.Part(subtype="mixed")
    from_ = [(header_text(sender_name), booking.organizer.email)]
    message.headers.append(mime.address_header("From", from_))
    to = [(header_text(peer.name), peer.email) for peer in booking.attendees]
    message.headers.append(mime.address_header("To", to))
    message.add("Subject", header_text(subject))
    message.headers.append(mime.date_header("Date", date))
    message.add("Message-ID", message_id)
    message.add("Auto-Submitted", "auto-generated")
    message.add("MIME-Version", "1.0")
    alternative = mime.Part(subtype="alternative", parts=[mime.text_part(text, "plain")])
    if html is not None:
        html_part = mime.text_part(html, "html")
        html_part.add("MIME-Version", "1.0")
        alternative.parts.append(html_part)
    inline = mime.Part(body=mime.base64_body(ics))
    inline.add("Content-Transfer-Encoding", "base64")
    inline.add("Content-Type", f'text/calendar; method="{method}"; charset="UTF-8"')
    inline.add("MIME-Version", "1.0")
    alternative.parts.append(inline)
    attached = mime.Part(body=mime.base64_body(ics))
    attached.add("Content-Type", "application/ics")
    attached.add("Content-Transfer-Encoding", "base64")
    attached.add("Content-Disposition", 'attachment; filename="invite.ics"')
    attached.add("MIME-Version", "1.0")
    message.parts = [alternative, attached]
    return mime.to_bytes(message)
