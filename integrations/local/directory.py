"""The local provider's directory: a CSV export of the organisation."""

from __future__ import annotations

from pathlib import Path

from integrations.local.people_csv import PeopleFileError, read_people_csv
from scheduler.ports import ProviderError
from scheduler.program.roster import RawPerson


class CsvDirectory:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fetch_people(self) -> list[RawPerson]:
        try:
            return read_people_csv(self.path)
        except PeopleFileError as exc:
            raise ProviderError(str(exc), permanent=True) from exc
