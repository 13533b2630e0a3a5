"""The shape of program.yaml as frozen pydantic models, so that each mistake is found with its path.

Cross-field rules live here too; config.py turns the paths of what they find into lines.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import CoreSchema, core_schema

from scheduler.core.cadence import meeting_targets
from scheduler.core.model import Hours, Phase, Span, Unit, Weekday, add_span
from scheduler.program.fields import (
    CalendarSpan,
    Count0,
    Count1,
    Day,
    Email,
    Finding,
    HoursOfDay,
    LocaleTag,
    LocalPath,
    MeetingLength,
    OptionalText,
    Rhythm,
    StartDate,
    Stretch,
    Text,
    TimeZone,
    did_you_mean,
    distinct_days,
    invalid,
    one_of,
    refuse,
)
from scheduler.render.local_time import DEFAULT_LOCALE

ReportingLine = Literal["direct", "chain", "off"]
OddOneOut = Literal["trio", "wait"]
Consent = Literal["none", "opt_out", "opt_in"]
Joiners = Literal["now", "next_round"]
Video = Literal["auto", "meet", "teams", "none"]
Organizer = Literal["mailbox", "peer"]
NewSlot = Literal["book", "propose"]


class Section(BaseModel):
    """A part of the file: frozen, strict about its keys, and an empty value means the default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _empty_means_default(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        return {
            key: value
            for key, value in data.items()
            if not (value is None and key in fields and not fields[key].is_required())
        }


class ProgramDetails(Section):
    name: Text = Field(examples=["Peer Mentoring 2027"])
    owner: Email = Field(examples=["people-team@example.com"])
    owner_name: OptionalText = ""
    purpose: OptionalText = ""
    timezone: TimeZone = "UTC"
    locale: LocaleTag = DEFAULT_LOCALE
    start: StartDate = Field(examples=["2027-01-11"])
    # the last day of the program; without it, the end of the cadence counted from `start`
    end: StartDate | None = None

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> ProgramDetails:
        if self.end is not None and self.end <= self.start:
            raise invalid(
                f"end {self.end} is not after start {self.start}",
                "give the program's last day, after its start",
                at="end",
            )
        return self


class ProviderBase(Section):
    """The keys every provider reads: which one, and the program's mailbox. Each provider adds
    its own keys (scheduler.providers); `provider_model` joins them into one section, checked
    with the rest of the file, and `settings` holds the chosen provider's part."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Text = Field(examples=["local"])
    mailbox: Email = Field(examples=["mentoring@example.com"])
    _settings: BaseModel | None = PrivateAttr(default=None)

    @property
    def settings(self) -> BaseModel:
        """The chosen provider's own keys, as its settings model."""
        assert self._settings is not None, "the program file was checked with the providers"
        return self._settings


@cache
def provider_model() -> type[ProviderBase]:
    """The `provider` section with the keys of every installed provider: a key of another kind
    than the one chosen is a mistake said as such ("smtp only applies when kind is local")."""
    from scheduler.providers import catalog

    specs = catalog()
    owners: dict[str, str] = {}
    annotations: dict[str, Any] = {}
    defaults: dict[str, Any] = {}
    for kind, spec in specs.items():
        for name, info in spec.settings.model_fields.items():
            if name in owners or name in ProviderBase.model_fields:
                continue
            owners[name] = kind
            annotations[name] = info.rebuild_annotation() | None
            defaults[name] = None

    def check(self: ProviderBase) -> ProviderBase:
        if self.kind not in specs:
            raise refuse(Finding(("kind",), *_unknown_kind(self.kind, tuple(specs))))
        findings = []
        for key in (k for k in owners if k in self.model_fields_set):
            if owners[key] != self.kind and key not in specs[self.kind].settings.model_fields:
                hint = f"remove it, or set kind: {owners[key]}"
                message = f"{key} only applies when kind is {owners[key]}"
                findings.append(Finding((key,), message, hint))
        spec = specs[self.kind]
        for key, hint in spec.required.items():
            if getattr(self, key, None) is None:
                message = (
                    f"a {key} section is required when kind is {self.kind}"
                    if key == self.kind
                    else f"{key} is required when kind is {self.kind}"
                )
                findings.append(Finding((key,), message, hint))
        if findings:
            raise refuse(*findings)
        values = {k: getattr(self, k) for k in spec.settings.model_fields if k in owners}
        self._settings = spec.settings.model_construct(**values)
        return self

    namespace: dict[str, Any] = {
        "__annotations__": annotations,
        "__module__": __name__,
        "_check_kind": model_validator(mode="after")(check),
        **defaults,
    }
    return type("Provider", (ProviderBase,), namespace)


def _unknown_kind(kind: str, kinds: tuple[str, ...]) -> tuple[str, str | None]:
    return f"expected one of: {', '.join(kinds)}", did_you_mean(kind, kinds)


class Selection(Section):
    departments: tuple[Text, ...] = ()
    emails: tuple[Email, ...] = ()
    levels: tuple[Count0, ...] = ()
    # the directory's groups (by address) and organisational units ("/Sales/EMEA" and below),
    # where the provider has them (Google, Microsoft; a people file's `groups` and `org_unit`
    # columns)
    groups: tuple[Email, ...] = ()
    org_units: tuple[Text, ...] = ()


class Participants(Section):
    include: Selection = Selection()
    exclude: Selection = Selection()
    # none: everyone selected is paired; opt_out: each is invited `notice` before their first
    # pairing and a "no thanks" keeps them out; opt_in: only those who reply "join" are paired
    consent: Annotated[Consent, one_of(Consent)] = "opt_out"
    notice: CalendarSpan = Span(5, Unit.DAYS)


class Pairing(Section):
    level_tolerance: Count0 = 1
    avoid_reporting_line: Annotated[ReportingLine, one_of(ReportingLine)] = "direct"
    avoid_same_department: bool = False
    avoid_repeats: bool = True
    odd_one_out: Annotated[OddOneOut, one_of(OddOneOut)] = "trio"
    # someone new who waits: paired at the next cycle (now), or at the next round
    joiners: Annotated[Joiners, one_of(Joiners)] = "now"


class Rounds(Section):
    every: CalendarSpan = Span(1, Unit.WEEKS)


class PhaseEntry(Section):
    """One phase as written; the Program holds it as a model.Phase."""

    every: CalendarSpan = Field(examples=["2 weeks"])
    times: Count1 | None = None
    until: CalendarSpan | None = None

    @model_validator(mode="after")
    def _times_or_until(self) -> PhaseEntry:
        if self.times is not None and self.until is not None:
            hint = "times counts meetings; until ends the phase a span after the pair's start"
            raise invalid("a phase takes times or until, not both", hint, at="until")
        if self.times is None and self.until is None:
            hint = "for example: times: 6, or until: 12 months"
            raise invalid("a phase needs times (how many meetings) or until (how long)", hint)
        return self


class _AsPhase:
    """Checks a cadence item as a PhaseEntry, then hands on the model.Phase it describes."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(
            lambda entry: Phase(entry.every, entry.times, entry.until),
            handler.generate_schema(PhaseEntry),
        )


class Meetings(Section):
    length: MeetingLength = timedelta(minutes=30)
    days: Annotated[tuple[Day, ...], AfterValidator(distinct_days)] = tuple(Weekday)[:4]
    hours: HoursOfDay = Hours(time(10), time(16))
    stretch: Stretch = timedelta(0)
    book_ahead: Count1 = 2
    video: Annotated[Video, one_of(Video)] = "auto"
    organizer: Annotated[Organizer, one_of(Organizer)] = "mailbox"

    @model_validator(mode="after")
    def _hours_hold_a_meeting(self) -> Meetings:
        start, end = (datetime.combine(date.min, at) for at in (self.hours.start, self.hours.end))
        if end - start < self.length:
            minutes = int(self.length.total_seconds()) // 60
            message = (
                f"hours {start:%H:%M}-{end:%H:%M} leave no room for a {minutes}-minute meeting"
            )
            raise invalid(message, "widen the hours or shorten length", at="hours")
        return self


class Followup(Section):
    nudge_after_skips: Count1 = 1
    tell_owner_after_skips: Count1 = 2
    new_slot: Annotated[NewSlot, one_of(NewSlot)] = "book"
    digest_day: Day = Weekday.MON

    @model_validator(mode="after")
    def _owner_after_nudge(self) -> Followup:
        nudge, owner = self.nudge_after_skips, self.tell_owner_after_skips
        if owner < nudge:
            given = "tell_owner_after_skips" in self.model_fields_set
            message = f"expected tell_owner_after_skips of {nudge} or more, like nudge_after_skips"
            hint = "the owner hears about a pair only after it was nudged"
            hint += "" if given else f"; tell_owner_after_skips is {owner} by default"
            raise invalid(
                message, hint, at="tell_owner_after_skips" if given else "nudge_after_skips"
            )
        return self


class Workers(Section):
    """How often `tandem clock` enqueues each job for the workers. A job that makes work for
    another (pairing and planning make bookings, bookings make invitations) also enqueues it
    at once, so these rhythms are how often each is looked at when nothing else asks."""

    directory: Rhythm = timedelta(days=1)
    inbox: Rhythm = timedelta(minutes=5)
    calendar: Rhythm = timedelta(minutes=5)
    meetings: Rhythm = timedelta(minutes=15)
    book: Rhythm = timedelta(minutes=5)
    mail: Rhythm = timedelta(minutes=5)
    send: Rhythm = timedelta(minutes=1)
    digest: Rhythm = timedelta(hours=1)


DEFAULT_CADENCE = (
    Phase(Span(2, Unit.WEEKS), times=6),
    Phase(Span(1, Unit.MONTHS), until=Span(12, Unit.MONTHS)),
)


class Program(Section):
    """A whole program file, checked and typed; `source` is the file it came from."""

    program: ProgramDetails
    provider: ProviderBase
    levels: dict[Text, Count0] = Field(default_factory=dict)
    participants: Participants = Participants()
    pairing: Pairing = Pairing()
    rounds: Rounds = Rounds()
    cadence: tuple[Annotated[Phase, _AsPhase], ...] = DEFAULT_CADENCE
    meetings: Meetings = Meetings()
    followup: Followup = Followup()
    workers: Workers = Workers()
    templates: LocalPath | None = None
    _source: Path = PrivateAttr(default=Path("program.yaml"))

    @property
    def source(self) -> Path:
        return self._source

    def model_post_init(self, context: Any) -> None:
        if isinstance(context, dict) and isinstance(context.get("source"), Path):
            self._source = context["source"]

    @field_validator("meetings")
    @classmethod
    def _organizer_fits_provider(cls, meetings: Meetings, info: ValidationInfo) -> Meetings:
        from scheduler.providers import catalog

        provider = info.data.get("provider")
        if meetings.organizer != "peer" or not isinstance(provider, ProviderBase):
            return meetings
        able = [kind for kind, spec in catalog().items() if spec.organizer_peer]
        if provider.kind in catalog() and provider.kind not in able:
            hint = "leave it out: the program mailbox organizes, and both peers can still decline"
            raise invalid(
                "organizer: peer needs a calendar Tandem can write to "
                f"({' or '.join(able) or 'no provider installed offers one'})",
                hint,
                at="organizer",
            )
        return meetings

    @field_validator("cadence")
    @classmethod
    def _untils_in_order(cls, phases: tuple[Phase, ...], info: ValidationInfo) -> tuple[Phase, ...]:
        if not phases:
            raise invalid("expected at least one phase", "leave cadence out to get the default")
        details = info.data.get("program")  # absent when the program section has mistakes
        if isinstance(details, ProgramDetails) and (late := _late_untils(phases, details.start)):
            raise refuse(*late)
        return phases


def _late_untils(phases: Sequence[Phase], start: date) -> list[Finding]:
    """Each `until`, counted from `start`, must end after the last meeting of the phases before
    it (as cadence.py dates them), and after the `until` of the phase just before it."""
    findings: list[Finding] = []
    for index, phase in enumerate(phases):
        if phase.until is None or index == 0:
            continue
        until, unit = add_span(start, phase.until), phase.until.unit
        end = meeting_targets(start, phases[:index])[-1].target
        before = phases[index - 1].until
        if before is not None and until <= add_span(start, before):
            message = f"until {phase.until} is not later than the until of the phase before it"
            message += f" ({before})"
            end = max(end, add_span(start, before))
        elif until <= end:
            message = (
                f"until {phase.until} ends before the phases before it (their meetings run to "
                f"{end}, but {phase.until} from the start {start} is {until})"
            )
        else:
            continue
        shortest = next(n for n in itertools.count(2) if add_span(start, Span(n, unit)) > end)
        hint = f"use until: {Span(shortest, unit)} or more"
        findings.append(Finding((index, "until"), message, hint))
    return findings


@cache
def program_model() -> type[Program]:
    """The program file's model with the `provider` section of the installed providers."""
    provider = provider_model()
    return type(
        "Program",
        (Program,),
        {"__annotations__": {"provider": provider}, "__module__": __name__},
    )


def section_at(path: Sequence[str | int]) -> type[BaseModel] | None:
    """The model that checks the mapping at `path`, to know which keys belong there."""
    model: type[BaseModel] = program_model()
    for part in path:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        found = _model_in(field.annotation) if field else None
        if found is None:
            return None
        model = found
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) is Annotated and _AsPhase in get_args(annotation):
        return PhaseEntry
    return next(filter(None, (_model_in(arg) for arg in get_args(annotation))), None)
