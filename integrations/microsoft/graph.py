"""A small client for Microsoft Graph v1.0 over requests: bearer tokens from msal, paging by
@odata.nextLink, JSON $batch (20 requests a batch), 429 and 503 retried after Retry-After
(tenacity), and Graph's errors as typed ProviderErrors that say what and where.

Log lines and error messages carry endpoints and Graph's error codes, never a person's data."""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from integrations.microsoft.auth import TokenSource
from scheduler.ports import ProviderError

log = logging.getLogger("tandem.microsoft")

BATCH_LIMIT = 20  # Graph's limit of requests in one $batch
MAILBOX_LANES = 4  # Exchange runs at most 4 requests at once per mailbox and app
RETRIED_STATUSES = frozenset({429, 502, 503, 504})
LONGEST_WAIT = 120.0  # a Retry-After beyond this ends the call: the next cycle tries again
ATTEMPTS = 8  # a call that meets eight 429s or 503s in a row waits for the next cycle


class GraphError(ProviderError):
    """Graph answered an error: its HTTP status, its error code and the endpoint."""

    def __init__(
        self, status: int, code: str, message: str, where: str, retry_after: float | None = None
    ) -> None:
        permanent = status < 500 and status not in (408, 409, 423, 429)
        super().__init__(
            f"Microsoft Graph {where}: {status} {code}: {message}",
            permanent=permanent,
            retry_after=retry_after,
        )
        self.status = status
        self.code = code
        self.where = where


@dataclass(frozen=True)
class Call:
    """One request of a $batch: a method and a URL relative to /v1.0."""

    method: str
    url: str
    body: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """One answer of a $batch: its status, body (JSON, or base64 text for other content)
    and the error it stands for (None when it succeeded)."""

    status: int
    body: Any
    headers: Mapping[str, str]
    error: GraphError | None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(float(value), 0.0)
            except ValueError:
                return None
    return None


def error_of(status: int, body: Any, headers: Mapping[str, str], where: str) -> GraphError:
    """Graph's error shape ({"error": {"code", "message"}}) as a GraphError."""
    code, message = "UnknownError", ""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = str(body["error"].get("code") or code)
        message = str(body["error"].get("message") or "")
    # Graph's messages may name a person ("The requested user 'ana@...' is invalid."):
    # errors end in logs and reports, so addresses are left out
    message = _ADDRESS.sub("<address>", message)
    return GraphError(status, code, message[:300], where, _retry_after(headers))


_ADDRESS = re.compile(r"[^\s'\"<>@]+@[^\s'\"<>@]+")


def _is_retried(error: BaseException) -> bool:
    return isinstance(error, GraphError) and error.status in RETRIED_STATUSES


