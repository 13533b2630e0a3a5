"""The directory: users.list pages of 500, who is left out, and each field as Tandem reads it."""

from __future__ import annotations

from integrations.google.auth import GoogleAccess
from integrations.google.directory import GoogleDirectory
from tests.fakes.google import GoogleFake
from tests.integrations.google.conftest import ADMIN, MAILBOX, Waits


def by_email(directory: GoogleDirectory) -> dict[str, dict[str, str]]:
    batch = directory.read(None)
    assert batch.complete
    return {dict(r.fields)["email"]: dict(r.fields) for r in batch.records}


def test_every_page_is_read_and_each_user_once(fake: GoogleFake, access: GoogleAccess) -> None:
    for number in range(1203):
        fake.add_user(f"person{number:04d}@example.com")
    found = by_email(GoogleDirectory(access, ADMIN, mailbox=MAILBOX))
    assert len(found) == 1204  # and the administrator; the program's mailbox is no person
    assert MAILBOX not in found
    assert fake.requests["admin.directory.users.list"] == 3
    assert fake.token_grants[ADMIN] == 1


def test_suspended_archived_and_deleted_users_are_left_out(
    fake: GoogleFake, access: GoogleAccess
) -> None:
    fake.add_user("here@example.com")
    fake.add_user("suspended@example.com", suspended=True)
    fake.add_user("archived@example.com", archived=True)
    fake.add_user("gone@example.com")
    fake.delete_user("gone@example.com")
    assert set(by_email(GoogleDirectory(access, ADMIN))) == {"here@example.com", ADMIN, MAILBOX}


def test_fields_come_from_organizations_relations_and_custom_schemas(
    fake: GoogleFake, access: GoogleAccess
) -> None:
    fake.add_user("boss@example.com", name="Bea Boss", title="Director", department="Eng")
    fake.add_user(
        "ana@example.com",
        name="Ana Lima",
        title="Engineer",
        department="Eng",
        manager="boss@example.com",
        org_unit="/Engineering/Platform",
        aliases=["a.lima@example.com"],
        custom={"Employment": {"level": "4", "timezone": "Europe/Lisbon"}},
    )
    directory = GoogleDirectory(
        access, ADMIN, level_field="Employment.level", timezone_field="Employment.timezone"
    )
    ana = by_email(directory)["ana@example.com"]
    assert ana == {
        "email": "ana@example.com",
        "name": "Ana Lima",
        "title": "Engineer",
        "department": "Eng",
        "manager_email": "boss@example.com",
        "org_unit": "/Engineering/Platform",
        "aliases": "a.lima@example.com",
        "level": "4",
        "timezone": "Europe/Lisbon",
    }
    boss = by_email(directory)["boss@example.com"]
    assert "timezone" not in boss, "no zone in the directory: the calendar's, else the program's"
    assert "level" not in boss, "no level in the directory: the title through `levels:`"


def test_without_a_level_field_the_title_is_given_for_levels(
    fake: GoogleFake, access: GoogleAccess
) -> None:
    fake.add_user("cy@example.com", title="Senior Engineer", custom={"Employment": {"level": "9"}})
    cy = by_email(GoogleDirectory(access, ADMIN))["cy@example.com"]
    assert "level" not in cy and "timezone" not in cy
    assert cy["title"] == "Senior Engineer"


def test_groups_the_participants_name_are_read_with_nested_members(
    fake: GoogleFake, access: GoogleAccess
) -> None:
    for name in ("ana", "bo", "cy"):
        fake.add_user(f"{name}@example.com")
    fake.add_group("platform@example.com", ["bo@example.com"])
    fake.add_group("mentors@example.com", ["ana@example.com", "platform@example.com"])
    found = by_email(GoogleDirectory(access, ADMIN, groups=["Mentors@example.com"]))
    assert found["ana@example.com"]["groups"] == "mentors@example.com"
    assert found["bo@example.com"]["groups"] == "mentors@example.com"
    assert "groups" not in found["cy@example.com"]
    assert fake.requests["admin.directory.members.list"] == 1


def test_a_server_error_or_a_rate_limit_is_retried_with_googles_retry_after(
    fake: GoogleFake, access: GoogleAccess, waits: Waits
) -> None:
    fake.add_user("ana@example.com")
    fake.fault("admin.directory.users.list", 503, times=2)
    fake.fault("admin.directory.users.list", "403-rateLimitExceeded", retry_after=30)
    assert "ana@example.com" in by_email(GoogleDirectory(access, ADMIN))
    assert fake.requests["admin.directory.users.list"] == 4
    assert len(waits.seconds) == 3 and waits.seconds[2] >= 30
