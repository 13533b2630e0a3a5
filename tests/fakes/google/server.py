"""The HTTP side: a ThreadingHTTPServer on 127.0.0.1 that feeds the dispatcher.

HTTP/1.1 with Content-Length on every answer, because httplib2 keeps connections alive and
reads bodies by length. Three kinds of URL: ``/token`` (OAuth2), ``/batch/...`` (batches), and
everything else (API calls, routed by the discovery documents).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .auth import TokenError
from .batch import BATCH_PATHS, handle_batch
from .dispatch import Dispatcher, Response, json_response
from .errors import FAULT_KINDS
from .state import State


def token_endpoint(state: State, body: bytes) -> Response:
    """Answer a JWT-bearer grant as oauth2.googleapis.com/token does."""
    with state.lock:
        state.requests["token"] += 1
        fault = state.take_fault("token", False)
        if fault is not None:
            status = FAULT_KINDS[fault.kind][0]
            return json_response(status, {"error": "internal_failure"})
        try:
            value, token = state.authority.grant(body, state.clock.now(), state.active_user)
        except TokenError as error:
            return json_response(error.status, error.body)
        state.token_grants[token.subject] += 1
        lifetime = int((token.expires_at - state.clock.now()).total_seconds())
    return json_response(
        200, {"access_token": value, "expires_in": lifetime, "token_type": "Bearer"}
    )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``fake.requests`` and ``fake.rejected`` instead."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = self.path.split("?", 1)[0].strip("/")
        dispatcher = self.server.dispatcher
        if path == "token" and self.command == "POST":
            response = token_endpoint(dispatcher.state, body)
        elif path in BATCH_PATHS and self.command == "POST":
            response = handle_batch(dispatcher, BATCH_PATHS[path], headers, body)
        else:
            response = dispatcher.call(self.command, self.path, headers, body, in_batch=False)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, dispatcher: Dispatcher) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.dispatcher = dispatcher


class HttpServer:
    """Start and stop the server in a background thread."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self._server = _Server(dispatcher)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits at most this long
            name="google-fake",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
