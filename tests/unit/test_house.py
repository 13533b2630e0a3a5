"""The shape of the house (issue 8): the core and the CLI import no provider; iMIP is built
only in the local provider; each command is imported only when it runs, so `--help` and
`validate` load neither the store nor the workers; and `tandem --help` lists each command
with its own help."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from scheduler.cli.main import COMMANDS, load_command

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sqlalchemy", "alembic", "dramatiq", "redis", "googleapiclient", "msal", "icalendar")


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("part", ["core", "cli", "steps", "program", "replies", "render", "store"])
def test_no_part_of_the_scheduler_imports_a_provider(part: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imports_of(path) if m.startswith("integ"))
        for path in (ROOT / "scheduler" / part).rglob("*.py")
    }
    assert {path: found for path, found in offenders.items() if found} == {}


def test_only_the_local_provider_builds_or_reads_imip() -> None:
    users = sorted(
        str(path.relative_to(ROOT))
        for folder in ("scheduler", "integrations")
        for path in (ROOT / folder).rglob("*.py")
        if "icalendar" in {m.split(".")[0] for m in imports_of(path)}
        or "books_by_mail" in path.read_text(encoding="utf-8")
    )
    zone_table = "scheduler/program/zone_names.py"  # CLDR's Windows zone names, not iMIP
    assert [u for u in users if u != zone_table and not u.startswith("integrations/local/")] == []


def test_the_pure_core_does_no_io() -> None:
    io = {"sqlalchemy", "smtplib", "imaplib", "socket", "requests", "httpx", "redis", "dramatiq"}
    for path in (ROOT / "scheduler" / "core").rglob("*.py"):
        assert {m.split(".")[0] for m in imports_of(path)} & io == set(), path


@pytest.mark.parametrize(
    "argv", [["--help"], ["validate", "examples/program.yaml"], ["pair", "--help"]]
)
def test_a_light_command_loads_neither_the_store_nor_the_providers_libraries(
    argv: list[str],
) -> None:
    script = (
        "import sys, json\n"
        "from scheduler.cli.main import cli\n"
        "try:\n"
        f"    cli({argv!r}, prog_name='tandem')\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_help_listed_for_a_command_is_its_own(name: str) -> None:
    command = load_command(name)
    assert command.name == name
    own = " ".join((command.help or "").split("\n\n")[0].split())
    assert COMMANDS[name][1] == own


def test_every_command_of_the_house_is_listed() -> None:
    modules = {path.stem for path in (ROOT / "scheduler" / "cli").glob("*.py")}
    listed = {where.split(":")[0].rsplit(".", 1)[1] for where, _ in COMMANDS.values()}
    helpers = {"__init__", "__main__", "main", "errors", "people", "preview", "pair_files"}
    assert modules - helpers == listed
    for name in COMMANDS:
        assert isinstance(load_command(name), click.Command)
