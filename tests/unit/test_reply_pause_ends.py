"""When a pause ends, as people write it (issue 9, item 7): the day they say they are back
wins over a length ("pause for 2 weeks - back on Feb 8"), an explicit date wins over a
length, a weekday is the next one, a month alone is its first day; a day back that is past or
more than a year ahead is refused with the reason."""

from __future__ import annotations

from datetime import date, timedelta
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.replies.dates import add_months
from scheduler.replies.read import Command, parse_command, read_reply

TODAY = date(2027, 1, 5)  # a Tuesday
FEB_8 = date(2027, 2, 8)


def reply(body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "ana.lima@northwind.example"
    message["To"] = "mentoring+p7k2m9q4.k3j9x0a1b2c3@northwind.example"
    message["Subject"] = "Re: your conversations"
    message.set_content(body)
    return message


@pytest.mark.parametrize(
    "text",
    [
        "Sorry, I need to pause for 2 weeks - back on Feb 8",
        "pause, I'm back on the 8th of February",
        "pause until I'm back on 8 February",
        "pause for two weeks, I'll be back on February 8th",
        "Pause bis 8. Februar, dann bin ich zurück",
        "Pause für 2 Wochen, ich bin am 8. Februar zurück",
        "Bitte pausieren, ab dem 8. Februar bin ich wieder da",
        "pause, je reviens le 8 février",
        "pause pendant 2 semaines, de retour le 8 février",
        "pausa, vuelvo el 8 de febrero",
        "pausa por 2 semanas, estoy de vuelta el 8 de febrero",
    ],
)
def test_a_pause_ends_on_the_day_they_are_back(text: str) -> None:
    found = parse_command(text, today=TODAY)
    assert found is not None and found[:2] == (Command.PAUSE, FEB_8), found


def test_the_day_back_wins_over_the_length_and_the_reason_says_so() -> None:
    reading = read_reply(reply("Sorry, I need to pause for 2 weeks - back on Feb 8"), today=TODAY)
    assert (reading.command, reading.until) == (Command.PAUSE, FEB_8)
    assert reading.reason.endswith("; the day you are back wins over 'for 2 weeks'")


@pytest.mark.parametrize(
    ("text", "until"),
    [
        ("pause for 1 week - back on 30 June", date(2027, 6, 30)),  # far apart: still the day
        ("pause until Feb 8, back on Feb 10", date(2027, 2, 10)),  # the day back wins
        ("pause for 2 weeks (until Feb 8)", FEB_8),  # a date wins over a length
        ("pause until Feb 8 - 2 weeks", FEB_8),
        ("pause, back in 3 weeks", date(2027, 1, 26)),
        ("pause, je reviens dans 3 semaines", date(2027, 1, 26)),
    ],
)
def test_which_of_two_ends_wins(text: str, until: date) -> None:
    found = parse_command(text, today=TODAY)
    assert found is not None and found[:2] == (Command.PAUSE, until), found


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("pause for 2 weeks - back on Feb 8 2026", "'back on feb 8 2026' is in the past"),
        ("pause, back on 8 February 2029", "'back on 8 february 2029' is more than a year ahead"),
        ("pause, ich bin am 8. Februar 2029 zurück", "is more than a year ahead"),
        ("pause until January", "'until january' is this month: write the day"),
        ("pause until Monday 12 January", "12 January 2027 is a Tuesday"),
    ],
)
def test_an_unlikely_end_is_refused_with_the_reason(text: str, why: str) -> None:
    reading = read_reply(reply(text), today=TODAY)
    assert (reading.command, reading.until, reading.answer) == (None, None, True)
    assert why in reading.reason


