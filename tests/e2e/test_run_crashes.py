"""`tandem run` killed for real (SIGKILL) at several points, then run again: the work is
finished, and no invitation or email is sent twice or lost (issue 3)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

ROOT = Path(__file__).resolve().parents[2]
CRASH_POINTS = [
    "round:1",
    "plan:17",
    "booked:1",
    "kit:9",
    "claimed:1",
    "claimed:2",
    "sent:1",
    "sent:60",
]


class Recorder:
    """An SMTP server's handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.port = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[Recorder]:
    recorder = Recorder()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        recorder.port = probe.getsockname()[1]
    controller = Controller(recorder, hostname="127.0.0.1", port=recorder.port)
    controller.start()
    yield recorder
    controller.stop()


def demo(tmp_path: Path, port: int | None = None) -> tuple[Path, dict[str, str]]:
    folder = tmp_path / "demo"
    shutil.copytree(
        ROOT / "examples", folder, ignore=shutil.ignore_patterns("outbox", "inbox", "*.db")
    )
    if port is not None:
        program = folder / "program.yaml"
        text = program.read_text(encoding="utf-8").replace(
            "  outbox: outbox/", f"  smtp: {{host: 127.0.0.1, port: {port}, starttls: false}}"
        )
        program.write_text(text, encoding="utf-8")
    env = {
        **os.environ,
        "TANDEM_DATABASE_URL": f"sqlite:///{folder / 'state.db'}",
        "TANDEM_SECRET": "test",
    }
    env.pop("TANDEM_CRASH_AT", None)
    return folder, env


def run(
    folder: Path, env: dict[str, str], crash_at: str | None = None
) -> subprocess.CompletedProcess[str]:
    if crash_at:
        env = {**env, "TANDEM_CRASH_AT": crash_at}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "scheduler.cli.main",
            "run",
            "program.yaml",
            "--now",
            "2026-12-01T09:00:00+00:00",
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def message_ids(raws: list[bytes]) -> Counter[str]:
    return Counter(
        str(message_from_bytes(raw, policy=policy.default)["Message-ID"]) for raw in raws
    )


def maildir_ids(folder: Path) -> Counter[str]:
    return message_ids(
        [p.read_bytes() for sub in ("new", "cur") for p in (folder / "outbox" / sub).iterdir()]
    )


@pytest.fixture(scope="module")
def clean_run_ids(tmp_path_factory: pytest.TempPathFactory) -> Counter[str]:
    folder, env = demo(tmp_path_factory.mktemp("clean"))
    assert run(folder, env).returncode == 0
    ids = maildir_ids(folder)
    assert sum(ids.values()) == len(ids) > 50
    return ids


@pytest.mark.parametrize("crash_at", CRASH_POINTS)
def test_a_run_killed_and_run_again_sends_each_email_once(
    crash_at: str, tmp_path: Path, clean_run_ids: Counter[str]
) -> None:
    folder, env = demo(tmp_path)
    killed = run(folder, env, crash_at)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    finished = run(folder, env)
    assert finished.returncode == 0, finished.stderr
    assert maildir_ids(folder) == clean_run_ids
    again = run(folder, env)
    assert again.stdout.splitlines()[0] == "nothing new", again.stdout
    assert "send:" not in again.stdout and "book:" not in again.stdout


@pytest.mark.parametrize("crash_at", ["claimed:2", "sent:5", "sent:50"])
def test_over_smtp_a_killed_send_is_neither_repeated_nor_lost(
    crash_at: str, tmp_path: Path, smtp: Recorder, clean_run_ids: Counter[str]
) -> None:
    folder, env = demo(tmp_path, smtp.port)
    assert run(folder, env, crash_at).returncode == -signal.SIGKILL
    assert run(folder, env).returncode == 0
    received = message_ids(smtp.messages)
    assert max(received.values()) == 1, "an email went out twice"
    assert set(received) == set(clean_run_ids), "an email was lost or is new"
