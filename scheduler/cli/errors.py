"""What every `tandem` command shares: the one funnel that turns each kind of user error into a
message and exit code 1, and the --now option of the commands that act."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

import click

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
        except UserError as exc:
            raise click.ClickException(exc.for_the_user()) from exc
        except ProviderError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


NOW_HELP = "Act as if it were this moment (ISO 8601, e.g. 2027-01-05T12:00:00+00:00)."


def moment(text: str | None) -> datetime:
    """The moment a command acts at: --now when given (to rehearse a date, or to act at the
    same moment as a `tandem run --now` before it), else the clock; a time without a zone is
    UTC."""
    if text is None:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UserError(
            f"--now: {text!r} is not an ISO 8601 moment such as 2027-01-04T09:00:00+00:00"
        ) from exc
    return at if at.tzinfo else at.replace(tzinfo=UTC)
