"""Routing of Graph calls, shared by the HTTP server and $batch: authentication, permission and
mailbox checks, injected faults, the mailbox concurrency gate, counting.

Checks answer like the workload that owns the endpoint:

* missing application permission on a directory endpoint: 403 `Authorization_RequestDenied`
  "Insufficient privileges to complete the operation."; on an Exchange endpoint: 403
  `ErrorAccessDenied` "Access is denied. Check credentials and try again.";
* unknown mailbox: 404 `ErrorInvalidUser` "The requested user 'x' is invalid."
  (microsoftgraph/microsoft-graph-docs#4097, #7909); a user without an Exchange Online mailbox:
  404 `MailboxNotEnabledForRESTAPI`;
* a mailbox outside the app's application access policy / RBAC scope: 403 `ErrorAccessDenied`
  "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy
  settings." (docs: concepts/auth-limit-mailbox-access.md, and captured production messages).
  Only the mailbox in the URL is checked: getSchedule reads attendees' free/busy through the
  availability service, which these policies do not scope (assumed; not found in the docs);
* an unknown path: 400 `BadRequest` "Resource not found for the segment 'x'." (Graph's OData
  router answers 400, not 404, for a segment it cannot bind).
"""

from __future__ import annotations

import json
import re
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import throttle
from .errors import GraphError, Request, Response, bad_request, graph_error_body
from .identity import authenticate
from .state import State, User

Handler = Callable[["Service", Request, dict[str, str]], Response]

DIRECTORY = "directory"
EXCHANGE = "exchange"


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    endpoint: str
    handler: Handler
    roles: frozenset[str]
    workload: str
    locked: bool = True


def route(
    registry: list[Route],
    method: str,
    template: str,
    endpoint: str,
    roles: set[str],
    workload: str,
    *,
    locked: bool = True,
) -> Callable[[Handler], Handler]:
    """Register a handler for `template` (segments like `{user}` match one path segment)."""
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    pattern = re.compile(f"^{regex}/?$", re.IGNORECASE)

    def register(handler: Handler) -> Handler:
        registry.append(
            Route(method, pattern, endpoint, handler, frozenset(roles), workload, locked)
        )
        return handler

    return register


@dataclass
class Config:
    base_url: str = ""
    tenant_id: str = ""
    domains: frozenset[str] = frozenset()
    resources: tuple[str, ...] = ()
    token_lifetime: int = 3600
    page_size: int = 100
    schedule_limit: int = 20
    message_rate: int = 30
    daily_recipients: int = 10_000
    batch_seed: int = 0
    duplicate_transaction: str = "return"
    batch_parallel: bool = True


