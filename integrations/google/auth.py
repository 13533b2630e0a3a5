"""A service account with domain-wide delegation, and the Google API clients built on it.

Each (person impersonated, scopes) is its own token grant: credentials are cached by both, so
that a cycle asks for each grant once. The client libraries load only when a client is made.
Every Google API but the token endpoint (the key file's `token_uri`) is reached under
`api_endpoint` when the program sets one; otherwise under Google's own hosts.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from integrations.google.retry import RetryPolicy, call_with_retries
from scheduler.errors import UserError

GOOGLE_ROOT = "https://www.googleapis.com/"
SCOPE_ROOT = "https://www.googleapis.com/auth/"

# The least each part needs (docs/admin/google.md lists them for the Admin console).
DIRECTORY_USERS = SCOPE_ROOT + "admin.directory.user.readonly"
DIRECTORY_GROUPS = SCOPE_ROOT + "admin.directory.group.member.readonly"
CALENDAR_EVENTS = SCOPE_ROOT + "calendar.events.owned"
CALENDAR_FREEBUSY = SCOPE_ROOT + "calendar.freebusy"
CALENDAR_SETTINGS = SCOPE_ROOT + "calendar.calendars.readonly"
GMAIL_SEND = SCOPE_ROOT + "gmail.send"
GMAIL_READ = SCOPE_ROOT + "gmail.readonly"

# The Admin console's delegation table takes one comma-separated line.
ALL_SCOPES = (
    DIRECTORY_USERS,
    DIRECTORY_GROUPS,
    CALENDAR_EVENTS,
    CALENDAR_FREEBUSY,
    CALENDAR_SETTINGS,
    GMAIL_SEND,
    GMAIL_READ,
)

_APIS = {
    # api: (discovery name, version, path under the root, batch path)
    "admin": ("admin", "directory_v1", "", "batch/admin/directory_v1"),
    "calendar": ("calendar", "v3", "calendar/v3/", "batch/calendar/v3"),
    "gmail": ("gmail", "v1", "", "batch/gmail/v1"),
}


class GoogleAccess:
    """The service account and the API clients it makes, one per (api, subject, scopes) and
    thread (httplib2 connections are not thread-safe)."""

    def __init__(
        self,
        key_file: Path,
        *,
        api_endpoint: str | None = None,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.key_file = key_file
        self.root = api_endpoint or GOOGLE_ROOT
        self.custom_root = api_endpoint is not None
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._credentials: dict[tuple[str, tuple[str, ...]], Any] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self._base: Any = None

    # -- credentials ---------------------------------------------------------------------

    @property
    def client_id(self) -> str:
        """The service account's client id: the number the Admin console's table names."""
        return str(_key_info(self.key_file).get("client_id", ""))

    def credentials(self, subject: str, scopes: Sequence[str]) -> Any:
        """Credentials acting as `subject` with exactly `scopes`: one token grant each."""
        from google.oauth2 import service_account

        key = (subject.lower(), tuple(sorted(scopes)))
        with self._lock:
            if self._base is None:
                info = _key_info(self.key_file)
                try:
                    self._base = service_account.Credentials.from_service_account_info(info)  # type: ignore[no-untyped-call]
                except (ValueError, KeyError) as error:
                    raise UserError(
                        f"{self.key_file}: not a service-account key ({error})"
                    ) from error
            if key not in self._credentials:
                self._credentials[key] = self._base.with_scopes(list(key[1])).with_subject(key[0])
            return self._credentials[key]

    # -- clients -------------------------------------------------------------------------

    def http(self, subject: str, scopes: Sequence[str]) -> Any:
        """An authorized HTTP client acting as `subject`, one per thread."""
        import google_auth_httplib2  # type: ignore[import-untyped]
        import httplib2  # type: ignore[import-untyped]

        cache: dict[tuple[str, tuple[str, ...]], Any] = self._local.__dict__.setdefault("https", {})
        key = (subject.lower(), tuple(sorted(scopes)))
        if key not in cache:
            cache[key] = google_auth_httplib2.AuthorizedHttp(
                self.credentials(subject, scopes), http=httplib2.Http(timeout=self.timeout)
            )
        return cache[key]

    def service(self, api: str, subject: str, scopes: Sequence[str]) -> Any:
        """The discovery client of `api` ("admin", "calendar", "gmail") acting as `subject`.
        Building one reads the discovery document: a call acting as someone else uses the
        client of the program's own and passes `execute(..., as_=...)`."""
        from googleapiclient.discovery import build

        cache: dict[tuple[str, str, tuple[str, ...]], Any] = self._local.__dict__.setdefault(
            "services", {}
        )
        key = (api, subject.lower(), tuple(sorted(scopes)))
        if key not in cache:
            name, version, path, _ = _APIS[api]
            options = {"api_endpoint": self.root + path} if self.custom_root else None
            cache[key] = build(
                name,
                version,
                http=self.http(subject, scopes),
                client_options=options,
                static_discovery=True,
                cache_discovery=False,
            )
        return cache[key]

    def batch_uri(self, api: str) -> str:
        """Where a batch of `api` goes: new_batch_http_request() ignores api_endpoint."""
        return self.root + _APIS[api][3]

    def execute(self, request: Any, what: str, *, http: Any = None) -> Any:
        """One request (sent through `http` when given), with the retry policy; a lasting
        failure is a ProviderError."""
        return call_with_retries(
            lambda: request.execute(http=http, num_retries=0), what, self.retry
        )

    def pages(self, make: Any, what: str, key: str) -> list[Any]:
        """Every item under `key` over all pages; `make(page_token)` makes one request.
        Google leaves `key` out of an empty page."""
        found: list[Any] = []
        token: str | None = None
        while True:
            page = self.execute(make(token), what)
            found += page.get(key, [])
            token = page.get("nextPageToken")
            if not token:
                return found


def _key_info(path: Path) -> dict[str, Any]:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UserError(f"cannot read the service-account key {path}: {error.strerror}") from error
    except ValueError as error:
        raise UserError(f"{path}: not a JSON service-account key") from error
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise UserError(f"{path}: not a service-account key (its type is not service_account)")
    return info