@pytest.mark.parametrize(
    ("text", "until"),
    [
        ("pause until March", date(2027, 3, 1)),
        ("pause until the start of March", date(2027, 3, 1)),
        ("pause until March 2028", date(2028, 3, 1)),
        ("Pause bis März", date(2027, 3, 1)),
        ("Pause bis Anfang März", date(2027, 3, 1)),
        ("pause jusqu'en mars", date(2027, 3, 1)),
        ("pausa hasta marzo", date(2027, 3, 1)),
        ("pause until the end of March", date(2027, 4, 1)),
        ("pause until the end of the month", date(2027, 2, 1)),
        ("Pause bis Ende März", date(2027, 4, 1)),
        ("pause jusqu'à fin mars", date(2027, 4, 1)),
        ("pausa hasta finales de marzo", date(2027, 4, 1)),
        ("pause until Monday", date(2027, 1, 11)),
        ("pause until next Friday", date(2027, 1, 8)),
        ("pause until Tuesday", date(2027, 1, 12)),  # today is Tuesday: the next one
        ("pause until after Monday", date(2027, 1, 12)),
        ("pause until Monday 11 January", date(2027, 1, 11)),
        ("Pause bis Montag", date(2027, 1, 11)),
        ("Pause bis nächsten Freitag", date(2027, 1, 8)),
        ("pause jusqu'à lundi", date(2027, 1, 11)),
        ("pause jusqu'à vendredi prochain", date(2027, 1, 8)),
        ("pausa hasta el lunes", date(2027, 1, 11)),
        ("pausa hasta el próximo viernes", date(2027, 1, 8)),
    ],
)
def test_months_and_weekdays_end_a_pause(text: str, until: date) -> None:
    found = parse_command(text, today=TODAY)
    assert found is not None and found[:2] == (Command.PAUSE, until), found


WEEKDAYS = [
    ("Monday", "Montag", "lundi", "lunes"),
    ("Tuesday", "Dienstag", "mardi", "martes"),
    ("Wednesday", "Mittwoch", "mercredi", "miércoles"),
    ("Thursday", "Donnerstag", "jeudi", "jueves"),
    ("Friday", "Freitag", "vendredi", "viernes"),
    ("Saturday", "Samstag", "samedi", "sábado"),
    ("Sunday", "Sonntag", "dimanche", "domingo"),
]
UNTIL = ("pause until {}", "Pause bis {}", "pause jusqu'à {}", "pausa hasta el {}")
dates = st.dates(date(2000, 1, 1), date(2090, 12, 31))


@given(dates, st.integers(0, 6), st.integers(0, 3))
def test_a_weekday_is_the_next_such_day_after_today(today: date, day: int, language: int) -> None:
    text = UNTIL[language].format(WEEKDAYS[day][language])
    found = parse_command(text, today=today)
    assert found is not None and found[1] is not None, text
    assert 1 <= (found[1] - today).days <= 7 and found[1].weekday() == day


@given(dates, st.integers(1, 12))
def test_a_month_alone_is_its_next_first_day_and_never_this_month(today: date, month: int) -> None:
    name = date(2001, month, 1).strftime("%B")
    found = parse_command(f"pause until {name}", today=today)
    if month == today.month:
        assert found is None
        return
    assert found is not None and found[1] is not None
    assert (found[1].month, found[1].day) == (month, 1)
    assert today < found[1] <= add_months(today, 12)


@given(dates, st.integers(1, 364), st.integers(1, 8))  # 365 days on is today's date again
def test_the_day_back_wins_over_any_length(today: date, ahead: int, weeks: int) -> None:
    back = today + timedelta(days=ahead)
    text = f"pause for {weeks} weeks - back on {back:%B} {back.day}"
    found = parse_command(text, today=today)
    assert found is not None and found[:2] == (Command.PAUSE, back), text


@given(dates, dates)
def test_a_day_back_is_never_in_the_past_nor_more_than_a_year_ahead(
    today: date, back: date
) -> None:
    found = parse_command(f"pause, back on {back.day} {back:%B} {back.year}", today=today)
    if found is not None:
        assert found[1] == back and today <= back <= add_months(today, 12)
    else:
        assert back < today or back > add_months(today, 12)
