"""The Directory contract: a complete read is everyone; a delta names only what changed."""

from __future__ import annotations

from scheduler.ports import DirectoryBatch
from tests.contracts.harnesses.base import Harness


def person(name: str, level: str = "3") -> dict[str, str]:
    return {
        "email": f"{name}@contract.example",
        "name": name.title(),
        "title": "Engineer",
        "department": "Eng",
        "level": level,
        "manager_email": "",
        "timezone": "Europe/Berlin",
    }


def emails(batch: DirectoryBatch) -> set[str]:
    return {r.fields["email"] for r in batch.records}


def test_a_complete_read_is_everyone_and_shows_leavers_by_their_absence(
    provider: Harness,
) -> None:
    with provider.directory() as harness:
        for name in ("ana", "bo", "cy"):
            harness.put(person(name))
        full = harness.directory.read(None)
        assert full.complete and emails(full) == {
            f"{n}@contract.example" for n in ("ana", "bo", "cy")
        }
        harness.remove("bo@contract.example")
        harness.put(person("ana", level="4"))
        later = harness.directory.read(full.cursor)
        if harness.has_deltas:
            assert not later.complete
            assert emails(later) == {"ana@contract.example"}
            assert list(later.removed) == ["bo@contract.example"]
            assert later.records[0].fields["level"] == "4"
        else:
            assert later.complete
            assert emails(later) == {"ana@contract.example", "cy@contract.example"}
