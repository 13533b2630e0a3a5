"""Who takes part: the directory synced into the store, idempotently. A complete read is the
whole directory; a delta changes only the people it names. A person without a usable time zone
takes their calendar's, else the program's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from scheduler.core.model import Person
from scheduler.ports import CursorExpired, PersonRecord
from scheduler.program.participants import select_participants
from scheduler.program.roster import build_roster
from scheduler.replies.address import person_tag
from scheduler.runtime import Report, Runtime
from scheduler.store import ops as store_ops
from scheduler.store.models import Person as PersonRow


def sync_people(rt: Runtime, now: datetime) -> Report:
    """Bring the people table in line with the directory; bad rows are skipped and counted.
    Insert-or-update, so two syncs at once agree (issue 13, defect 3). A complete read is the
    whole directory (everyone else has left); a delta changes only the people it names, and is
    checked together with everyone already known (managers, aliases)."""
    report = Report("sync")
    records = _directory(rt, report)
    roster = build_roster(records, rt.program.levels)
    people = _with_zones(rt, roster.people, report)
    chosen = {p.email for p in select_participants(people, rt.program.participants)}
    rows = [_person_row(person, now, participating=person.email in chosen) for person in people]
    with rt.store.session() as s:
        store_ops.upsert_people(s, rows, now=now)
        store_ops.mark_removed(s, {person.email for person in roster.people}, now=now)
    report.notes.append(f"{len(roster.people)} people in the directory, {len(chosen)} taking part")
    if roster.problems:
        skipped = len({(p.source, p.line) for p in roster.problems if p.skipped})
        report.problems.append(f"{skipped} directory row(s) skipped")
        report.problems += [str(p) for p in roster.problems[:20]]
    return report


def _with_zones(rt: Runtime, people: Sequence[Person], report: Report) -> list[Person]:
    """Everyone with a time zone. Where the directory has none (a cloud directory often has
    not), the person's calendar setting, else the program's zone; `timezone_from` keeps which,
    and the report says how many (issue 8, item 7). A zone found once is kept."""
    missing = [p.email for p in people if not p.timezone]
    if not missing:
        return list(people)
    with rt.store.session() as s:
        known = {
            row.email: row.timezone
            for row in s.scalars(select(PersonRow).where(PersonRow.email.in_(missing)))
            if row.attributes.get("timezone_from") == "calendar"
        }
    asked = [email for email in missing if email not in known]
    hours = rt.providers.calendar.working_hours(asked) if asked else {}
    found = {email: h.timezone for email, h in hours.items() if _valid_zone(h.timezone)}
    found.update(known)
    filled = []
    for person in people:
        if person.timezone:
            filled.append(person)
            continue
        source = "calendar" if person.email in found else "program"
        zone = found.get(person.email, rt.program.program.timezone)
        attributes = {**person.attributes, "timezone_from": source}
        filled.append(replace(person, timezone=zone, attributes=attributes))
    from_calendar = sum(1 for email in missing if email in found)
    report.notes.append(
        f"{len(missing)} without a time zone in the directory: {from_calendar} from their "
        f"calendars, {len(missing) - from_calendar} in the program's "
        f"({rt.program.program.timezone})"
    )
    return filled


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return bool(name)


def _directory(rt: Runtime, report: Report) -> list[PersonRecord]:
    """Every record of the directory as it stands now, from a complete read or a delta."""
    with rt.store.session() as s:
        cursor = store_ops.get_cursor(s, "directory")
    try:
        batch = rt.providers.directory.read(cursor)
    except CursorExpired as expired:
        report.notes.append(f"the directory's cursor expired ({expired}); read it whole")
        batch = rt.providers.directory.read(None)
    records = list(batch.records)
    if not batch.complete:
        changed = {r.fields.get("email", "").strip().lower() for r in records}
        gone = {email.strip().lower() for email in batch.removed} | changed
        with rt.store.session() as s:
            known = s.scalars(select(PersonRow).where(PersonRow.removed_at.is_(None))).all()
            records += [_record_of(row) for row in known if row.email not in gone]
    if batch.cursor is not None:
        with rt.store.session() as s:
            store_ops.set_cursor(s, "directory", batch.cursor)
    return records


def _record_of(row: PersonRow) -> PersonRecord:
    """A person as the directory gave them before, for checking a delta with everyone."""
    fields = {
        "email": row.email,
        "name": row.name,
        "title": row.title,
        "department": row.department,
        "level": "" if row.level is None else str(row.level),
        "manager_email": row.manager_email or "",
        "timezone": row.timezone,
        "aliases": ";".join(row.aliases),
        **row.attributes,
    }
    return PersonRecord("directory", 0, fields)


def _person_row(person: Person, now: datetime, *, participating: bool) -> dict[str, object]:
    return {
        "email": person.email,
        "tag": person_tag(person.email),
        "name": person.name,
        "title": person.title,
        "department": person.department,
        "level": person.level,
        "manager_email": person.manager_email,
        "timezone": person.timezone,
        "aliases": list(person.aliases),
        "attributes": dict(person.attributes),
        "participating": participating,
        "last_seen": now,
        "removed_at": None,
    }