@dataclass
class Service:
    """The fake's behaviour: state plus the knobs, counters and routes that act on it."""

    state: State
    config: Config
    routes: list[Route]
    throttle: throttle.Throttle = field(default_factory=throttle.Throttle)
    requests: Counter[str] = field(default_factory=Counter)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, int, str]] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)

    @property
    def graph_url(self) -> str:
        return f"{self.config.base_url}/v1.0"

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        path_matched = False
        for candidate in self.routes:
            found = candidate.pattern.match(path)
            if found:
                path_matched = True
                if candidate.method == method:
                    return candidate, {k: v for k, v in found.groupdict().items() if v}
        if path_matched:
            raise GraphError(
                405,
                "Request_BadRequest",
                f"The HTTP method '{method}' is not allowed.",
                invalid=True,
            )
        return None

    def mailbox(self, key: str, client_id: str | None) -> User:
        user = self.state.find_user(key)
        if user is None:
            raise GraphError(404, "ErrorInvalidUser", f"The requested user '{key}' is invalid.")
        if not user.has_mailbox:
            raise GraphError(
                404,
                "MailboxNotEnabledForRESTAPI",
                "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
            )
        app = self.state.apps.get((client_id or "").lower())
        if app and app.mailbox_scope is not None and user.id.lower() not in app.mailbox_scope:
            raise GraphError(
                403,
                "ErrorAccessDenied",
                "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly "
                "AccessPolicy settings.",
            )
        return user

    def prepare(self, request: Request) -> tuple[Route, dict[str, str]]:
        """Route and check a request; raise the GraphError Graph would answer before running it."""
        found = self.match(request.method, request.path)
        if found is None:
            segment = request.path.strip("/").split("/")[-1] or request.path
            raise bad_request("BadRequest", f"Resource not found for the segment '{segment}'.")
        chosen, params = found
        fault = self.throttle.take_fault(chosen.endpoint, request.in_batch)
        if fault is not None:
            raise fault
        if chosen.roles and not (chosen.roles & request.roles):
            if chosen.workload == DIRECTORY:
                raise GraphError(
                    403,
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation.",
                )
            raise GraphError(
                403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
            )
        if chosen.workload == EXCHANGE and "user" in params:
            with self.state.lock:
                params["mailbox"] = self.mailbox(params["user"], request.client_id).id
        return chosen, params

    def run(self, chosen: Route, request: Request, params: dict[str, str]) -> Response:
        throttle.sleep(self.throttle.delay_for(chosen.endpoint))
        if not chosen.locked:
            return chosen.handler(self, request, params)
        with self.state.lock:
            return chosen.handler(self, request, params)

    def handle(self, request: Request, siblings: int = 0) -> tuple[str, Response]:
        """Answer one call; `siblings` is how many concurrent $batch items share its mailbox."""
        endpoint = "unrouted"
        try:
            with self.state.lock:
                app, roles = authenticate(self.state, request.header("authorization"))
            request.client_id, request.roles = app.client_id, roles
            found = self.match(request.method, request.path)
            endpoint = found[0].endpoint if found else "unrouted"
            self.count(endpoint)
            chosen, params = self.prepare(request)
            mailbox = params.get("mailbox")
            if mailbox is None:
                return endpoint, self.run(chosen, request, params)
            self.throttle.enter(mailbox, siblings)
            try:
                return endpoint, self.run(chosen, request, params)
            finally:
                self.throttle.leave(mailbox)
        except GraphError as error:
            if endpoint == "unrouted":
                self.count(endpoint)
            return endpoint, self.error_response(endpoint, error, request)
        except Exception:  # a bug of the fake: answer 500 and keep the traceback for the test
            self.crashes.append(traceback.format_exc())
            crash = GraphError(500, "InternalServerError", "The fake crashed; see crashes.")
            return endpoint, self.error_response(endpoint, crash, request)

    def count(self, endpoint: str) -> None:
        with self.state.lock:
            self.requests[endpoint] += 1

    def error_response(self, endpoint: str, error: GraphError, request: Request) -> Response:
        self.errors.append((endpoint, error.status, error.code))
        if error.invalid:
            self.rejected.append((endpoint, f"{error.code}: {error.message}"))
        request_id = str(uuid.uuid4())
        body = graph_error_body(
            error.code,
            error.message,
            request_id,
            request.header("client-request-id"),
            self.state.clock.now(),
        )
        headers = {"request-id": request_id, **error.headers}
        return Response(
            status=error.status, json=body, headers=headers, content_type="application/json"
        )


def json_body(request: Request, *, allow_empty: bool = False) -> dict[str, Any]:
    """The JSON object in a request body, refused the way Graph's deserializer refuses it."""
    if not request.body.strip():
        if allow_empty:
            return {}
        raise bad_request("BadRequest", "Empty Payload. JSON content expected.")
    content_type = (request.header("content-type") or "").lower()
    if "json" not in content_type:
        raise GraphError(
            415,
            "UnsupportedMediaType",
            f"Content-Type '{content_type or 'missing'}' is not supported; expected "
            "application/json.",
            invalid=True,
        )
    try:
        document = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("BadRequest", "Unable to read JSON request payload.") from None
    if not isinstance(document, dict):
        raise bad_request("BadRequest", "Unable to read JSON request payload.")
    return document


def unknown_body_property(name: str, type_name: str) -> GraphError:
    return bad_request(
        "RequestBodyRead",
        f"The property '{name}' does not exist on type '{type_name}'. Make sure to only use "
        "property names that are defined by the type or mark the type as open type.",
    )


def canonical_keys(
    document: dict[str, Any], known: Iterable[str], type_name: str
) -> dict[str, Any]:
    """Map body keys to the type's casing (Outlook reads them case-insensitively); refuse
    unknown ones. `@odata.type` and other annotations pass through."""
    lookup = {name.lower(): name for name in known}
    shaped: dict[str, Any] = {}
    for key, value in document.items():
        if key.startswith("@") or "@odata." in key:
            continue
        name = lookup.get(key.lower())
        if name is None:
            raise unknown_body_property(key, type_name)
        shaped[name] = value
    return shaped
