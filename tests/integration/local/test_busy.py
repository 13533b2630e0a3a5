"""IcsFolderBusy on the calendar files in tests/fixtures/calendars, each named by its case."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from integrations.local.busy import IcsFolderBusy
from scheduler.core.model import Interval
from scheduler.ports import ProviderError

CALENDARS = Path(__file__).parents[2] / "fixtures" / "calendars"
ANA = "ana@example.org"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def spans(*pairs: tuple[str, str]) -> list[Interval]:
    return [Interval(utc(start), utc(end)) for start, end in pairs]


def folder_with(tmp_path: Path, **files: str) -> Path:
    """A busy folder where each person (keyword: ana -> ana@example.org) has a case file."""
    for person, case in files.items():
        shutil.copy(CALENDARS / case, tmp_path / f"{person}@example.org.ics")
    return tmp_path


def busy_of(tmp: Path, case: str, start: str, end: str, zone: str = "UTC") -> list[Interval]:
    """Ana's busy intervals from one case file, with `zone` as her time zone."""
    busy = IcsFolderBusy(folder_with(tmp, ana=case), zone_of=lambda _: zone)
    return busy.busy([ANA], Interval(utc(start), utc(end)))[ANA]


def test_a_weekly_series_honours_exdate_rdate_and_a_moved_instance(tmp_path: Path) -> None:
    found = busy_of(tmp_path, "weekly_exdate_rdate_moved.ics", "2024-01-08", "2024-02-01")

    assert found == spans(
        ("2024-01-09T09:00", "2024-01-09T10:00"),  # 10:00 Berlin is 09:00 UTC in winter
        # 2024-01-16 is an EXDATE
        ("2024-01-24T13:00", "2024-01-24T14:30"),  # the 23rd, moved by its RECURRENCE-ID
        ("2024-01-27T15:00", "2024-01-27T16:00"),  # the RDATE
        ("2024-01-30T09:00", "2024-01-30T10:00"),
    )


def test_all_day_events_fill_whole_days_in_the_persons_zone(tmp_path: Path) -> None:
    found = busy_of(tmp_path, "all_day.ics", "2024-03-14", "2024-03-21", zone="America/New_York")

    assert found == spans(
        ("2024-03-15T04:00", "2024-03-16T04:00"),  # no DTEND: one day
        ("2024-03-18T04:00", "2024-03-20T04:00"),
    )


def test_transparent_cancelled_and_declined_events_leave_a_person_free(tmp_path: Path) -> None:
    found = busy_of(tmp_path, "transparent_cancelled_declined.ics", "2024-03-05", "2024-03-08")

    assert found == spans(
        ("2024-03-05T15:00", "2024-03-05T15:15"),
        ("2024-03-05T16:00", "2024-03-05T17:00"),  # accepted
        ("2024-03-07T15:00", "2024-03-07T15:15"),  # the 6th was cancelled on its own
    )


def test_busy_periods_of_a_vfreebusy_count_and_free_ones_do_not(tmp_path: Path) -> None:
    found = busy_of(tmp_path, "free_busy.ics", "2024-03-04", "2024-03-11")

    assert found == spans(
        ("2024-03-04T09:00", "2024-03-04T10:30"),  # two periods, one given as a duration
        ("2024-03-05T09:00", "2024-03-05T10:00"),  # tentative
        ("2024-03-06T00:00", "2024-03-06T08:00"),  # unavailable
    )


def test_a_series_in_another_zone_keeps_its_wall_clock_across_dst(tmp_path: Path) -> None:
    found = busy_of(tmp_path, "dst_new_york.ics", "2024-03-01", "2024-03-31", zone="Europe/London")

    assert found == spans(
        ("2024-03-04T14:00", "2024-03-04T15:00"),  # EST, UTC-5
        ("2024-03-11T13:00", "2024-03-11T14:00"),  # EDT from 10 March, UTC-4
        ("2024-03-18T13:00", "2024-03-18T14:00"),
    )


def test_floating_times_are_read_in_the_persons_zone(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, ana="floating.ics", bo="floating.ics")
    zones = {ANA: "Asia/Tokyo", "bo@example.org": "America/Los_Angeles"}
    busy = IcsFolderBusy(folder, zone_of=zones.__getitem__)

    found = busy.busy([ANA, "bo@example.org"], Interval(utc("2024-03-04"), utc("2024-03-07")))

    assert found == {
        ANA: spans(("2024-03-05T00:00", "2024-03-05T01:00")),
        "bo@example.org": spans(("2024-03-05T17:00", "2024-03-05T18:00")),
    }


def test_intervals_are_merged_and_clipped_to_the_window(tmp_path: Path) -> None:
    found = busy_of(tmp_path, "overlapping.ics", "2024-03-05", "2024-03-05T10:45")
    whole_day = busy_of(tmp_path, "overlapping.ics", "2024-03-05", "2024-03-06")

    just_after_midnight = ("2024-03-05T00:00", "2024-03-05T01:00")  # began the day before
    assert found == spans(just_after_midnight, ("2024-03-05T09:00", "2024-03-05T10:45"))
    assert whole_day == spans(just_after_midnight, ("2024-03-05T09:00", "2024-03-05T11:30"))


def test_a_person_without_a_file_is_free(tmp_path: Path) -> None:
    busy = IcsFolderBusy(folder_with(tmp_path, ana="all_day.ics"))

    assert busy.busy(["cy@example.org"], Interval(utc("2024-03-01"), utc("2024-04-01"))) == {
        "cy@example.org": []
    }


def test_the_file_name_is_matched_without_regard_to_case(tmp_path: Path) -> None:
    shutil.copy(CALENDARS / "floating.ics", tmp_path / "Ana@Example.ORG.ICS")

    found = IcsFolderBusy(tmp_path).busy([ANA], Interval(utc("2024-03-05"), utc("2024-03-06")))

    assert found[ANA] == spans(("2024-03-05T09:00", "2024-03-05T10:00"))


def test_an_unparseable_file_is_permanent_and_named(tmp_path: Path) -> None:
    busy = IcsFolderBusy(folder_with(tmp_path, ana="broken.ics"))

    with pytest.raises(ProviderError) as raised:
        busy.busy([ANA], Interval(utc("2024-03-01"), utc("2024-04-01")))

    assert raised.value.permanent and "ana@example.org.ics" in str(raised.value)


def test_a_missing_folder_is_permanent(tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as raised:
        IcsFolderBusy(tmp_path / "nowhere").busy(
            [ANA], Interval(utc("2024-03-01"), utc("2024-03-02"))
        )

    assert raised.value.permanent


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    # Given a busy folder that has been read once
    folder = folder_with(tmp_path, ana="floating.ics")
    busy = IcsFolderBusy(folder)
    window = Interval(utc("2024-03-01"), utc("2024-04-01"))
    busy.busy([ANA], window)
    # When the person exports a new calendar (same size, same second)
    path = folder / f"{ANA}.ics"
    stamp = path.stat().st_mtime_ns
    path.write_text(path.read_text().replace("T090000", "T080000"))
    os.utime(path, ns=(stamp + 1, stamp + 1))
    # Then the new file is what counts
    assert busy.busy([ANA], window)[ANA] == spans(("2024-03-05T08:00", "2024-03-05T10:00"))
