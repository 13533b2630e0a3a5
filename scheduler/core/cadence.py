"""Turns a pair's start date and the program's phases into meeting target dates, so that
booking can look ahead a fixed number of meetings without ever reading a calendar."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from scheduler.core.model import MeetingTarget, Phase, Span, Unit, add_span


def meeting_targets(start: date, phases: Sequence[Phase]) -> list[MeetingTarget]:
    """Every meeting of a pair that starts on `start`, numbered from 1, in date order.

    Meeting 1 is on `start`, which anchors the first phase. Each later phase is anchored one of
    its own `every` after the last meeting so far, and meeting k of a phase falls k spans after
    its anchor (calendar months, so a monthly rhythm never drifts). A `times` phase has exactly
    that many meetings; an `until` phase meets while the date is on or before `until` counted
    from the pair's start, and may have none when an earlier phase already ran past it.
    """
    targets: list[MeetingTarget] = []
    for index, phase in enumerate(phases):
        _check_phase(index, phase)
        anchor = add_span(targets[-1].target, phase.every) if targets else start
        for day in _phase_dates(start, anchor, phase):
            targets.append(MeetingTarget(number=len(targets) + 1, phase=index, target=day))
    return targets


def next_to_book(
    targets: Sequence[MeetingTarget],
    booked: Collection[int],
    today: date,
    book_ahead: int,
    *,
    ahead: int | None = None,
) -> list[MeetingTarget]:
    """The meetings to book now so that `book_ahead` upcoming meetings are booked at a time.

    Upcoming means on or after `today`: a past meeting that was never booked is not booked late.
    `booked` holds the numbers of meetings already booked (or taken off), whatever their date.
    `ahead` is how many booked meetings still lie ahead by their actual times, when the
    caller knows (a meeting moved past its target date still counts); else it is counted from
    `booked` by target date.
    """
    upcoming = [target for target in targets if target.target >= today]
    if ahead is None:
        ahead = sum(1 for target in upcoming if target.number in booked)
    wanted = book_ahead - ahead
    if wanted <= 0:
        return []
    return [target for target in upcoming if target.number not in booked][:wanted]


def cadence_end(start: date, phases: Sequence[Phase]) -> date:
    """The date of the pair's last meeting, which is when the pair's cadence is complete."""
    targets = meeting_targets(start, phases)
    if not targets:
        raise ValueError("a cadence needs at least one phase")
    return targets[-1].target


_CALENDAR_UNITS = (Unit.DAYS, Unit.WEEKS, Unit.MONTHS)


def _phase_dates(start: date, anchor: date, phase: Phase) -> list[date]:
    if phase.times is not None:
        return [add_span(anchor, phase.every, k) for k in range(phase.times)]
    assert phase.until is not None  # _check_phase guarantees exactly one of the two
    last = add_span(start, phase.until)
    dates: list[date] = []
    while (day := add_span(anchor, phase.every, len(dates))) <= last:
        dates.append(day)
    return dates


def _check_phase(index: int, phase: Phase) -> None:
    where = f"phase {index + 1}"
    _check_span(where, "every", phase.every, minimum=1)
    if (phase.times is None) == (phase.until is None):
        raise ValueError(f"{where} needs exactly one of `times` and `until`")
    if phase.times is not None and phase.times < 1:
        raise ValueError(f"{where}: `times` must be at least 1, not {phase.times}")
    if phase.until is not None:
        _check_span(where, "until", phase.until, minimum=0)


def _check_span(where: str, name: str, span: Span, *, minimum: int) -> None:
    if span.unit not in _CALENDAR_UNITS:
        raise ValueError(
            f"{where}: `{name}` must be in days, weeks or months, not {span.unit.value}"
        )
    if span.count < minimum:
        raise ValueError(f"{where}: `{name}` must be at least {minimum}, not {span.count}")
