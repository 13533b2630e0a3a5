"""POST /$batch: JSON batching (concepts/json-batching.md).

* at most 20 requests (json-batching.md "Batch size limitations"); 21 refuses the whole batch
  with 400 `BadRequest` (message text assumed);
* each request needs a unique `id`, a `method` and a `url` relative to the version root; a
  write (POST, PUT, PATCH) needs a body and a `Content-Type` header, else the whole batch is
  refused: "Write request id : 1 does not contain Content-Type header or body." (Graph's batch
  validator, quoted in pnp/pnpcore's source);
* the envelope answers 200 even when items fail; each item answers on its own, with its own
  status and headers (a throttled item carries `Retry-After`), in any order: the fake shuffles
  them with a seeded random generator so clients cannot rely on order;
* `dependsOn` runs an item after the items it names; when one of those failed, the item answers
  424 Failed Dependency;
* items not chained by `dependsOn` run concurrently in Graph, so more than four of them on one
  mailbox trip the MailboxConcurrency limit (see throttle.py); `FakeGraph(batch_parallel=False)`
  turns that off;
* bodies of non-JSON answers (MIME from `$value`) are base64 strings, as Graph encodes them.
"""

from __future__ import annotations

import base64
import json
import random
import urllib.parse
from collections import Counter
from typing import Any

from .dispatch import Route, Service, json_body, route
from .errors import GraphError, Request, Response, bad_request

ROUTES: list[Route] = []
WRITES = {"POST", "PUT", "PATCH"}
LIMIT = 20


def _item_request(item: dict[str, Any], envelope: Request) -> Request:
    url = str(item["url"])
    if "://" in url:
        raise bad_request(
            "BadRequest",
            f"Invalid request URL '{url}': a batch request URL "
            "must be relative to the version root.",
        )
    path, _, query = url.partition("?")
    if not path.startswith("/"):
        path = "/" + path
    if path.lower().rstrip("/") == "/$batch":
        raise bad_request("BadRequest", "A batch request can't contain another batch request.")
    headers = {k.lower(): str(v) for k, v in (item.get("headers") or {}).items()}
    headers["authorization"] = envelope.header("authorization") or ""
    body = item.get("body")
    if body is None:
        raw = b""
    elif isinstance(body, dict | list):
        raw = json.dumps(body).encode()
    else:
        raw = str(body).encode()
    return Request(
        method=str(item["method"]).upper(),
        path=urllib.parse.unquote(path),
        query=dict(urllib.parse.parse_qsl(query, keep_blank_values=True)),
        headers=headers,
        body=raw,
        in_batch=True,
        raw_query=query,
    )


def _validate(requests: Any) -> list[dict[str, Any]]:
    if not isinstance(requests, list) or not requests:
        raise bad_request("BadRequest", "Invalid batch payload format.")
    if len(requests) > LIMIT:
        raise bad_request("BadRequest", f"Number of requests in a batch is limited to {LIMIT}.")
    seen: set[str] = set()
    for item in requests:
        if not isinstance(item, dict) or not {"id", "method", "url"} <= item.keys():
            raise bad_request("BadRequest", "Each batch request needs an id, a method and a url.")
        identifier = str(item["id"])
        if identifier in seen:
            raise bad_request(
                "BadRequest", f"Batch request contains duplicate request id '{identifier}'."
            )
        seen.add(identifier)
        headers = {k.lower() for k in (item.get("headers") or {})}
        if str(item["method"]).upper() in WRITES and (
            item.get("body") is None or "content-type" not in headers
        ):
            raise bad_request(
                "BadRequest",
                f"Write request id : {identifier} does not contain Content-Type header or body.",
            )
        for dependency in item.get("dependsOn") or []:
            if str(dependency) not in seen or str(dependency) == identifier:
                raise bad_request(
                    "BadRequest",
                    f"Request id '{identifier}' depends on an "
                    f"unknown or later request '{dependency}'.",
                )
    return requests


def _answer(identifier: str, response: Response) -> dict[str, Any]:
    headers = dict(response.headers)
    if response.content_type:
        headers["Content-Type"] = response.content_type
    answer: dict[str, Any] = {"id": identifier, "status": response.status, "headers": headers}
    if response.json is not None:
        answer["body"] = response.json
    elif response.raw is not None:
        answer["body"] = base64.b64encode(response.raw).decode()
    return answer


def _mailbox_key(service: Service, request: Request) -> str | None:
    parts = request.path.strip("/").split("/")
    if len(parts) >= 3 and parts[0].lower() == "users":
        user = service.state.find_user(urllib.parse.unquote(parts[1]))
        return user.id if user else None
    return None


@route(ROUTES, "POST", "/$batch", "batch", set(), "none", locked=False)
def batch(service: Service, request: Request, params: dict[str, str]) -> Response:
    items = _validate(json_body(request).get("requests"))
    statuses: dict[str, int] = {}
    answers: list[dict[str, Any]] = []
    concurrent: Counter[str] = Counter()
    for item in items:
        identifier = str(item["id"])
        depends = [str(d) for d in item.get("dependsOn") or []]
        if any(statuses.get(d, 500) >= 400 for d in depends):
            failed = GraphError(
                424, "FailedDependency", "A dependency of this request failed, so it was not run."
            )
            response = service.error_response("batch.item", failed, request)
        else:
            sub = _item_request(item, request)
            with service.state.lock:
                mailbox = None if depends else _mailbox_key(service, sub)
            siblings = concurrent[mailbox] if mailbox and service.config.batch_parallel else 0
            _, response = service.handle(sub, siblings)
            if mailbox:
                concurrent[mailbox] += 1
        statuses[identifier] = response.status
        answers.append(_answer(identifier, response))
    random.Random(service.config.batch_seed + service.requests["batch"]).shuffle(answers)
    return Response(json={"responses": answers})
