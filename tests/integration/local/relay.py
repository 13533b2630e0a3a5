"""An SMTP relay on loopback (aiosmtpd) that records what it accepts and can be told to
refuse, so that SmtpMailer is tested against a real server; and the bits the servers share."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

SMTP_USER, SMTP_PASSWORD = "tandem", "smtp-Pa55word-never-shown"


@dataclass
class Received:
    sender: str
    recipients: list[str]
    content: bytes
    connection: int


@dataclass
class Relay:
    """What the relay accepted, and the replies it gives instead of accepting: `data_replies`
    answer the next DATA commands in turn, `rcpt_replies` answer RCPT TO for an address;
    the connection is dropped instead of answering the DATA commands counted in `drop_data`
    (1 for the first DATA the relay sees), and the MAIL commands counted in `drop_mail`:
    a dropped message is not accepted."""

    host: str
    port: int
    received: list[Received] = field(default_factory=list)
    data_replies: list[str] = field(default_factory=list)
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    drop_data: set[int] = field(default_factory=set)
    drop_mail: set[int] = field(default_factory=set)
    dropped: int = 0
    _seen: dict[str, int] = field(default_factory=dict)

    def _drops(self, server: Any, command: str, counted: set[int]) -> bool:
        self._seen[command] = self._seen.get(command, 0) + 1
        if self._seen[command] not in counted:
            return False
        self.dropped += 1
        server.transport.abort()  # no answer: the connection is gone
        return True

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self._drops(server, "MAIL", self.drop_mail):
            return "421 4.4.2 dropped"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self._drops(server, "DATA", self.drop_data):
            return "421 4.4.2 dropped"
        if self.data_replies:
            return self.data_replies.pop(0)
        content = bytes(envelope.original_content)
        received = Received(envelope.mail_from, list(envelope.rcpt_tos), content, id(session))
        self.received.append(received)
        return "250 Message accepted for delivery"


@contextmanager
def running_relay(tls_context: ssl.SSLContext | None) -> Iterator[Relay]:
    """An aiosmtpd relay on a free loopback port, taking the login SMTP_USER / SMTP_PASSWORD."""
    relay = Relay("127.0.0.1", free_port())
    controller = Controller(
        relay,
        hostname=relay.host,
        port=relay.port,
        authenticator=_authenticate,
        auth_require_tls=False,
        tls_context=tls_context,
    )
    controller.start()
    try:
        yield relay
    finally:
        controller.stop()


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for 127.0.0.1 and a client context that trusts only it."""

    cert: Path
    key: Path

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.cert), str(self.key))
        return context


def make_certificate(folder: Path) -> Certificate:
    """A self-signed certificate for 127.0.0.1, written into `folder`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(folder / "cert.pem", folder / "key.pem")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
