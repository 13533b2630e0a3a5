"""The local provider has no calendar server: meetings travel as iMIP invitations in the
core's outbox, and answers come back as REPLY mail in the inbox. This port only says so."""

from __future__ import annotations

from collections.abc import Sequence

from integrations.local.busy import IcsFolderBusy
from scheduler.core.model import Interval
from scheduler.ports import Booked, Booking, Cancellation, ChangeBatch


class LocalCalendar:
    """A calendar that books by mail (RFC 6047 iMIP).

    `invites_by_mail` tells the core to mail a METHOD:REQUEST for each booking and a
    METHOD:CANCEL for each cancellation; `book` and `cancel` themselves touch nothing, and a
    booking's event id is its iCalendar UID. Busy times come from an `IcsFolderBusy`, or
    everyone is free without one. Changes arrive as iMIP REPLY mail, which the core reads from
    the inbox, so `changes` reports none.
    """

    invites_by_mail = True

    def __init__(self, busy: IcsFolderBusy | None = None) -> None:
        self._busy = busy

    def busy(self, emails: Sequence[str], window: Interval) -> dict[str, list[Interval]]:
        if self._busy is None:
            return {email: [] for email in emails}
        return self._busy.busy(emails, window)

    def book(self, bookings: Sequence[Booking]) -> list[Booked]:
        return [Booked(booking.key, event_id=booking.uid) for booking in bookings]

    def cancel(self, cancellations: Sequence[Cancellation]) -> None:
        return None

    def changes(self, cursor: str | None) -> ChangeBatch:
        return ChangeBatch([], cursor)
