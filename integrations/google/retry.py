"""One retry policy for every Google call (issue 11, item 7): a 429, a 5xx, a
`rateLimitExceeded` or `userRateLimitExceeded` 403, a refused connection or a timeout backs off
with jitter, and no sooner than Retry-After says; any other error fails at once with Google's
message. A wait longer than the policy allows (Gmail's daily limit says "tomorrow") is not
slept: the call fails as transient, with `retry_after`, and a later cycle tries again."""

from __future__ import annotations

import json
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from scheduler.ports import ProviderError

T = TypeVar("T")
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to try again: `attempts` in all, waits growing from `first`
    seconds with full jitter up to `longest`; `sleep` is swappable for tests."""

    attempts: int = 6
    first: float = 1.0
    longest: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def wait(self, attempt: int, retry_after: float | None) -> float:
        """Seconds before try number `attempt + 1` (attempt counts from 1)."""
        backoff = random.uniform(0, min(self.longest, self.first * 2 ** (attempt - 1)))
        return max(backoff, retry_after or 0.0)


@dataclass(frozen=True)
class Failure:
    """What a failed call said: HTTP status (0 for no answer), Google's reason and message."""

    status: int
    reason: str
    message: str
    retry_after: float | None = None

    @property
    def transient(self) -> bool:
        return (
            self.status in (0, 408, 429)
            or self.status >= 500
            or (self.status == 403 and self.reason in RATE_LIMIT_REASONS)
        )


def failure_of(error: BaseException) -> Failure | None:
    """The Failure an exception from the client libraries stands for; None for a bug."""
    from google.auth.exceptions import RefreshError, TransportError
    from googleapiclient.errors import HttpError

    if isinstance(error, HttpError):
        status = int(error.resp.status)
        reason, message = _reason(error)
        return Failure(status, reason, message, _retry_after(error.resp))
    if isinstance(error, RefreshError):
        retryable = bool(getattr(error, "retryable", False))
        said = str(error.args[0]) if error.args else str(error)
        return Failure(503 if retryable else 401, "tokenRefused", said)
    if isinstance(error, TransportError | socket.timeout | ConnectionError | TimeoutError):
        return Failure(0, "noAnswer", type(error).__name__)
    import httplib2  # type: ignore[import-untyped]

    if isinstance(error, httplib2.HttpLib2Error):
        return Failure(0, "noAnswer", type(error).__name__)
    return None


class GoogleError(ProviderError):
    """A ProviderError that keeps what Google answered (status 0: no answer)."""

    def __init__(self, failure: Failure, what: str) -> None:
        said = f"{failure.status} {failure.reason}" if failure.status else failure.reason
        super().__init__(
            f"{what}: Google answered {said}: {failure.message}",
            permanent=not failure.transient,
            retry_after=failure.retry_after,
        )
        self.status = failure.status
        self.reason = failure.reason


def provider_error(failure: Failure, what: str) -> GoogleError:
    return GoogleError(failure, what)


def call_with_retries(attempt: Callable[[], T], what: str, policy: RetryPolicy) -> T:
    """`attempt()` under the policy (tenacity does the counting and the waiting)."""
    from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

    def retryable(error: BaseException) -> bool:
        found = failure_of(error)
        return (
            found is not None and found.transient and (found.retry_after or 0.0) <= policy.longest
        )

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        found = failure_of(error) if error else None
        return policy.wait(state.attempt_number, found.retry_after if found else None)

    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait,
        retry=retry_if_exception(retryable),
        sleep=policy.sleep,
        reraise=True,
    )
    try:
        return retrying(attempt)
    except Exception as error:
        found = failure_of(error)
        if found is None:
            raise
        raise provider_error(found, what) from error


def _reason(error: Any) -> tuple[str, str]:
    """Google's error reason and message from an HttpError's JSON body."""
    try:
        body = json.loads(error.content.decode("utf-8"))
    except (ValueError, AttributeError, UnicodeDecodeError):
        return "", str(error.reason or "")
    problem = body.get("error") if isinstance(body, dict) else None
    if isinstance(problem, dict):
        details = problem.get("errors") or [{}]
        reason = str(details[0].get("reason") or problem.get("status") or "")
        return reason, str(problem.get("message") or "")
    if isinstance(problem, str):  # the token endpoint's {"error": "invalid_grant", ...}
        return problem, str(body.get("error_description") or "")
    return "", ""


def _retry_after(response: Any) -> float | None:
    value = response.get("retry-after") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
