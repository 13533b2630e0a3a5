"""FakeGraph: the object tests hold. It starts the HTTPS server, seeds the tenant, steers it as
people and Exchange would, injects faults, and exposes what clients did.

A client is configured exactly as for production, with the fake's URLs:

    with FakeGraph() as fake:
        fake.add_app("app-id", secret="s3cret", permissions={"User.Read.All"})
        app = msal.ConfidentialClientApplication(
            "app-id", client_credential="s3cret", authority=fake.authority,
            instance_discovery=False)
        token = app.acquire_token_for_client(scopes=[fake.scope])
        requests.get(f"{fake.graph_url}/users", verify=fake.ca_bundle, headers=...)
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from . import batch, calendar, groups, mail, meetings, messages, schedule, users
from .dispatch import Config, Service
from .seeding import Seeding
from .server import HttpsServer
from .state import Event, Notification, State
from .throttle import Delay, make_fault
from .tls import tls_material

DEFAULT_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


class FakeGraph(Seeding):
    """A Microsoft Graph v1.0 and identity platform double on https://127.0.0.1:<port>."""

    def __init__(
        self,
        *,
        tenant_id: str = DEFAULT_TENANT,
        domains: Iterable[str] = ("contoso.onmicrosoft.com", "contoso.com"),
        token_lifetime: int = 3600,
        page_size: int = 100,
        schedule_limit: int = 20,
        batch_seed: int = 0,
        batch_parallel: bool = True,
        duplicate_transaction: str = "return",
    ) -> None:
        self.state = State()
        config = Config(
            tenant_id=tenant_id,
            domains=frozenset(d.lower() for d in domains),
            token_lifetime=token_lifetime,
            page_size=page_size,
            schedule_limit=schedule_limit,
            batch_seed=batch_seed,
            batch_parallel=batch_parallel,
            duplicate_transaction=duplicate_transaction,
        )
        routes = [
            *users.ROUTES,
            *groups.ROUTES,
            *schedule.ROUTES,
            *calendar.ROUTES,
            *mail.ROUTES,
            *batch.ROUTES,
        ]
        self.service = Service(self.state, config, routes)
        self._tls = tls_material()
        self._server = HttpsServer(self.service, self._tls.server_context())
        config.base_url = f"https://127.0.0.1:{self._server.port}"
        config.resources = (
            config.base_url,
            "https://graph.microsoft.com",
            "00000003-0000-0000-c000-000000000000",
        )
        self._started = False

    # -- lifecycle and addresses ---------------------------------------------------------------

    def __enter__(self) -> FakeGraph:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        if not self._started:
            self._server.start()
            self._started = True

    def stop(self) -> None:
        if self._started:
            self._server.stop()
            self._started = False

    @property
    def base_url(self) -> str:
        return self.service.config.base_url

    @property
    def tenant_id(self) -> str:
        return self.service.config.tenant_id

    @property
    def authority(self) -> str:
        """What msal takes as `authority` (with instance_discovery=False)."""
        return f"{self.base_url}/{self.tenant_id}"

    @property
    def graph_url(self) -> str:
        """The Graph v1.0 root: `{graph_url}/users`..."""
        return self.service.graph_url

    @property
    def scope(self) -> str:
        """The client credentials scope: the fake's resource `/.default`."""
        return f"{self.base_url}/.default"

    @property
    def token_endpoint(self) -> str:
        return f"{self.authority}/oauth2/v2.0/token"

    @property
    def ca_bundle(self) -> str:
        """PEM file to trust: REQUESTS_CA_BUNDLE, SSL_CERT_FILE, or `verify=`."""
        return str(self._tls.ca_bundle)

    @property
    def token_lifetime(self) -> int:
        return self.service.config.token_lifetime

    @token_lifetime.setter
    def token_lifetime(self, seconds: int) -> None:
        self.service.config.token_lifetime = seconds

    # -- observation ---------------------------------------------------------------------------

    @property
    def requests(self) -> Counter[str]:
        """Calls by endpoint name; $batch items count individually, the envelope as "batch"."""
        return self.service.requests

    @property
    def rejected(self) -> list[tuple[str, str]]:
        """(endpoint, "code: message") for every call refused because the call was invalid."""
        return self.service.rejected

    @property
    def errors(self) -> list[tuple[str, int, str]]:
        """(endpoint, status, code) of every error answer, valid or not."""
        return self.service.errors

    @property
    def crashes(self) -> list[str]:
        """Tracebacks of calls the fake itself failed on (answered 500); should stay empty."""
        return self.service.crashes

    @property
    def notifications(self) -> list[Notification]:
        """Meeting messages Exchange sent: request, update, cancel, and attendees' answers."""
        return self.state.notifications

    def events(self, mailbox: str) -> list[dict[str, Any]]:
        with self.state.lock:
            user = self._user(mailbox)
            return [dict(e.data, id=e.id) for e in self.state.mailbox_events(user.id)]

    def messages(self, mailbox: str, folder: str | None = None) -> list[dict[str, Any]]:
        with self.state.lock:
            user = self._user(mailbox)
            return [dict(m.data, id=m.id) for m in self.state.mailbox_messages(user.id, folder)]

    # -- steering ------------------------------------------------------------------------------

    def respond(self, mailbox: str, event_id: str, attendee: str, response: str) -> None:
        """`attendee` answers (accepted, tentativelyAccepted, declined) the organizer's event."""
        with self.state.lock:
            meetings.respond(self.service, self._event(mailbox, event_id), attendee, response)

    def move_event(
        self, mailbox: str, event_id: str, start: str, end: str, zone: str = "UTC"
    ) -> None:
        """The organizer moves the meeting in Outlook: same id, attendees re-invited."""
        with self.state.lock:
            meetings.move(self.service, self._event(mailbox, event_id), start, end, zone)

    def cancel_event_by_attendee(self, mailbox: str, event_id: str, attendee: str) -> None:
        """An attendee removes the meeting from their calendar, which Outlook sends as a
        decline to the organizer."""
        self.respond(mailbox, event_id, attendee, "declined")

    def deliver(self, mailbox: str, raw: bytes) -> str:
        """An internet message arrives in the mailbox's Inbox; returns its id."""
        with self.state.lock:
            return messages.deliver(self.service, self._user(mailbox), raw).id

    def expire_tokens(self) -> None:
        """Every access token issued so far stops working (401 InvalidAuthenticationToken)."""
        with self.state.lock:
            self.state.revoked_tokens |= self.state.issued_tokens

    def expire_delta(self) -> None:
        """Every delta and paging token issued so far becomes unknown to the service."""
        with self.state.lock:
            self.state.epoch += 1

    def advance(self, seconds: float) -> None:
        """Move the fake clock (token expiry, sending limits)."""
        with self.state.lock:
            self.state.clock.advance(seconds)

    def fault(
        self,
        endpoint: str,
        status: int = 429,
        *,
        times: int = 1,
        retry_after: int | None = None,
        in_batch: bool | None = None,
        code: str | None = None,
        message: str | None = None,
    ) -> None:
        """The next `times` calls of `endpoint` ("*" for any) fail with `status`."""
        self.service.throttle.add_fault(
            make_fault(endpoint, status, times, retry_after, in_batch, code, message)
        )

    def slow(self, endpoint: str, seconds: float, *, times: int | None = None) -> None:
        """Delay calls of `endpoint` ("*" for any), outside the state lock."""
        self.service.throttle.add_delay(Delay(endpoint, seconds, times))

    # -- helpers -------------------------------------------------------------------------------

    def _event(self, mailbox: str, event_id: str) -> Event:
        event = self.state.events.get(event_id)
        if event is None or event.mailbox != self._user(mailbox).id:
            raise KeyError(f"no event {event_id!r} in {mailbox!r}")
        return event

    def now(self) -> datetime.datetime:
        return self.state.clock.now()
