"""The `tandem` command as a user runs it: real files in a temporary folder, a real process."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from bench.orgs import history, organisation
from scheduler.core.model import Person

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = """\
program:
  name: Peer Mentoring 2027
  owner: people-team@example.com
  timezone: America/New_York
  start: 2027-01-11
provider:
  kind: local
  people: org.csv
  mailbox: mentoring@example.com
pairing:
  level_tolerance: 1
  avoid_reporting_line: {rule}
  odd_one_out: {odd}
participants:
  consent: none
"""


def tandem(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli.main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def write_people(path: Path, people: list[Person]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["email", "name", "title", "department", "level", "manager_email", "timezone"]
        )
        for p in people:
            writer.writerow(
                [p.email, p.name, p.title, p.department, p.level, p.manager_email or "", p.timezone]
            )


def read_pairs(path: Path) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            groups.setdefault(row["pair"], []).append(row["email"])
    return groups


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "program.yaml").write_text(
        PROGRAM.format(rule="chain", odd="trio"), encoding="utf-8"
    )
    write_people(tmp_path / "org.csv", organisation(120, seed=9))
    return tmp_path


def test_validate_summarises_a_good_program(folder: Path) -> None:
    result = tandem("validate", "program.yaml", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "program.yaml is valid." in result.stdout
    assert "120 take part" in result.stdout
    assert "Mon 11 Jan" in result.stdout


def test_validate_lists_every_problem_with_file_line_and_column(folder: Path) -> None:
    (folder / "bad.yaml").write_text(
        PROGRAM.format(rule="chian", odd="trio").replace("level_tolerance", "level_tolerence"),
        encoding="utf-8",
    )
    result = tandem("validate", "bad.yaml", cwd=folder)
    assert result.returncode == 1
    assert (
        "bad.yaml:11:3: pairing.level_tolerence: unknown key (did you mean 'level_tolerance'?)"
        in result.stderr
    )
    assert "bad.yaml:12:25: pairing.avoid_reporting_line" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_fails_on_bad_people_rows_and_names_their_lines(folder: Path) -> None:
    with (folder / "org.csv").open("a", encoding="utf-8") as handle:
        handle.write("p0@example.com,Twice,T,Eng,3,,UTC\n")
        handle.write("ghost@example.com,Ghost,T,Eng,3,nobody@example.com,Mars/Olympus\n")
    result = tandem("validate", "program.yaml", cwd=folder)
    assert result.returncode == 1
    assert "org.csv:122: column 1 (email): duplicate of line 2" in result.stderr
    assert "org.csv:123: column 7 (timezone): 'Mars/Olympus'" in result.stderr
    assert "org.csv:123: column 6 (manager_email): 'nobody@example.com'" in result.stderr


def _as_excel_in_europe(path: Path) -> None:
    """Save a comma file as Excel's "CSV UTF-8" does in a semicolon locale: BOM, ';', CRLF."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)


