"""`tandem migrate CONFIG`: bring the program's database schema up to date, once, before
workers start (workers never upgrade the schema; `tandem run` does, as before)."""

from __future__ import annotations

from pathlib import Path

import click

from scheduler.cli.errors import EXISTING_FILE, user_errors


@click.command()
@click.argument("config", type=EXISTING_FILE)
@user_errors
def migrate(config: Path) -> None:
    """Bring the program's database schema up to date; run it before starting workers."""
    from scheduler.program.load import load_program
    from scheduler.settings import load_settings
    from scheduler.store.engine import migrate_store

    program = load_program(config)
    settings = load_settings(program.source.parent)
    before, head = migrate_store(settings.database_url)
    if before == head:
        click.echo(f"schema: up to date at revision {head}")
    else:
        click.echo(f"schema: upgraded from revision {before or 'none'} to {head}")
