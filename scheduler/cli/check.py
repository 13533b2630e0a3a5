"""`tandem check CONFIG`: the first thing an IT admin runs. It contacts the provider and says,
permission by permission, what works and what is missing; it changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import click

from scheduler.cli.errors import EXISTING_FILE, user_errors
from scheduler.errors import UserError


@click.command()
@click.argument("config", type=EXISTING_FILE)
@user_errors
def check(config: Path) -> None:
    """Contact the provider and try each permission the program needs; change nothing."""
    from scheduler.program.load import load_program
    from scheduler.providers import spec_of

    program = load_program(config)
    spec = spec_of(program)
    try:
        found = spec.check(program, os.environ)
    except ImportError as error:
        from scheduler.bootstrap import missing_extra

        raise UserError(missing_extra(program, error)) from error
    for item in found:
        click.echo(f"{'ok' if item.ok else 'MISSING':7}  {item.name}: {item.detail}")
    missing = [item for item in found if not item.ok]
    if missing:
        raise UserError(
            f"{len(missing)} of {len(found)} check(s) failed for provider {spec.kind}; "
            "the admin guide says how to grant each"
        )
    click.echo(f"all {len(found)} check(s) passed for provider {spec.kind}")
