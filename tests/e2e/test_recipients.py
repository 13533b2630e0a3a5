"""A recipient the mail server refuses for now gets the email later, alone; one it refuses for
good is failed with the server's reason and shown by `tandem status` (issue 13, defect 5)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

from tests.e2e.test_run_crashes import demo
from tests.integration.local.relay import running_relay

LATER = "2026-12-01T12:00:00+00:00"


def tandem(folder: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli.main", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_450_recipient_is_retried_alone_and_a_550_one_is_failed_and_shown(
    tmp_path: Path,
) -> None:
    busy, gone = "chen.liu@northwind-loom.example", "sam.osei@northwind-loom.example"
    with running_relay(tls_context=None) as relay:
        folder, env = demo(tmp_path, relay.port)
        relay.rcpt_replies = {
            busy: "450 4.2.1 Mailbox busy, try again later",
            gone: "550 5.1.1 No such user here",
        }
        first = tandem(folder, env, "run", "program.yaml", "--now", "2026-12-01T09:00:00+00:00")
        assert first.returncode == 0, first.stderr
        owed = {_message_id(r.content) for r in relay.received if _addressed_to(r.content, busy)}
        assert owed and not any(busy in r.recipients for r in relay.received)
        status = tandem(folder, env, "status", "program.yaml").stdout
        assert f"to {gone}: 550 5.1.1 No such user here" in status
        assert "retrying: " in status and busy in status

        # When the busy mailbox takes mail again
        relay.rcpt_replies = {gone: "550 5.1.1 No such user here"}
        again = tandem(folder, env, "run", "program.yaml", "--now", LATER)
        assert again.returncode == 0, again.stderr

    deliveries = Counter((r.content, rcpt) for r in relay.received for rcpt in r.recipients)
    assert max(deliveries.values()) == 1, "nobody received an email twice"
    late = [r for r in relay.received if busy in r.recipients]
    assert all(r.recipients == [busy] for r in late), "the owed emails went to it alone"
    assert {_message_id(r.content) for r in late} == owed
    assert not any(gone in r.recipients for r in relay.received)
    status = tandem(folder, env, "status", "program.yaml").stdout
    assert "retrying:" not in status
    assert f"to {gone}: 550 5.1.1 No such user here" in status


def _message_id(raw: bytes) -> str:
    return str(message_from_bytes(raw, policy=policy.default)["Message-ID"])


def _addressed_to(raw: bytes, address: str) -> bool:
    message = message_from_bytes(raw, policy=policy.default)
    return any(address in str(message[h] or "") for h in ("To", "Cc"))
