"""`meetings.stretch` is HR's choice (issue 9, item 2): without it New York and Kolkata are
never paired; with 2 hours they are, every meeting stays within the stretch, and `tandem
status` shows the meetings outside someone's hours."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from scheduler.store.models import Round
from tests.integration.world import World

NOW = datetime(2027, 1, 4, 8, tzinfo=UTC)
DOMAIN = "far.example"


def two_people(_: str) -> str:
    return (
        "email,name,title,department,level,manager_email,timezone\n"
        f"ana@{DOMAIN},Ana Lima,Engineer,Eng,3,,America/New_York\n"
        f"dev@{DOMAIN},Dev Rao,Engineer,Ops,3,,Asia/Kolkata\n"
    )


def with_stretch(stretch: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        text = text.replace("  exclude: {emails: [ana.ferreira@northwind-loom.example]}\n", "")
        hours = '  hours: "09:00-17:00"\n'
        return text.replace(hours, f"{hours}  stretch: {stretch}\n")

    return edit


def test_without_a_stretch_far_zones_wait_with_the_reason(tmp_path: Path, store_url: str) -> None:
    edit = with_stretch("none")
    world = World(tmp_path / "p", store_url, edit_people=two_people, edit_program=edit)
    world.cycle(NOW)
    assert world.pairs() == []
    with world.rt.store.session() as s:
        (waiting,) = s.scalars(select(Round.waiting)).all()
    reasons = {entry["reason"] for entry in waiting}
    assert reasons == {
        "all 1 people within 1 level(s) work in time zones that share no working hours with theirs"
    }


def test_with_a_stretch_they_meet_within_it_and_status_shows_it(
    tmp_path: Path, store_url: str
) -> None:
    edit = with_stretch("2 hours")
    world = World(tmp_path / "p", store_url, edit_people=two_people, edit_program=edit)
    world.cycle(NOW)
    (pair,) = world.pairs()
    meetings = [m for m in world.meetings(pair.id) if m.state == "booked"]
    assert len(meetings) == 2
    for meeting in meetings:
        assert meeting.starts_at and meeting.ends_at and meeting.odd_minutes
        assert all(0 < minutes <= 120 for minutes in meeting.odd_minutes.values())
        for zone in ("America/New_York", "Asia/Kolkata"):
            start = meeting.starts_at.astimezone(ZoneInfo(zone))
            end = meeting.ends_at.astimezone(ZoneInfo(zone))
            assert datetime.combine(start.date(), time(7), start.tzinfo) <= start
            assert end <= datetime.combine(start.date(), time(19), start.tzinfo)
    status = world.status()
    assert "outside working hours: 2 upcoming meeting(s)" in status
    assert "min outside the hours of" in status
    (kit,) = world.sent("launch_kit", pair.id)
    text = kit.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.count("Outside working hours: ") == 2
    assert any(
        f"{name}: {minutes} minutes" in text
        for meeting in meetings
        for email, minutes in meeting.odd_minutes.items()
        for name in [{"ana": "Ana", "dev": "Dev"}[email.partition("@")[0]]]
    )
