from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.core.cadence import cadence_end, meeting_targets, next_to_book
from scheduler.core.model import MeetingTarget, Phase, Span, Unit, add_span

DAYS, WEEKS, MONTHS = Unit.DAYS, Unit.WEEKS, Unit.MONTHS


def dates(targets: list[MeetingTarget]) -> list[date]:
    return [target.target for target in targets]


def weekly(start: date, count: int) -> list[MeetingTarget]:
    return meeting_targets(start, [Phase(Span(1, WEEKS), times=count)])


def test_fortnightly_six_times_then_monthly_for_a_year_gives_the_documented_dates() -> None:
    phases = [Phase(Span(2, WEEKS), times=6), Phase(Span(1, MONTHS), until=Span(12, MONTHS))]
    targets = meeting_targets(date(2027, 1, 11), phases)
    expected = [
        (1, 0, date(2027, 1, 11)),
        (2, 0, date(2027, 1, 25)),
        (3, 0, date(2027, 2, 8)),
        (4, 0, date(2027, 2, 22)),
        (5, 0, date(2027, 3, 8)),
        (6, 0, date(2027, 3, 22)),
        (7, 1, date(2027, 4, 22)),
        (8, 1, date(2027, 5, 22)),
        (9, 1, date(2027, 6, 22)),
        (10, 1, date(2027, 7, 22)),
        (11, 1, date(2027, 8, 22)),
        (12, 1, date(2027, 9, 22)),
        (13, 1, date(2027, 10, 22)),
        (14, 1, date(2027, 11, 22)),
        (15, 1, date(2027, 12, 22)),
    ]
    assert targets == [MeetingTarget(n, phase, day) for n, phase, day in expected]
    assert cadence_end(date(2027, 1, 11), phases) == date(2027, 12, 22)


def test_monthly_meetings_from_january_31_clamp_to_month_ends_and_never_drift() -> None:
    targets = meeting_targets(date(2027, 1, 31), [Phase(Span(1, MONTHS), times=5)])
    assert dates(targets) == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
    ]


def test_monthly_meetings_land_on_february_29_in_a_leap_year() -> None:
    targets = meeting_targets(date(2028, 1, 31), [Phase(Span(1, MONTHS), times=3)])
    assert dates(targets) == [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31)]


def test_a_meeting_on_the_until_boundary_is_included() -> None:
    phases = [Phase(Span(1, WEEKS), until=Span(2, WEEKS))]
    assert dates(meeting_targets(date(2027, 1, 11), phases)) == [
        date(2027, 1, 11),
        date(2027, 1, 18),
        date(2027, 1, 25),
    ]


def test_a_meeting_one_day_past_the_until_boundary_is_left_out() -> None:
    phases = [Phase(Span(1, WEEKS), until=Span(13, DAYS))]
    assert dates(meeting_targets(date(2027, 1, 11), phases))[-1] == date(2027, 1, 18)


def test_until_counts_from_the_pairs_start_not_from_the_phases_start() -> None:
    phases = [Phase(Span(1, WEEKS), times=2), Phase(Span(1, WEEKS), until=Span(3, WEEKS))]
    targets = meeting_targets(date(2027, 1, 4), phases)
    assert [(t.phase, t.target) for t in targets] == [
        (0, date(2027, 1, 4)),
        (0, date(2027, 1, 11)),
        (1, date(2027, 1, 18)),
        (1, date(2027, 1, 25)),
    ]


def test_three_phases_in_days_weeks_and_months_chain_one_new_span_apart() -> None:
    phases = [
        Phase(Span(3, DAYS), times=3),
        Phase(Span(1, WEEKS), times=2),
        Phase(Span(1, MONTHS), times=2),
    ]
    targets = meeting_targets(date(2027, 1, 4), phases)
    assert [(t.number, t.phase, t.target) for t in targets] == [
        (1, 0, date(2027, 1, 4)),
        (2, 0, date(2027, 1, 7)),
        (3, 0, date(2027, 1, 10)),
        (4, 1, date(2027, 1, 17)),
        (5, 1, date(2027, 1, 24)),
        (6, 2, date(2027, 2, 24)),
        (7, 2, date(2027, 3, 24)),
    ]


def test_an_until_phase_already_passed_has_no_meetings_and_the_next_phase_follows() -> None:
    phases = [
        Phase(Span(1, WEEKS), times=4),
        Phase(Span(1, WEEKS), until=Span(1, WEEKS)),
        Phase(Span(2, WEEKS), times=1),
    ]
    targets = meeting_targets(date(2027, 1, 4), phases)
    assert [(t.phase, t.target) for t in targets][-2:] == [
        (0, date(2027, 1, 25)),
        (2, date(2027, 2, 8)),
    ]


@pytest.mark.parametrize(
    "phase",
    [
        Phase(Span(1, WEEKS)),
        Phase(Span(1, WEEKS), times=2, until=Span(1, MONTHS)),
        Phase(Span(0, WEEKS), times=2),
        Phase(Span(1, WEEKS), times=0),
        Phase(Span(2, Unit.HOURS), times=3),
        Phase(Span(1, WEEKS), until=Span(-1, WEEKS)),
    ],
    ids=["neither", "both", "zero-every", "zero-times", "hours", "negative-until"],
)
def test_a_phase_that_cannot_make_a_cadence_is_refused(phase: Phase) -> None:
    with pytest.raises(ValueError, match="phase 1"):
        meeting_targets(date(2027, 1, 4), [phase])