class Graph:
    """Calls Graph for one app. `sleep` is time.sleep except in tests of the waits."""

    def __init__(
        self,
        tokens: TokenSource,
        root: str,
        *,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = ATTEMPTS,
    ) -> None:
        self.tokens = tokens
        self.base = f"{root.rstrip('/')}/v1.0"
        self.timeout = timeout
        self.sleep = sleep
        self.attempts = attempts
        self._local = threading.local()
        self.counts: dict[str, int] = {}

    # -- one request ---------------------------------------------------------------------

    def _session(self) -> Any:
        import requests

        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        hinted = error.retry_after if isinstance(error, ProviderError) else None
        return hinted if hinted is not None else min(2.0 ** (state.attempt_number - 1), 30.0)

    def _retrying(self) -> Retrying:
        def stop(state: RetryCallState) -> bool:
            error = state.outcome.exception() if state.outcome else None
            too_long = isinstance(error, ProviderError) and (error.retry_after or 0) > LONGEST_WAIT
            return too_long or stop_after_attempt(self.attempts)(state)

        return Retrying(
            retry=retry_if_exception(_is_retried),
            wait=self._wait,
            stop=stop,
            sleep=self.sleep,
            reraise=True,
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        raw: bool = False,
    ) -> Any:
        """One call, retried on 429/503 after Retry-After; the JSON answer (None when it has
        no body), or the bytes when `raw`. `url` is relative to /v1.0 or a full link."""
        for attempt in self._retrying():
            with attempt:
                return self._once(method, url, params, body, data, headers, raw)
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        body: Any,
        data: bytes | None,
        headers: Mapping[str, str] | None,
        raw: bool,
    ) -> Any:
        import requests

        full = url if url.startswith("https://") else f"{self.base}{url}"
        where = f"{method} {_endpoint(full, self.base)}"
        sent = {"client-request-id": str(uuid.uuid4()), **(headers or {})}
        for renewed in (False, True):
            sent["Authorization"] = f"Bearer {self.tokens.token()}"
            self.counts[where] = self.counts.get(where, 0) + 1
            try:
                response = self._session().request(
                    method,
                    full,
                    params=params,
                    json=body if data is None else None,
                    data=data,
                    headers=sent,
                    timeout=self.timeout,
                )
            except requests.RequestException as lost:
                raise GraphError(503, type(lost).__name__, "no answer", where) from None
            if response.status_code == 401 and not renewed:
                self.tokens.forget()  # revoked or expired early: one new token, one more try
                continue
            break
        if response.status_code >= 400:
            try:
                document = response.json()
            except ValueError:
                document = None
            refused = error_of(response.status_code, document, response.headers, where)
            log.info("graph %s answered %s %s", where, refused.status, refused.code)
            raise refused
        if raw:
            return bytes(response.content)
        if not response.content:
            return None
        return response.json()

    # -- collections ---------------------------------------------------------------------

    def pages(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every page of a collection, following @odata.nextLink (which carries the query)."""
        document = self.request("GET", url, params=params, headers=headers)
        while True:
            yield document
            link = document.get("@odata.nextLink")
            if not link:
                return
            document = self.request("GET", link, headers=headers)

    def items(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        for page in self.pages(url, params, headers):
            yield from page.get("value") or []

    # -- $batch --------------------------------------------------------------------------

    def batch(self, calls: Sequence[Call], *, lanes: int = MAILBOX_LANES) -> list[Answer]:
        """Many calls in $batch envelopes of 20, answers in the order of `calls`. Items run
        in `lanes` chains (dependsOn), so no more than that many run at once on a mailbox;
        an item that answers 429 or 503, or 424 because one before it in its chain failed,
        is sent again alone after its own Retry-After."""
        answers: list[Answer | None] = [None] * len(calls)
        for start in range(0, len(calls), BATCH_LIMIT):
            chunk = list(range(start, min(start + BATCH_LIMIT, len(calls))))
            got = self._envelope([calls[i] for i in chunk], lanes)
            for index, answer in zip(chunk, got, strict=True):
                answers[index] = answer
        again = [
            index
            for index, answer in enumerate(answers)
            if answer is not None and (answer.status in RETRIED_STATUSES or answer.status == 424)
        ]
        waits = [
            retried.error.retry_after
            for index in again
            if (retried := answers[index]) is not None and retried.error is not None
            if retried.error.retry_after
        ]
        if waits:
            self.sleep(min(max(waits), LONGEST_WAIT))
        for index in again:
            answers[index] = self._alone(calls[index])
        return [answer for answer in answers if answer is not None]

    def _envelope(self, calls: Sequence[Call], lanes: int) -> list[Answer]:
        requests_: list[dict[str, Any]] = []
        for number, call in enumerate(calls):
            item: dict[str, Any] = {"id": str(number), "method": call.method, "url": call.url}
            headers = dict(call.headers)
            if call.body is not None:
                item["body"] = call.body
                headers.setdefault("Content-Type", "application/json")
            if headers:
                item["headers"] = headers
            if number >= lanes:
                item["dependsOn"] = [str(number - lanes)]
            requests_.append(item)
        document = self.request("POST", "/$batch", body={"requests": requests_})
        by_id = {str(r.get("id")): r for r in (document or {}).get("responses") or []}
        found: list[Answer] = []
        for number, call in enumerate(calls):
            response = by_id.get(str(number))
            where = f"{call.method} {_endpoint(call.url, '')} in $batch"
            if response is None:
                missing = GraphError(503, "MissingBatchAnswer", "no answer for this item", where)
                found.append(Answer(503, None, {}, missing))
                continue
            status = int(response.get("status", 500))
            headers = {str(k): str(v) for k, v in (response.get("headers") or {}).items()}
            body = response.get("body")
            error = error_of(status, body, headers, where) if status >= 400 else None
            found.append(Answer(status, body, headers, error))
        return found

    def _alone(self, call: Call) -> Answer:
        raw = call.url.split("?", 1)[0].endswith("/$value")
        try:
            body = self.request(call.method, call.url, body=call.body, headers=call.headers,
                                raw=raw)  # fmt: skip
            if raw:  # as $batch gives it: base64 text
                body = base64.b64encode(body).decode()
        except GraphError as error:
            return Answer(error.status, None, {}, error)
        return Answer(200, body, {}, None)


def _endpoint(url: str, base: str) -> str:
    """The path of a call without its query and ids, for logs and counts."""
    path = url[len(base) :] if base and url.startswith(base) else url
    path = path.split("?", 1)[0]
    parts = []
    for part in path.strip("/").split("/"):
        if "@" in part or len(part) > 30 or (len(part) >= 32 and "-" in part):
            parts.append("{id}")
        else:
            parts.append(part)
    return "/" + "/".join(parts)


def quoted(value: str) -> str:
    """A string literal for $filter: single quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
