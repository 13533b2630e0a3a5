"""``GoogleFake``: the object tests hold -- start/stop, seeding, steering, faults, counters.

Point the real client at it::

    with GoogleFake() as fake:
        account = fake.create_service_account(tmp_path / "key.json", scopes=[...])
        fake.add_user("ada@example.com", name="Ada Lovelace", is_admin=True)
        creds = service_account.Credentials.from_service_account_file(account.path, scopes=[...])
        directory = build("admin", "directory_v1", credentials=creds.with_subject(admin),
                          client_options={"api_endpoint": fake.root}, static_discovery=True)
        calendar = build("calendar", "v3", ..., client_options={"api_endpoint": fake.calendar_root})
        batch = BatchHttpRequest(batch_uri=fake.batch_uri("calendar"))
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from . import directory, events, gmail
from .auth import (
    ServiceAccount,
    TokenAuthority,
    make_service_account_info,
    write_service_account_file,
)
from .calendar import HANDLERS as CALENDAR_HANDLERS
from .discovery import Registry
from .dispatch import Dispatcher, Handler
from .errors import FAULT_KINDS
from .mail import upload_body
from .server import HttpServer
from .state import Fault, Notification, SentMail, State
from .world import World

JsonObject = dict[str, Any]
BATCH_URIS = {
    "calendar": "batch/calendar/v3",
    "gmail": "batch/gmail/v1",
    "admin": "batch/admin/directory_v1",
}


@functools.lru_cache(maxsize=1)
def _registry() -> Registry:
    """Discovery documents are read once per test session."""
    return Registry()


class GoogleFake(World):
    """A strict, stateful stand-in for Directory, Calendar, Gmail and the OAuth2 token endpoint."""

    def __init__(
        self, *, token_lifetime: timedelta = timedelta(seconds=3599), daily_send_limit: int = 2000
    ) -> None:
        self.registry = _registry()
        self._authority = TokenAuthority("", token_lifetime)
        self.state = State(self._authority)
        self.state.daily_send_limit = daily_send_limit
        handlers: dict[str, Handler] = {
            **directory.HANDLERS, **CALENDAR_HANDLERS, **events.HANDLERS, **gmail.HANDLERS
        }  # fmt: skip
        self._server = HttpServer(Dispatcher(self.state, self.registry, handlers, upload_body))
        self._authority.token_uri = self.token_uri

    # -- lifecycle and addresses ---------------------------------------------------------------

    def start(self) -> GoogleFake:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> GoogleFake:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def root(self) -> str:
        """``api_endpoint`` for Directory and Gmail (their paths carry their own prefix)."""
        return f"http://127.0.0.1:{self._server.port}/"

    @property
    def calendar_root(self) -> str:
        """``api_endpoint`` for Calendar, whose method paths lack the ``calendar/v3/`` prefix."""
        return self.root + "calendar/v3/"

    @property
    def token_uri(self) -> str:
        return self.root + "token"

    def batch_uri(self, api: str) -> str:
        """``calendar``, ``gmail`` or ``admin``: the ``batch_uri`` for BatchHttpRequest."""
        return self.root + BATCH_URIS[api]

    # -- service accounts and delegation -------------------------------------------------------

    def create_service_account(
        self,
        path: Path,
        scopes: Iterable[str],
        *,
        client_email: str = "tandem@tandem-test.iam.gserviceaccount.com",
    ) -> ServiceAccount:
        """Write a key file whose token_uri is this fake, register it, grant DWD ``scopes``."""
        info, public_pem = make_service_account_info(self.token_uri, client_email=client_email)
        write_service_account_file(path, info)
        account = ServiceAccount(
            info["client_email"], info["client_id"], info["private_key_id"], public_pem, path
        )
        with self.state.lock:
            self._authority.register(account, tuple(scopes))
        return account

    def authorize(self, client_id: str, scopes: Iterable[str]) -> None:
        """Add scopes to a client id's domain-wide delegation (the Admin console table)."""
        with self.state.lock:
            self._authority.delegation.setdefault(client_id, set()).update(scopes)

    def revoke(self, client_id: str, scopes: Iterable[str] | None = None) -> None:
        with self.state.lock:
            granted = self._authority.delegation.setdefault(client_id, set())
            granted.difference_update(set(scopes) if scopes is not None else set(granted))

    @property
    def now(self) -> datetime:
        return self.state.clock.now()

    @now.setter
    def now(self, when: datetime) -> None:
        with self.state.lock:
            self.state.clock.set(when)

    def advance(self, **delta: float) -> None:
        """Move the fake clock: ``fake.advance(days=1)`` resets Gmail's rolling sending limit."""
        with self.state.lock:
            self.state.clock.advance(timedelta(**delta))

    @property
    def daily_send_limit(self) -> int:
        return self.state.daily_send_limit

    @daily_send_limit.setter
    def daily_send_limit(self, value: int) -> None:
        self.state.daily_send_limit = value

    # -- faults --------------------------------------------------------------------------------

    def fault(
        self,
        method_id: str,
        status: int | str,
        *,
        times: int = 1,
        retry_after: float | None = None,
        in_batch: bool | None = None,
    ) -> None:
        """The next ``times`` calls of a method answer an error in Google's shape.

        ``status``: 429, 500, 503, 403 (= ``"403-rateLimitExceeded"``),
        ``"403-userRateLimitExceeded"`` or ``"403-quotaExceeded"``; ``in_batch`` limits the
        fault to batch parts (True) or direct calls (False). ``method_id="token"`` fails grants.
        """
        kind = (
            {403: "403-rateLimitExceeded"}.get(status, str(status))
            if isinstance(status, int)
            else status
        )
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {status!r}; use one of {sorted(FAULT_KINDS)}")
        with self.state.lock:
            self.state.faults.append(
                Fault(self.registry.normalise(method_id), kind, times, retry_after, in_batch)
            )

    def slow(self, method_id: str, seconds: float) -> None:
        with self.state.lock:
            self.state.slow[self.registry.normalise(method_id)] = seconds

    def clear_faults(self) -> None:
        with self.state.lock:
            self.state.faults.clear()
            self.state.slow.clear()

    def expire_tokens(self) -> None:
        """Every access token stops working; the client's next call gets 401 and refreshes."""
        with self.state.lock:
            self._authority.expire_all()

    # -- counters ------------------------------------------------------------------------------

    @property
    def requests(self) -> Counter[str]:
        """Calls by method id (batch parts one by one), plus ``token`` and ``batch``."""
        return self.state.requests

    @property
    def rejected(self) -> list[tuple[str, str]]:
        """(method id or path, message) for every call refused as invalid or not modelled."""
        return self.state.rejected

    @property
    def token_grants(self) -> Counter[str]:
        return self.state.token_grants

    @property
    def notifications(self) -> list[Notification]:
        return self.state.notifications

    @property
    def sent(self) -> list[SentMail]:
        return self.state.sent

    def reset_counters(self) -> None:
        with self.state.lock:
            self.state.requests.clear()
            self.state.token_grants.clear()
            self.state.rejected.clear()
            self.state.notifications.clear()
            self.state.sent.clear()
