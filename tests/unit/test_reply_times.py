"""A day and time a pair proposes (scheduler.replies.times): every form in en/de/fr/es, the
refusals with their reasons, and the rules as properties: a weekday and "HH:MM" is the next
such day at that time, a time alone is never a proposal, a negation makes it conversation."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.replies.date_words import WEEKDAYS
from scheduler.replies.times import Proposal, Refusal, find_proposal

TODAY = date(2027, 3, 1)  # a Monday
TUE, WED, THU = date(2027, 3, 2), date(2027, 3, 3), date(2027, 3, 4)


@pytest.mark.parametrize(
    ("text", "day", "at"),
    [
        # weekday and time, en
        ("Tuesday 16:00", TUE, time(16)),
        ("Tue 4pm", TUE, time(16)),
        ("Tue. 4 p.m.", TUE, time(16)),
        ("tuesday at 4:30 pm", TUE, time(16, 30)),
        ("next Tuesday at 16:00", TUE, time(16)),
        ("Thursday, 10.30", THU, time(10, 30)),
        ("on Thursday at 10am", THU, time(10)),
        ("Tuesday noon", TUE, time(12)),
        ("Tuesday at midday", TUE, time(12)),
        ("Tuesday at 4 in the afternoon", TUE, time(16)),
        ("16:00 on Tuesday", TUE, time(16)),
        ("Tuesday 16:00-16:30", TUE, time(16)),
        ("Monday 16:00", date(2027, 3, 8), time(16)),  # today is Monday: next week's
        # de
        ("Dienstag 16 Uhr", TUE, time(16)),
        ("Di. um 16:30", TUE, time(16, 30)),
        ("Dienstag 12 Uhr mittags", TUE, time(12)),
        ("am Dienstag um 4 Uhr nachmittags", TUE, time(16)),
        ("um 16 Uhr am Dienstag", TUE, time(16)),
        ("nächsten Donnerstag 10:30", THU, time(10, 30)),
        # fr
        ("mardi 16h", TUE, time(16)),
        ("mardi à 16h30", TUE, time(16, 30)),
        ("mar. 16h", TUE, time(16)),
        ("jeudi à midi", THU, time(12)),
        ("mardi prochain à 16 heures", TUE, time(16)),
        # es
        ("martes 16:00", TUE, time(16)),
        ("el martes a las 16:00", TUE, time(16)),
        ("martes a las 4 de la tarde", TUE, time(16)),
        ("el próximo jueves a las 10:30", THU, time(10, 30)),
        ("el jueves a mediodía", THU, time(12)),
        # date and time
        ("March 3 at 10:30", WED, time(10, 30)),
        ("3 March 10:30", WED, time(10, 30)),
        ("Wednesday, March 3 at 10:30", WED, time(10, 30)),
        ("3. März um 10 Uhr", WED, time(10)),
        ("3 mars à 10h", WED, time(10)),
        ("3 de marzo a las 10:30", WED, time(10, 30)),
        ("2027-03-03 10:30", WED, time(10, 30)),
        ("April 26 at 9:00", date(2027, 4, 26), time(9)),  # 8 weeks ahead: the last day read
        # tomorrow, today
        ("tomorrow at 9", TUE, time(9)),
        ("morgen um 9", TUE, time(9)),
        ("demain à 9h", TUE, time(9)),
        ("mañana a las 9", TUE, time(9)),
        ("at 4pm tomorrow", TUE, time(16)),
        ("übermorgen um 10 Uhr", WED, time(10)),
        ("the day after tomorrow at 10:00", WED, time(10)),
        ("pasado mañana a las 10:00", WED, time(10)),
        ("today at 17:00", TODAY, time(17)),
    ],
)
def test_a_day_and_time_is_read(text: str, day: date, at: time) -> None:
    found = find_proposal(text, TODAY)
    assert isinstance(found, Proposal), found
    assert (found.day, found.at) == (day, at)


@pytest.mark.parametrize(
    "text",
    [
        "how about Tue 4pm?",
        "Hi Bo,\nwould Tuesday 16:00 work for you?",
        "could we do Tuesday 16:00?",
        "reschedule to Tuesday 16:00",
        "can we move the next one to Tuesday 16:00?",
        "Tuesday 16:00 works for me",
        "I'm free Tuesday 16:00 (my time)",
        "Thanks! Tuesday 16:00, please",
        "können wir auf Dienstag 16:00 verschieben?",
        "wie wäre es mit Dienstag 16 Uhr?",
        "Dienstag 16 Uhr passt mir",
        "et si on disait mardi 16h ?",
        "mardi 16h, ça vous va ?",
        "pourrait-on faire mardi à 16h ?",
        "¿qué tal el martes a las 16:00?",
        "¿te va bien el martes a las 16:00?",
        "¿podemos reprogramar al martes a las 16:00?",
    ],
)
def test_a_time_among_small_and_proposing_words_is_proposed(text: str) -> None:
    found = find_proposal(text, TODAY)
    assert isinstance(found, Proposal) and (found.day, found.at) == (TUE, time(16)), found


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("16:00", "'16:00' has no day: which day? Write one, such as Tuesday 16:00"),
        ("how about 4pm?", "'4pm' has no day: which day? Write one, such as Tuesday 16:00"),
        ("um 16 Uhr", "'um 16 uhr' has no day: which day? Write one, such as Tuesday 16:00"),
        ("3/4 16:00", "'3/4' is ambiguous: write 2 March or 2027-03-02"),
        ("3.4. um 16 Uhr", "'3.4.' is ambiguous: write 2 March or 2027-03-02"),
        ("Tuesday 03/04/2027 10:00", "'03/04/2027' is ambiguous: write 2 March or 2027-03-02"),
        ("30 February 10:00", "'30 february 10:00' is not a date"),
        ("2027-02-30 10:00", "'2027-02-30 10:00' is not a date"),
        ("2027-02-26 10:00", "'2027-02-26 10:00' is in the past"),
        ("February 26 at 10:00", "'february 26 at 10:00' is in the past"),  # not next year's
        ("April 27 at 9:00", "'april 27 at 9:00' is more than 8 weeks ahead"),
        ("1 June 2027 10:30", "'1 june 2027 10:30' is more than 8 weeks ahead"),
        ("Monday 3 March 10:00", "'monday 3 march 10:00': 3 March 2027 is a Wednesday"),
        ("Tuesday 25:00", "'25:00' is not a time"),
        ("Tuesday 13pm", "'13pm' is not a time"),
        ("Tuesday at 4", "'at 4' could be morning or afternoon: write 16:00 or 4:00 am"),
        ("martes a las 5:30", "'a las 5:30' could be morning or afternoon: write 17:30 or 5:30 am"),
        (
            "Tuesday 16:00 or Wednesday 10:00",
            "more than one day and time ('tuesday 16:00', 'wednesday 10:00'): write one",
        ),
    ],
)
def test_what_cannot_be_booked_is_refused_with_the_reason(text: str, reason: str) -> None:
    found = find_proposal(text, TODAY)
    assert isinstance(found, Refusal) and not found.declined, found
    assert (found.reason, found.line) == (reason, text.splitlines()[0])


@pytest.mark.parametrize(
    "text",
    [
        "Tuesday 16:00 doesn't work for me",
        "Tuesday 16:00 - I can't, sorry",
        "not Tuesday 16:00",
        "Dienstag 16 Uhr geht leider nicht",
        "mardi 16h ne me convient pas",
        "el martes a las 16:00 no me va bien",
    ],
)
def test_a_time_turned_down_is_conversation(text: str) -> None:
    found = find_proposal(text, TODAY)
    assert isinstance(found, Refusal) and found.declined, found
    assert "is negated" in found.reason


@pytest.mark.parametrize(
    "text",
    [
        "pause until Tuesday",  # a day without a time
        "let's reschedule to Tuesday",
        "skip Tuesday's meeting",
        "pause until Tuesday 16:00",  # beside another command: never a proposal
        "See you Tuesday at 16:00!",
        "Great chat on Tuesday at 16:00, thanks",
        "Thanks for the chat on Tuesday at 16:00",
        "Our meeting is Tuesday at 16:00, right?",
        "I have a meeting at 16:00",
        "Tuesday 16:00 CET",  # a time zone Tandem does not read: prose
        "Thanks, looking forward to it!",
        "Version 2.10 is out, 3 people came at 10",
        "The data should be > 100 and < 200.",
    ],
)
def test_what_proposes_no_time_gives_none(text: str) -> None:
    assert find_proposal(text, TODAY) is None


def test_a_turned_down_time_does_not_hide_the_one_proposed_after_it() -> None:
    found = find_proposal("Tuesday 16:00 doesn't work, how about Wednesday 10:00?", TODAY)
    assert isinstance(found, Proposal) and (found.day, found.at) == (WED, time(10))
    found = find_proposal("Tuesday 16:00? I can't do Monday.", TODAY)
    assert isinstance(found, Proposal) and found.day == TUE


def test_the_same_time_written_twice_is_one_proposal() -> None:
    found = find_proposal("Tuesday 16:00?\nYes, Tuesday at 4pm works", TODAY)
    assert isinstance(found, Proposal) and (found.day, found.at) == (TUE, time(16))


def test_only_the_first_lines_are_read() -> None:
    lines = ["Hi Bo,", "thanks for the note.", "I was away.", "Back now.", "Cheers"]
    assert find_proposal("\n".join([*lines, "Tuesday 16:00"]), TODAY) is None
    assert isinstance(find_proposal("\n".join([*lines[:4], "Tuesday 16:00"]), TODAY), Proposal)


def test_the_words_are_kept_for_the_log() -> None:
    found = find_proposal("How about Tue  4pm?", TODAY)
    assert isinstance(found, Proposal) and found.words == "tue 4pm"


NAMES = sorted(WEEKDAYS)


@given(
    st.sampled_from(NAMES),
    st.integers(0, 23),
    st.integers(0, 59),
    st.dates(date(2026, 1, 1), date(2030, 12, 31)),
)
def test_a_weekday_and_hh_mm_is_the_next_such_day_at_that_time(
    name: str, hour: int, minute: int, today: date
) -> None:
    found = find_proposal(f"{name.capitalize()} {hour:02d}:{minute:02d}", today)
    assert isinstance(found, Proposal), found
    assert found.at == time(hour, minute)
    assert found.day.weekday() == WEEKDAYS[name]
    assert timedelta(days=1) <= found.day - today <= timedelta(days=7)


TIMES = st.builds(
    lambda h, m, suffix: f"{h}:{m:02d}{suffix}",
    st.integers(0, 23),
    st.integers(0, 59),
    st.sampled_from(["", " Uhr", "h", "pm", " am"]),
) | st.builds(lambda h: f"{h}h", st.integers(0, 23))
AROUND = st.sampled_from(["", "at ", "how about ", "um ", "à ", "a las ", "let's do ", "ok "])


@given(AROUND, TIMES, st.sampled_from(["", "?", " please", " works for me", ", thanks"]))
def test_a_time_alone_is_never_a_proposal(before: str, at: str, after: str) -> None:
    assert not isinstance(find_proposal(f"{before}{at}{after}", TODAY), Proposal)


@given(
    st.sampled_from(NAMES),
    st.integers(7, 21),
    st.sampled_from(["doesn't work", "does not work for me", "won't work", "is not possible"]),
)
def test_a_negated_time_is_never_a_proposal(name: str, hour: int, negated: str) -> None:
    found = find_proposal(f"{name} {hour}:00 {negated}", TODAY)
    assert isinstance(found, Refusal) and found.declined


def test_a_long_line_is_read_only_at_its_start() -> None:
    # how fast a long line is read: python -m bench.bench_replies
    for line in ("Tuesday 16:00 " * 5000, "12:30 " * 8000, "3 march " * 5000):
        find_proposal("\n".join([line] * 5), TODAY)
    assert find_proposal("x, " * 300 + "how about Tuesday 16:00?", TODAY) is None