def test_validate_reads_a_semicolon_file_saved_by_excel_in_europe(folder: Path) -> None:
    _as_excel_in_europe(folder / "org.csv")
    assert (folder / "org.csv").read_bytes().startswith(b"\xef\xbb\xbfemail;name;title;")
    result = tandem("validate", "program.yaml", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "120 in the directory, 120 take part" in result.stdout


def test_validate_names_file_line_column_and_a_hint_in_a_semicolon_file(folder: Path) -> None:
    _as_excel_in_europe(folder / "org.csv")
    with (folder / "org.csv").open("a", encoding="utf-8", newline="") as handle:
        handle.write("ghost@example.com;Ghost;T;Eng;3;p0@exampel.com;Europe/Berln\r\n")
    result = tandem("validate", "program.yaml", cwd=folder)
    assert result.returncode == 1
    lines = result.stderr.replace(f"{folder.resolve()}/", "").splitlines()
    assert lines == [
        "  org.csv:122: column 7 (timezone): 'Europe/Berln' is not an IANA time zone such as"
        " Europe/Paris; did you mean Europe/Berlin? (row of ghost@example.com skipped)",
        "  org.csv:122: column 6 (manager_email): 'p0@exampel.com' is not in the file; did you"
        " mean p0@example.com? (row of ghost@example.com skipped)",
        "Error: 2 problem(s) in the people file; fix them and run again",
    ]


def test_pair_skips_bad_rows_says_why_and_pairs_the_rest(folder: Path) -> None:
    with (folder / "org.csv").open("a", encoding="utf-8") as handle:
        handle.write(",No Email,T,Eng,3,,UTC\n")
    result = tandem(
        "pair",
        "--people",
        "org.csv",
        "--config",
        "program.yaml",
        "--seed",
        "5",
        "--out",
        "pairs.csv",
        cwd=folder,
    )
    assert result.returncode == 0, result.stderr
    assert "skipped 1 row(s)" in result.stderr
    groups = read_pairs(folder / "pairs.csv")
    assert sum(len(v) for v in groups.values()) == 120


def test_pair_with_history_never_repeats_a_pair_and_the_seed_decides(folder: Path) -> None:
    people = organisation(120, seed=9)
    with (folder / "past.csv").open("w", encoding="utf-8") as handle:
        handle.write("email_a,email_b\n")
        for a, b in history(people, 3, seed=1):
            handle.write(f"{a},{b}\n")
    args = [
        "pair",
        "--people",
        "org.csv",
        "--config",
        "program.yaml",
        "--history",
        "past.csv",
        "--out",
    ]
    assert tandem(*args, "one.csv", "--seed", "1", cwd=folder).returncode == 0
    assert tandem(*args, "two.csv", "--seed", "1", cwd=folder).returncode == 0
    assert tandem(*args, "three.csv", "--seed", "2", cwd=folder).returncode == 0
    one = read_pairs(folder / "one.csv")
    assert one == read_pairs(folder / "two.csv")
    assert one != read_pairs(folder / "three.csv")
    past = {frozenset(p) for p in history(people, 3, seed=1)}
    for pair, members in one.items():
        if pair:
            assert not any(frozenset((a, b)) in past for a in members for b in members if a != b)


def test_pair_reports_a_missing_history_file_as_a_user_error(folder: Path) -> None:
    result = tandem(
        "pair",
        "--people",
        "org.csv",
        "--config",
        "program.yaml",
        "--history",
        "nope.csv",
        "--out",
        "x.csv",
        cwd=folder,
    )
    assert result.returncode == 1
    assert "nope.csv" in result.stderr


def test_a_mistyped_command_is_a_usage_error(folder: Path) -> None:
    assert tandem("pear", cwd=folder).returncode == 2
    assert tandem("pair", "--people", "org.csv", cwd=folder).returncode == 2


@pytest.mark.slow
def test_pair_handles_a_hundred_thousand_people_under_the_rules(tmp_path: Path) -> None:
    # Issue 2: `tandem pair` meets every rule on generated organisations of up to 100,000.
    (tmp_path / "program.yaml").write_text(
        PROGRAM.format(rule="chain", odd="wait"), encoding="utf-8"
    )
    people = organisation(100_000, seed=4)
    write_people(tmp_path / "org.csv", people)
    result = tandem(
        "pair",
        "--people",
        "org.csv",
        "--config",
        "program.yaml",
        "--seed",
        "3",
        "--out",
        "pairs.csv",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    groups = read_pairs(tmp_path / "pairs.csv")
    by_email = {p.email: p for p in people}
    assert sum(len(v) for v in groups.values()) == 100_000
    assert len(groups.get("", [])) <= 2
    for pair, members in groups.items():
        if pair:
            a, b = (by_email[m] for m in members)
            assert a.level is not None and b.level is not None and abs(a.level - b.level) <= 1
            assert a.manager_email != b.email and b.manager_email != a.email


def test_preview_writes_pairs_plan_and_each_kit_into_the_folder_and_nowhere_else(
    tmp_path: Path,
) -> None:
    import shutil

    folder = tmp_path / "demo"
    shutil.copytree(
        ROOT / "examples", folder, ignore=shutil.ignore_patterns("outbox", "inbox", "*.db")
    )
    before = sorted(p.name for p in folder.iterdir())
    result = tandem(
        "preview",
        "program.yaml",
        "--out",
        "../preview",
        "--now",
        "2026-12-01T09:00:00+00:00",
        cwd=folder,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in folder.iterdir()) == before, (
        "a dry run writes nothing beside the program"
    )
    preview = tmp_path / "preview"
    assert len(read_pairs(preview / "pairs.csv")) == 29
    kits = sorted(preview.glob("pair-*/launch_kit.txt"))
    assert len(kits) == 29
    text = kits[0].read_text(encoding="utf-8")
    assert "What shaped you" in text and "reflect back" in text and "January" in text
    with (preview / "plan.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 58 and all(r["start_utc"] for r in rows)
    # preview and run share one slot rule: nothing before the program starts (2027-01-11).
    assert min(r["start_utc"] for r in rows) >= "2027-01-11T05:00:00+00:00"


def test_pair_never_pairs_people_whose_hours_never_meet_and_says_how_many(folder: Path) -> None:
    # issue 9, item 2: at the default 10:00-16:00, Los Angeles meets neither Berlin nor
    # Singapore
    result = tandem(
        "pair", "--people", "org.csv", "--config", "program.yaml", "--seed", "3",
        "--out", "pairs.csv", cwd=folder,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "kept apart by time zones:" in result.stderr
    zones = {p.email: p.timezone for p in organisation(120, seed=9)}
    far = {frozenset({"America/Los_Angeles", "Europe/Berlin"}),
           frozenset({"America/Los_Angeles", "Asia/Singapore"})}  # fmt: skip
    for group in read_pairs(folder / "pairs.csv").values():
        if len(group) > 1:
            assert not any(frozenset({zones[a], zones[b]}) in far for a in group for b in group), (
                group
            )


# Words people read (issue 9, item 8)


def demo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    import os
    import shutil

    folder = tmp_path / "demo"
    shutil.copytree(
        ROOT / "examples", folder, ignore=shutil.ignore_patterns("outbox", "inbox", "*.db")
    )
    env = {
        **os.environ,
        "TANDEM_DATABASE_URL": f"sqlite:///{folder / 'state.db'}",
        "TANDEM_SECRET": "test",
    }
    return folder, env


def tandem_in(folder: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli.main", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


LAUNCH = "2026-12-01T09:00:00+00:00"


def test_run_says_what_it_did_by_pair_names_and_local_times_then_nothing_new(
    tmp_path: Path,
) -> None:
    import re

    folder, env = demo(tmp_path)
    first = tandem_in(folder, env, "run", "program.yaml", "--now", LAUNCH)
    assert first.returncode == 0, first.stderr
    out = first.stdout.splitlines()
    assert "sync: 59 people in the directory, 58 taking part" in out
    for summary in ("round: 1 done", "plan: 58 done", "book: 58 done", "kits: 29 done"):
        assert summary in out
    assert "send: 87 done" in out
    booked = [line for line in out if line.startswith("  Booked: ")]
    assert booked and all(
        re.fullmatch(
            r"  Booked: [^&]+ & [^&]+, conversation [12], \w{3}, \w{3} \d+, \d+:\d\d [AP]M "
            r"\(Eastern Time\)",
            line,
        )
        for line in booked
    ), booked
    assert any(line.startswith("  Launch kit: ") for line in out)
    assert any(line.startswith("  Sent: invitation 1 to ") for line in out)
    assert "UTC" not in first.stdout and not re.search(r"(kit|pair):? p[a-z0-9]{8}", first.stdout)

    quiet = tandem_in(folder, env, "run", "program.yaml", "--now", LAUNCH)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == "nothing new\n"


def test_pairs_commands_act_at_the_moment_given_by_now(tmp_path: Path) -> None:
    folder, env = demo(tmp_path)
    assert tandem_in(folder, env, "run", "program.yaml", "--now", LAUNCH).returncode == 0
    listing = tandem_in(folder, env, "pairs", "list", "program.yaml").stdout.splitlines()
    pair_id, names = listing[0].split("  ")[0], listing[0].split("  ")[2]

    paused = tandem_in(
        folder, env, "pairs", "pause", "program.yaml", pair_id,
        "--until", "2027-01-20", "--now", "2027-01-05T12:00:00+00:00",
    )  # fmt: skip
    assert paused.returncode == 0, paused.stderr
    assert paused.stdout.splitlines()[0] == (
        f"Paused: {names} until Wednesday, January 20, 1 date taken off"
    )
    run = tandem_in(folder, env, "run", "program.yaml", "--now", "2027-01-05T12:00:00+00:00")
    assert f"  Sent: paused note to {names}" in run.stdout

    # a moment before the pause ended: resuming by hand at that moment is still a resume
    resumed = tandem_in(
        folder, env, "pairs", "resume", "program.yaml", pair_id,
        "--now", "2027-01-10T12:00:00+00:00",
    )  # fmt: skip
    assert resumed.stdout.splitlines()[0] == f"Resumed: {names}"
    bad = tandem_in(folder, env, "pairs", "skip", "program.yaml", pair_id, "--now", "soon")
    assert bad.returncode == 1 and "--now: 'soon' is not an ISO 8601 moment" in bad.stderr


def test_preview_folders_keep_names_in_any_alphabet(tmp_path: Path) -> None:
    folder, env = demo(tmp_path)
    people = folder / "org.csv"
    text = people.read_text(encoding="utf-8")
    for old, new in (
        ("Jonas Weber", "李雷"),
        ("Mei Lin", "Анна Петрова"),
        ("Priya Nair", "Zoë/Ōkubo: \u202eevil"),
    ):
        text = text.replace(old, new)
    people.write_text(text, encoding="utf-8")
    result = tandem_in(
        folder, env, "preview", "program.yaml", "--out", "../preview", "--now", LAUNCH
    )
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "preview").iterdir() if p.is_dir())
    assert len(names) == 29 and all(n.startswith("pair-0") for n in names)
    joined = "\n".join(names)
    assert "Анна Петрова" in joined
    assert "Zoë_Ōkubo_ evil" in joined, "path separators and colons replaced, bidi controls gone"
    assert all("/" not in n and ":" not in n and "\u202e" not in n for n in names)
    assert not any(n.endswith((" ", ".")) for n in names)
