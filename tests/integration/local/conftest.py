"""Real mail servers on loopback for the local provider: an aiosmtpd relay that records what it
accepts and can be told to refuse, and a Dovecot IMAP server started from a generated config.

Dovecot comes from the Debian package dovecot-imapd (2.3.x). Without its binary the IMAP tests
are skipped locally and fail in CI (the CI environment variable is set), which must run them.
"""

from __future__ import annotations

import datetime
import grp
import ipaddress
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from imapclient import IMAPClient  # type: ignore[import-untyped]

SMTP_USER, SMTP_PASSWORD = "tandem", "smtp-Pa55word-never-shown"
IMAP_USER, IMAP_PASSWORD = "tandem", "imap-Pa55word-never-shown"


@dataclass
class Received:
    sender: str
    recipients: list[str]
    content: bytes
    connection: int


@dataclass
class Relay:
    """What the relay accepted, and the replies it gives instead of accepting: `data_replies`
    answer the next DATA commands in turn, `rcpt_replies` answer RCPT TO for an address."""

    host: str
    port: int
    received: list[Received] = field(default_factory=list)
    data_replies: list[str] = field(default_factory=list)
    rcpt_replies: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_replies:
            return self.data_replies.pop(0)
        content = bytes(envelope.original_content)
        received = Received(envelope.mail_from, list(envelope.rcpt_tos), content, id(session))
        self.received.append(received)
        return "250 Message accepted for delivery"


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


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    x509 = pytest.importorskip("cryptography.x509")
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
    folder = tmp_path_factory.mktemp("tls")
    folder.chmod(0o755)  # Dovecot's config process reads it
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(folder / "cert.pem", folder / "key.pem")


@pytest.fixture
def relay() -> Iterator[Relay]:
    """A plain SMTP relay on loopback that takes the login SMTP_USER / SMTP_PASSWORD."""
    yield from _run_relay(tls_context=None)


@pytest.fixture
def tls_relay(certificate: Certificate) -> Iterator[Relay]:
    """The same relay, offering STARTTLS with the self-signed certificate."""
    yield from _run_relay(tls_context=certificate.server_context())


def _run_relay(tls_context: ssl.SSLContext | None) -> Iterator[Relay]:
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
class Dovecot:
    host: str
    port: int
    tls_port: int
    log: Path

    def client(self) -> Any:
        client = IMAPClient(self.host, self.port, ssl=False, timeout=10)
        client.login(IMAP_USER, IMAP_PASSWORD)
        return client


@pytest.fixture(scope="session")
def dovecot(certificate: Certificate) -> Iterator[Dovecot]:
    """A Dovecot started with `dovecot -F -c <generated conf>`: plain IMAP and IMAPS on
    loopback, one passwd-file user, maildir storage, all of it in a temporary folder."""
    binary = shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/sbin")
    if binary is None:
        message = "no dovecot binary: apt-get install dovecot-imapd"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Dovecot refuses to run login and mail processes as root; as root they run as dovenull,
    # which must be able to reach the mail folder: so not under pytest's 0700 tmp folder.
    root = Path(tempfile.mkdtemp(prefix="tandem-dovecot-"))
    root.chmod(0o711)
    try:
        server = Dovecot("127.0.0.1", free_port(), free_port(), root / "dovecot.log")
        config = _dovecot_config(root, server, certificate)
        process = subprocess.Popen(
            [binary, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=(root / "stderr.log").open("wb"),
        )
        try:
            _wait_for_greeting(server, process, root)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap_folder(dovecot: Dovecot) -> Iterator[str]:
    """A folder of its own for one test, removed afterwards."""
    name = f"T{uuid.uuid4().hex[:12]}"
    with dovecot_client(dovecot) as client:
        client.create_folder(name)
    yield name
    with dovecot_client(dovecot) as client:
        client.delete_folder(name)


@contextmanager
def dovecot_client(server: Dovecot) -> Iterator[Any]:
    """A logged-in IMAPClient for setting the scene, logged out on leaving."""
    client = server.client()
    try:
        yield client
    finally:
        client.logout()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _dovecot_config(root: Path, server: Dovecot, certificate: Certificate) -> Path:
    me = pwd.getpwuid(os.getuid())
    mail_user = pwd.getpwnam("dovenull") if os.getuid() == 0 else me
    (root / "mail").mkdir()
    os.chown(root / "mail", mail_user.pw_uid, mail_user.pw_gid)
    my_group, mail_group = (grp.getgrgid(user.pw_gid).gr_name for user in (me, mail_user))
    (root / "passwd").write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}\n")
    config = root / "dovecot.conf"
    config.write_text(
        f"""\
protocols = imap
listen = {server.host}
base_dir = {root}/run
state_dir = {root}/state
log_path = {server.log}
ssl = yes
ssl_cert = <{certificate.cert}
ssl_key = <{certificate.key}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
default_internal_user = {me.pw_name}
default_internal_group = {my_group}
default_login_user = {mail_user.pw_name}
first_valid_uid = 0
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_name} gid={mail_group} home={root}/mail/%u
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = {server.port}
  }}
  inet_listener imaps {{
    port = {server.tls_port}
    ssl = yes
  }}
}}
"""
    )
    return config


def _wait_for_greeting(server: Dovecot, process: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection((server.host, server.port), timeout=1) as probe:
                if probe.recv(64).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.1)
    logs = (root / "stderr.log", server.log)
    text = "".join(path.read_text(errors="replace") for path in logs if path.exists())
    pytest.fail(f"dovecot did not start:\n{text}")