def test_a_cadence_without_phases_has_no_end() -> None:
    assert meeting_targets(date(2027, 1, 4), []) == []
    with pytest.raises(ValueError):
        cadence_end(date(2027, 1, 4), [])


def test_next_to_book_books_the_first_upcoming_meetings_up_to_book_ahead() -> None:
    targets = weekly(date(2027, 1, 4), 6)
    assert [t.number for t in next_to_book(targets, set(), date(2027, 1, 4), 2)] == [1, 2]


def test_next_to_book_counts_meetings_already_booked_towards_book_ahead() -> None:
    targets = weekly(date(2027, 1, 4), 6)
    assert [t.number for t in next_to_book(targets, {1}, date(2027, 1, 4), 2)] == [2]
    assert next_to_book(targets, {1, 2}, date(2027, 1, 4), 2) == []


def test_next_to_book_fills_the_first_gap_when_a_later_meeting_is_booked() -> None:
    targets = weekly(date(2027, 1, 4), 6)
    assert [t.number for t in next_to_book(targets, {2}, date(2027, 1, 4), 3)] == [1, 3]


def test_next_to_book_never_books_a_past_meeting_late() -> None:
    targets = weekly(date(2027, 1, 4), 6)
    today = date(2027, 1, 19)  # meetings 1-3 are past, meeting 1 was never booked
    assert [t.number for t in next_to_book(targets, {2, 3}, today, 2)] == [4, 5]


def test_next_to_book_counts_a_meeting_due_today_as_upcoming() -> None:
    targets = weekly(date(2027, 1, 4), 6)
    assert [t.number for t in next_to_book(targets, set(), date(2027, 1, 18), 1)] == [3]


def test_next_to_book_runs_out_at_the_end_of_the_cadence() -> None:
    targets = weekly(date(2027, 1, 4), 6)
    assert [t.number for t in next_to_book(targets, {5}, date(2027, 2, 1), 3)] == [6]
    assert next_to_book(targets, set(), date(2027, 3, 1), 3) == []


spans = st.builds(
    Span,
    count=st.integers(1, 6),
    unit=st.sampled_from([DAYS, WEEKS, MONTHS]),
)
phase_strategy = st.one_of(
    st.builds(Phase, every=spans, times=st.integers(1, 12)),
    st.builds(
        Phase,
        every=spans,
        until=st.builds(Span, count=st.integers(0, 18), unit=st.sampled_from([WEEKS, MONTHS])),
    ),
)
starts = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


@given(start=starts, phases=st.lists(phase_strategy, min_size=1, max_size=4))
def test_meetings_are_numbered_in_order_and_strictly_increasing_in_date(
    start: date, phases: list[Phase]
) -> None:
    targets = meeting_targets(start, phases)
    assert targets[0].target == start
    assert [t.number for t in targets] == list(range(1, len(targets) + 1))
    assert all(a.target < b.target for a, b in pairwise(targets))
    assert all(a.phase <= b.phase for a, b in pairwise(targets))


@given(start=starts, phases=st.lists(phase_strategy, min_size=1, max_size=4))
def test_each_phase_keeps_its_count_or_its_until_boundary(start: date, phases: list[Phase]) -> None:
    targets = meeting_targets(start, phases)
    for index, phase in enumerate(phases):
        own = [t.target for t in targets if t.phase == index]
        if phase.times is not None:
            assert len(own) == phase.times
        else:
            assert phase.until is not None
            boundary = add_span(start, phase.until)
            assert all(day <= boundary for day in own)
            if own:
                assert add_span(own[0], phase.every, len(own)) > boundary


@given(start=starts, phases=st.lists(phase_strategy, min_size=1, max_size=4))
def test_every_meeting_falls_on_or_before_the_cadence_end(start: date, phases: list[Phase]) -> None:
    end = cadence_end(start, phases)
    targets = meeting_targets(start, phases)
    assert all(t.target <= end for t in targets)
    assert targets[-1].target == end


@given(
    count=st.integers(1, 20),
    booked=st.sets(st.integers(1, 20)),
    today_offset=st.integers(-10, 160),
    book_ahead=st.integers(0, 5),
)
def test_next_to_book_tops_up_to_book_ahead_with_the_earliest_unbooked_upcoming_meetings(
    count: int, booked: set[int], today_offset: int, book_ahead: int
) -> None:
    start = date(2027, 1, 4)
    targets = weekly(start, count)
    today = start + timedelta(days=today_offset)
    chosen = next_to_book(targets, booked, today, book_ahead)
    upcoming = [t for t in targets if t.target >= today]
    already = sum(1 for t in upcoming if t.number in booked)
    unbooked = [t for t in upcoming if t.number not in booked]
    assert all(t.target >= today and t.number not in booked for t in chosen)
    assert chosen == unbooked[: len(chosen)]  # the earliest ones, in order
    assert already + len(chosen) == max(already, min(book_ahead, already + len(unbooked)))
