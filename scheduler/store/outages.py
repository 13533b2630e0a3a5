"""The writes that must outlast a database out of reach for a moment: letting go of a lease
and settling the mails a sender has handed to the mail service. Lost, they would leave the
lease or the claims to a run that is over, and every later run would find the work taken
until they expire (JOB_LEASE, CLAIM_TTL: minutes). Each is tried again while the database
cannot be reached, for up to OUTAGE_WAIT; past that, the expiry is what is left.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_delay,
    wait_exponential,
)

log = logging.getLogger(__name__)

OUTAGE_WAIT = timedelta(seconds=60)
T = TypeVar("T")


def is_out_of_reach(error: BaseException) -> bool:
    """A connection refused or lost, or (SQLite) a database locked: the write may simply be
    tried again. Not an integrity error or a bug, which would fail the same way again."""
    if isinstance(error, OperationalError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def through_outage(what: str, write: Callable[[], T], *, wait: timedelta = OUTAGE_WAIT) -> T:
    """`write()` (a whole transaction, idempotent), tried again while the database is out of
    reach, for up to `wait`; `what` names it in the log (ids only)."""

    def said(state: RetryCallState) -> None:
        log.warning("database out of reach while %s (try %d)", what, state.attempt_number)

    retrying = Retrying(
        stop=stop_after_delay(wait.total_seconds()),
        wait=wait_exponential(multiplier=0.2, max=5),
        retry=retry_if_exception(is_out_of_reach),
        before_sleep=said,
        reraise=True,
    )
    return retrying(write)
