"""The local provider's directory: a CSV export of the organisation."""

from __future__ import annotations

from pathlib import Path

from integrations.local.people_csv import PeopleFileError, read_people_csv
from scheduler.ports import DirectoryBatch, PersonRecord, ProviderError


class CsvDirectory:
    """The whole file at every read: a CSV export has no deltas."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self, cursor: str | None) -> DirectoryBatch:
        return DirectoryBatch(self.fetch_people(), complete=True)

    def fetch_people(self) -> list[PersonRecord]:
        try:
            return read_people_csv(self.path)
        except PeopleFileError as exc:
            raise ProviderError(str(exc), permanent=True) from exc
