"""The one funnel that turns each kind of user error into a message and exit code 1, shared
by every `tandem` command."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import click

from integrations.local.people_csv import PeopleFileError
from scheduler.config import ConfigError
from scheduler.errors import UserError
from scheduler.ports import ProviderError

P = ParamSpec("P")
R = TypeVar("R")
EXISTING_FILE = click.Path(dir_okay=False, path_type=Path)


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """The one funnel that turns each kind of user error into a message and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except ConfigError as exc:
            count = len(exc.problems)
            lines = [f"{count} problem{'s' if count != 1 else ''} in the program file:"]
            raise click.ClickException("\n".join(lines + [f"  {p}" for p in exc.problems])) from exc
        except (UserError, PeopleFileError, ProviderError) as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper
