"""Batch requests: many calls of one API in one HTTP request (50 a batch, Calendar's limit),
each part retried on its own when it failed for a passing reason (a batch re-sends only parts
that got 401; a 429, a rate-limit 403 or a 5xx comes back in that part's callback). A batch
that got no answer at all counts as that failure for each of its parts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from integrations.google.auth import GoogleAccess
from integrations.google.retry import Failure, failure_of, provider_error

PARTS = 50
Settled = Callable[[list[str]], dict[str, Any]]


def run_batch(
    access: GoogleAccess,
    api: str,
    requests: Mapping[str, Callable[[], Any]],
    what: str,
    *,
    settled: Settled | None = None,
) -> dict[str, Any]:
    """Each request (made by its factory) once, in batches; the answer of each by key, or the
    Failure that lasted. `settled(keys)`, given parts that failed in a way that may have
    taken effect (a 5xx, no answer), returns the answers of those that did: they are not
    sent again. A token Google refuses raises ProviderError (nothing can be done)."""
    from googleapiclient.http import BatchHttpRequest

    results: dict[str, Any] = {}
    pending = dict(requests)
    policy = access.retry
    attempt = 0
    while pending:
        attempt += 1
        answers: dict[str, tuple[Any, BaseException | None]] = {}

        def done(
            request_id: str,
            response: Any,
            exception: BaseException | None,
            answers: dict[str, tuple[Any, BaseException | None]] = answers,
        ) -> None:
            answers[request_id] = (response, exception)

        keys = list(pending)
        for first in range(0, len(keys), PARTS):
            chunk = keys[first : first + PARTS]
            batch = BatchHttpRequest(callback=done, batch_uri=access.batch_uri(api))
            for key in chunk:
                batch.add(pending[key](), request_id=key)
            try:
                batch.execute()
            except Exception as error:
                failure = failure_of(error)
                if failure is None:
                    raise
                if failure.status == 401:
                    raise provider_error(failure, what) from error
                for key in chunk:
                    answers.setdefault(key, (None, error))
        again: dict[str, Callable[[], Any]] = {}
        uncertain: list[str] = []
        wait_at_least: float | None = None
        for key in keys:
            response, exception = answers.get(key, (None, None))
            if exception is None:
                results[key] = response
                continue
            failure = failure_of(exception)
            if failure is None:
                raise exception
            if failure.status == 401:
                raise provider_error(failure, what) from exception
            if _again(failure, attempt, policy.attempts, policy.longest):
                again[key] = pending[key]
                wait_at_least = max(wait_at_least or 0.0, failure.retry_after or 0.0)
                if failure.status == 0 or failure.status >= 500:
                    uncertain.append(key)
            else:
                results[key] = failure
        if uncertain and settled is not None:
            for key, answer in settled(uncertain).items():
                results[key] = answer
                again.pop(key, None)
        if again:
            policy.sleep(policy.wait(attempt, wait_at_least))
        pending = again
    return results


def _again(failure: Failure, attempt: int, attempts: int, longest: float) -> bool:
    return failure.transient and attempt < attempts and (failure.retry_after or 0.0) <= longest
