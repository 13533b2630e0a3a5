"""Dates and times as each reader says them (issue 9, item 8): the reader's zone decides the
hour, their locale how it is written; zones go by the names people use, never by IANA keys."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import available_timezones

import pytest

from scheduler.render.local_time import (
    Reader,
    day_words,
    locale_hint,
    locale_tag,
    meeting_time,
    month_words,
    reader_locale,
    short_time,
    times_for,
    zone_name,
)

# 14:45 UTC on Tuesday 12 January 2027: winter on both sides of the Atlantic.
WINTER = datetime(2027, 1, 12, 14, 45, tzinfo=UTC)
# 16 March 2027: New York is on summer time since the 14th, Berlin not until the 28th.
BETWEEN = datetime(2027, 3, 16, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("locale", "zone", "expected"),
    [
        ("en-US", "America/New_York", "Tuesday, January 12 at 9:45 AM Eastern Time (New York)"),
        ("en-GB", "Europe/London", "Tuesday 12 January at 14:45 British Time (London)"),
        (
            "de-DE",
            "Europe/Berlin",
            "Dienstag, 12. Januar um 15:45 Mitteleuropäische Zeit (Berlin)",
        ),
        ("fr-FR", "Europe/Paris", "mardi 12 janvier à 15:45 heure d’Europe centrale (Paris)"),
        ("es-ES", "Europe/Madrid", "martes, 12 de enero, 15:45 hora de Europa central (Madrid)"),
    ],
)
def test_a_meeting_time_in_each_locales_own_style(locale: str, zone: str, expected: str) -> None:
    assert meeting_time(WINTER, zone, locale) == expected


def test_en_us_uses_the_12_hour_clock_and_the_others_the_24_hour_clock() -> None:
    evening = datetime(2027, 1, 12, 22, 5, tzinfo=UTC)
    assert "5:05 PM" in meeting_time(evening, "America/New_York", "en-US")
    for locale in ("en-GB", "de-DE", "fr-FR"):
        assert "17:05" in meeting_time(evening, "America/New_York", locale)
    assert "17:05" in meeting_time(evening, "America/New_York", "es-ES")


@pytest.mark.parametrize(
    ("zone", "locale", "expected"),
    [
        # New York already on summer time (UTC-4), Berlin still on winter time (UTC+1)
        ("America/New_York", "en-US", "Tuesday, March 16 at 11:00 AM Eastern Time (New York)"),
        ("Europe/Berlin", "de-DE", "Dienstag, 16. März um 16:00 Mitteleuropäische Zeit (Berlin)"),
        # and the southern hemisphere is still on summer time (UTC+11)
        (
            "Australia/Sydney",
            "en-GB",
            "Wednesday 17 March at 02:00 Australian Eastern Time (Sydney)",
        ),
    ],
)
def test_each_zone_follows_its_own_daylight_saving(zone: str, locale: str, expected: str) -> None:
    assert meeting_time(BETWEEN, zone, locale) == expected


def test_the_zone_name_holds_all_year_so_summer_does_not_make_it_wrong() -> None:
    summer = datetime(2027, 7, 13, 14, 45, tzinfo=UTC)
    assert meeting_time(summer, "America/New_York", "en-US") == (
        "Tuesday, July 13 at 10:45 AM Eastern Time (New York)"
    )
    assert meeting_time(summer, "Europe/Paris", "fr-FR") == (
        "mardi 13 juillet à 16:45 heure d’Europe centrale (Paris)"
    )


def test_any_aware_start_is_shown_in_the_readers_zone() -> None:
    start = datetime(2027, 1, 12, 10, tzinfo=timezone(timedelta(hours=-5)))
    assert meeting_time(start, "Asia/Kolkata", "en-GB") == "Tuesday 12 January at 20:30 India Time"


@pytest.mark.parametrize(
    ("zone", "locale", "expected"),
    [
        ("America/New_York", "en-US", "Eastern Time (New York)"),
        ("America/New_York", "de-DE", "Nordamerikanische Ostküstenzeit (New York)"),
        ("America/New_York", "es-ES", "hora oriental (Nueva York)"),
        ("America/Sao_Paulo", "en-US", "Brasilia Time (São Paulo)"),
        ("Europe/Moscow", "en-US", "Moscow Time"),  # not "Moscow Time (Moscow)"
        ("Asia/Kolkata", "en-US", "India Time"),  # one zone for the country: no city needed
        ("Asia/Calcutta", "en-US", "India Time"),  # an old alias reads the same
        ("UTC", "en-US", "Coordinated Universal Time"),
        ("UTC", "de-DE", "Koordinierte Weltzeit"),
        ("Etc/GMT+5", "en-US", "GMT-05:00"),  # POSIX sign: five hours behind
    ],
)
def test_zones_go_by_the_names_people_use(zone: str, locale: str, expected: str) -> None:
    assert zone_name(zone, locale) == expected


def test_without_the_city_a_zone_is_its_generic_name() -> None:
    assert zone_name("America/Chicago", "en-US", city=False) == "Central Time"


def test_no_zone_of_the_time_zone_database_is_ever_shown_by_its_key() -> None:
    for zone in sorted(available_timezones() - {"Factory", "localtime"}):
        for locale in ("en-US", "en-GB", "de-DE", "fr-FR", "es-ES"):
            text = meeting_time(WINTER, zone, locale)
            if "/" in zone:
                assert zone not in text and zone.replace("_", " ") not in text, (zone, text)
            assert "Unknown" not in text and "Unbekannt" not in text, (zone, locale, text)


@pytest.mark.parametrize(
    ("locale", "expected", "with_year"),
    [
        ("en-US", "Monday, February 8", "Monday, February 8, 2027"),
        ("en-GB", "Monday 8 February", "Monday, 8 February 2027"),
        ("de-DE", "Montag, 8. Februar", "Montag, 8. Februar 2027"),
        ("fr-FR", "lundi 8 février", "lundi 8 février 2027"),
        ("es-ES", "lunes, 8 de febrero", "lunes, 8 de febrero de 2027"),
    ],
)
def test_a_date_in_words(locale: str, expected: str, with_year: str) -> None:
    assert day_words(date(2027, 2, 8), locale) == expected
    assert day_words(date(2027, 2, 8), locale, year=True) == with_year


def test_a_month_in_words() -> None:
    assert month_words(date(2028, 1, 11), "en-US") == "January 2028"
    assert month_words(date(2028, 1, 11), "de-DE") == "Januar 2028"


def test_a_short_time_for_a_summary_line() -> None:
    assert short_time(WINTER, "America/New_York", "en-US") == "Tue, Jan 12, 9:45 AM (Eastern Time)"
    assert short_time(WINTER, "America/New_York", "en-GB") == "Tue 12 Jan, 09:45 (Eastern Time)"


def test_readers_who_read_alike_share_a_line_in_their_order() -> None:
    readers = [
        Reader("Jonas", "Europe/Berlin", "de-DE"),
        Reader("Ana", "America/New_York", "en-US"),
        Reader("Lea", "Europe/Berlin", "de-DE"),
    ]
    assert times_for(WINTER, readers) == [
        (("Jonas", "Lea"), "Dienstag, 12. Januar um 15:45 Mitteleuropäische Zeit (Berlin)"),
        (("Ana",), "Tuesday, January 12 at 9:45 AM Eastern Time (New York)"),
    ]


@pytest.mark.parametrize(
    ("written", "tag"),
    [
        ("en-US", "en-US"),
        ("en_us", "en-US"),
        (" DE-de ", "de-DE"),
        ("fr", "fr"),
        ("en-UK", "en-GB"),  # CLDR's own alias
        ("zh-CN", "zh-Hans-CN"),
    ],
)
def test_a_known_locale_gets_its_canonical_tag(written: str, tag: str) -> None:
    assert locale_tag(written) == tag


@pytest.mark.parametrize(
    ("written", "hint"),
    [
        ("en-EN", "did you mean 'en-US'?"),  # a known language, an unknown country
        ("ge-DE", "did you mean 'de-DE'?"),  # a known country, an unknown language
        ("jp-JP", "did you mean 'ja-JP'?"),
        ("German", "did you mean 'de-DE'?"),  # the language's name
        ("xx", None),
    ],
)
def test_an_unknown_locale_is_refused_with_a_suggestion(written: str, hint: str | None) -> None:
    assert locale_tag(written) is None
    assert locale_hint(written) == hint


@pytest.mark.parametrize("written", ["", "  ", "en-US; rm -rf", "../de", "x" * 20])
def test_text_that_is_no_locale_at_all_is_refused(written: str) -> None:
    assert locale_tag(written) is None


def test_a_persons_own_locale_wins_unless_babel_does_not_know_it() -> None:
    assert reader_locale("de-DE", "en-US") == "de-DE"
    assert reader_locale("de_de", "en-US") == "de-DE"
    assert reader_locale("Klingon", "en-US") == "en-US"
    assert reader_locale("", "en-GB") == "en-GB"
    assert reader_locale(None, "en-GB") == "en-GB"
