"""`tandem preview` shows what `tandem run` does at the same moment: the same pairs, the same
dates and the same launch kit, word for word (issue 9, item 5: 1 of 10 pairs matched)."""

from __future__ import annotations

import csv
import os
import shutil
import sqlite3
import subprocess
import sys
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-12-01T09:00:00+00:00"


def tandem(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    env["TANDEM_SECRET"] = "the-same-key-for-preview-and-run"
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli.main", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_preview_and_run_at_the_same_moment_agree_on_pairs_dates_and_kits(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "demo"
    shutil.copytree(
        ROOT / "examples", folder, ignore=shutil.ignore_patterns("outbox", "inbox", "*.db")
    )
    shown = tandem(folder, "preview", "program.yaml", "--out", "../preview", "--now", NOW)
    assert shown.returncode == 0, shown.stderr
    assert not (folder / "tandem.db").exists(), "a preview creates no store"
    ran = tandem(folder, "run", "program.yaml", "--now", NOW)
    assert ran.returncode == 0, ran.stderr
    preview = tmp_path / "preview"

    # the same pairs
    with (preview / "pairs.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    groups: dict[str, set[str]] = {}
    for row in rows:
        if row["pair"]:
            groups.setdefault(row["pair"], set()).add(row["email"])
    database = sqlite3.connect(folder / "tandem.db")
    stored: dict[str, set[str]] = {}
    for pair_id, email in database.execute("SELECT pair_id, email FROM pair_member"):
        stored.setdefault(pair_id, set()).add(email)
    assert sorted(map(sorted, groups.values())) == sorted(map(sorted, stored.values()))

    # the same dates
    with (preview / "plan.csv").open(encoding="utf-8") as handle:
        planned = {
            (frozenset(groups[r["pair"]]), int(r["meeting"])): r["start_utc"]
            for r in csv.DictReader(handle)
        }
    booked = {}
    for pair_id, number, starts in database.execute(
        "SELECT pair_id, number, starts_at FROM meeting"
    ):
        booked[frozenset(stored[pair_id]), number] = starts
    assert len(planned) == len(booked) == 58
    for key, start in planned.items():
        assert start.replace("T", " ").removesuffix("+00:00") == booked[key][:19], key

    # the same kit, word for word
    sent = {}
    for path in (folder / "outbox" / "new").iterdir():
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        if "meet each other" in str(message["Subject"]):
            body = message.get_body(("plain",))
            assert body is not None
            sent[str(message["Subject"])] = body.get_content()
    kits = {}
    for path in preview.glob("pair-*/launch_kit.txt"):
        subject, _, text = path.read_text(encoding="utf-8").partition("\n\n")
        kits[subject.removeprefix("Subject: ")] = text
    assert len(kits) == len(sent) == 29
    for subject, text in kits.items():
        assert sent[subject].replace("\r\n", "\n") == text, subject
