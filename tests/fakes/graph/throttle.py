"""Throttling and injected faults.

* Exchange allows an app at most four concurrent requests per mailbox; the fifth in flight is
  refused with 429 `ApplicationThrottled` "Application is over its MailboxConcurrency limit."
  (captured in magodo/terraform-provider-outlook#21 and alcionai/corso#3695; the limit of 4 is in
  Graph's throttling-limits page and pnp/pnpjs#1884). Items of one $batch that are not chained by
  `dependsOn` run concurrently in Graph, so they count against the same limit
  (microsoftgraph/microsoft-graph-docs#2886: "4-6 of 20 always fail with 429").
* `fault()` makes the next N calls of an endpoint fail with a chosen status (429/503/500...),
  optionally with `Retry-After`, only inside or only outside $batch.
* `slow()` delays calls of an endpoint, outside the state lock, so requests really overlap.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass

from .errors import GraphError

MAILBOX_CONCURRENCY = 4

_DEFAULTS = {
    429: ("TooManyRequests", "Too many requests. Please retry after the time in Retry-After."),
    500: ("InternalServerError", "An internal server error occurred."),
    502: ("BadGateway", "Bad gateway."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable."),
    504: ("GatewayTimeout", "The gateway timed out."),
}


@dataclass
class Fault:
    endpoint: str
    status: int
    times: int
    retry_after: int | None
    in_batch: bool | None
    code: str
    message: str


@dataclass
class Delay:
    endpoint: str
    seconds: float
    times: int | None


class Throttle:
    """In-flight counts per mailbox, and the queues of injected faults and delays."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.in_flight: Counter[str] = Counter()
        self.faults: list[Fault] = []
        self.delays: list[Delay] = []
        self.concurrency = MAILBOX_CONCURRENCY

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def add_delay(self, delay: Delay) -> None:
        with self._lock:
            self.delays.append(delay)

    def take_fault(self, endpoint: str, in_batch: bool) -> GraphError | None:
        with self._lock:
            for fault in self.faults:
                if fault.endpoint not in (endpoint, "*") or fault.times <= 0:
                    continue
                if fault.in_batch is not None and fault.in_batch != in_batch:
                    continue
                fault.times -= 1
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = str(fault.retry_after)
                return GraphError(fault.status, fault.code, fault.message, headers=headers)
        return None

    def delay_for(self, endpoint: str) -> float:
        with self._lock:
            for delay in self.delays:
                if delay.endpoint not in (endpoint, "*"):
                    continue
                if delay.times is not None:
                    if delay.times <= 0:
                        continue
                    delay.times -= 1
                return delay.seconds
        return 0.0

    def enter(self, mailbox: str, extra: int = 0) -> None:
        """Take an in-flight slot on a mailbox or raise the MailboxConcurrency refusal.

        `extra` counts concurrent siblings of a $batch item that hold no slot of their own.
        """
        with self._lock:
            if self.in_flight[mailbox] + extra >= self.concurrency:
                raise concurrency_refusal()
            self.in_flight[mailbox] += 1

    def leave(self, mailbox: str) -> None:
        with self._lock:
            self.in_flight[mailbox] -= 1


def concurrency_refusal() -> GraphError:
    return GraphError(
        429,
        "ApplicationThrottled",
        "Application is over its MailboxConcurrency limit.",
        headers={"Retry-After": "1"},
    )


def make_fault(
    endpoint: str,
    status: int,
    times: int,
    retry_after: int | None,
    in_batch: bool | None,
    code: str | None,
    message: str | None,
) -> Fault:
    default_code, default_message = _DEFAULTS.get(status, ("UnknownError", "Injected fault."))
    if status == 429 and retry_after is None:
        retry_after = 1
    return Fault(
        endpoint=endpoint,
        status=status,
        times=times,
        retry_after=retry_after,
        in_batch=in_batch,
        code=code or default_code,
        message=message or default_message,
    )


def sleep(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)
