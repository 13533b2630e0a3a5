"""The directory from Graph /users: paging, who is left out, managers, levels, groups, and
/users/delta for the daily sync."""

from __future__ import annotations

import pytest

from integrations.microsoft.directory import GraphDirectory
from integrations.microsoft.graph import Graph
from scheduler.ports import CursorExpired
from tests.fakes.graph import FakeGraph
from tests.integrations.microsoft.conftest import MAILBOX


def fields_by_email(batch: object) -> dict[str, dict[str, str]]:
    return {r.fields["email"]: dict(r.fields) for r in batch.records}  # type: ignore[attr-defined]


def seed(fake: FakeGraph) -> None:
    fake.add_user("lead@contoso.com", name="Lee Lead", title="Director", employee_type="6")
    for number in range(8):
        fake.add_user(
            f"p{number}@contoso.com",
            name=f"Person {number}",
            title="Engineer",
            department="Eng" if number % 2 else "Sales",
            employee_type=str(2 + number % 3),
            extension={"extensionAttribute3": f"L{number % 3}"},
            manager="lead@contoso.com",
        )
    fake.add_user("guest@partner.example", guest=True)
    fake.add_user("off@contoso.com", enabled=False)
    fake.add_user(None, upn="nomail@contoso.com")


def test_a_full_read_pages_and_leaves_out_guests_disabled_and_mailless(
    fake: FakeGraph, graph: Graph
) -> None:
    seed(fake)
    directory = GraphDirectory(graph, MAILBOX, level_attribute="employeeType", page_size=3)
    batch = directory.read(None)
    people = fields_by_email(batch)
    assert batch.complete and batch.cursor
    assert set(people) == {"lead@contoso.com", *(f"p{n}@contoso.com" for n in range(8))}
    assert people["p1@contoso.com"] == {
        "email": "p1@contoso.com",
        "name": "Person 1",
        "title": "Engineer",
        "department": "Eng",
        "level": "3",
        "manager_email": "lead@contoso.com",
        "aliases": "",
    }
    assert fake.requests["users.list"] == 5, "12 users in pages of 3 (with $expand=manager)"


def test_the_level_from_an_extension_attribute_or_from_titles(
    fake: FakeGraph, graph: Graph
) -> None:
    seed(fake)
    by_extension = GraphDirectory(graph, MAILBOX, level_attribute="extensionAttribute3")
    assert fields_by_email(by_extension.read(None))["p4@contoso.com"]["level"] == "L1"
    by_title = GraphDirectory(graph, MAILBOX, level_attribute=None)
    assert fields_by_email(by_title.read(None))["p4@contoso.com"]["level"] == ""


def test_people_of_the_groups_a_program_names_carry_them(fake: FakeGraph, graph: Graph) -> None:
    seed(fake)
    inner = fake.add_group("eng-leads@contoso.com", members=["p1@contoso.com"])
    fake.add_group("mentors@contoso.com", members=["p2@contoso.com", inner])
    directory = GraphDirectory(graph, MAILBOX, level_attribute=None, groups=["Mentors@contoso.com"])
    people = fields_by_email(directory.read(None))
    assert people["p1@contoso.com"]["groups"] == "mentors@contoso.com"
    assert people["p2@contoso.com"]["groups"] == "mentors@contoso.com"
    assert "groups" not in people["p3@contoso.com"]


def test_a_delta_names_changes_leavers_and_the_newly_disabled(
    fake: FakeGraph, graph: Graph
) -> None:
    seed(fake)
    directory = GraphDirectory(graph, MAILBOX, level_attribute="employeeType")
    full = directory.read(None)
    fake.update_user("p1@contoso.com", employee_type="5")
    fake.update_user("p2@contoso.com", enabled=False)
    fake.remove_user("p3@contoso.com")
    fake.remove_user("p4@contoso.com", permanent=True)
    fake.add_user("new@contoso.com", employee_type="3", manager="lead@contoso.com")
    delta = directory.read(full.cursor)
    assert not delta.complete
    people = fields_by_email(delta)
    assert set(people) == {"p1@contoso.com", "new@contoso.com"}
    assert people["p1@contoso.com"]["level"] == "5"
    assert people["new@contoso.com"]["manager_email"] == "lead@contoso.com"
    assert sorted(delta.removed) == ["p2@contoso.com", "p3@contoso.com", "p4@contoso.com"]
    quiet = directory.read(delta.cursor)
    assert (list(quiet.records), list(quiet.removed)) == ([], [])


def test_an_expired_delta_says_so(fake: FakeGraph, graph: Graph) -> None:
    seed(fake)
    directory = GraphDirectory(graph, MAILBOX, level_attribute=None)
    full = directory.read(None)
    fake.expire_delta()
    with pytest.raises(CursorExpired):
        directory.read(full.cursor)
    assert directory.read(None).complete
