"""Fixtures for the local provider's tests: real mail servers on loopback (relay.py, dovecot.py).

Dovecot comes from the Debian package dovecot-imapd (2.3.x) and the TLS cases need the
cryptography package. Without them these tests are skipped locally and fail in CI (the CI
environment variable is set), which must run everything.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import NoReturn

import pytest

from tests.integration.local.dovecot import (
    Dovecot,
    dovecot_binary,
    dovecot_client,
    running_dovecot,
)
from tests.integration.local.relay import Certificate, Relay, make_certificate, running_relay


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    try:
        import cryptography  # noqa: F401
    except ImportError:
        unavailable("the TLS tests need the cryptography package (pip install cryptography)")
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def relay() -> Iterator[Relay]:
    """A plain SMTP relay that records what it accepts."""
    with running_relay(tls_context=None) as started:
        yield started


@pytest.fixture
def tls_relay(certificate: Certificate) -> Iterator[Relay]:
    """The same relay, offering STARTTLS with the self-signed certificate."""
    with running_relay(tls_context=certificate.server_context()) as started:
        yield started


@pytest.fixture(scope="session")
def dovecot(certificate: Certificate) -> Iterator[Dovecot]:
    """One Dovecot for the whole session; each test works in a folder of its own."""
    binary = dovecot_binary()
    if binary is None:
        unavailable("no dovecot binary: apt-get install dovecot-imapd")
    with running_dovecot(binary, certificate) as server:
        yield server


@pytest.fixture
def imap_folder(dovecot: Dovecot) -> Iterator[str]:
    """A folder of its own for one test, removed afterwards."""
    name = f"T{uuid.uuid4().hex[:12]}"
    with dovecot_client(dovecot) as client:
        client.create_folder(name)
    yield name
    with dovecot_client(dovecot) as client:
        client.delete_folder(name)


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)
