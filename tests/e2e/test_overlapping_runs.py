"""Several `tandem run` processes at once, on SQLite and PostgreSQL: each email reaches the SMTP
server exactly once, and no run crashes or prints directory rows (issue 13, defects 1 and 3)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.e2e.test_run_crashes import Recorder, demo, message_ids
from tests.integration.local.relay import free_port

T = "2026-12-01T09:00:00+00:00"
T_PLUS_1H = "2026-12-01T10:00:00+00:00"


def run_at(folder: Path, env: dict[str, str], now: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli.main", "run", "program.yaml", "--now", now],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def together(count: int, folder: Path, env: dict[str, str], now: str) -> list[str]:
    """`count` runs started at the same moment; their stderr, after each exited 0."""
    with ThreadPoolExecutor(count) as pool:
        done = list(pool.map(lambda _: run_at(folder, env, now), range(count)))
    for result in done:
        assert result.returncode == 0, result.stderr[-3000:]
    return [result.stderr for result in done]


def directory_rows(folder: Path) -> list[str]:
    """Names and addresses of the directory, to check that no output carries them."""
    lines = (folder / "org.csv").read_text(encoding="utf-8").splitlines()[1:]
    return [cell for line in lines for cell in line.split(",")[:2] if "@" in cell]


@pytest.fixture
def database(store_url: str) -> str:
    return store_url


def test_three_runs_after_an_outage_send_each_email_once(tmp_path: Path, database: str) -> None:
    # Given mail queued while the SMTP server was down
    port = free_port()
    folder, env = demo(tmp_path, port)
    env["TANDEM_DATABASE_URL"] = database
    first = run_at(folder, env, T)
    assert first.returncode == 0, first.stderr
    # When the server is back and three runs start together an hour later
    from aiosmtpd.controller import Controller

    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        outputs = together(3, folder, env, T_PLUS_1H)
    finally:
        controller.stop()
    # Then every email arrived, and none twice
    received = message_ids(recorder.messages)
    assert received and max(received.values()) == 1, (
        f"{sum(received.values())} messages for {len(received)} Message-IDs"
    )
    assert len(received) == 87
    for text in outputs:
        assert not any(row in text for row in directory_rows(folder))


@pytest.mark.parametrize("trial", range(3))
def test_two_first_runs_together_send_each_email_once(
    tmp_path: Path, database: str, trial: int
) -> None:
    port = free_port()
    from aiosmtpd.controller import Controller

    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        folder, env = demo(tmp_path, port)
        env["TANDEM_DATABASE_URL"] = database
        outputs = together(2, folder, env, T)
    finally:
        controller.stop()
    received: Counter[str] = message_ids(recorder.messages)
    assert received and max(received.values()) == 1, (
        f"{sum(received.values())} messages for {len(received)} Message-IDs"
    )
    assert len(received) == 87
    for text in outputs:
        assert "Traceback" not in text
        assert not any(row in text for row in directory_rows(folder))
