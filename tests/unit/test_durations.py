"""parse_span, parse_hours and parse_weekday read what HR writes, and refuse the rest clearly."""

from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.core.model import Hours, Span, Unit, Weekday
from scheduler.program.durations import parse_hours, parse_span, parse_weekday


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("2 weeks", Span(2, Unit.WEEKS)),
        ("1 week", Span(1, Unit.WEEKS)),
        ("1 month", Span(1, Unit.MONTHS)),
        ("12 months", Span(12, Unit.MONTHS)),
        ("30 minutes", Span(30, Unit.MINUTES)),
        ("30 min", Span(30, Unit.MINUTES)),
        ("1 hour", Span(1, Unit.HOURS)),
        ("90 minutes", Span(90, Unit.MINUTES)),
        ("10 days", Span(10, Unit.DAYS)),
        ("1 day", Span(1, Unit.DAYS)),
        ("2 Weeks", Span(2, Unit.WEEKS)),
        ("  3 MONTHS ", Span(3, Unit.MONTHS)),
        ("1 weeks", Span(1, Unit.WEEKS)),
        ("2 week", Span(2, Unit.WEEKS)),
    ],
)
def test_a_span_is_read_in_any_case_singular_or_plural(text: str, span: Span) -> None:
    assert parse_span(text) == span


@pytest.mark.parametrize(
    "text", ["", "weeks", "2", "two weeks", "2 fortnights", "1.5 hours", "2 weeks 3 days"]
)
def test_a_span_without_a_number_and_a_known_unit_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected a number and a unit such as '2 weeks'"):
        parse_span(text)


@pytest.mark.parametrize("text", ["0 weeks", "-2 weeks"])
def test_a_span_of_nothing_or_less_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected a number of 1 or more"):
        parse_span(text)


_UNIT_WORDS = {
    Unit.MINUTES: ["min", "mins", "minute", "minutes"],
    Unit.HOURS: ["hour", "hours"],
    Unit.DAYS: ["day", "days"],
    Unit.WEEKS: ["week", "weeks"],
    Unit.MONTHS: ["month", "months"],
}


@given(
    count=st.integers(min_value=1, max_value=100_000),
    unit_and_word=st.sampled_from([(u, w) for u, words in _UNIT_WORDS.items() for w in words]),
    upper=st.booleans(),
    spaces=st.sampled_from(["", " ", "  "]),
)
def test_any_count_and_unit_word_reads_back_as_that_span(
    count: int, unit_and_word: tuple[Unit, str], upper: bool, spaces: str
) -> None:
    unit, word = unit_and_word
    text = f"{spaces}{count}{spaces or ' '}{word.upper() if upper else word}{spaces}"
    assert parse_span(text) == Span(count, unit)


@given(count=st.integers(min_value=1, max_value=10_000), unit=st.sampled_from(list(Unit)))
def test_a_span_reads_back_from_its_own_text(count: int, unit: Unit) -> None:
    assert parse_span(str(Span(count, unit))) == Span(count, unit)


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("10:00-16:00", Hours(time(10), time(16))),
        ("9:30-17:00", Hours(time(9, 30), time(17))),
        ("09:30 - 17:45", Hours(time(9, 30), time(17, 45))),
        ("00:00-23:59", Hours(time(0), time(23, 59))),
    ],
)
def test_hours_are_read_on_the_24_hour_clock(text: str, hours: Hours) -> None:
    assert parse_hours(text) == hours


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("10-16", "expected hours such as '10:00-16:00'"),
        ("10:00", "expected hours such as '10:00-16:00'"),
        ("10am-4pm", "expected hours such as '10:00-16:00'"),
        ("10:00-24:00", "expected times from 00:00 to 23:59"),
        ("10:60-16:00", "expected times from 00:00 to 23:59"),
        ("16:00-10:00", "expected a start before the end"),
        ("10:00-10:00", "expected a start before the end"),
    ],
)
def test_hours_that_are_not_a_forward_window_are_refused(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_hours(text)


@given(
    start=st.integers(min_value=0, max_value=24 * 60 - 2),
    length=st.integers(min_value=1, max_value=24 * 60 - 1),
)
def test_any_forward_window_reads_back_as_itself(start: int, length: int) -> None:
    end = min(start + length, 24 * 60 - 1)
    first, last = time(start // 60, start % 60), time(end // 60, end % 60)
    assert parse_hours(f"{first:%H:%M}-{last:%H:%M}") == Hours(first, last)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("Mon", Weekday.MON),
        ("monday", Weekday.MON),
        ("MON", Weekday.MON),
        ("Mondays", Weekday.MON),
        ("tues", Weekday.TUE),
        ("Wed", Weekday.WED),
        ("Thurs", Weekday.THU),
        ("Friday", Weekday.FRI),
        ("sat", Weekday.SAT),
        ("Sunday", Weekday.SUN),
    ],
)
def test_a_weekday_is_read_by_name_or_abbreviation(text: str, day: Weekday) -> None:
    assert parse_weekday(text) == day


@pytest.mark.parametrize("text", ["", "M", "Mo", "Funday", "1", "weekday"])
def test_anything_else_is_not_a_weekday(text: str) -> None:
    with pytest.raises(ValueError, match="expected a day of the week such as 'Mon' or 'Monday'"):
        parse_weekday(text)
