"""The HTTPS server: one ThreadingHTTPServer on 127.0.0.1 serving both hosts the real service
splits, the identity platform (`/{tenant}/...`) and Graph (`/v1.0/...`).

HTTP/1.1 with keep-alive, because `requests` and `httpx` pool connections; TLS handshakes run in
the connection's own thread so that a slow client never holds up the others. An authority
ending in `/` makes msal ask for `//v2.0/...`, which is answered 404 like any unknown path.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import identity, tokens
from .dispatch import Service
from .errors import GraphError, IdentityError, Request, Response, bad_request


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    service: Service

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that drop the connection or refuse the certificate are not the fake's
        failures; anything else still surfaces through the client's own error."""
        return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        connection = self.request
        # Headers and body leave in separate writes: without NODELAY, Nagle's algorithm and
        # the client's delayed ACK add 40 ms to every response.
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if isinstance(connection, ssl.SSLSocket):
            connection.settimeout(10)
            connection.do_handshake()
            connection.settimeout(None)
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, document: Any, headers: dict[str, str] | None = None) -> None:
        self._send(
            status, json.dumps(document).encode(), "application/json; charset=utf-8", headers
        )

    def _dispatch(self) -> None:
        body = self._body()
        parsed = urllib.parse.urlsplit(self.path)
        if parsed.path.startswith("/v1.0/") or parsed.path == "/v1.0":
            self._graph(parsed, body)
        else:
            self._identity(parsed.path, body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _dispatch

    def _identity(self, path: str, body: bytes) -> None:
        server = self.server
        service = server.service
        parts = path.split("/")
        if len(parts) < 3 or not parts[1]:
            self._json(404, {"error": "not_found"})
            return
        tenant, rest = parts[1], "/".join(parts[2:])
        known = tenant.lower() == service.config.tenant_id.lower() or tenant.lower() in (
            service.config.domains
        )
        try:
            if rest == "v2.0/.well-known/openid-configuration" and self.command == "GET":
                service.count("openid")
                if not known:
                    raise identity.unknown_tenant(tenant)
                self._json(
                    200,
                    identity.openid_configuration(
                        service.config.base_url, service.config.tenant_id
                    ),
                )
            elif rest == "discovery/v2.0/keys" and self.command == "GET":
                service.count("jwks")
                self._json(200, identity.jwks())
            elif rest == "oauth2/v2.0/token" and self.command == "POST":
                service.count("token")
                if not known:
                    raise identity.unknown_tenant(tenant)
                self._token(body)
            else:
                self._json(404, {"error": "not_found"})
        except IdentityError as error:
            if error.invalid:
                service.rejected.append(("token", f"AADSTS{error.aadsts}: {error.description}"))
            service.errors.append(("token", error.status, error.error))
            with service.state.lock:
                now = service.state.clock.now()
            self._json(error.status, error.body(now))

    def _token(self, body: bytes) -> None:
        service = self.server.service
        content_type = (self.headers.get("Content-Type") or "").lower()
        if "application/x-www-form-urlencoded" not in content_type:
            raise IdentityError(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'grant_type'.",
                invalid=True,
            )
        form = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        endpoint = f"{service.config.base_url}/{service.config.tenant_id}/oauth2/v2.0/token"
        with service.state.lock:
            answer = tokens.issue_token(
                service.state,
                service.config.tenant_id,
                endpoint,
                service.config.resources,
                form,
                service.config.token_lifetime,
            )
        self._json(200, answer, {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})

    def _graph(self, parsed: urllib.parse.SplitResult, body: bytes) -> None:
        service = self.server.service
        headers = {name.lower(): value for name, value in self.headers.items()}
        pairs = urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)
        request = Request(
            method=self.command,
            path=urllib.parse.unquote(parsed.path[len("/v1.0") :]) or "/",
            query=dict(pairs),
            headers=headers,
            body=body,
            raw_query=parsed.query,
        )
        names = [name.lower() for name, _ in pairs if name.startswith("$")]
        duplicate = next((name for name in names if names.count(name) > 1), None)
        if duplicate:
            error: GraphError = bad_request(
                "BadRequest",
                f"Query option '{duplicate}' was specified more than once, but it must be "
                "specified at most once.",
            )
            response = service.error_response("unrouted", error, request)
        else:
            _, response = service.handle(request)
        self._write(response, request)

    def _write(self, response: Response, request: Request) -> None:
        headers = dict(response.headers)
        headers.setdefault("request-id", str(uuid.uuid4()))
        headers["client-request-id"] = request.header("client-request-id") or headers["request-id"]
        if response.raw is not None:
            self._send(response.status, response.raw, response.content_type, headers)
        elif response.json is not None:
            self._send(
                response.status, json.dumps(response.json).encode(), response.content_type, headers
            )
        else:
            self._send(response.status, b"", "", headers)


class HttpsServer:
    """Runs the handler in a background thread until stopped."""

    def __init__(self, service: Service, context: ssl.SSLContext) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.socket = context.wrap_socket(
            self._server.socket, server_side=True, do_handshake_on_connect=False
        )
        self._server.service = service
        # A short poll interval keeps stop() fast: shutdown() waits for the next poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="fake-graph", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
