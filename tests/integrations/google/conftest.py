"""The Google provider against the local fake of Google's APIs: the real client libraries,
HTTP on loopback. Every test ends with the fake having refused nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from integrations.google.auth import ALL_SCOPES, GoogleAccess
from integrations.google.retry import RetryPolicy
from tests.fakes.google import GoogleFake, ServiceAccount

DOMAIN = "example.com"
ADMIN = f"it-admin@{DOMAIN}"
MAILBOX = f"mentoring@{DOMAIN}"


class Waits:
    """The retry policy's sleeps, recorded instead of slept."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


@pytest.fixture
def fake() -> Iterator[GoogleFake]:
    with GoogleFake() as running:
        running.add_user(ADMIN, name="Ida Admin", is_admin=True)
        running.add_user(MAILBOX, name="Peer Mentoring")
        yield running
        assert running.rejected == [], "the fake refused requests Google would refuse"


@pytest.fixture
def account(fake: GoogleFake, tmp_path: Path) -> ServiceAccount:
    return fake.create_service_account(tmp_path / "service-account.json", ALL_SCOPES)


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def access(fake: GoogleFake, account: ServiceAccount, waits: Waits) -> GoogleAccess:
    return GoogleAccess(account.path, api_endpoint=fake.root, retry=RetryPolicy(sleep=waits))
