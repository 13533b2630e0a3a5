"""The two error shapes the fake answers with, and the wire types shared by every handler.

Graph: `{"error": {"code", "message", "innerError": {"date", "request-id",
"client-request-id"}}}`, with `client-request-id` echoing the client's header when it sent one
(docs: concepts/errors.md, and every captured error in microsoftgraph/microsoft-graph-docs
issues). The identity platform: `{"error", "error_description", "error_codes", "timestamp",
"trace_id", "correlation_id", "error_uri"}`, and the description carries the AADSTS code followed
by `\\r\\nTrace ID: ...\\r\\nCorrelation ID: ...\\r\\nTimestamp: ...` (captured responses quoted in
OfficeDev/microsoft-365-agents-toolkit#8621 and Azure/sap-automation#418).

`invalid` marks a refusal caused by the request itself (a malformed query, an unknown property,
a limit exceeded by the caller): those are recorded in `FakeGraph.rejected` so a contract test
can assert the client never sends what Graph would refuse.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any


class GraphError(Exception):
    """A Graph error answer; raising it from a handler produces the documented JSON body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        invalid: bool = False,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.invalid = invalid


def bad_request(code: str, message: str) -> GraphError:
    """A 400 that the client caused, and which is therefore recorded as a rejection."""
    return GraphError(400, code, message, invalid=True)


def graph_error_body(
    code: str, message: str, request_id: str, client_request_id: str | None, now: datetime.datetime
) -> dict[str, Any]:
    inner: dict[str, Any] = {
        "date": now.strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": request_id,
        "client-request-id": client_request_id or request_id,
    }
    return {"error": {"code": code, "message": message, "innerError": inner}}


class IdentityError(Exception):
    """An OAuth error answer of the token service (AADSTS codes)."""

    def __init__(
        self, status: int, error: str, aadsts: int, description: str, *, invalid: bool = False
    ) -> None:
        super().__init__(f"{status} {error}: AADSTS{aadsts}: {description}")
        self.status = status
        self.error = error
        self.aadsts = aadsts
        self.description = description
        self.invalid = invalid

    def body(self, now: datetime.datetime) -> dict[str, Any]:
        trace_id = str(uuid.uuid4())
        correlation_id = str(uuid.uuid4())
        stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
        return {
            "error": self.error,
            "error_description": (
                f"AADSTS{self.aadsts}: {self.description}\r\nTrace ID: {trace_id}\r\n"
                f"Correlation ID: {correlation_id}\r\nTimestamp: {stamp}"
            ),
            "error_codes": [self.aadsts],
            "timestamp": stamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.aadsts}",
        }


@dataclass
class Request:
    """One Graph call as the dispatcher sees it, whether it came over HTTP or inside $batch.

    `path` is relative to the version root (`/users/x/events`); `query` holds the decoded query
    options; header names are lower case.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    in_batch: bool = False
    raw_query: str = ""
    client_id: str | None = None
    roles: frozenset[str] = frozenset()

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    """What a handler answers: a JSON document, raw bytes, or nothing (202/204)."""

    status: int = 200
    json: Any = None
    raw: bytes | None = None
    content_type: str = "application/json; odata.metadata=minimal; odata.streaming=true"
    headers: dict[str, str] = field(default_factory=dict)
