"""What every step of a cycle works with, built once by scheduler.bootstrap, and what each
step reports back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from scheduler.ports import Providers
from scheduler.program.schema import Program
from scheduler.render.kits import Kits
from scheduler.render.local_time import short_time
from scheduler.store.engine import Store


@dataclass
class Runtime:
    """The program, its store, its provider's ports, its templates and its reply key."""

    program: Program
    store: Store
    providers: Providers
    kits: Kits
    secret: bytes
    database_configured: bool = False
    round_seed: int | None = None  # `tandem run --seed`: a round opened now uses it

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.program.program.timezone)

    def today(self, now: datetime) -> date:
        return now.astimezone(self.zone).date()


@dataclass
class Report:
    """What one step did, in words for the summary of `tandem run`: pair names and local
    times, never internal keys. `notes` say how things stand (the directory's size, the next
    round); they are not news, so a run with notes only is a run where nothing new happened."""

    step: str
    done: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def said_when(rt: Runtime, start: datetime) -> str:
    """A meeting time for a report line, in the program's zone and locale:
    "Tue, Jan 12, 10:00 AM (Eastern Time)"."""
    details = rt.program.program
    return short_time(start, details.timezone, details.locale)
