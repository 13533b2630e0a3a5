"""One API call, from raw HTTP parts to a response: the pipeline every request goes through.

Order of checks, as Google's front end does them: route (unknown URL -> 404), bearer token
(401), scope (403), rate limits (the injected faults), then parameters and body (400), then the
method itself. Batch parts go through exactly the same function, which is why a fault or a 401
can hit one part of a batch and not the others.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .auth import Token
from .discovery import Method, Registry, check_query
from .errors import ApiError, bad_request, fault_error, insufficient_scopes, unauthenticated
from .errors import unimplemented as not_modelled
from .schema import apply_fields, check_fields, parse_fields, snake, validate
from .state import State

JsonObject = dict[str, Any]


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Reply:
    """What a handler returns: a JSON body (or None for 204) and extra headers."""

    body: JsonObject | None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    """Everything a handler needs about the request it answers."""

    state: State
    method: Method
    params: dict[str, str]
    query: JsonObject
    body: JsonObject
    token: Token
    in_batch: bool
    media: bytes | None = None
    content_type: str = ""

    @property
    def subject(self) -> str:
        return self.token.subject


Handler = Callable[[Call], Reply]
UploadParser = Callable[[str, bytes, JsonObject], tuple[JsonObject, bytes]]

REASON_PHRASES = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    410: "Gone",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    data = json.dumps(body, indent=2).encode() if body is not None else b""
    out = {"Content-Type": "application/json; charset=UTF-8"} if body is not None else {}
    out.update(headers or {})
    return Response(status, data, out)


def error_response(state: State, where: str, error: ApiError) -> Response:
    if error.invalid:
        with state.lock:
            state.rejected.append((where, error.message))
    return json_response(error.code, error.body(), error.headers)


class Dispatcher:
    """Routes and runs API calls against one :class:`State`."""

    def __init__(
        self,
        state: State,
        registry: Registry,
        handlers: dict[str, Handler],
        upload_parser: UploadParser,
    ) -> None:
        self.state = state
        self.registry = registry
        self.handlers = handlers
        self.upload_parser = upload_parser

    def call(
        self,
        http_method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        in_batch: bool,
        api: str | None = None,
    ) -> Response:
        """Answer one request; ``api`` restricts routing to one API (a batch endpoint's)."""
        split = urlsplit(target)
        path = split.path.lstrip("/")
        match = self.registry.match(http_method, path)
        if match is None or (api is not None and match.method.api != api):
            error = ApiError(404, "Not Found", "notFound", invalid=True)
            return error_response(self.state, f"{http_method} /{path}", error)
        method = match.method
        pairs = parse_qsl(split.query, keep_blank_values=True)
        with self.state.lock:
            self.state.requests[method.key] += 1
        try:
            token = self._authorise(method, headers, pairs)
            self._faults(method.key, in_batch)
            reply = self._run(
                method, match.path_params, match.upload, pairs, headers, body, token, in_batch
            )
        except ApiError as error:
            return error_response(self.state, method.key, error)
        except Exception as crash:  # a bug in the fake: loud, and visible in fake.rejected
            failure = ApiError(500, f"Google fake crashed: {crash!r}", "backendError", invalid=True)
            return error_response(self.state, method.key, failure)
        return json_response(reply.status, reply.body, reply.headers)

    def _authorise(
        self, method: Method, headers: Mapping[str, str], pairs: list[tuple[str, str]]
    ) -> Token:
        authorization = headers.get("authorization", "")
        value = authorization[7:].strip() if authorization.lower().startswith("bearer ") else None
        value = value or dict(pairs).get("access_token") or dict(pairs).get("oauth_token")
        with self.state.lock:
            token = self.state.authority.check(value, self.state.clock.now())
        if token is None:
            raise unauthenticated(missing=not value)
        if not token.scopes & set(method.scopes):
            raise insufficient_scopes()
        return token

    def _faults(self, key: str, in_batch: bool) -> None:
        with self.state.lock:
            fault = self.state.take_fault(key, in_batch)
            delay = self.state.slow.get(key, 0.0)
        if delay:
            time.sleep(delay)
        if fault is not None:
            raise fault_error(fault.kind, fault.retry_after)

    def _run(
        self,
        method: Method,
        path_params: dict[str, str],
        upload: bool,
        pairs: list[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes,
        token: Token,
        in_batch: bool,
    ) -> Reply:
        query = check_query(method, pairs, set(path_params))
        selection = parse_fields(query["fields"]) if query.get("fields") else None
        if selection is not None:
            check_fields(method.document, method.spec.get("response"), selection)
        content_type = headers.get("content-type", "")
        media: bytes | None = None
        payload: JsonObject = {}
        if upload:
            payload, media = self.upload_parser(content_type, body, query)
        elif method.request_ref and body.strip():
            try:
                parsed = json.loads(body)
            except ValueError as exc:
                raise bad_request("Parse Error", "parseError") from exc
            if not isinstance(parsed, dict):
                raise bad_request("Invalid JSON payload received. Expected an object.")
            payload = parsed
        if method.request_ref:
            root = {"$ref": method.request_ref}
            validate(method.document, root, payload, snake(method.request_ref))
        handler = self.handlers.get(method.key)
        if handler is None:
            raise not_modelled(method.key)
        call = Call(
            self.state, method, path_params, query, payload, token, in_batch, media, content_type
        )
        with self.state.lock:
            reply = handler(call)
        if selection is not None and reply.body is not None:
            reply.body = apply_fields(reply.body, selection)
        return reply
