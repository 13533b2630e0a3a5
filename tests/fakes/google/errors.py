"""Google's error bodies, and the exception the fake raises to answer with one.

Every Google JSON API answers an error as ``{"error": {"code", "message", "errors": [{"domain",
"reason", "message"}], "status"}}``; google-api-python-client reads ``error.message`` into
``HttpError.reason`` and decides retries from ``errors[0].reason`` (see
``googleapiclient.http._should_retry_response``), so the reasons must be Google's own.

Sources for the bodies below:
- 401/403 bodies: the Gmail "Resolve errors" guide (developers.google.com/gmail/api/guides/
  handle-errors) and the Calendar "Handle API errors" guide; the 401 messages are the ones the
  Google front end sends for a missing or a bad bearer token.
- rate limits: ``usageLimits``/``rateLimitExceeded`` and ``userRateLimitExceeded`` as in both
  guides; 429 for Gmail's mail-sending limit ("User-rate limit exceeded ... (Mail sending)").
- Calendar's 409 ``duplicate`` and 410 ``deleted``/``fullSyncRequired`` bodies carry no
  ``status`` field in the Calendar guide's samples, so :func:`error_body` can leave it out.
"""

from __future__ import annotations

from typing import Any

JsonObject = dict[str, Any]

STATUS_NAMES: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "NOT_FOUND",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
}

MISSING_CREDENTIALS = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
INVALID_CREDENTIALS = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)


class ApiError(Exception):
    """Raised anywhere in a handler to answer the request with a Google error body.

    ``invalid`` marks a request the API refuses as malformed, so the server records it in
    ``fake.rejected`` (a contract test asserts that list stays empty).
    """

    def __init__(
        self,
        code: int,
        message: str,
        reason: str,
        *,
        domain: str = "global",
        headers: dict[str, str] | None = None,
        with_status: bool = True,
        extra: JsonObject | None = None,
        invalid: bool = False,
        item_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.headers = headers or {}
        self.with_status = with_status
        self.extra = extra or {}
        self.invalid = invalid
        self.item_message = item_message

    def body(self) -> JsonObject:
        """The JSON body Google would send for this error."""
        return error_body(
            self.code,
            self.message,
            self.reason,
            domain=self.domain,
            with_status=self.with_status,
            extra=self.extra,
            item_message=self.item_message,
        )


def error_body(
    code: int,
    message: str,
    reason: str,
    *,
    domain: str = "global",
    with_status: bool = True,
    extra: JsonObject | None = None,
    item_message: str | None = None,
) -> JsonObject:
    """Build ``{"error": {...}}`` in Google's shape."""
    item: JsonObject = {"domain": domain, "reason": reason, "message": item_message or message}
    item.update(extra or {})
    error: JsonObject = {"code": code, "message": message, "errors": [item]}
    if with_status:
        error["status"] = STATUS_NAMES.get(code, "UNKNOWN")
    return {"error": error}


def bad_request(message: str, reason: str = "invalid", *, domain: str = "global") -> ApiError:
    """A 400 for a request the real API refuses; recorded in ``fake.rejected``."""
    return ApiError(400, message, reason, domain=domain, invalid=True)


def not_found(message: str = "Not Found", *, with_status: bool = True) -> ApiError:
    """Google's 404 for a resource that does not exist (or that the caller may not see)."""
    return ApiError(404, message, "notFound", with_status=with_status)


def forbidden(message: str = "Not Authorized to access this resource/api") -> ApiError:
    """Directory's 403 for a caller who is not an administrator."""
    return ApiError(403, message, "forbidden")


def unimplemented(what: str) -> ApiError:
    """The fake does not model this; 501 so the gap is loud, and recorded as rejected."""
    return ApiError(
        501, f"Not implemented by the Google fake: {what}", "notImplemented", invalid=True
    )


def unauthenticated(missing: bool) -> ApiError:
    """401 for a missing, unknown or expired bearer token (google-auth refreshes on 401)."""
    headers = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}
    if missing:
        return ApiError(
            401,
            MISSING_CREDENTIALS,
            "required",
            headers=headers,
            extra={"location": "Authorization", "locationType": "header"},
            item_message="Login Required.",
        )
    return ApiError(
        401,
        INVALID_CREDENTIALS,
        "authError",
        headers=headers,
        extra={"location": "Authorization", "locationType": "header"},
        item_message="Invalid Credentials",
    )


def insufficient_scopes() -> ApiError:
    """403 when the token lacks every scope the discovery document lists for the method."""
    return ApiError(
        403,
        "Request had insufficient authentication scopes.",
        "insufficientPermissions",
        item_message="Insufficient Permission",
    )


FAULT_KINDS: dict[str, tuple[int, str, str, str]] = {
    # kind: (status, domain, reason, message)
    "429": (429, "usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
    "403-rateLimitExceeded": (403, "usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
    "403-userRateLimitExceeded": (
        403,
        "usageLimits",
        "userRateLimitExceeded",
        "User Rate Limit Exceeded",
    ),
    "403-quotaExceeded": (403, "usageLimits", "quotaExceeded", "Calendar usage limits exceeded."),
    "500": (500, "global", "backendError", "Backend Error"),
    "503": (503, "global", "backendError", "The service is currently unavailable."),
}


def fault_error(kind: str, retry_after: float | None) -> ApiError:
    """The error an injected fault answers with, in the shape of the real one."""
    status, domain, reason, message = FAULT_KINDS[kind]
    headers = {"Retry-After": str(int(retry_after))} if retry_after is not None else {}
    return ApiError(status, message, reason, domain=domain, headers=headers)
