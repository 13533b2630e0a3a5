"""A real Dovecot IMAP server run from a generated config, for ImapInbox's tests.

Installed from the Debian package dovecot-imapd (2.3.19 on Debian 12).
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imapclient import IMAPClient  # type: ignore[import-untyped]

from tests.integration.local.relay import Certificate, free_port

IMAP_USER, IMAP_PASSWORD = "tandem", "imap-Pa55word-never-shown"


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


@contextmanager
def running_dovecot(binary: str, certificate: Certificate) -> Iterator[Dovecot]:
    """`dovecot -F -c <generated conf>`: plain IMAP and IMAPS on loopback, one passwd-file
    user, maildir storage, all in a temporary folder; stopped with SIGTERM on leaving.

    Dovecot refuses to run its login and mail processes as root, so as root they run as
    dovenull, which must reach the mail folder: hence a folder of its own in /tmp, mode 0711,
    rather than pytest's 0700 one. As another user, everything runs as that user.
    """
    root = Path(tempfile.mkdtemp(prefix="tandem-dovecot-"))
    root.chmod(0o711)
    try:
        server = Dovecot("127.0.0.1", free_port(), free_port(), root / "dovecot.log")
        config = _dovecot_config(root, server, certificate)
        with (root / "stderr.log").open("wb") as stderr:
            process = subprocess.Popen([binary, "-F", "-c", str(config)], stderr=stderr)
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


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/sbin")


@contextmanager
def dovecot_client(server: Dovecot) -> Iterator[Any]:
    """A logged-in IMAPClient for setting the scene, logged out on leaving."""
    client = server.client()
    try:
        yield client
    finally:
        client.logout()


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
    raise RuntimeError(f"dovecot did not start:\n{text}")
