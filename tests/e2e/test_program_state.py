"""The state of a program lives beside its file, whatever folder a command runs in, and an
empty store for a program that has started needs --first-run (issue 9, item 1)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BEFORE_START = "2026-12-01T09:00:00+00:00"
AFTER_START = "2027-02-01T15:00:00+00:00"


def demo(tmp_path: Path) -> Path:
    folder = tmp_path / "programs" / "northwind"
    shutil.copytree(
        ROOT / "examples", folder, ignore=shutil.ignore_patterns("outbox", "inbox", "*.db")
    )
    return folder


def tandem(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli.main", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def sent(folder: Path) -> int:
    return len(list((folder / "outbox" / "new").iterdir()))


def test_a_run_from_another_folder_uses_the_store_beside_the_program(tmp_path: Path) -> None:
    folder = demo(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    program = str(folder / "program.yaml")

    first = tandem(folder, "run", "program.yaml", "--now", BEFORE_START)
    assert first.returncode == 0, first.stderr
    emails = sent(folder)
    again = tandem(elsewhere, "run", program, "--now", "2026-12-01T10:00:00+00:00")

    assert again.returncode == 0, again.stderr
    assert (folder / "tandem.db").exists() and not (elsewhere / "tandem.db").exists()
    assert sent(folder) == emails, "nobody was paired or emailed a second time"


def test_an_empty_store_after_the_start_is_refused_without_first_run(tmp_path: Path) -> None:
    folder = demo(tmp_path)

    refused = tandem(folder, "run", "program.yaml", "--now", AFTER_START)

    assert refused.returncode == 1
    assert "is empty, but Northwind Peer Mentoring started on 2027-01-11" in refused.stderr
    assert "--first-run" in refused.stderr and "Traceback" not in refused.stderr
    assert not (folder / "outbox" / "new").exists() or sent(folder) == 0

    started = tandem(folder, "run", "program.yaml", "--now", AFTER_START, "--first-run")
    assert started.returncode == 0, started.stderr
    assert sent(folder) > 50
    later = tandem(folder, "run", "program.yaml", "--now", "2027-02-01T16:00:00+00:00")
    assert later.returncode == 0, "a store with rounds needs no flag"
