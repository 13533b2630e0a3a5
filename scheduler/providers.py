"""The providers installed: each is one folder of integrations/ and one line of the
`tandem.providers` entry-point table in pyproject.toml, the registry, which is the one place a
`provider.kind` is named. Neither the core nor the command line imports a provider: they look
it up here, by kind, and only when a command needs it.

A provider hands over a ProviderSpec: the keys it reads under `provider:` (a pydantic model,
checked with the rest of the program file), and functions that build its ports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from pydantic import BaseModel

from scheduler.errors import UserError
from scheduler.ports import Calendar, Check, Providers

if TYPE_CHECKING:
    from scheduler.program.roster import Roster
    from scheduler.program.schema import Program

GROUP = "tandem.providers"


@dataclass(frozen=True)
class ProviderSpec:
    """What a provider offers Tandem.

    settings   its keys under `provider:` besides `kind` and `mailbox`, as a pydantic model
    required   keys it cannot do without, each with the hint that `validate` gives when it is
               missing (a key named like the kind reads "a KIND section is required")
    build      its four ports for a program, from the environment (secrets, URLs)
    calendar   only its calendar, for `tandem preview`, which must send and store nothing
    people     its directory read without the network, for `validate` and `preview`; None when
               the directory is online only (then `validate` checks the file offline and says so)
    check      each permission it needs, tried against the provider (`tandem check`)
    organizer_peer  whether a meeting can be booked on a peer's own calendar
    extra      the pip extra its libraries come in (`pip install 'tandem[google]'`)
    """

    kind: str
    settings: type[BaseModel]
    build: Callable[[Program, Mapping[str, str]], Providers]
    calendar: Callable[[Program, Mapping[str, str]], Calendar]
    check: Callable[[Program, Mapping[str, str]], list[Check]]
    people: Callable[[Program], Roster] | None = None
    required: Mapping[str, str] = field(default_factory=dict)
    organizer_peer: bool = False
    extra: str | None = None


@cache
def catalog() -> dict[str, ProviderSpec]:
    """Every installed provider by kind, local first."""
    found: dict[str, ProviderSpec] = {}
    for entry in sorted(entry_points(group=GROUP), key=lambda e: (e.name != "local", e.name)):
        spec = entry.load()
        if not isinstance(spec, ProviderSpec) or spec.kind != entry.name:
            raise RuntimeError(f"{entry.value} is not the ProviderSpec of kind {entry.name!r}")
        found[entry.name] = spec
    if not found:
        raise UserError(
            "no provider is installed: install Tandem with pip (pip install -e .), which "
            f"registers them under the {GROUP} entry points"
        )
    return found


def spec_of(program: Program) -> ProviderSpec:
    """The provider a program names; the program file was checked, so it is installed."""
    return catalog()[program.provider.kind]
